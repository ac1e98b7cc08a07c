"""ServiceRequest over two kinds of record:

- referrals into a program (UUID ids): read, search, create and update, through ``programs.access`` and
  ``programs.actions`` (below);
- community referrals to the resource directory (ids ``sdoh-<uuid>``, Gravity SDOHCC ServiceRequests; read-only
  here: their state is their Task): ``community_referral.py``, through ``referrals.access``.

A read and an update dispatch on the id; a search filters each kind with its own conditions and merges them newest
first (``fhir/merge.py``); ``_lastUpdated`` and ``category`` (SDOH need) hold only for community referrals.

The organizations a referral is between (referring and receiving) see it, as ``access_referral`` decides;
anyone else needs access to the person, and for a labelled referral a consent releasing its labels: a read of
one not released is 403, a search leaves it out.

Create (``refer_to_program``): ``subject`` Patient/<id> (the user must have access to the person), ``code`` one
program coding, ``performer[0]`` the receiving Organization/<id>; optional ``reasonCode[0].text``, the
``referral-source`` extension (default ``provider``) and ``meta.security`` labels (42CFRPart2, HIV). The
referring organization is the user's. Update records a decision: the receiving organization accepts (status
``completed`` or decision ``accepted``) or rejects (decision ``rejected`` with a ``note`` saying why); the
referring organization cancels (decision ``cancelled`` with a note). Nothing else may change.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from fhir.resources.R4B.servicerequest import ServiceRequest as ServiceRequestModel

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid, get_organization
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, DomainError, VersionConflict
from carecoord.consents.notices import notices_for
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions import community_referral
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import (
    People,
    body_reference,
    gated,
    patient_condition,
    patient_ids,
    people,
)
from carecoord.fhir.mapping.codes import SNOMED
from carecoord.fhir.mapping.community_referral import service_request_resource as community_resource
from carecoord.fhir.mapping.episode_of_care import program_system
from carecoord.fhir.mapping.labels import V3_ACT_CODE
from carecoord.fhir.mapping.service_request import (
    FHIR_STATUS,
    REFERRAL,
    decision_url,
    our_statuses,
    service_request_resource,
    source_url,
)
from carecoord.fhir.merge import Kind, merged_page
from carecoord.fhir.outcome import bad_request, domain_paths
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
from carecoord.patients.access import access_patient
from carecoord.programs.access import Labelled, access_referral
from carecoord.programs.actions import accept_referral, cancel_referral, refer_to_program, reject_referral
from carecoord.programs.models import Program, ProgramReferral, ReferralSource, ReferralStatus


def read(request: FhirRequest, referral_id: str) -> FhirResponse:
    if community_referral.is_service_request_id(referral_id):
        return community_referral.read_service_request(request, referral_id)
    return versioned(service_request_resource(access_referral(request.authenticated_user, referral_id)))


# --- create and update ---------------------------------------------------------------------------------------------

_PATHS = {
    "source": f"ServiceRequest.extension('{source_url()}')",
    "reason": "ServiceRequest.note",
    "program": "ServiceRequest.code",
    "receiving_organization": "ServiceRequest.performer",
}


def _expression(field: str) -> str:
    return _PATHS.get(field, "ServiceRequest")


def _extension(resource: dict[str, Any], url: str) -> str | None:
    for extension in resource.get("extension") or []:
        if extension.get("url") == url:
            return str(extension.get("valueCode") or "")
    return None


def _program(resource: dict[str, Any]) -> Program:
    codes = [
        c.get("code") for c in (resource.get("code") or {}).get("coding") or [] if c.get("system") == program_system()
    ]
    if len(codes) != 1:
        raise bad_request(
            f"ServiceRequest.code must hold one coding of {program_system()}.", expression="ServiceRequest.code"
        )
    program = Program.objects.filter(code=codes[0]).first()
    if program is None:
        raise bad_request(f"Unknown program {codes[0]!r}.", expression="ServiceRequest.code", issue_code="code-invalid")
    return program


def _labels(resource: dict[str, Any]) -> list[str]:
    labels = []
    for index, item in enumerate((resource.get("meta") or {}).get("security") or []):
        if item.get("system") != V3_ACT_CODE or item.get("code") not in ("42CFRPart2", "HIV"):
            raise bad_request(
                "A referral's label is a v3-ActCode code: 42CFRPart2 or HIV.",
                expression=f"ServiceRequest.meta.security[{index}]",
                issue_code="code-invalid",
            )
        labels.append(str(item["code"]))
    return labels


def _note(resource: dict[str, Any]) -> str:
    return " ".join(str(n.get("text") or "").strip() for n in resource.get("note") or []).strip()


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("ServiceRequest", ServiceRequestModel)
    if resource.get("status") not in (None, "active") or resource.get("intent") not in ("order", "proposal", "plan"):
        raise bad_request(
            "A new referral has status active and intent order.", expression="ServiceRequest.status", issue_code="value"
        )
    subject = body_reference(resource.get("subject"), "ServiceRequest.subject", ("Patient",), request.base)
    if subject is None:
        raise bad_request("ServiceRequest.subject must reference Patient/<id>.", expression="ServiceRequest.subject")
    program = _program(resource)
    performers = resource.get("performer") or []
    if len(performers) != 1:
        raise bad_request(
            "Name one receiving organization in ServiceRequest.performer.", expression="ServiceRequest.performer"
        )
    found = body_reference(performers[0], "ServiceRequest.performer[0]", ("Organization",), request.base)
    receiving = get_organization(found[1]) if found else None
    if receiving is None:
        raise bad_request(
            "ServiceRequest.performer[0] must reference an Organization known here.",
            expression="ServiceRequest.performer[0]",
        )
    source = _extension(resource, source_url()) or ReferralSource.PROVIDER
    if source not in ReferralSource.values:
        raise bad_request(
            f"Unknown referral source {source!r}.", expression=_expression("source"), issue_code="code-invalid"
        )
    labels = _labels(resource)
    reason = " ".join(str(r.get("text") or "").strip() for r in resource.get("reasonCode") or []).strip()
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="ServiceRequest")
    with domain_paths(_expression):
        referral = refer_to_program(
            patient=patient,
            program=program,
            receiving_organization=receiving,
            source=source,
            by=user,
            reason=reason,
            security_labels=labels,
        )
    return versioned(
        service_request_resource(access_referral(user, referral.pk)),
        status=201,
        location=f"{request.base}/ServiceRequest/{referral.pk}",
    )


def update(request: FhirRequest, referral_id: str) -> FhirResponse:
    if community_referral.is_service_request_id(referral_id):
        return community_referral.update_service_request(request, referral_id)
    user = request.authenticated_user
    resource = request.resource("ServiceRequest", ServiceRequestModel)
    if resource.get("id") != referral_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="ServiceRequest.id")
    referral = access_referral(user, referral_id).item
    assert isinstance(referral, ProgramReferral)
    expected = request.if_match()
    if expected is not None and expected != referral.version:
        raise VersionConflict(f"ServiceRequest/{referral_id} is at version {referral.version}, not {expected}.")
    decision = _extension(resource, decision_url())
    if not decision or decision == referral.status:  # no decision named: read it from the status
        status = resource.get("status")
        receiving = referral.receiving_organization_id == user.organization_id
        decision = {
            "completed": ReferralStatus.ACCEPTED,
            "revoked": ReferralStatus.REJECTED if receiving else ReferralStatus.CANCELLED,
        }.get(str(status), referral.status if status == FHIR_STATUS.get(referral.status) else "")
    if decision == referral.status:
        return versioned(service_request_resource(access_referral(user, referral_id)))
    note = _note(resource)
    with domain_paths(_expression):
        if decision == ReferralStatus.PENDING:
            raise DomainError(
                f"This referral was already {referral.get_status_display().lower()}; a decision is not undone.",
                code="decided",
            )
        if decision == ReferralStatus.ACCEPTED:
            accept_referral(referral=referral, by=user)
        elif decision == ReferralStatus.REJECTED:
            reject_referral(referral=referral, by=user, reason=note)
        elif decision == ReferralStatus.CANCELLED:
            cancel_referral(referral=referral, by=user, reason=note)
        else:
            raise bad_request(
                "An update records a decision: the extension referral-decision accepted, rejected or cancelled "
                "(with a note saying why), or status completed to accept.",
                expression=f"ServiceRequest.extension('{decision_url()}')",
                issue_code="business-rule",
            )
    return versioned(service_request_resource(access_referral(user, referral_id)))


def _organization(field_name: str) -> FilterBuilder:
    def build(_: str, value: str) -> Q:
        tail = value.rstrip("/").split("/")
        if len(tail) >= 2 and tail[-2] == "HealthcareService":
            return Q(pk__in=[])  # a directory service performs only community referrals
        key = as_uuid(reference_id(value, "Organization"))
        return Q(**{f"{field_name}_id": key}) if key else Q(pk__in=[])

    return build


def _code(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(program_id=code) if system in (None, program_system()) else Q(pk__in=[])


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": lambda _, v: Q(pk__in=[]),  # program referrals keep no time of last change
    "category": lambda _, v: Q() if token(v)[1] == REFERRAL["code"] and token(v)[0] in (None, SNOMED) else Q(pk__in=[]),
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
    community = community_referral.visible_referrals(user, scope)
    community = apply_criteria(community, query, community_referral.SERVICE_REQUEST_BUILDERS)
    if not community.exists():
        found, total = page(order(rows, query, _SORTS, ("-received_at",)), query)
        resources = [service_request_resource(_shown(user, r, gate.shown)) for r in found]
        return audited_searchset(request, "ServiceRequest", query, resources, total, withheld=gate.withheld)

    def programs(ids: list[Any]) -> list[dict[str, Any]]:
        found = rows.in_bulk(ids)
        return [service_request_resource(_shown(user, found[key], gate.shown)) for key in ids]

    kinds = [
        Kind(0, rows, {"authored": "received_at"}, programs),
        Kind(
            1,
            community,
            community_referral.SERVICE_REQUEST_SORTS,
            lambda ids: community_referral.load(user, ids, community_resource),
        ),
    ]
    resources, total = merged_page(kinds, query, [("authored", True)])
    return audited_searchset(request, "ServiceRequest", query, resources, total, withheld=gate.withheld)


RESOURCE = ResourceType(
    name="ServiceRequest",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person referred (Patient/<id>)"),
        SearchParam(
            "status",
            "token",
            "Program referrals: active (pending), completed (accepted), revoked (rejected or cancelled); community "
            "referrals: draft, active, on-hold, completed, revoked, entered-in-error (from their Task's status)",
        ),
        SearchParam(
            "category",
            "token",
            "An SDOH need category (Gravity SDOHCC code, e.g. food-insecurity) or SNOMED 410606002 (every community "
            "referral); SNOMED 3457005 (every program referral)",
        ),
        SearchParam("code", "token", "Program code ({base}/CodeSystem/program); SNOMED 3457005 for community"),
        SearchParam("requester", "reference", "The referring organization (Organization/<id>)"),
        SearchParam(
            "performer",
            "reference",
            "The receiving organization (Organization/<id>, or Organization/dir-<id> for a directory listing) or "
            "the directory service (HealthcareService/<id>)",
        ),
        SearchParam("authored", "date", "When the referral was received or sent (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("_lastUpdated", "date", "When a community referral last changed (program referrals never match)"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Community referrals (ids sdoh-<uuid>): Gravity SDOHCC ServiceRequests, read and searched; their "
    "state is the Task referral-<uuid> (a partner sees the person only as the referral shares them, contained). "
    "Referrals into a program: create refers a person (the referring organization is yours); update "
    "records the receiver's acceptance or rejection, or the sender's cancellation. Status: pending = active, "
    "accepted = completed, rejected or cancelled = revoked; the extension referral-decision keeps our status. "
    "Labelled referrals (42 CFR Part 2, HIV) appear only where a consent releases them, with meta.security "
    "(labels and NORDSLCD) and the redisclosure notice as narrative and note.",
)
