"""Helpers for management commands: run an action, turn domain errors into a message and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.management.base import CommandError

from carecoord.common.errors import DomainError
from carecoord.common.middleware import origin


@contextmanager
def command_context(name: str) -> Iterator[None]:
    """Audit origin for a command, and domain errors as CommandError (message, exit status 1)."""
    with origin("cli", client_address=f"cli:{name}"):
        try:
            yield
        except DomainError as error:
            problems = getattr(error, "errors", None) or {}
            details = [f"  {field}: {message}" for field, messages in problems.items() for message in messages]
            if len(details) == 1:
                details = []
            raise CommandError("\n".join([str(error), *details])) from None


def read_secret_from_stdin(prompt: str) -> str:
    """A password from standard input: the first line when piped, or asked for twice on a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass(prompt)
        second = getpass.getpass("Again: ")
        if first != second:
            raise CommandError("The two passwords differ.")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    secret = line.rstrip("\r\n")
    if not secret:
        raise CommandError("Give the password on standard input, e.g. printf '%s\\n' \"$PASSWORD\" | carecoord ...")
    return secret
