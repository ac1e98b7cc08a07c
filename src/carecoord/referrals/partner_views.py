"""How referrals reach each organization in the directory (``/referrals/partners/``, organization administrators):
a partner tenant here, a remote FHIR server, or secure links. Writes through ``actions.upsert_partner``."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from carecoord.accounts.models import Organization
from carecoord.accounts.permissions import Capability
from carecoord.common.errors import DomainError, ValidationFailed
from carecoord.directory.models import ResourceOrganization
from carecoord.referrals.actions import upsert_partner
from carecoord.web.decorators import requires, staff_user

SHOWN = 50


class PartnerForm(forms.Form):
    directory_organization = forms.IntegerField(widget=forms.HiddenInput)
    organization = forms.ModelChoiceField(
        label="Works referrals here as",
        queryset=Organization.objects.filter(active=True).order_by("name"),
        required=False,
        empty_label="Not in CareCoord",
    )
    fhir_base_url = forms.CharField(label="Or their FHIR server", max_length=500, required=False)
    fhir_token_variable = forms.CharField(label="Token variable", max_length=100, required=False)
    link_recipient = forms.CharField(label="Or secure links to", max_length=254, required=False)


@requires(Capability.MANAGE_ORGANIZATION)
def partners(request: HttpRequest) -> HttpResponse:
    """The directory's organizations (filtered by name) with how referrals reach each; one form per row."""
    if request.method == "POST":
        prefix = request.POST.get("prefix", "")
        form = PartnerForm(request.POST, prefix=prefix if re.fullmatch(r"o\d{1,12}", prefix) else "none")
        if not form.is_valid():
            messages.error(request, "Check the organization and the addresses.")
        else:
            data = form.cleaned_data
            listed = ResourceOrganization.objects.filter(pk=data["directory_organization"]).first()
            if listed is None:
                messages.error(request, "That organization is no longer in the directory.")
            else:
                try:
                    upsert_partner(
                        directory_organization=listed,
                        organization=data["organization"],
                        fhir_base_url=data["fhir_base_url"],
                        fhir_token_variable=data["fhir_token_variable"],
                        link_recipient=data["link_recipient"],
                        by=staff_user(request),
                    )
                except ValidationFailed as error:
                    messages.error(request, f"{listed.name}: {error.message}")
                except DomainError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, f"Referrals to {listed.name} are set up.")
        return redirect(f"{request.path}?q={request.POST.get('q', '')}")
    text = request.GET.get("q", "").strip()[:100]
    found = ResourceOrganization.objects.select_related("partner", "partner__organization").order_by("name")
    if text:
        found = found.filter(Q(name__icontains=text) | Q(alternate_name__icontains=text))
    rows = [
        (
            listed,
            PartnerForm(
                initial={
                    "directory_organization": listed.pk,
                    "organization": getattr(getattr(listed, "partner", None), "organization", None),
                    "fhir_base_url": getattr(getattr(listed, "partner", None), "fhir_base_url", ""),
                    "fhir_token_variable": getattr(getattr(listed, "partner", None), "fhir_token_variable", ""),
                    "link_recipient": getattr(getattr(listed, "partner", None), "link_recipient", "") or listed.email,
                },
                prefix=f"o{listed.pk}",
            ),
        )
        for listed in found[:SHOWN]
    ]
    return render(request, "referrals/partners.html", {"rows": rows, "q": text, "more": max(found.count() - SHOWN, 0)})
