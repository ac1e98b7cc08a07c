"""Permission-checked reads of care teams: through the person's access check (``patients.access``), audited."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.accounts.queries import as_uuid
from carecoord.careteams.models import CareTeam, CareTeamMember
from carecoord.common.errors import NotFound
from carecoord.patients.access import access_patient
from carecoord.patients.models import Patient


def may_change(user: User, patient: Patient) -> bool:
    """Staff with access to the person (``patient`` as ``access_patient`` returned it) may change the team,
    except through emergency access."""
    return can(user, Capability.VIEW_PATIENTS) and getattr(patient, "access_basis", "") != "break-glass"


def care_teams_with_members() -> QuerySet[CareTeam]:
    members = CareTeamMember.objects.select_related("user__practitioner", "contact").order_by("start_date", "pk")
    return CareTeam.objects.prefetch_related(Prefetch("members", queryset=members))


def access_care_team(user: User, team_id: object) -> CareTeam:
    """A care team with its members, once the user has been through ``access_patient`` for its person."""
    key = as_uuid(str(team_id))
    patient_id = CareTeam.objects.filter(pk=key).values_list("patient_id", flat=True).first() if key else None
    if key is None or patient_id is None:
        raise NotFound(f"No care team with id {team_id}.")
    access_patient(user, patient_id, object_type="CareTeam", object_id=str(key))
    return care_teams_with_members().get(pk=key)
