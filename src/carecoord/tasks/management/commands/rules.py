"""carecoord rules: every rule that creates tasks, with its reason code, what it finds and who runs it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from carecoord.tasks.rules import RULES


class Command(BaseCommand):
    help = "List the rules that create tasks (the rules job's and the hooks other actions run), with reason codes."

    def handle(self, *args: Any, **options: Any) -> None:
        width = max(len(rule.reason) for rule in RULES)
        for rule in RULES:
            self.stdout.write(f"{rule.reason:<{width}}  {rule.name}  [{rule.made_by}]")
            self.stdout.write(f"{'':<{width}}  finds: {rule.finds}")
            self.stdout.write(f"{'':<{width}}  closes: {rule.closes_when}")
            licensed = ", licensed only" if rule.requires_license else ""
            self.stdout.write(f"{'':<{width}}  task: {rule.kind}, {rule.priority}{licensed}")
