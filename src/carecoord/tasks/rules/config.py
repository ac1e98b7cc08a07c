"""The rules job's settings, read from ``CARECOORD_RULES_*`` / ``CARECOORD_SAFETY_*`` and refused when wrong.

Read when a run starts (a ConfigurationError stops ``worker`` and ``run-rules`` with exit status 2), so the web
server does not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from carecoord.config import env_int


@dataclass(frozen=True)
class RulesConfig:
    interval_minutes: int = 60  # how often the worker enqueues the rules job
    contact_days_left: int = 10  # [R] a month without its contact minimum becomes a task this many days before its end
    lead_days: int = 14  # [R] rescreening, plan reviews and interventions become tasks this many days before due
    escalation_minutes: int = 60  # [R] a safety task not acted on within this time escalates (once)
    batch_size: int = 1000  # tasks written per transaction

    @classmethod
    def from_env(cls) -> RulesConfig:
        return cls(
            interval_minutes=env_int("CARECOORD_RULES_INTERVAL_MINUTES", cls.interval_minutes, minimum=1, maximum=1440),
            contact_days_left=env_int(
                "CARECOORD_RULES_CONTACT_DAYS_LEFT", cls.contact_days_left, minimum=1, maximum=31
            ),
            lead_days=env_int("CARECOORD_RULES_LEAD_DAYS", cls.lead_days, minimum=0, maximum=365),
            escalation_minutes=env_int(
                "CARECOORD_SAFETY_ESCALATION_MINUTES", cls.escalation_minutes, minimum=1, maximum=7 * 24 * 60
            ),
            batch_size=env_int("CARECOORD_RULES_BATCH_SIZE", cls.batch_size, minimum=10, maximum=10000),
        )
