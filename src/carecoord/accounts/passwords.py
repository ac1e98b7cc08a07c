"""Password policy beyond Django's validators: a mix of character classes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """Require at least three of: lower-case, upper-case, digits, symbols (passphrases of 20+ are exempt)."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) >= 20:
            return
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "Use at least three of lower-case letters, capitals, digits and symbols, "
                "or a passphrase of 20 characters or more.",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return "Use three of lower-case, capitals, digits and symbols, or a passphrase of 20+ characters."
