"""The ``carecoord`` console script: Django's management commands under one name.

``carecoord seed-demo`` runs the ``seed_demo`` command; hyphens in the first word become underscores.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecoord.settings")
    from carecoord.config import ConfigurationError

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["carecoord", *args[1:]])
    except ConfigurationError as error:
        sys.stderr.write(f"carecoord: configuration error: {error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
