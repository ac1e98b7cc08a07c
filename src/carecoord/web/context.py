"""Template context shared by every page of the web app: capabilities, navigation and the signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, capabilities, requires_mfa


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool


def _nav(request: HttpRequest, granted: frozenset[Capability]) -> list[NavItem]:
    path = request.path
    entries: list[tuple[str, str, Capability]] = [
        ("Today", reverse("dayview:day"), Capability.TASKS),
        ("Patients", reverse("web:patient_search"), Capability.VIEW_PATIENTS),
        ("Tasks", reverse("tasks:work_list"), Capability.TASKS),
        ("Referrals", reverse("programs:referrals"), Capability.VIEW_PATIENTS),
        ("Referral inbox", reverse("referrals:inbox"), Capability.VIEW_REFERRALS_TO_ORG),  # partners
        ("Enrollment", reverse("programs:board"), Capability.VIEW_PATIENTS),
        ("Directory", reverse("directory:search"), Capability.COMMUNITY_REFERRAL),
        ("Caseloads", reverse("caseload:team"), Capability.ASSIGN_CASELOAD),
        ("Team", reverse("supervision:team"), Capability.ASSIGN_CASELOAD),  # supervisors
        ("Team", reverse("supervision:team"), Capability.MANAGE_ORGANIZATION),  # organization administrators
        ("Billing", reverse("contacts:billing"), Capability.REPORTS),  # supervisors
        ("Billing", reverse("contacts:billing"), Capability.MANAGE_ORGANIZATION),  # organization administrators
        ("Break-the-glass review", reverse("web:break_glass_queue"), Capability.REVIEW_BREAK_GLASS),
        ("Administration", reverse("web:admin_center"), Capability.MANAGE_USERS),
        ("Audit trail", reverse("web:audit_trail"), Capability.READ_AUDIT),
    ]
    shown = dict.fromkeys((label, url) for label, url, needed in entries if needed in granted)  # once each
    return [NavItem(label, url, path.startswith(url)) for label, url in shown]


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not isinstance(user, User):
        return {"can": frozenset(), "nav": []}
    granted = capabilities(user)
    verified = bool(getattr(user, "is_verified", lambda: False)())
    signed_in = verified or not (settings.MFA_REQUIRED and requires_mfa(user))
    return {
        "can": frozenset(str(c) for c in granted),
        "Capability": Capability,
        "nav": _nav(request, granted) if signed_in else [],
        "signed_in": signed_in,
        "shell_user": user,
        "shell_role": user.get_role_display(),
        "shell_organization": user.organization.name,
        "search_url": reverse("web:patient_search") if Capability.VIEW_PATIENTS in granted else "",
        "audit_url": reverse("web:audit_trail") if Capability.READ_AUDIT in granted else "",
    }
