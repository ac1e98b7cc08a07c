"""Hand-written SQL for the few hot paths where the ORM's query compilation dominates the cost.

Table and column names always come from model metadata; values are always bound parameters, prepared by the
model field so that each database gets its own representation (SQLite stores UUIDs as hex, dates as text).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.utils.dateparse import parse_datetime


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[models.Model], field_name: str) -> str:
    name = getattr(model._meta.get_field(field_name), "column", None)
    if not isinstance(name, str):
        raise ValueError(f"{model.__name__}.{field_name} has no column")
    return connection.ops.quote_name(name)


@functools.cache
def _target_field(model: type[models.Model], field_name: str) -> Any:
    field = model._meta.get_field(field_name)
    return field.target_field if isinstance(field, models.ForeignKey) else field


def prep(model: type[models.Model], field_name: str, value: Any) -> Any:
    """``value`` as the database stores ``model.field_name``."""
    return _target_field(model, field_name).get_db_prep_value(value, connection, prepared=False)


def fetch_one(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def to_datetime(value: Any) -> datetime.datetime | None:
    """A timestamp column read with a plain cursor (SQLite returns text, stored in UTC) as an aware datetime."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


def model_columns(model: type[models.Model]) -> str:
    """Every concrete column of ``model``, table-qualified, in field order (pair with ``model_from_row``)."""
    return ", ".join(f"{table(model)}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields)


_CONVERTERS: dict[tuple[str, type[models.Model]], list[tuple[Any, list[Any]]]] = {}


def model_from_row(model: type[models.Model], values: Sequence[Any]) -> Any:
    """An instance of ``model`` from a row of ``model_columns``, converted exactly as the ORM would."""
    key = (connection.vendor, model)
    plan = _CONVERTERS.get(key)
    if plan is None:
        plan = []
        for field in model._meta.concrete_fields:
            column_expr = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column_expr)
            functions += field.get_db_converters(connection)  # type: ignore[attr-defined]
            plan.append((column_expr, functions))
        _CONVERTERS[key] = plan
    converted = []
    for (expression, functions), value in zip(plan, values, strict=True):
        for function in functions:
            value = function(value, expression, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], converted)


@contextmanager
def custom_plans() -> Iterator[None]:
    """PostgreSQL plans each statement for its own parameters inside the block, even when prepared.

    After a few executions PostgreSQL may switch a prepared statement to a generic plan; for statements with
    correlated subqueries over one organization's rows (the enrollment board) that plan can be several times
    slower. SQLite has nothing to change.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET plan_cache_mode")


@functools.cache
def _insert_head(vendor: str, model: type[models.Model], fields: tuple[str, ...]) -> str:
    names = ", ".join(column(model, name) for name in fields)
    return f"INSERT INTO {table(model)} ({names}) VALUES "  # noqa: S608 (names from model metadata)


def insert_rows(
    model: type[models.Model],
    fields: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    unique: tuple[str, ...] = (),
    returning: tuple[str, ...] = ("id",),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values of ``fields``, already as the database stores them: see ``prep``) in one
    statement; the ``returning`` columns of each row inserted. With ``unique`` (the columns of a unique
    constraint) a row that would break the constraint is skipped (``ON CONFLICT DO NOTHING``) and returns
    nothing. Both databases support this (PostgreSQL; SQLite 3.35 and later)."""
    if not rows:
        return []
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = _insert_head(connection.vendor, model, fields) + ", ".join([marks] * len(rows))
    if unique:
        sql += f" ON CONFLICT ({', '.join(column(model, name) for name in unique)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(column(model, name) for name in returning)}"
    params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()] if returning else []
