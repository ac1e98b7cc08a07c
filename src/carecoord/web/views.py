"""The start page: each role lands where its work is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from carecoord.accounts.permissions import Capability, can
from carecoord.web.decorators import staff_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if can(user, Capability.VIEW_PATIENTS):
        return redirect("web:patient_search")
    if can(user, Capability.READ_AUDIT):
        return redirect("web:audit_trail")
    if can(user, Capability.MANAGE_USERS):
        return redirect("web:admin_center")
    if can(user, Capability.VIEW_REFERRALS_TO_ORG):
        return redirect("referrals:inbox")
    return render(request, "web/partner_home.html")
