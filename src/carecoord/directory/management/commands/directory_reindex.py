"""carecoord directory-reindex: rebuild the directory's search index from its records."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from carecoord.common.cli import command_context
from carecoord.directory.indexing import reindex_all


class Command(BaseCommand):
    help = (
        "Rebuild the directory search index (one row per service at a location) from the directory's records. "
        "Imports keep it current; run this after changing records by other means or after an upgrade."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with command_context("directory-reindex"):
            written = reindex_all()
        self.stdout.write(f"Search index rebuilt: {written} rows.")
