"""carecoord createorg NAME --type TYPE: add an organization and print its id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from carecoord.accounts.actions import create_organization
from carecoord.accounts.models import OrganizationType
from carecoord.common.cli import command_context


class Command(BaseCommand):
    help = "Add an organization to the network and print its id."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--type", required=True, choices=OrganizationType.values, dest="org_type")
        parser.add_argument("--npi", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        with command_context("createorg"):
            organization = create_organization(
                name=options["name"], type=options["org_type"], by=None, npi=options["npi"], phone=options["phone"]
            )
        self.stdout.write(str(organization.pk))
