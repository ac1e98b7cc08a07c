"""CareTeam: read, search, create and update, through the person's access check (``patients.access``) and
``careteams.actions``.

A person has one active care team. Create (POST) starts it, with its participants; update (PUT) changes its
members: a participant not yet on the team (no ``period.end``) is added, a current member that the update leaves
out, or gives a ``period.end``, leaves the team that day (its history stays). A member is matched by what it
references and its role: Practitioner/<id> (a staff user's practitioner record makes a staff member),
RelatedPerson/<contact id>, Patient/<id> (the person), or a name alone (``member.display``). Roles are codes of
``{base}/CodeSystem/care-team-role``. Emergency (break-the-glass) access may not change a team.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.careteam import CareTeam as CareTeamModel

from carecoord.accounts.models import Practitioner, User
from carecoord.accounts.queries import as_uuid
from carecoord.audit.models import AuditAction
from carecoord.careteams.access import access_care_team, care_teams_with_members, may_change
from carecoord.careteams.actions import MemberData, add_member, end_member
from carecoord.careteams.models import CareTeam, CareTeamMember, CareTeamMemberRole, CareTeamStatus, MemberKind
from carecoord.common.errors import AccessDenied, Conflict
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, not_kept, patient_condition, people
from carecoord.fhir.mapping.care_team import care_team_resource, role_system
from carecoord.fhir.outcome import bad_request, domain_paths
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    order,
    page,
    parse_query,
    token,
)
from carecoord.patients.access import access_contact, access_patient
from carecoord.patients.models import Patient


def read(request: FhirRequest, team_id: str) -> FhirResponse:
    return FhirResponse(body=care_team_resource(access_care_team(request.authenticated_user, team_id)))


# --- create and update ---------------------------------------------------------------------------------------------

_Key = tuple[str, object, str]  # (what it references, which one (an id or a name), role)


def _member_key(member: CareTeamMember) -> _Key:
    """How a stored member is referenced in FHIR (``mapping.care_team``): by its user, clinician, contact, as the
    person, or by name alone."""
    if member.kind == MemberKind.PATIENT:
        return "patient", "", member.role
    if member.user_id is not None:
        return "staff", member.user_id, member.role
    if member.practitioner_id is not None:
        return "practitioner", member.practitioner_id, member.role
    if member.contact_id is not None:
        return "contact", member.contact_id, member.role
    return "name", member.name.strip().lower(), member.role


def _wanted(
    resource: dict[str, Any], user: User, patient: Patient, base: str
) -> tuple[dict[_Key, MemberData], set[_Key]]:
    """The participants the resource keeps on the team (as MemberData), and those it ends (``period.end``)."""
    keep: dict[_Key, MemberData] = {}
    ended: set[_Key] = set()
    for index, item in enumerate(resource.get("participant") or []):
        at = f"CareTeam.participant[{index}]"
        roles = [
            c.get("code")
            for concept in item.get("role") or []
            for c in concept.get("coding") or []
            if c.get("system") == role_system()
        ]
        if len(roles) != 1 or roles[0] not in CareTeamMemberRole.values:
            raise bad_request(
                f"{at}.role must hold one code of {role_system()}.", expression=f"{at}.role", issue_code="code-invalid"
            )
        role = str(roles[0])
        member = item.get("member") or {}
        found = body_reference(member, f"{at}.member", ("Practitioner", "RelatedPerson", "Patient"), base)
        period = item.get("period") or {}
        start = _day(period.get("start"), f"{at}.period.start")
        data: MemberData
        if found is None:
            name = str(member.get("display") or "").strip()
            if not name:
                raise bad_request(f"{at}.member needs a reference or a name.", expression=f"{at}.member")
            data = MemberData(role=role, kind=MemberKind.OTHER, name=name, start_date=start)
            key: _Key = ("name", name.lower(), role)
        elif found[0] == "Patient":
            if found[1] != patient.pk:
                raise bad_request(f"{at}.member is another person.", expression=f"{at}.member")
            data = MemberData(role=role, kind=MemberKind.PATIENT, start_date=start)
            key = ("patient", "", role)
        elif found[0] == "RelatedPerson":
            contact = access_contact(user, found[1])
            if contact.patient_id != patient.pk:
                raise bad_request(f"{at}.member is another person's contact.", expression=f"{at}.member")
            data = MemberData(role=role, kind=MemberKind.RELATED_PERSON, contact=contact, start_date=start)
            key = ("contact", contact.pk, role)
        else:
            practitioner = Practitioner.objects.select_related("user").filter(pk=found[1]).first()
            if practitioner is None:
                raise bad_request(f"{at}.member is not a Practitioner known here.", expression=f"{at}.member")
            if practitioner.user is not None:
                data = MemberData(role=role, kind=MemberKind.STAFF, user=practitioner.user, start_date=start)
                key = ("staff", practitioner.user.pk, role)
            else:
                data = MemberData(role=role, kind=MemberKind.PRACTITIONER, practitioner=practitioner, start_date=start)
                key = ("practitioner", practitioner.pk, role)
        if period.get("end"):
            ended.add(key)
        else:
            keep[key] = data
    return keep, ended


def _day(value: Any, expression: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad_request(f"{expression} must be a date, not {value!r}.", expression=expression) from None


def _patient_for_change(request: FhirRequest, resource: dict[str, Any]) -> Patient:
    user = request.authenticated_user
    subject = body_reference(resource.get("subject"), "CareTeam.subject", ("Patient",), request.base)
    if subject is None:
        raise bad_request("CareTeam.subject must reference Patient/<id>.", expression="CareTeam.subject")
    patient = access_patient(user, subject[1], action=AuditAction.UPDATE, object_type="CareTeam")
    if not may_change(user, patient):
        raise AccessDenied("Emergency access may not change a care team.")
    return patient


def _apply(team: CareTeam | None, resource: dict[str, Any], request: FhirRequest, patient: Patient) -> CareTeam:
    user = request.authenticated_user
    keep, ended = _wanted(resource, user, patient, request.base)
    current = {_member_key(m): m for m in team.members.filter(end_date__isnull=True)} if team is not None else {}
    with domain_paths(lambda field: "CareTeam.participant"):
        for key, member in current.items():
            if key not in keep or key in ended:
                end_member(member=member, by=user, reason="Ended through FHIR CareTeam update")
        for key, data in keep.items():
            if key not in current:
                add_member(patient=patient, data=data, by=user)
    found = CareTeam.objects.filter(patient=patient, status=CareTeamStatus.ACTIVE).order_by("created_at").first()
    if found is None:  # no participants given: the action makes the team on first member
        from carecoord.careteams.actions import care_team_for

        found = care_team_for(patient, by=user)
    return found


def create(request: FhirRequest) -> FhirResponse:
    resource = request.resource("CareTeam", CareTeamModel)
    patient = _patient_for_change(request, resource)
    existing = CareTeam.objects.filter(patient=patient, status=CareTeamStatus.ACTIVE).first()
    if existing is not None:
        raise Conflict(
            f"The person already has a care team (CareTeam/{existing.pk}); update it instead.", code="duplicate"
        )
    team = _apply(None, resource, request, patient)
    body = care_team_resource(access_care_team(request.authenticated_user, team.pk))
    return FhirResponse(body=body, status=201, location=f"{request.base}/CareTeam/{team.pk}")


def update(request: FhirRequest, team_id: str) -> FhirResponse:
    resource = request.resource("CareTeam", CareTeamModel)
    if resource.get("id") != team_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="CareTeam.id")
    team = access_care_team(request.authenticated_user, team_id)
    patient = _patient_for_change(request, resource)
    if team.patient_id != patient.pk:
        raise bad_request("CareTeam.subject cannot change.", expression="CareTeam.subject")
    _apply(team, resource, request, patient)
    return FhirResponse(body=care_team_resource(access_care_team(request.authenticated_user, team_id)))


def _participant(_: str, value: str) -> Q:
    """Practitioner/<id>, RelatedPerson/<id>, Patient/<id>, or a bare id of any of them."""
    kind, _, rest = value.rstrip("/").rpartition("/")
    kind = kind.rsplit("/", 1)[-1]
    key = as_uuid(rest)
    if key is None:
        return Q(pk__in=[])
    conditions = {
        "Practitioner": Q(user__practitioner__id=key) | Q(practitioner_id=key),
        "RelatedPerson": Q(contact_id=key),
        "Patient": Q(kind=MemberKind.PATIENT, care_team__patient_id=key),
    }
    if kind and kind not in conditions:
        from carecoord.fhir.outcome import bad_request

        raise bad_request(
            f"participant must reference a Practitioner, RelatedPerson or Patient, not {value!r}.",
            expression="participant",
            issue_code="value",
        )
    wanted = (
        conditions[kind] if kind else conditions["Practitioner"] | conditions["RelatedPerson"] | conditions["Patient"]
    )
    return Q(pk__in=CareTeamMember.objects.filter(wanted).values("care_team_id"))


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": not_kept,
    "patient": patient_condition,
    "status": lambda _, v: Q(status=token(v)[1]),
    "participant": _participant,
}


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "CareTeam")
    rows = apply_criteria(care_teams_with_members().filter(scope.condition(user)), query, _BUILDERS)
    found, total = page(order(rows, query, {}, ("patient_id", "created_at")), query)
    resources = [care_team_resource(t) for t in found]
    return audited_searchset(request, "CareTeam", query, resources, total)


RESOURCE = ResourceType(
    name="CareTeam",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person the team cares for (Patient/<id>)"),
        SearchParam("status", "token", "proposed, active, suspended or inactive"),
        SearchParam("participant", "reference", "A member: Practitioner/<id>, RelatedPerson/<id> or Patient/<id>"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    documentation="The people who work together on a person's care, past and present members with their periods. "
    "Create starts a person's team; update adds members and ends those it leaves out or gives a period.end.",
)
