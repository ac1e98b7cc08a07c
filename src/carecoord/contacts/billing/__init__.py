"""Monthly billing readiness: the rule table (``table``) and the judge (``rules``)."""

from carecoord.contacts.billing.rules import MonthReadiness, judge_month, judge_outreach, staff_type_of
from carecoord.contacts.billing.table import SHIPPED, program_rule, rules

__all__ = ["SHIPPED", "MonthReadiness", "judge_month", "judge_outreach", "program_rule", "rules", "staff_type_of"]
