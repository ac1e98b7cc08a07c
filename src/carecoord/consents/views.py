"""Consent pages: a person's consents, record one, view one with its partners, add a partner (DOH-5055 page 3),
remove a partner, withdraw (DOH-5058), opt out (DOH-5059), revoke (Part 2, HIV release, CCM).

Records come through ``programs.access`` / ``patients.access``; writes through ``consents.actions``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from carecoord.accounts.models import Organization
from carecoord.accounts.permissions import Capability, can
from carecoord.common.errors import AccessDenied, DomainError
from carecoord.consents import actions
from carecoord.consents.forms import (
    AddPartnerForm,
    OptOutForm,
    RecordConsentForm,
    RemovePartnerForm,
    RevokeForm,
    WithdrawForm,
)
from carecoord.consents.models import LABEL_FORMS, SHARING_FORMS, Consent, ConsentForm, ConsentStatus, SignerKind
from carecoord.consents.queries import consents_in_force, current_partner
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient
from carecoord.programs.access import access_consent, access_program_record
from carecoord.web.decorators import page_fetch, requires, staff_user
from carecoord.web.forms import add_domain_error, problems_of


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str  # ok, warn, danger, accent or "" (neutral)
    url: str


def consent_status(patient: Patient) -> list[Badge]:
    """The consent badges of the chart header, for a person already fetched through the access rule."""
    in_force = list(consents_in_force(patient.pk).order_by("-signed_on"))
    listing = reverse("consents:list", args=[patient.pk])
    badges: list[Badge] = []
    for consent in in_force:
        url = reverse("consents:detail", args=[consent.pk])
        if consent.form in SHARING_FORMS:
            count = consent.partners.filter(current_partner()).count()
            badges.append(Badge(f"✓ {consent.form} consent · {count} partner{'s' if count != 1 else ''}", "ok", url))
        elif consent.form in LABEL_FORMS:
            what = "Part 2 (substance use)" if consent.form == ConsentForm.PART_2 else "HIV"
            badges.append(Badge(f"{what} release in force", "accent", url))
        elif consent.form == ConsentForm.CCM_VERBAL:
            badges.append(
                Badge("✓ Medicare care management consent" + (" (verbal)" if consent.verbal else ""), "ok", url)
            )
    if not any(c.form in SHARING_FORMS for c in in_force):
        ended = Consent.objects.filter(patient=patient, form=ConsentForm.DOH_5058).order_by("-signed_on").first()
        declined = (
            Consent.objects.filter(patient=patient, form=ConsentForm.DOH_5059, status=ConsentStatus.REJECTED)
            .order_by("-signed_on")
            .first()
        )
        if ended is not None:
            badges.insert(0, Badge(f"⚠ Consent withdrawn {ended.signed_on:%-d %b %Y} (DOH-5058)", "danger", listing))
        elif declined is not None:
            badges.insert(0, Badge(f"⚠ Declined to enroll {declined.signed_on:%-d %b %Y} (DOH-5059)", "warn", listing))
        elif in_force:
            badges.insert(0, Badge("! No information sharing consent", "warn", listing))
        else:
            badges.insert(0, Badge("No consent recorded", "", listing))
    return badges


def _patient(request: HttpRequest, patient_id: uuid.UUID, **detail: Any) -> Patient:
    return page_fetch(access_patient, staff_user(request), patient_id, detail=detail or None)


def _consent(request: HttpRequest, consent_id: uuid.UUID) -> Consent:
    return page_fetch(access_consent, staff_user(request), consent_id)


def _status(form: Any) -> int:
    return 422 if form.errors else 200


@requires(Capability.VIEW_PATIENTS)
def consent_list(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    record = page_fetch(access_program_record, user, patient_id)
    sharing_in_force = consents_in_force(patient_id).filter(form__in=SHARING_FORMS).exists()
    return render(
        request,
        "consents/list.html",
        {
            "patient": record.patient,
            "consents": record.consents,
            "badges": consent_status(record.patient),
            "may_record": can(user, Capability.ENROLL),
            "sharing_in_force": sharing_in_force,
        },
    )


@requires(Capability.ENROLL)
def record(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    user = staff_user(request)
    patient = _patient(request, patient_id, purpose="consent")
    initial = {"form": request.GET["form"]} if request.GET.get("form") else None
    form = RecordConsentForm(request.POST or None, organization_id=user.organization_id, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = data["form"]
        part2 = chosen == ConsentForm.PART_2
        try:
            consent = actions.record_consent(
                patient=patient,
                data=actions.ConsentData(
                    form=chosen,
                    signed_on=data["signed_on"],
                    partners=list(data["partners"]),
                    signer_kind=data["signer_kind"],
                    signer_name=data["signer_name"],
                    verbal=bool(data["verbal"]),
                    program_code=data["program"].code if data["program"] else None,
                    language=data["language"],
                    interpreter_used=bool(data["interpreter_used"]),
                    copy_given=bool(data["copy_given"]),
                    expires_on=data["expires_on"],
                    part2_recipients=data["part2_recipients"] if part2 else "",
                    part2_disclosing_program=data["part2_disclosing_program"] if part2 else "",
                    part2_information=data["part2_information"] if part2 else "",
                    part2_purpose=data["part2_purpose"] if part2 else "",
                    part2_expiration=data["part2_expiration"] if part2 else "",
                    revocation_explained=bool(data["revocation_explained"]),
                    note=data["note"],
                ),
                by=user,
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{consent.get_form_display()} recorded, signed {consent.signed_on:%-d %b %Y}.")
            return redirect("consents:detail", consent_id=consent.pk)
    return render(
        request,
        "consents/record.html",
        {"patient": patient, "form": form, "problems": problems_of(form)},
        status=_status(form),
    )


@requires(Capability.VIEW_PATIENTS)
def detail(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    consent = _consent(request, consent_id)
    user = staff_user(request)
    return _render_detail(request, consent, AddPartnerForm(organization_id=user.organization_id))


def _render_detail(request: HttpRequest, consent: Consent, add_form: AddPartnerForm, status: int = 200) -> HttpResponse:
    user = staff_user(request)
    partners = list(consent.partners.all())
    in_force = consents_in_force(consent.patient_id).filter(pk=consent.pk).exists()
    return render(
        request,
        "consents/detail.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "initial_partners": [p for p in partners if not p.added_later],
            "later_partners": [p for p in partners if p.added_later],
            "in_force": in_force,
            "is_sharing": consent.form in SHARING_FORMS,
            "may_change": can(user, Capability.ENROLL) and in_force,
            "may_revoke": can(user, Capability.ENROLL) and in_force and consent.form not in SHARING_FORMS,
            "add_form": add_form,
            "problems": problems_of(add_form),
            "withdrawn_by": consent.withdrawal,
        },
        status=status,
    )


@requires(Capability.ENROLL)
def add_partner(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    """DOH-5055 page 3: a partner added after signing, with the person's initials and the date."""
    consent = _consent(request, consent_id)
    user = staff_user(request)
    form = AddPartnerForm(request.POST or None, organization_id=user.organization_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_consent_partner(
                consent=consent,
                organization=data["organization"],
                initials=data["initials"],
                added_on=data["added_on"],
                by=user,
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{data['organization']} added to the consent (initials {data['initials']}).")
            return redirect("consents:detail", consent_id=consent.pk)
    return _render_detail(request, consent, form, status=_status(form))


@requires(Capability.ENROLL)
def remove_partner(request: HttpRequest, consent_id: uuid.UUID, organization_id: uuid.UUID) -> HttpResponse:
    consent = _consent(request, consent_id)
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise Http404("No such organization.")
    form = RemovePartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.remove_consent_partner(
                consent=consent, organization=organization, reason=form.cleaned_data["reason"], by=staff_user(request)
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{organization} removed from the consent; they have been told.")
            return redirect("consents:detail", consent_id=consent.pk)
    return render(
        request,
        "consents/remove_partner.html",
        {
            "consent": consent,
            "patient": consent.patient,
            "organization": organization,
            "form": form,
            "problems": problems_of(form),
        },
        status=_status(form),
    )


@requires(Capability.ENROLL)
def withdraw(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """DOH-5058: ends every sharing consent from the day signed; every partner is told."""
    user = staff_user(request)
    patient = _patient(request, patient_id, purpose="withdraw-consent")
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.withdraw_consent(
                patient=patient,
                signed_on=data["signed_on"],
                by=user,
                signer_kind=data["signer_kind"],
                signer_name=data["signer_name"],
                refused_to_sign=bool(data["refused_to_sign"]),
                note=data["note"],
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Consent withdrawn from {data['signed_on']:%-d %b %Y}. Enrollments resting on it have ended and "
                "every partner has been told.",
            )
            return redirect("consents:list", patient_id=patient.pk)
    ending = list(
        consents_in_force(patient.pk).filter(form__in=SHARING_FORMS).prefetch_related("partners__organization")
    )
    partners = {p.organization_id: p.organization for c in ending for p in c.partners.all() if p.removed_on is None}
    return render(
        request,
        "consents/withdraw.html",
        {
            "patient": patient,
            "form": form,
            "problems": problems_of(form),
            "ending": ending,
            "partners": sorted(partners.values(), key=lambda o: o.name),
        },
        status=_status(form),
    )


@requires(Capability.ENROLL)
def opt_out(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """DOH-5059: the person declines to enroll; outreach ends."""
    user = staff_user(request)
    patient = _patient(request, patient_id, purpose="opt-out")
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        signer_name = data["signer_name"]
        if data["signer_kind"] == SignerKind.CARE_MANAGER and not signer_name.strip():
            signer_name = user.get_full_name() or user.username
        try:
            actions.record_consent(
                patient=patient,
                data=actions.ConsentData(
                    form=ConsentForm.DOH_5059,
                    signed_on=data["signed_on"],
                    signer_kind=data["signer_kind"],
                    signer_name=signer_name,
                    program_code=data["program"].code if data["program"] else None,
                    note=data["note"],
                ),
                by=user,
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Opt-out (DOH-5059) recorded; outreach has ended.")
            return redirect("consents:list", patient_id=patient.pk)
    return render(
        request,
        "consents/opt_out.html",
        {"patient": patient, "form": form, "problems": problems_of(form)},
        status=_status(form),
    )


@requires(Capability.ENROLL)
def revoke(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    """Written revocation of a Part 2, HIV release or Medicare consent."""
    consent = _consent(request, consent_id)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.revoke_consent(
                consent=consent, on=form.cleaned_data["on"], by=staff_user(request), note=form.cleaned_data["note"]
            )
        except AccessDenied as error:
            raise PermissionDenied(error.message) from None
        except DomainError as error:
            add_domain_error(form, error, field_map={"form": ""})
        else:
            messages.success(request, f"{consent.get_form_display()} revoked from {form.cleaned_data['on']:%-d %b %Y}.")
            return redirect("consents:detail", consent_id=consent.pk)
    return render(
        request,
        "consents/revoke.html",
        {"consent": consent, "patient": consent.patient, "form": form, "problems": problems_of(form)},
        status=_status(form),
    )
