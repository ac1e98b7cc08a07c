"""Referrals exchanged with another FHIR server (another CareCoord or a referral platform), after the Gravity SDOH
Clinical Care IG's direct referral (STANDARDS.md D.2).

**Sending** (``push_referral``): a referral to a directory organization whose ``PartnerOrganization`` has a
``fhir_base_url`` is POSTed there as one transaction Bundle: the minimum Patient (only what the person consented
to share, and the name and date of birth the other side needs to register them), the SDOHCC ServiceRequest and the
SDOHCC Task owned by ``remote_organization_reference``. The bearer token is read from the environment variable
named by ``fhir_token_variable`` (never stored). The remote ids answered are kept on the referral
(``remote_service_request_id``, ``remote_task_id``). A referral that could not be sent stays as it is, waiting
for the next sync (an outbox): nothing is written when the remote server is down or refuses it.

**Polling** (``sync_referrals``, ``carecoord referral-sync`` and the worker's ``referral_sync_job``): for each such
partner, send what is waiting, then read its Tasks that changed since the last poll
(``Task?owner=<remote organization>&_lastUpdated=gt<last>``, paged) and apply each change to the matching referral
through ``referrals.actions`` with channel ``sync``: the status (``change_status``; when the remote moved more than
one step since the last poll, the moves in between are made in order, each allowed for the target side by the
state table), services delivered (``record_activity``: outputs ``resulting-activity``) and the outcome
(``businessStatus``). One referral's changes are one transaction: a remote Task that cannot be applied leaves the
referral as it was and is reported. A referral cancelled (or entered in error) here since the last sync has its
remote Task moved the same way, with the reason (``push_closure``), unless it is already closed there. The IG
bounds polling: at least once per business day, not more often than every 15 minutes
(``CARECOORD_REFERRAL_SYNC_MINUTES``, default 60).

**Receiving** (``receive_referral``, from a transaction Bundle POSTed to /fhir by ``fhir/interactions/
transaction.py``): the sending system's user (a member of the organization that stands for the sender here)
creates an *incoming* referral for one of this server's organizations named as the Task's owner; the person is
matched among the people the sender's organization may see (same name and date of birth) or registered with the
minimum details through ``patients.actions.register_patient``. The same Task posted again is answered with the
referral already made.

Failures are values: ``ExchangeError`` (HTTP 502 at an edge, a message and exit status 1 on the command line).
"""

from __future__ import annotations

import datetime
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tasks import task

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, DomainError, ValidationFailed
from carecoord.common.middleware import origin
from carecoord.patients.access import visible_patients
from carecoord.patients.actions import register_patient
from carecoord.patients.data import PatientData
from carecoord.patients.models import Patient
from carecoord.referrals.actions import (
    Actor,
    change_status,
    on_channel,
    record_activity,
    record_incoming_referral,
    set_outcome,
)
from carecoord.referrals.models import (
    Direction,
    EventChannel,
    PartnerOrganization,
    Referral,
    ReferralOutcome,
    ReferralPriority,
)
from carecoord.referrals.states import OPEN, TERMINAL, ReferralStatus, Side, may_move

log = logging.getLogger(__name__)
S = ReferralStatus
FHIR_JSON = "application/fhir+json"
SYNC_JOB_PATH = "carecoord.referrals.exchange.referral_sync_job"
# Allow for clocks that differ between the two servers when asking for what changed since the last poll.
CLOCK_MARGIN = datetime.timedelta(minutes=5)
MAX_PAGES = 50


class ExchangeError(DomainError):
    """The remote FHIR server could not be reached, refused the request, or answered something unusable."""

    code = "remote-unavailable"
    status = 502


# --- the remote server -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteServer:
    """A FHIR server reached over HTTP(S) with a bearer token."""

    base: str
    token: str
    timeout: float = 15.0

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            if not path.startswith(self.base + "/") and path != self.base:
                raise ExchangeError(f"The remote server pointed outside itself: {path[:200]}")
            return path
        return f"{self.base}/{path.lstrip('/')}" if path else f"{self.base}/"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer; ``ExchangeError`` naming the problem for anything but a 2xx JSON resource."""
        headers = {"Accept": FHIR_JSON, "Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = FHIR_JSON
        address = self.url(path)
        if not address.startswith(("http://", "https://")):
            raise ExchangeError(f"Not an HTTP address: {address[:200]}")
        call = urllib.request.Request(address, data=data, method=method, headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as answer:  # noqa: S310
                payload = answer.read()
        except urllib.error.HTTPError as error:
            raise ExchangeError(f"{self.base} answered {error.code}: {_diagnostics(error.read())}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            raise ExchangeError(f"{self.base} could not be reached: {reason}") from None
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            raise ExchangeError(f"{self.base} answered something that is not JSON.") from None
        if not isinstance(parsed, dict):
            raise ExchangeError(f"{self.base} answered something that is not a FHIR resource.")
        return parsed


def _diagnostics(payload: bytes) -> str:
    try:
        outcome = orjson.loads(payload)
        return "; ".join(str(i.get("diagnostics", "")) for i in outcome.get("issue", []))[:500] or "no details"
    except (orjson.JSONDecodeError, AttributeError, TypeError):
        return payload[:200].decode("utf-8", "replace")


def server_of(partner: PartnerOrganization) -> RemoteServer:
    """The partner's FHIR server with its token from the environment; ``ExchangeError`` when not set up."""
    if not partner.fhir_base_url:
        raise ExchangeError("This partner has no FHIR server.", code="not-set-up")
    variable = partner.fhir_token_variable
    token = os.environ.get(variable, "").strip() if variable else ""
    if not token:
        raise ExchangeError(
            f"Set the environment variable {variable or '(none named)'} to the token for {partner.fhir_base_url}.",
            code="no-token",
        )
    return RemoteServer(partner.fhir_base_url.rstrip("/"), token)


# --- sending ---------------------------------------------------------------------------------------------------------


def minimum_patient(referral: Referral) -> dict[str, Any]:
    """The person as a FHIR Patient holding only what the referral shares (name and date of birth required)."""
    shared = referral.shared if isinstance(referral.shared, dict) else {}
    if not shared.get("name") or not shared.get("birth_date"):
        raise ExchangeError(
            "The partner's system registers the person by name and date of birth: the referral must share both.",
            code="not-shared",
        )
    patient = referral.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"family": patient.family_name, "given": patient.given_names.split()}],
        "gender": patient.sex or "unknown",
        "birthDate": patient.birth_date.isoformat(),
    }
    telecom = []
    if shared.get("phone"):
        telecom.append({"system": "phone", "value": str(shared["phone"])})
    if shared.get("email"):
        telecom.append({"system": "email", "value": str(shared["email"])})
    if telecom:
        resource["telecom"] = telecom
    if shared.get("language") and patient.preferred_language:
        resource["communication"] = [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": patient.preferred_language}],
                    "text": str(shared["language"]),
                },
                "preferred": True,
            }
        ]
    address = patient.addresses.order_by("rank", "pk").first()
    if address is not None and shared.get("address"):
        lines = [line for line in (address.line1, address.line2) if line]
        resource["address"] = [
            {"line": lines, "city": address.city, "state": address.state, "postalCode": address.postal_code}
        ]
    elif address is not None and shared.get("zip"):
        resource["address"] = [{"postalCode": address.postal_code}]
    return resource


def referral_bundle(referral: Referral, partner: PartnerOrganization) -> dict[str, Any]:
    """The transaction Bundle that sends ``referral`` to the partner's server."""
    from carecoord.fhir.mapping.community_referral import service_request_resource, task_resource

    patient_url, request_url, task_url = (f"urn:uuid:{uuid.uuid4()}" for _ in range(3))
    owner = {"reference": partner.remote_organization_reference, "display": referral.target_display}
    requester = {"display": referral.requester_display or referral.referring_organization.name}
    ours = {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{referral.pk}"}
    asked = service_request_resource(referral, Side.REQUESTER)
    for key in ("id", "meta", "supportingInfo", "locationReference", "performer"):
        asked.pop(key, None)
    asked.update(identifier=[ours], subject={"reference": patient_url}, requester=requester, performer=[owner])
    state = task_resource(referral, Side.REQUESTER)
    for key in ("id", "meta", "output", "businessStatus", "executionPeriod"):
        state.pop(key, None)
    state.update(
        identifier=[ours], focus={"reference": request_url}, requester=requester, owner=owner,
        **{"for": {"reference": patient_url}},
    )  # fmt: skip
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": url, "resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
            for url, resource in (
                (patient_url, minimum_patient(referral)),
                (request_url, asked),
                (task_url, state),
            )
        ],
    }


def _created_id(answer: dict[str, Any], resource_type: str) -> str:
    for entry in answer.get("entry") or []:
        location = str((entry.get("response") or {}).get("location") or "")
        parts = location.split("/_history")[0].rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == resource_type:
            return parts[-1]
    raise ExchangeError(f"The remote server did not say where it created the {resource_type}.")


def push_referral(*, referral: Referral, server: RemoteServer | None = None) -> Referral:
    """Send a referral to its partner's FHIR server and keep the remote ids. Already sent: nothing to do."""
    if referral.remote_task_id:
        return referral
    partner = PartnerOrganization.objects.filter(
        directory_organization_id=referral.target_directory_organization_id
    ).first()
    if partner is None or not partner.fhir_base_url:
        raise ExchangeError("The referral's organization receives referrals by no FHIR server.", code="not-set-up")
    if not partner.remote_organization_reference:
        raise ExchangeError(
            "Name the partner's organization on its server (e.g. Organization/<id>).", code="not-set-up"
        )
    server = server or server_of(partner)
    with on_channel(EventChannel.SYNC):
        bundle = referral_bundle(referral, partner)
        try:
            answer = server.request("POST", "", bundle)
            remote_request, remote_task = _created_id(answer, "ServiceRequest"), _created_id(answer, "Task")
        except ExchangeError as error:
            record(by=None, username="referral-sync", action=AuditAction.EXPORT, object_type="Referral",
                   object_id=str(referral.pk), patient=referral.patient_id, outcome=AuditOutcome.FAILED,
                   detail={"to": server.base, "error": error.message})  # fmt: skip
            raise
        now = timezone.now()
        with transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(
                remote_base_url=server.base, remote_service_request_id=remote_request[:200],
                remote_task_id=remote_task[:200], remote_version="", remote_synced_at=now,
            )  # fmt: skip
            record(by=None, username="referral-sync", action=AuditAction.EXPORT, object_type="Referral",
                   object_id=str(referral.pk), patient=referral.patient_id,
                   detail={"to": server.base, "task": remote_task, "shared": sorted(referral.shared)})  # fmt: skip
    referral.remote_base_url, referral.remote_service_request_id = server.base, remote_request
    referral.remote_task_id, referral.remote_synced_at = remote_task, now
    return referral


# Closing moves the referring side makes here and tells the partner's server of.
REQUESTER_CLOSES = (S.CANCELLED, S.ENTERED_IN_ERROR)


def push_closure(*, referral: Referral, server: RemoteServer) -> int:
    """Tell the partner's server that the referral was cancelled (or entered in error) here: its Task gets the same
    status and reason, unless it is already closed there. 1 when a change was sent."""
    with on_channel(EventChannel.SYNC):
        remote = server.request("GET", f"Task/{referral.remote_task_id}")
        sent = 0
        if remote.get("status") not in TERMINAL:
            changed = {**remote, "status": referral.status, "statusReason": {"text": referral.status_reason}}
            remote = server.request("PUT", f"Task/{referral.remote_task_id}", changed)
            sent = 1
        version = str((remote.get("meta") or {}).get("versionId") or "")
        with transaction.atomic():
            Referral.objects.filter(pk=referral.pk).update(remote_version=version[:64], remote_synced_at=timezone.now())
            record(by=None, username="referral-sync", action=AuditAction.EXPORT, object_type="Referral",
                   object_id=str(referral.pk), patient=referral.patient_id,
                   detail={"to": server.base, "task": referral.remote_task_id, "status": referral.status,
                           "sent": bool(sent)})  # fmt: skip
    return sent


# --- polling ---------------------------------------------------------------------------------------------------------


def _path(current: str, target: str) -> list[str]:
    """The shortest run of moves the target side may make from ``current`` to ``target`` ([] when none)."""
    if current == target:
        return []
    seen = {current}
    queue: deque[tuple[str, list[str]]] = deque([(current, [])])
    while queue:
        status, steps = queue.popleft()
        for following in S.values:
            if following in seen or not may_move(status, following, Side.TARGET):
                continue
            if following == target:
                return [*steps, following]
            seen.add(following)
            queue.append((following, [*steps, following]))
    return []


@dataclass(frozen=True)
class RemoteActivity:
    performed_on: datetime.date
    description: str
    code: str


def _remote_outcome(resource: dict[str, Any]) -> str:
    for coding in (resource.get("businessStatus") or {}).get("coding") or []:
        if str(coding.get("system", "")).endswith("/CodeSystem/referral-outcome"):
            code = str(coding.get("code") or "")
            return code if code in ReferralOutcome.values else ""
    return ""


def _remote_activities(resource: dict[str, Any]) -> list[RemoteActivity]:
    found = []
    for output in resource.get("output") or []:
        if "resulting-activity" not in [c.get("code") for c in (output.get("type") or {}).get("coding") or []]:
            continue
        concept = output.get("valueCodeableConcept") or {}
        when, _, what = str(concept.get("text") or "").partition(":")
        try:
            day = datetime.date.fromisoformat(when.strip())
        except ValueError:
            continue
        code = next((str(c.get("code")) for c in concept.get("coding") or [] if str(c.get("code", "")).isdigit()), "")
        if what.strip():
            found.append(RemoteActivity(day, what.strip()[:500], code))
    return found


@dataclass
class Applied:
    referral: Referral
    moves: list[str] = field(default_factory=list)
    activities: int = 0
    outcome: str = ""


def apply_remote_task(*, referral: Referral, resource: dict[str, Any], partner_name: str) -> Applied:
    """Bring ``referral`` to the state of the remote Task (one transaction; ``DomainError`` leaves it as it was)."""
    applied = Applied(referral)
    status = str(resource.get("status") or "")
    if status not in S.values:
        raise ExchangeError(f"The remote Task has a status this IG does not use: {status!r}.", code="bad-status")
    version = str((resource.get("meta") or {}).get("versionId") or "")
    actor = Actor(side=Side.TARGET, display=f"{partner_name} (their system)")
    reason = str((resource.get("statusReason") or {}).get("text") or "").strip()
    outcome = _remote_outcome(resource)
    note = str((resource.get("businessStatus") or {}).get("text") or "").strip() if outcome else ""
    if note == str(ReferralOutcome(outcome).label if outcome else ""):
        note = ""
    activities = _remote_activities(resource)
    with on_channel(EventChannel.SYNC), transaction.atomic():
        steps = _path(referral.status, status)
        if status != referral.status and not steps:
            raise DomainError(
                f"The remote Task went to {status}, which the referral cannot reach from {referral.status}.",
                code="invalid-transition",
            )
        known = set(referral.activities.values_list("performed_on", "description"))
        workable = (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED)

        def record_new() -> None:
            for item in activities:
                if (item.performed_on, item.description) in known or referral.status not in workable:
                    continue
                record_activity(
                    referral=referral, performed_on=item.performed_on, description=item.description, code=item.code,
                    actor=actor, channel=EventChannel.SYNC,
                )  # fmt: skip
                known.add((item.performed_on, item.description))
                applied.activities += 1

        for index, step in enumerate(steps):
            last = index == len(steps) - 1
            if last and step in TERMINAL:
                record_new()  # what was delivered before the referral closed
            change_status(
                referral=referral, to=step, actor=actor, channel=EventChannel.SYNC,
                reason=(reason if last else "") or ("Read from the partner's system" if step in _NEEDS_REASON else ""),
                outcome=outcome if last and step in (S.COMPLETED, S.FAILED) else "",
                outcome_note=note if last and step in (S.COMPLETED, S.FAILED) else "",
            )  # fmt: skip
            applied.moves.append(step)
        record_new()
        if outcome and outcome != referral.outcome and referral.status in (S.COMPLETED, S.FAILED):
            set_outcome(referral=referral, outcome=outcome, note=note, actor=actor, channel=EventChannel.SYNC)
            applied.outcome = outcome
        elif outcome and applied.moves and applied.moves[-1] in (S.COMPLETED, S.FAILED):
            applied.outcome = outcome
        Referral.objects.filter(pk=referral.pk).update(remote_version=version[:64], remote_synced_at=timezone.now())
    return applied


_NEEDS_REASON = frozenset({S.REJECTED, S.CANCELLED, S.ON_HOLD, S.FAILED})


@dataclass
class PartnerSync:
    partner: str
    sent: int = 0
    read: int = 0
    changed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    partners: list[PartnerSync] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{p.partner}: {e}" for p in self.partners for e in p.errors]

    def summary(self) -> str:
        lines = [
            f"{p.partner}: {p.sent} sent, {p.read} remote tasks read, {p.changed} referrals changed"
            + (f", {len(p.errors)} failed" if p.errors else "")
            for p in self.partners
        ]
        return "\n".join(lines) or "No partner receives referrals over FHIR."


def _fhir_instant(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _remote_tasks(server: RemoteServer, partner: PartnerOrganization, since: datetime.datetime | None) -> list[Any]:
    params = [("owner", partner.remote_organization_reference), ("code", "fulfill"), ("_count", "100")]
    if since is not None:
        params.append(("_lastUpdated", f"gt{_fhir_instant(since - CLOCK_MARGIN)}"))
    address: str | None = f"Task?{urllib.parse.urlencode(params)}"
    found: list[Any] = []
    for _ in range(MAX_PAGES):
        if address is None:
            break
        page = server.request("GET", address)
        if page.get("resourceType") != "Bundle":
            raise ExchangeError("The remote server answered a search with something that is not a Bundle.")
        found.extend(e.get("resource") or {} for e in page.get("entry") or [])
        address = next((str(link["url"]) for link in page.get("link") or [] if link.get("relation") == "next"), None)
    return [r for r in found if r.get("resourceType") == "Task"]


def sync_partner(partner: PartnerOrganization, server: RemoteServer | None = None) -> PartnerSync:
    name = partner.directory_organization.name
    result = PartnerSync(partner=name)
    try:
        server = server or server_of(partner)
    except ExchangeError as error:
        result.errors.append(error.message)
        return result
    waiting = Referral.objects.filter(
        direction=Direction.OUTGOING,
        target_directory_organization_id=partner.directory_organization_id,
        status__in=OPEN,
        remote_task_id="",
    ).select_related("patient", "referring_organization")
    for unsent in waiting.order_by("authored_on"):
        try:
            push_referral(referral=unsent, server=server)
            result.sent += 1
        except DomainError as error:
            result.errors.append(f"referral {unsent.pk} not sent: {error.message}")
    ours = Referral.objects.filter(
        direction=Direction.OUTGOING,
        target_directory_organization_id=partner.directory_organization_id,
        remote_base_url=server.base,
    ).exclude(remote_task_id="")
    for closed in ours.filter(status__in=REQUESTER_CLOSES, remote_synced_at__lt=F("status_changed_at")):
        try:
            result.sent += push_closure(referral=closed, server=server)
        except DomainError as error:
            result.errors.append(f"referral {closed.pk}: {error.message}")
            _log_failure(partner, error.message, closed)
    if not ours.filter(status__in=OPEN).exists():
        return result
    since = ours.filter(status__in=OPEN).aggregate(first=Min("remote_synced_at"))["first"]
    try:
        tasks = _remote_tasks(server, partner, since)
    except ExchangeError as error:
        result.errors.append(error.message)
        _log_failure(partner, error.message)
        return result
    result.read = len(tasks)
    by_task = {r.remote_task_id: r for r in ours.filter(remote_task_id__in=[str(t.get("id")) for t in tasks])}
    for resource in tasks:
        referral = by_task.get(str(resource.get("id")))
        if referral is None or (referral.status in TERMINAL and referral.status != resource.get("status")):
            continue  # closed here: nothing the remote says can move it (a cancellation here was sent above)
        version = str((resource.get("meta") or {}).get("versionId") or "")
        if version and version == referral.remote_version:
            continue
        try:
            applied = apply_remote_task(referral=referral, resource=resource, partner_name=name)
        except DomainError as error:
            result.errors.append(f"referral {referral.pk}: {error.message}")
            _log_failure(partner, error.message, referral)
            continue
        if applied.moves or applied.activities or applied.outcome:
            result.changed += 1
    return result


def _log_failure(partner: PartnerOrganization, message: str, referral: Referral | None = None) -> None:
    log.warning("referral-sync with %s: %s", partner.fhir_base_url, message)
    record(by=None, username="referral-sync", action=AuditAction.READ, object_type="Referral",
           object_id=str(referral.pk) if referral is not None else "", outcome=AuditOutcome.FAILED,
           patient=referral.patient_id if referral is not None else None,
           detail={"from": partner.fhir_base_url, "error": message[:500]})  # fmt: skip


def sync_referrals(*, partner_id: int | None = None) -> SyncReport:
    """Send what waits and read back what changed, for every partner reached over FHIR (or one)."""
    report = SyncReport()
    partners = PartnerOrganization.objects.exclude(fhir_base_url="").select_related("directory_organization")
    if partner_id is not None:
        partners = partners.filter(pk=partner_id)
    with origin(EventChannel.SYNC, client_address="job:referral-sync"):
        for partner in partners.order_by("pk"):
            report.partners.append(sync_partner(partner))
    return report


@task()
def referral_sync_job() -> dict[str, Any]:
    """The worker's periodic sync (every ``CARECOORD_REFERRAL_SYNC_MINUTES``)."""
    report = sync_referrals()
    return {"partners": len(report.partners), "errors": report.errors}


def schedule_sync_job(*, interval: datetime.timedelta, now: datetime.datetime | None = None) -> bool:
    """Keep one sync job waiting (as ``tasks.jobs.schedule_rules_job`` does for the rules). True when enqueued."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    jobs = DBTaskResult.objects.filter(task_path=SYNC_JOB_PATH)
    if jobs.filter(Q(status="READY") | Q(status="RUNNING", started_at__gte=now - datetime.timedelta(hours=1))).exists():
        return False
    if not PartnerOrganization.objects.exclude(fhir_base_url="").exists():
        return False
    last = jobs.exclude(started_at__isnull=True).order_by("-started_at").values_list("started_at", flat=True).first()
    referral_sync_job.using(run_after=now if last is None else max(now, last + interval)).enqueue()
    return True


def sync_interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(settings.REFERRAL_SYNC_MINUTES))


# --- receiving -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingReferral:
    """What a posted referral says, read by the FHIR edge."""

    patient: PatientData
    target: Organization
    target_display: str
    need: str
    reason: str
    note: str
    priority: str
    remote_id: str  # the sender's id for the referral ('' when it gave none)
    remote_service_request_id: str
    authored_on: datetime.datetime | None


def sender_key(user: User) -> str:
    """What ``remote_base_url`` holds for a referral received here: the sending organization's identity."""
    return f"urn:carecoord:sender:{user.organization_id}"


def _match_or_register(data: PatientData, by: User) -> Patient:
    if data.birth_date is None:
        raise ValidationFailed("Give the person's date of birth.", field="birth_date")
    candidates = visible_patients(by).filter(
        birth_date=data.birth_date, family_name__iexact=data.family_name, given_names__iexact=data.given_names
    )
    found = candidates.order_by("created_at").first()
    if found is not None:
        return found
    return register_patient(data=data, by=by, confirm_not_duplicate=True).patient


def receive_referral(*, incoming: IncomingReferral, by: User) -> tuple[Referral, bool]:
    """Record a referral another system sends to one of this server's organizations (True when new)."""
    with on_channel(EventChannel.FHIR):
        if not (can(by, Capability.COMMUNITY_REFERRAL) and can(by, Capability.REGISTER_PATIENTS)):
            record(by=by, action=AuditAction.CREATE, object_type="Referral", outcome=AuditOutcome.DENIED,
                   detail={"reason": "role", "direction": "incoming"})  # fmt: skip
            raise AccessDenied("This account may not send referrals here.")
        if incoming.target.pk == by.organization_id:
            raise ValidationFailed("A referral goes to another organization than the sender's.", field="owner")
        if incoming.priority not in ReferralPriority.values:
            raise ValidationFailed(f"Unknown priority {incoming.priority!r}.", field="priority")
        if not incoming.reason.strip():
            raise ValidationFailed("Say why the person is referred.", field="reason")
        key = sender_key(by)
        with transaction.atomic():
            if incoming.remote_id:
                existing = Referral.objects.filter(remote_base_url=key, remote_task_id=incoming.remote_id).first()
                if existing is not None:
                    return existing, False
            patient = _match_or_register(incoming.patient, by)
            shared = {
                "name": f"{incoming.patient.given_names} {incoming.patient.family_name}".strip(),
                "birth_date": incoming.patient.birth_date.isoformat() if incoming.patient.birth_date else "",
                "phone": incoming.patient.phones[0].number if incoming.patient.phones else "",
            }
            referral = record_incoming_referral(
                patient=patient,
                by=by,
                target=incoming.target,
                target_display=incoming.target_display,
                need=incoming.need,
                priority=incoming.priority,
                reason=incoming.reason,
                note=incoming.note,
                shared=shared,
                authored_on=incoming.authored_on,
                remote_base_url=key,
                remote_task_id=incoming.remote_id,
                remote_service_request_id=incoming.remote_service_request_id,
            )
    return referral, True


def remote_moment(value: Any) -> datetime.datetime | None:
    parsed = parse_datetime(str(value)) if value else None
    return parsed if parsed is not None and parsed.tzinfo is not None else None
