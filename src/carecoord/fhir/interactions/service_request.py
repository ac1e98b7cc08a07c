"""ServiceRequest (a referral into a program): read and search, through ``programs.access``.

The organizations a referral is between (referring and receiving) see it, as ``access_referral`` decides;
anyone else needs access to the person, and for a labelled referral a consent releasing its labels: a read of
one not released is 403, a search leaves it out.
"""

from __future__ import annotations

from django.db.models import Q

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid
from carecoord.common.errors import AccessDenied
from carecoord.consents.notices import notices_for
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import People, gated, not_kept, patient_condition, patient_ids, people
from carecoord.fhir.mapping.episode_of_care import program_system
from carecoord.fhir.mapping.service_request import our_statuses, service_request_resource
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import (
    FilterBuilder,
    apply_criteria,
    audited_searchset,
    date_condition,
    order,
    page,
    parse_query,
    reference_id,
    token,
)
from carecoord.programs.access import Labelled, access_referral
from carecoord.programs.models import ProgramReferral


def read(request: FhirRequest, referral_id: str) -> FhirResponse:
    return versioned(service_request_resource(access_referral(request.authenticated_user, referral_id)))


def _organization(field_name: str) -> FilterBuilder:
    def build(_: str, value: str) -> Q:
        key = as_uuid(reference_id(value, "Organization"))
        return Q(**{f"{field_name}_id": key}) if key else Q(pk__in=[])

    return build


def _code(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(program_id=code) if system in (None, program_system()) else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": not_kept,
    "patient": patient_condition,
    "status": lambda _, v: Q(status__in=our_statuses(token(v)[1])),
    "code": _code,
    "requester": _organization("referring_organization"),
    "performer": _organization("receiving_organization"),
    "authored": lambda _, v: date_condition("received_at", v, name="authored", aware=True),
}
_SORTS = {"authored": ("received_at",)}


def _party(user: User) -> Q:
    return Q(receiving_organization_id=user.organization_id) | Q(referring_organization_id=user.organization_id)


def _shown(user: User, referral: ProgramReferral, gated_shown: dict[object, Labelled]) -> Labelled:
    """What the user sees of a referral in the results: the gate's verdict, or as ``access_referral`` shows a
    party: the referring organization without notices, the receiving one with them."""
    if referral.pk in gated_shown:
        return gated_shown[referral.pk]
    labels = list(referral.security_labels or [])
    own = referral.referring_organization_id == user.organization_id
    return Labelled(item=referral, labels=labels, notices=[] if own else notices_for(labels))


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    try:
        scope = people(user, query, "ServiceRequest")
        within = scope.condition(user) | _party(user)
    except AccessDenied:
        # Someone the user may not see: only the referrals the user's organization is party to, if any.
        named = [as_uuid(v) for v in patient_ids(query)]
        if not ProgramReferral.objects.filter(_party(user), patient_id__in=[k for k in named if k]).exists():
            raise
        scope = People()
        within = _party(user)
    rows = apply_criteria(ProgramReferral.objects.filter(within), query, _BUILDERS)
    labelled = ~Q(security_labels=[]) & ~_party(user)
    gate = gated(user, rows, labelled, scope, "ServiceRequest")
    rows = gate.rows.select_related("program", "referring_organization", "receiving_organization")
    found, total = page(order(rows, query, _SORTS, ("-received_at",)), query)
    resources = [service_request_resource(_shown(user, r, gate.shown)) for r in found]
    return audited_searchset(request, "ServiceRequest", query, resources, total, withheld=gate.withheld)


RESOURCE = ResourceType(
    name="ServiceRequest",
    read=read,
    search=search,
    search_params=(
        SearchParam("patient", "reference", "The person referred (Patient/<id>)"),
        SearchParam("status", "token", "active (pending), completed (accepted), revoked (rejected or cancelled)"),
        SearchParam("code", "token", "Program code ({base}/CodeSystem/program)"),
        SearchParam("requester", "reference", "The referring organization (Organization/<id>)"),
        SearchParam("performer", "reference", "The receiving organization (Organization/<id>)"),
        SearchParam("authored", "date", "When the referral was received (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Referrals into a program (read-only here). Status: pending = active, accepted = completed, "
    "rejected or cancelled = revoked; the extension referral-decision keeps our status. Labelled referrals "
    "(42 CFR Part 2, HIV) appear only where a consent releases them, with meta.security (labels and NORDSLCD) "
    "and the redisclosure notice as narrative and note.",
)
