"""CareTeam: read and search, through the person's access check (``patients.access``)."""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.queries import as_uuid
from carecoord.careteams.access import access_care_team, care_teams_with_members
from carecoord.careteams.models import CareTeamMember, MemberKind
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import not_kept, patient_condition, people
from carecoord.fhir.mapping.care_team import care_team_resource
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


def read(request: FhirRequest, team_id: str) -> FhirResponse:
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
    search_params=(
        SearchParam("patient", "reference", "The person the team cares for (Patient/<id>)"),
        SearchParam("status", "token", "proposed, active, suspended or inactive"),
        SearchParam("participant", "reference", "A member: Practitioner/<id>, RelatedPerson/<id> or Patient/<id>"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    documentation="The people who work together on a person's care, past and present members with their periods "
    "(read-only here).",
)
