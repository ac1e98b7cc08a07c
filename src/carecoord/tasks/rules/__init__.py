"""Rules that create and close tasks from what is owed (program deadlines, contact minimums, rescreening,
interventions, referrals) and the safety escalation; run by the ``worker`` on a schedule or ``run-rules``.

``definitions`` holds the rules (one declarative ``Rule`` each, hooks included), ``actions`` the writes
(``run_rules``, ``reconcile``, ``escalate_safety_tasks``), ``config`` the settings from the environment.
"""

from carecoord.tasks.rules.actions import escalate_safety_tasks, reconcile, run_rules
from carecoord.tasks.rules.config import RulesConfig
from carecoord.tasks.rules.definitions import RULES, Obligation, Rule, Scope, job_rules, rule_named

__all__ = [
    "RULES",
    "Obligation",
    "Rule",
    "RulesConfig",
    "Scope",
    "escalate_safety_tasks",
    "job_rules",
    "reconcile",
    "rule_named",
    "run_rules",
]
