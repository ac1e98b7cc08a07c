"""carecoord createuser USERNAME --role ROLE --org ORG: add a staff user; the password comes on stdin."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.accounts.actions import LicenseData, create_user, find_organization
from carecoord.accounts.models import Role
from carecoord.common.cli import command_context, read_secret_from_stdin


def _license(text: str) -> LicenseData:
    """TYPE:STATE:NUMBER:YYYY-MM-DD, e.g. RN:NY:123456:2027-06-30."""
    parts = text.split(":")
    if len(parts) != 4:
        raise CommandError(f"--license takes TYPE:STATE:NUMBER:EXPIRY, e.g. RN:NY:123456:2027-06-30, not {text!r}")
    try:
        expires = datetime.date.fromisoformat(parts[3])
    except ValueError:
        raise CommandError(f"The license expiry {parts[3]!r} is not a date (YYYY-MM-DD).") from None
    return LicenseData(type=parts[0], state=parts[1], number=parts[2], expires_on=expires)


class Command(BaseCommand):
    help = "Add a staff user to an organization. The password is read from standard input."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--org", required=True, help="Organization name or id")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--license", action="append", default=[], help="TYPE:STATE:NUMBER:EXPIRY")

    def handle(self, *args: Any, **options: Any) -> None:
        licenses = [_license(text) for text in options["license"]]
        with command_context("createuser"):
            organization = find_organization(options["org"])
            password = read_secret_from_stdin("Password: ")
            user = create_user(
                username=options["username"],
                role=options["role"],
                organization=organization,
                password=password,
                by=None,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                title=options["title"],
                licenses=licenses,
            )
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}) at {organization.name}: {user.pk}")
