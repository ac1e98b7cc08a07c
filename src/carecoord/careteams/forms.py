"""Forms of the chart's care team panel: add a member (staff, clinician, caregiver, the person, anyone else) and
end a member's place. Rules about members live in ``careteams.actions``; these forms only shape the input."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from carecoord.accounts.models import Affiliation, Organization, Practitioner, Role, User
from carecoord.careteams.models import CareTeamMemberRole, MemberKind
from carecoord.consents.models import SHARING_FORMS, Consent, ConsentPartner
from carecoord.consents.queries import current_partner, in_force
from carecoord.patients.models import Patient, PatientContact

# Roles of staff who can sit on a care team (partners are community organizations' staff).
TEAM_ROLES = [Role.CARE_COORDINATOR, Role.CARE_MANAGER, Role.LICENSED_CARE_MANAGER, Role.SUPERVISOR, Role.PARTNER]

# The role a member of each kind usually has, used when none is chosen.
DEFAULT_ROLE = {MemberKind.PATIENT: CareTeamMemberRole.PATIENT, MemberKind.RELATED_PERSON: CareTeamMemberRole.CAREGIVER}


def team_organizations(patient: Patient, organization_id: Any) -> set[Any]:
    """Organizations whose staff may be put on the person's team from this organization: itself, its affiliates,
    and the partners on the person's sharing consent in force."""
    today = timezone.localdate()
    found = {organization_id}
    for source, target in Affiliation.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        Q(source_id=organization_id) | Q(target_id=organization_id),
        active=True,
    ).values_list("source_id", "target_id"):
        found.update({source, target})
    found.update(
        ConsentPartner.objects.filter(
            current_partner(today),
            consent__patient=patient,
            consent__form__in=SHARING_FORMS,
        )
        .filter(consent__in=Consent.objects.filter(in_force(today), patient=patient))
        .values_list("organization_id", flat=True)
    )
    return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class StaffField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        user: User = obj
        return f"{user} · {user.organization} ({user.get_role_display()})"


class PractitionerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class ContactField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        contact: PatientContact = obj
        return f"{contact.name} ({contact.get_relationship_display()})"


class MemberForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who joins the team",
        choices=[
            (MemberKind.STAFF, "Staff of ours or of another organization"),
            (MemberKind.PRACTITIONER, "A clinician (doctor, nurse practitioner, therapist…)"),
            (MemberKind.RELATED_PERSON, "A caregiver or family member"),
            (MemberKind.PATIENT, "The person themself"),
            (MemberKind.OTHER, "Someone else (type their name and phone)"),
        ],
        widget=forms.RadioSelect,
        initial=MemberKind.STAFF,
    )
    role = forms.ChoiceField(
        label="Role on the team",
        choices=[("", "Choose…"), *CareTeamMemberRole.choices],
        required=False,
        help_text="For a caregiver or the person, left blank means family caregiver or the person.",
    )
    staff_organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label="Staff of another organization",
        required=False,
        empty_label="Ours, our partners and the consent's organizations",
        help_text="Staff of an organization not on the person's sharing consent join the team but cannot open the "
        "record until the organization is added to the consent.",
    )
    user = StaffField(queryset=User.objects.none(), label="Staff member", required=False)
    practitioner = PractitionerField(queryset=Practitioner.objects.none(), label="Clinician", required=False)
    contact = ContactField(
        queryset=PatientContact.objects.none(), label="Caregiver from the person's contacts", required=False
    )
    name = forms.CharField(label="Name", max_length=200, required=False, help_text="When they are not in a list above")
    phone = forms.CharField(label="Phone", max_length=32, required=False)
    email = forms.EmailField(label="Email", required=False)
    start_date = forms.DateField(
        label="On the team from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today if blank",
    )

    def __init__(self, *args: Any, patient: Patient, organization_id: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organizations = team_organizations(patient, organization_id)
        self.fields["staff_organization"].queryset = Organization.objects.filter(active=True).order_by("name")  # type: ignore[attr-defined]
        chosen = self.data.get(self.add_prefix("staff_organization")) if self.is_bound else None
        staff_from = organizations | ({chosen} if chosen and _is_uuid(chosen) else set())
        self.fields["user"].queryset = staff_choices(staff_from)  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = practitioner_choices(organizations, patient)  # type: ignore[attr-defined]
        self.fields["contact"].queryset = patient.contacts.filter(active=True).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        name = (data.get("name") or "").strip()
        if kind == MemberKind.STAFF and not data.get("user"):
            self.add_error("user", "Choose the staff member.")
        if kind == MemberKind.PRACTITIONER and not data.get("practitioner") and not name:
            self.add_error("practitioner", "Choose the clinician or type their name.")
        if kind == MemberKind.RELATED_PERSON and not data.get("contact") and not name:
            self.add_error("contact", "Choose the caregiver or type their name.")
        if kind == MemberKind.OTHER and not name:
            self.add_error("name", "Type their name.")
        if kind == MemberKind.OTHER and not (data.get("phone") or "").strip() and not data.get("email"):
            self.add_error("phone", "Give a phone number or an email so the team can reach them.")
        if not data.get("role"):
            if kind in DEFAULT_ROLE:
                data["role"] = str(DEFAULT_ROLE[kind])
            else:
                self.add_error("role", "Choose their role on the team.")
        start: datetime.date | None = data.get("start_date")
        if start is not None and start > timezone.localdate() + datetime.timedelta(days=365):
            self.add_error("start_date", "Choose a date within the next year.")
        return data


def staff_choices(organizations: set[Any]) -> QuerySet[User]:
    return (
        User.objects.filter(organization_id__in=organizations, is_active=True, role__in=TEAM_ROLES)
        .select_related("organization")
        .order_by("organization__name", "last_name", "first_name")
    )


def practitioner_choices(organizations: set[Any], patient: Patient) -> QuerySet[Practitioner]:
    ids = Practitioner.objects.filter(
        Q(roles__organization_id__in=organizations, roles__active=True) | Q(pk=patient.primary_care_provider_id),
        active=True,
    ).values("pk")
    return Practitioner.objects.filter(pk__in=ids).order_by("family_name", "given_name")


class EndMemberForm(forms.Form):
    reason = forms.CharField(
        label="Why they leave the team", max_length=200, error_messages={"required": "Say why they leave the team."}
    )
