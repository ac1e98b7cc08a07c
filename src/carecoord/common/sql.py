"""Hand-written SQL for the few hot paths where the ORM's query compilation dominates the cost.

Table and column names always come from model metadata; values are always bound parameters, prepared by the
model field so that each database gets its own representation (SQLite stores UUIDs as hex, dates as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], field_name: str) -> str:
    name = getattr(model._meta.get_field(field_name), "column", None)
    if not isinstance(name, str):
        raise ValueError(f"{model.__name__}.{field_name} has no column")
    return connection.ops.quote_name(name)


def prep(model: type[models.Model], field_name: str, value: Any) -> Any:
    """``value`` as the database stores ``model.field_name``."""
    field = model._meta.get_field(field_name)
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return field.get_db_prep_value(value, connection, prepared=False)  # type: ignore[union-attr]


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
