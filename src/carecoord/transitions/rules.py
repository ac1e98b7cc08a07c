"""The transitional care rules that are ours to choose ([R] in STANDARDS.md), in one place, from the environment.

Verified rules are constants here with their source; the choices tagged [R] can be changed per installation:

- ``CARECOORD_TCM_HOLIDAYS``: which federal holiday rules close the office (comma-separated names from
  ``calendar.HOLIDAY_RULES``; default all eleven).
- ``CARECOORD_TCM_CLOSURE_DAYS``: extra closure days, ISO dates (e.g. the day after Thanksgiving).
- ``CARECOORD_TCM_LACE_HIGH`` (10) and ``CARECOORD_TCM_HOSPITAL_HIGH`` (5): a LACE index or HOSPITAL score at
  or above these makes the discharge high risk, so the follow-up visit is due within 7 days instead of 14 [R].
  HOSPITAL counts only when a discharge hemoglobin or sodium is on record ("when labs exist").
- ``CARECOORD_TCM_UNKNOWN_RISK_IS_HIGH`` (on): a LACE index whose missing components could reach the threshold
  is treated as high risk (the earlier visit is the safe side) [R].

Read once (``current_rules``); tests may set ``settings.TRANSITION_RULES`` to a ``TransitionRules``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from carecoord.config import ConfigurationError, env_bool, env_int, env_list
from carecoord.transitions.calendar import HOLIDAY_RULES, BusinessCalendar, parse_closures

# [V] Noridian / MLN (B.3): interactive contact within 2 business days; visit within 7 (99496) or 14 (99495)
# calendar days; the TCM period is the discharge date and the next 29 days.
CONTACT_BUSINESS_DAYS = 2
HIGH_RISK_VISIT_DAYS = 7
MODERATE_RISK_VISIT_DAYS = 14
TCM_PERIOD_DAYS = 30
# [V-3p] B.3: two separate unsuccessful, documented, timely attempts allow TCM when everything else is met.
ATTEMPTS_THAT_COUNT = 2
# [V] D.5 FUH: follow-up within 7 and within 30 days after the discharge; the discharge day does not count.
FUH_WINDOWS = (7, 30)
FUH_MIN_AGE = 6
# [R] D.5 excludes a readmission to nonacute inpatient care; the feed says which only through the hospital
# service (PV1-10, stored lowercased): these name rehabilitation, skilled nursing, long-term care, subacute care
# and hospice.
NONACUTE_SERVICES = frozenset(
    {"reh", "rhb", "rehab", "rehabilitation", "snf", "skilled nursing", "ltc", "long-term care", "long term care"}
    | {"sub", "subacute", "sub-acute", "hsp", "hospice"}
)
# [R] an admission alert's task is due by the end of the next business day (TRC counts notification of an
# admission through 2 days after it).
ADMISSION_TASK_BUSINESS_DAYS = 1


@dataclass(frozen=True)
class TransitionRules:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    lace_high: int = 10
    hospital_high: int = 5
    unknown_risk_is_high: bool = True

    @classmethod
    def from_env(cls) -> TransitionRules:
        names = env_list("CARECOORD_TCM_HOLIDAYS", sorted(HOLIDAY_RULES))
        unknown = sorted(set(names) - set(HOLIDAY_RULES))
        if unknown:
            raise ConfigurationError(
                f"CARECOORD_TCM_HOLIDAYS names unknown holidays {', '.join(unknown)}; "
                f"use some of {', '.join(sorted(HOLIDAY_RULES))}"
            )
        try:
            closures = parse_closures(env_list("CARECOORD_TCM_CLOSURE_DAYS", []))
        except ValueError as error:
            raise ConfigurationError(f"CARECOORD_TCM_CLOSURE_DAYS: {error}") from None
        return cls(
            calendar=BusinessCalendar(holidays=frozenset(names), closures=closures),
            lace_high=env_int("CARECOORD_TCM_LACE_HIGH", 10, minimum=1, maximum=19),
            hospital_high=env_int("CARECOORD_TCM_HOSPITAL_HIGH", 5, minimum=1, maximum=13),
            unknown_risk_is_high=env_bool("CARECOORD_TCM_UNKNOWN_RISK_IS_HIGH", True),
        )


@cache
def _from_env() -> TransitionRules:
    return TransitionRules.from_env()


def current_rules() -> TransitionRules:
    configured = getattr(settings, "TRANSITION_RULES", None)
    return configured if isinstance(configured, TransitionRules) else _from_env()


def contact_due(discharge_date: datetime.date, rules: TransitionRules | None = None) -> datetime.date:
    """The last day for the interactive contact: the 2nd business day after the discharge date."""
    return (rules or current_rules()).calendar.add_business_days(discharge_date, CONTACT_BUSINESS_DAYS)
