"""The ADT listener's and worker's settings, read from ``CARECOORD_ADT_*`` and refused when wrong.

Read when ``adt-listen`` or ``process-adt`` starts (a ConfigurationError stops it with exit status 2), so the
web server does not depend on them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from carecoord.config import ConfigurationError, env_int, env_str


def env_seconds(name: str, default: float, *, minimum: float, maximum: float) -> float:
    value = env_str(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, not {value!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigurationError(f"{name} must be between {minimum:g} and {maximum:g} seconds, not {number:g}")
    return number


@dataclass(frozen=True)
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 2575
    idle_timeout: float = 300.0
    max_block_bytes: int = 4 * 1024 * 1024
    max_connections: int = 200
    db_threads: int = 4
    application: str = "CARECOORD"
    facility: str = "CARECOORD"
    processes: int = 1  # listener processes sharing the port (SO_REUSEPORT); parsing is CPU work, one per core

    @classmethod
    def from_env(cls) -> ListenerConfig:
        application = (env_str("CARECOORD_ADT_APPLICATION", cls.application) or "").strip()
        facility = (env_str("CARECOORD_ADT_FACILITY", cls.facility) or "").strip()
        for name, value in (("CARECOORD_ADT_APPLICATION", application), ("CARECOORD_ADT_FACILITY", facility)):
            if not value or len(value) > 180 or any(ch in value for ch in "|^~\\&\r\n"):
                raise ConfigurationError(f"{name} must be a short name without HL7 delimiters, not {value!r}")
        return cls(
            host=(env_str("CARECOORD_ADT_HOST", cls.host) or cls.host).strip(),
            port=env_int("CARECOORD_ADT_PORT", cls.port, minimum=0, maximum=65535),
            idle_timeout=env_seconds("CARECOORD_ADT_IDLE_TIMEOUT", cls.idle_timeout, minimum=0.1, maximum=86400),
            max_block_bytes=env_int(
                "CARECOORD_ADT_MAX_BLOCK_BYTES", cls.max_block_bytes, minimum=1024, maximum=256 * 1024 * 1024
            ),
            max_connections=env_int("CARECOORD_ADT_MAX_CONNECTIONS", cls.max_connections, minimum=1, maximum=10000),
            db_threads=env_int("CARECOORD_ADT_DB_THREADS", cls.db_threads, minimum=1, maximum=64),
            application=application,
            facility=facility,
            processes=env_int("CARECOORD_ADT_PROCESSES", os.cpu_count() or 1, minimum=1, maximum=64),
        )


@dataclass(frozen=True)
class WorkerConfig:
    poll_interval: float = 0.5
    claim_timeout: float = 300.0
    batch_size: int = 50
    name: str = ""

    @classmethod
    def from_env(cls) -> WorkerConfig:
        return cls(
            poll_interval=env_seconds("CARECOORD_ADT_POLL_INTERVAL", cls.poll_interval, minimum=0.01, maximum=60),
            claim_timeout=env_seconds("CARECOORD_ADT_CLAIM_TIMEOUT", cls.claim_timeout, minimum=1, maximum=86400),
            batch_size=env_int("CARECOORD_ADT_BATCH_SIZE", cls.batch_size, minimum=1, maximum=1000),
            name=f"{os.uname().nodename}:{os.getpid()}",
        )
