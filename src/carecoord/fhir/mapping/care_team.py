"""FHIR CareTeam from a person's care team and its members, past and present (each with its period).

Members: staff and clinicians are Practitioner references (a name alone when there is no Practitioner record),
caregivers RelatedPerson/<contact id> (or a name), the person Patient/<id>, anyone else a name. Roles are our
codes in ``{base}/CodeSystem/care-team-role`` with their label as text. ``onBehalfOf`` (the member's
organization) is given for Practitioner members only, as FHIR allows.
"""

from __future__ import annotations

from typing import Any

from carecoord.careteams.models import CareTeam, CareTeamMember, MemberKind
from carecoord.fhir.mapping.codes import base_url, coding


def role_system() -> str:
    return f"{base_url()}/CodeSystem/care-team-role"


def _member(member: CareTeamMember, patient_id: object) -> dict[str, str]:
    display = member.display_name
    if member.kind == MemberKind.PATIENT:
        return {"reference": f"Patient/{patient_id}"}
    if member.user_id is not None:
        practitioner = getattr(member.user, "practitioner", None)
        if practitioner is not None:
            return {"reference": f"Practitioner/{practitioner.pk}", "display": display}
    if member.practitioner_id is not None:
        return {"reference": f"Practitioner/{member.practitioner_id}", "display": display}
    if member.contact_id is not None:
        return {
            "reference": f"RelatedPerson/{member.contact_id}",
            "display": member.contact.name if member.contact else display,
        }
    return {"display": display or member.get_kind_display()}


def participant(member: CareTeamMember, patient_id: object) -> dict[str, Any]:
    item: dict[str, Any] = {
        "role": [{"coding": [coding(role_system(), member.role)], "text": member.get_role_display()}],
        "member": _member(member, patient_id),
    }
    if item["member"].get("reference", "").startswith("Practitioner/") and member.organization_id:
        item["onBehalfOf"] = {"reference": f"Organization/{member.organization_id}"}
    period = {"start": member.start_date.isoformat()}
    if member.end_date:
        period["end"] = member.end_date.isoformat()
    item["period"] = period
    return item


def care_team_resource(team: CareTeam) -> dict[str, Any]:
    """The FHIR CareTeam (members prefetched with their users, practitioners and contacts)."""
    resource: dict[str, Any] = {"resourceType": "CareTeam", "id": str(team.pk), "status": team.status}
    if team.name:
        resource["name"] = team.name
    resource["subject"] = {"reference": f"Patient/{team.patient_id}"}
    resource["period"] = {"start": team.created_at.isoformat()}
    participants = [participant(m, team.patient_id) for m in team.members.all()]
    if participants:
        resource["participant"] = participants
    if team.managing_organization_id:
        resource["managingOrganization"] = [{"reference": f"Organization/{team.managing_organization_id}"}]
    return resource
