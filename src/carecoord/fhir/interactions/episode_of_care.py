"""EpisodeOfCare (an enrollment): read, search, create (enroll) and update (end the episode, or change the
care manager), through ``programs.access`` and ``programs.actions``.

Create takes ``status`` active, ``patient``, ``type`` (a code of ``{base}/CodeSystem/program``), optional
``period.start``, ``managingOrganization`` (if given, the user's own organization), ``careManager``
(Practitioner/<id> or PractitionerRole/<id> of a staff user) and ``referralRequest`` (ServiceRequest/<id>).
Update changes one of two things: ``status`` finished with ``period.end`` and the extension
``{base}/StructureDefinition/episode-end-reason`` (a code of EnrollmentEndReason; ``episode-end-note`` when
the reason is "other") ends the episode; a different ``careManager`` reassigns the caseload (supervisors).
Everything else is fixed once enrolled.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from fhir.resources.R4B.episodeofcare import EpisodeOfCare as EpisodeOfCareModel

from carecoord.accounts.models import User
from carecoord.accounts.queries import as_uuid, get_practitioner, get_practitioner_role
from carecoord.audit.models import AuditAction
from carecoord.common.errors import AccessDenied, ValidationFailed, VersionConflict
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.interactions.organization import id_condition
from carecoord.fhir.interactions.scope import body_reference, gated, not_kept, patient_condition, people
from carecoord.fhir.mapping.episode_of_care import (
    end_note_url,
    end_reason_url,
    episode_of_care_resource,
    program_system,
)
from carecoord.fhir.outcome import FhirError, bad_request, domain_paths
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
    split_prefix,
    token,
)
from carecoord.patients.access import access_patient
from carecoord.programs.access import Labelled, access_enrollment, access_referral
from carecoord.programs.actions import assign_care_manager, end_enrollment, enroll
from carecoord.programs.models import Enrollment, EnrollmentStatus, Program, ProgramReferral

_PATHS = {
    "start_date": "EpisodeOfCare.period.start",
    "end_date": "EpisodeOfCare.period.end",
    "care_manager": "EpisodeOfCare.careManager",
    "referral": "EpisodeOfCare.referralRequest",
}


def _expression(field: str) -> str:
    if field == "end_reason":
        return f"EpisodeOfCare.extension('{end_reason_url()}')"
    if field == "note":
        return f"EpisodeOfCare.extension('{end_note_url()}')"
    return _PATHS.get(field, f"EpisodeOfCare.{field}")


def _location(request: FhirRequest, enrollment_id: object) -> str:
    return f"{request.base}/EpisodeOfCare/{enrollment_id}"


def read(request: FhirRequest, episode_id: str) -> FhirResponse:
    return versioned(episode_of_care_resource(access_enrollment(request.authenticated_user, episode_id)))


# --- reading a posted EpisodeOfCare ---------------------------------------------------------------------------


def _date(value: Any, expression: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise bad_request(f"{expression} must be a full date, not {value!r}.", expression=expression) from None


def _program(resource: dict[str, Any]) -> Program:
    codes = [
        c.get("code")
        for concept in resource.get("type") or []
        for c in concept.get("coding") or []
        if c.get("system") == program_system()
    ]
    if len(codes) != 1:
        raise bad_request(
            f"EpisodeOfCare.type must hold one coding of {program_system()}.", expression="EpisodeOfCare.type"
        )
    program = Program.objects.filter(code=codes[0]).first()
    if program is None:
        raise bad_request(f"Unknown program {codes[0]!r}.", expression="EpisodeOfCare.type", issue_code="code-invalid")
    return program


def _care_manager(resource: dict[str, Any], base: str) -> User | None:
    found = body_reference(
        resource.get("careManager"), "EpisodeOfCare.careManager", ("Practitioner", "PractitionerRole"), base
    )
    if found is None:
        return None
    kind, key = found
    if kind == "PractitionerRole":
        role = get_practitioner_role(key)
        practitioner = role.practitioner if role is not None else None
    else:
        practitioner = get_practitioner(key)
    user = practitioner.user if practitioner is not None and practitioner.user_id else None
    if user is None:
        raise bad_request(
            f"EpisodeOfCare.careManager: {kind}/{key} is not a staff member here.",
            expression="EpisodeOfCare.careManager",
            issue_code="value",
        )
    return user


def _check_organization(resource: dict[str, Any], user: User, base: str) -> None:
    found = body_reference(
        resource.get("managingOrganization"), "EpisodeOfCare.managingOrganization", ("Organization",), base
    )
    if found is not None and found[1] != user.organization_id:
        raise bad_request(
            "EpisodeOfCare.managingOrganization must be your own organization: you enroll for it.",
            expression="EpisodeOfCare.managingOrganization",
            issue_code="value",
        )


def _referral(resource: dict[str, Any], user: User, base: str) -> ProgramReferral | None:
    requests = resource.get("referralRequest") or []
    if len(requests) > 1:
        raise bad_request("Give at most one referralRequest.", expression="EpisodeOfCare.referralRequest")
    found = body_reference(
        requests[0] if requests else None, "EpisodeOfCare.referralRequest", ("ServiceRequest",), base
    )
    if found is None:
        return None
    referral = access_referral(user, found[1]).item
    assert isinstance(referral, ProgramReferral)
    return referral


def _extension(resource: dict[str, Any], url: str, kind: str) -> Any:
    return next((e.get(kind) for e in resource.get("extension") or [] if e.get("url") == url), None)


def create(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("EpisodeOfCare", EpisodeOfCareModel)
    if resource.get("status") != EnrollmentStatus.ACTIVE:
        raise bad_request(
            "A new EpisodeOfCare must have status active: enrollment starts it.",
            expression="EpisodeOfCare.status",
            issue_code="value",
        )
    period = resource.get("period") or {}
    if period.get("end"):
        raise bad_request("A new episode cannot have an end.", expression="EpisodeOfCare.period.end")
    start = _date(period.get("start"), "EpisodeOfCare.period.start")
    subject = body_reference(resource.get("patient"), "EpisodeOfCare.patient", ("Patient",), request.base)
    if subject is None:
        raise bad_request("EpisodeOfCare.patient must reference Patient/<id>.", expression="EpisodeOfCare.patient")
    program = _program(resource)
    _check_organization(resource, user, request.base)
    care_manager = _care_manager(resource, request.base)
    patient = access_patient(user, subject[1], action=AuditAction.CREATE, object_type="EpisodeOfCare")
    referral = _referral(resource, user, request.base)
    if referral is not None and (referral.patient_id != patient.pk or referral.program_id != program.code):
        raise bad_request(
            "EpisodeOfCare.referralRequest must be a referral of this person to this program.",
            expression="EpisodeOfCare.referralRequest",
        )
    with domain_paths(_expression):
        enrollment = enroll(
            patient=patient, program=program, by=user, start_date=start, care_manager=care_manager, referral=referral
        )
    shown = access_enrollment(user, enrollment.pk)
    return versioned(episode_of_care_resource(shown), status=201, location=_location(request, enrollment.pk))


def _same(found: Any, expected: Any, expression: str) -> None:
    if found != expected:
        raise bad_request(f"{expression} cannot be changed once enrolled.", expression=expression)


def update(request: FhirRequest, episode_id: str) -> FhirResponse:
    user = request.authenticated_user
    resource = request.resource("EpisodeOfCare", EpisodeOfCareModel)
    if resource.get("id") != episode_id:
        raise bad_request("The resource's id must equal the id in the URL.", expression="EpisodeOfCare.id")
    expected = request.if_match()
    enrollment = access_enrollment(user, episode_id).item
    assert isinstance(enrollment, Enrollment)
    if enrollment.organization_id != user.organization_id:  # as the web's end_enrollment view decides
        raise AccessDenied("Only the enrolling organization may change this episode.")
    if expected is not None and expected != enrollment.version:
        raise VersionConflict(f"The episode is at version {enrollment.version}, not {expected}.")
    subject = body_reference(resource.get("patient"), "EpisodeOfCare.patient", ("Patient",), request.base)
    _same(subject[1] if subject else None, enrollment.patient_id, "EpisodeOfCare.patient")
    _same(_program(resource).code, enrollment.program_id, "EpisodeOfCare.type")
    organization = body_reference(
        resource.get("managingOrganization"), "EpisodeOfCare.managingOrganization", ("Organization",), request.base
    )
    _same(
        organization[1] if organization else enrollment.organization_id,
        enrollment.organization_id,
        "EpisodeOfCare.managingOrganization",
    )
    period = resource.get("period") or {}
    _same(
        _date(period.get("start"), "EpisodeOfCare.period.start") or enrollment.start_date,
        enrollment.start_date,
        "EpisodeOfCare.period.start",
    )
    care_manager = _care_manager(resource, request.base)
    manager_changed = care_manager is not None and care_manager.pk != enrollment.care_manager_id
    status = resource["status"]
    with domain_paths(_expression):
        if status == EnrollmentStatus.FINISHED and enrollment.status != EnrollmentStatus.FINISHED:
            if manager_changed:
                raise bad_request(
                    "End the episode or change its care manager, not both in one update.",
                    expression="EpisodeOfCare.careManager",
                )
            end = _date(period.get("end"), "EpisodeOfCare.period.end")
            reason = _extension(resource, end_reason_url(), "valueCode")
            errors: dict[str, list[str]] = {}
            if end is None:
                errors["end_date"] = ["Give the day the episode ends."]
            if not reason:
                errors["end_reason"] = [f"Give the reason the episode ends ({end_reason_url()})."]
            if errors:
                raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
            assert end is not None
            end_enrollment(
                enrollment=enrollment,
                end_date=end,
                reason=str(reason),
                by=user,
                note=str(_extension(resource, end_note_url(), "valueString") or ""),
            )
        elif status == enrollment.status:
            if period.get("end") and enrollment.end_date is None:
                raise bad_request("Set status finished to end the episode.", expression="EpisodeOfCare.period.end")
            if manager_changed:
                assert care_manager is not None
                assign_care_manager(enrollment=enrollment, care_manager=care_manager, by=user)
        else:
            raise FhirError(
                f"Over FHIR an update ends an episode (status finished) or changes its care manager; it does not "
                f"move one from {enrollment.status} to {status}.",
                status=422,
                issue_code="business-rule",
                expression="EpisodeOfCare.status",
            )
    shown = access_enrollment(user, episode_id)
    return versioned(episode_of_care_resource(shown), location=_location(request, episode_id))


# --- search ------------------------------------------------------------------------------------------------------


def _type(_: str, value: str) -> Q:
    system, code = token(value)
    return Q(program_id=code) if system in (None, program_system()) else Q(pk__in=[])


def _organization(_: str, value: str) -> Q:
    key = as_uuid(reference_id(value, "Organization"))
    return Q(organization_id=key) if key else Q(pk__in=[])


def _care_manager_condition(_: str, value: str) -> Q:
    if value.startswith("PractitionerRole/"):
        key = as_uuid(value.removeprefix("PractitionerRole/"))
        return Q(care_manager__practitioner__roles__id=key) if key else Q(pk__in=[])
    key = as_uuid(reference_id(value, "Practitioner"))
    return Q(care_manager__practitioner__id=key) if key else Q(pk__in=[])


def period_condition(value: str, *, start: str = "start_date", end: str = "end_date", name: str = "date") -> Q:
    """A date search on a period (an open end runs on): without a prefix, the period overlaps the date's range."""
    prefix, text = split_prefix(value)

    def on(field: str, how: str) -> Q:
        return date_condition(field, how + text, name=name, aware=False)

    still_open = Q(**{f"{end}__isnull": True})
    overlaps = on(start, "le") & (still_open | on(end, "ge"))
    if prefix == "eq":
        return overlaps
    if prefix == "ne":
        return ~overlaps
    if prefix == "ge":
        return still_open | on(end, "ge")
    if prefix in ("gt", "sa"):
        return still_open | on(end, "gt")
    if prefix == "le":
        return on(start, "le")
    return on(start, "lt")  # lt, eb


_BUILDERS: dict[str, FilterBuilder] = {
    "_id": id_condition,
    "_lastUpdated": not_kept,
    "patient": patient_condition,
    "status": lambda _, v: Q(status=token(v)[1]),
    "type": _type,
    "organization": _organization,
    "care-manager": _care_manager_condition,
    "date": lambda _, v: period_condition(v),
}
_SORTS = {"date": ("start_date",)}


def _labelled(user: User) -> Q:
    programs = [p.code for p in Program.objects.all() if p.security_labels]
    return Q(program_id__in=programs) & ~Q(organization_id=user.organization_id)


def search(request: FhirRequest) -> FhirResponse:
    user = request.authenticated_user
    query = parse_query(request, RESOURCE)
    scope = people(user, query, "EpisodeOfCare")
    rows = apply_criteria(Enrollment.objects.filter(scope.condition(user)), query, _BUILDERS)
    gate = gated(user, rows, _labelled(user), scope, "EpisodeOfCare")
    rows = gate.rows.select_related("program", "organization", "care_manager__practitioner")
    found, total = page(order(rows, query, _SORTS, ("-start_date",)), query)
    resources = [
        episode_of_care_resource(
            gate.shown.get(e.pk) or Labelled(item=e, labels=list(e.program.security_labels), notices=[])
        )
        for e in found
    ]
    return audited_searchset(request, "EpisodeOfCare", query, resources, total, withheld=gate.withheld)


RESOURCE = ResourceType(
    name="EpisodeOfCare",
    read=read,
    search=search,
    create=create,
    update=update,
    search_params=(
        SearchParam("patient", "reference", "The person enrolled (Patient/<id>)"),
        SearchParam("status", "token", "planned, active, onhold, finished or cancelled"),
        SearchParam("type", "token", "Program code ({base}/CodeSystem/program)"),
        SearchParam("date", "date", "The episode's period overlaps this date (prefixes eq, ne, lt, le, gt, ge)"),
        SearchParam("organization", "reference", "The enrolling organization (Organization/<id>)"),
        SearchParam("care-manager", "reference", "The care manager (Practitioner/<id> or PractitionerRole/<id>)"),
        SearchParam("_id", "token", "Logical id of the resource"),
    ),
    sorts=tuple(_SORTS),
    documentation="Enrollments: a person's episode of care in a program with one organization. Create enrolls "
    "(the program's consent is required); update ends the episode (status finished, period.end and the "
    "episode-end-reason extension) or changes the care manager. Episodes of labelled programs (HH+ HIV) are "
    "shown only where a consent releases them, with meta.security and the redisclosure notice.",
)
