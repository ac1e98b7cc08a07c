"""Reading and validating configuration from the environment.

Every setting CareCoord reads comes through here, so that a bad value stops start-up with one clear message
naming the variable instead of failing later in a request.
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigurationError(Exception):
    """A setting in the environment is missing or invalid."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum or (maximum is not None and number > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ConfigurationError(f"{name} must be at least {minimum}{upper}, not {number}")
    return number


def env_time_zone(name: str, default: str) -> str:
    value = env_str(name, default)
    assert value is not None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{name} is not a known IANA time zone: {value!r}") from None
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(frozen=True)
class DatabaseConfig:
    """A parsed database URL, ready to become a Django DATABASES entry."""

    url: str
    settings: dict[str, object]


def parse_database_url(
    url: str, *, base_dir: Path, variable: str, conn_max_age: int = 60, prepared_statements: bool = True
) -> DatabaseConfig:
    """Turn ``sqlite:///path`` or ``postgresql://user:pass@host:port/name`` into Django settings."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        raw_path = unquote(url[len("sqlite://") :])
        if raw_path.startswith("/"):
            raw_path = raw_path[1:]
        if raw_path in {"", ":memory:"}:
            raise ConfigurationError(f"{variable} must name an SQLite file, e.g. sqlite:///var/carecoord.sqlite3")
        path = Path(raw_path)
        if not path.is_absolute():
            path = base_dir / path
        return DatabaseConfig(
            url=url,
            settings={
                "ENGINE": "carecoord.common.sqlite_backend",
                "NAME": str(path),
                # Keep connections: opening SQLite and running the PRAGMAs costs more than a whole request.
                "CONN_MAX_AGE": conn_max_age,
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": (
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000; "
                        "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
                    ),
                },
                # Tests use a file too (not Django's shared in-memory database), so they run in WAL mode
                # with real locking, as production does.
                "TEST": {"NAME": str(path.with_name(path.stem + "-test.sqlite3"))},
            },
        )
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ConfigurationError(f"{variable} must name a database, e.g. postgresql://localhost/carecoord")
        # Server-side binding lets psycopg prepare statements run repeatedly on a connection (the access rule,
        # the token lookup, the audit append), sparing PostgreSQL from planning them on every request. Turn it
        # off (CARECOORD_DB_PREPARED_STATEMENTS=0) behind a pooler that cannot keep prepared statements.
        options: dict[str, object] = (
            {"server_side_binding": True, "prepare_threshold": 2} if prepared_statements else {}
        )
        for key, values in parse_qs(parts.query).items():
            options[key] = values[-1]
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"{variable} has an invalid port") from None
        return DatabaseConfig(
            url=url,
            settings={
                "ENGINE": "carecoord.common.postgresql_backend",
                "NAME": name,
                "USER": unquote(parts.username or ""),
                "PASSWORD": unquote(parts.password or ""),
                "HOST": unquote(parts.hostname or ""),
                "PORT": str(port or ""),
                "CONN_MAX_AGE": conn_max_age,
                "CONN_HEALTH_CHECKS": True,
                "OPTIONS": options,
            },
        )
    raise ConfigurationError(
        f"{variable} must start with sqlite:/// or postgresql://, not {scheme + '://' if scheme else url!r}"
    )
