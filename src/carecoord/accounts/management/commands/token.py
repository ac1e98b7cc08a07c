"""carecoord token create|list|revoke: bearer tokens for the APIs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carecoord.accounts.actions import create_token, revoke_token
from carecoord.accounts.models import ApiToken, User
from carecoord.common.cli import command_context


class Command(BaseCommand):
    help = "Create, list or revoke API bearer tokens. `token create USERNAME` prints the token as its last line."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token for a user")
        create.add_argument("username")
        create.add_argument("--days", type=int, default=None, help="Lifetime in days (default from settings)")
        create.add_argument("--name", default="", help="What the token is for")
        listing = sub.add_parser("list", help="List a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by the prefix shown in `token list`")
        revoke.add_argument("prefix")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        with command_context("token"):
            if options["verb"] == "create":
                user = self._user(options["username"])
                token, plain = create_token(user=user, by=None, name=options["name"], days=options["days"])
                self.stderr.write(f"Token for {user.username}, expires {token.expires_at:%Y-%m-%d}. Shown once:")
                self.stdout.write(plain)
            elif options["verb"] == "list":
                user = self._user(options["username"])
                for item in ApiToken.objects.filter(user=user):
                    state = "revoked" if item.revoked_at else ("active" if item.is_active else "expired")
                    self.stdout.write(f"{item.prefix}\t{state}\t{item.expires_at:%Y-%m-%d}\t{item.name}")
            else:
                matches = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
                if len(matches) != 1:
                    raise CommandError(f"{len(matches)} active tokens start with {options['prefix']!r}; need one.")
                revoke_token(token=matches[0], by=None)
                self.stdout.write(f"Revoked {matches[0].prefix}")
