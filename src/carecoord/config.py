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
        # No JIT: it compiles a statement whose estimated cost is high, which for the short statements of a page
        # costs more than it saves (a second on the day view's task query at 5 million tasks). An `options`
        # parameter in the URL replaces this.
        options["options"] = "-c jit=off"
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


# Outgoing email ----------------------------------------------------------------------------------------------------

# What may go by email: the ADT alert kinds (``transitions.models.EventKind``) and corrections of them, and a
# community referral's news for its requester (``referral``, not sent unless listed).
EMAIL_ALERT_KINDS = ("admission", "ed-visit", "observation", "discharge", "referral")
DEFAULT_EMAIL_ALERTS = ("admission", "ed-visit", "observation", "discharge")
EMAIL_TLS_MODES = ("starttls", "ssl", "off")
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class EmailConfig:
    """Outgoing email through an SMTP server, off when ``host`` is None. An email only says that an alert is
    waiting and links to it (no health information); ``alert_kinds`` says which care team alerts go by email."""

    host: str | None = None
    port: int = 587
    user: str = ""
    password: str = ""
    tls: str = "starttls"
    timeout: int = 10
    from_address: str = ""
    site_url: str = ""
    alert_kinds: frozenset[str] = frozenset()

    @property
    def enabled(self) -> bool:
        return self.host is not None


def email_config_from_env() -> EmailConfig:
    """``CARECOORD_EMAIL_*`` and ``CARECOORD_SITE_URL``, refused when incomplete or unsafe."""
    host = env_str("CARECOORD_EMAIL_HOST")
    if host is None:
        return EmailConfig()
    tls = (env_str("CARECOORD_EMAIL_TLS", "starttls") or "").lower()
    if tls not in EMAIL_TLS_MODES:
        raise ConfigurationError(f"CARECOORD_EMAIL_TLS must be one of {', '.join(EMAIL_TLS_MODES)}, not {tls!r}")
    user = env_str("CARECOORD_EMAIL_USER", "") or ""
    password = os.environ.get("CARECOORD_EMAIL_PASSWORD", "")
    if bool(user) != bool(password):
        raise ConfigurationError("CARECOORD_EMAIL_USER and CARECOORD_EMAIL_PASSWORD are set together or not at all")
    if user and tls == "off" and host not in _LOCAL_HOSTS:
        raise ConfigurationError("CARECOORD_EMAIL_TLS=off would send the password in clear: use starttls or ssl")
    from_address = env_str("CARECOORD_EMAIL_FROM")
    if from_address is None or "@" not in from_address or any(ch in from_address for ch in "\r\n,;"):
        raise ConfigurationError("CARECOORD_EMAIL_FROM must be one address, e.g. CareCoord <alerts@example.org>")
    site_url = (env_str("CARECOORD_SITE_URL") or "").rstrip("/")
    if not site_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            "CARECOORD_SITE_URL (the address people open CareCoord at, e.g. https://carecoord.example.org) "
            "is required when CARECOORD_EMAIL_HOST is set: emails link to it"
        )
    kinds = env_list("CARECOORD_EMAIL_ALERTS", list(DEFAULT_EMAIL_ALERTS))
    if kinds == ["none"]:
        kinds = []
    unknown = sorted(set(kinds) - set(EMAIL_ALERT_KINDS))
    if unknown:
        raise ConfigurationError(
            f"CARECOORD_EMAIL_ALERTS names unknown alerts {', '.join(unknown)}; use some of "
            f"{', '.join(EMAIL_ALERT_KINDS)}, or none"
        )
    return EmailConfig(
        host=host,
        port=env_int("CARECOORD_EMAIL_PORT", 465 if tls == "ssl" else 587, minimum=1, maximum=65535),
        user=user,
        password=password,
        tls=tls,
        timeout=env_int("CARECOORD_EMAIL_TIMEOUT", 10, minimum=1, maximum=120),
        from_address=from_address,
        site_url=site_url,
        alert_kinds=frozenset(kinds),
    )
