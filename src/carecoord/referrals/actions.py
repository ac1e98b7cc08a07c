"""Writes to community referrals: send, move through the Gravity states (``states.py``), record services delivered
and the outcome, secure links, and how each directory organization is reached.

Every action is keyword-only, audited on the channel it is given (``EventChannel``: the web, FHIR, a secure link,
a remote system read back, a job, the command line) and refuses with an error value (``common.errors``). A status
change names the *side* making it (``Side.REQUESTER`` or ``Side.TARGET``): the table in ``states.py`` decides,
nothing else. Callers have fetched the referral through ``referrals.access`` (which gives the side) or are an
edge that knows it (the FHIR exchange, a secure link: the target). A user passed as ``by`` must belong to that
side. Status changes lock the referral's row, so two people clicking at once cannot both move it.

What a move does to the rest of CareCoord (notifying the requester, the day view, the care plan) is in
``loop.py``; it runs inside the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization, User
from carecoord.accounts.permissions import Capability, can
from carecoord.assessments.models import QuestionnaireResponse
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome, Purpose
from carecoord.careplans.models import Goal, Intervention
from carecoord.common.errors import AccessDenied, DomainError, NotFound, ValidationFailed
from carecoord.common.middleware import current_origin, origin
from carecoord.directory.models import Location, ResourceOrganization, Service
from carecoord.patients.models import Patient
from carecoord.referrals.models import (
    ConsentMethod,
    Direction,
    EventChannel,
    PartnerOrganization,
    Referral,
    ReferralActivity,
    ReferralEvent,
    ReferralLink,
    ReferralOutcome,
    ReferralPriority,
)
from carecoord.referrals.states import REASON_REQUIRED, TERMINAL, ReferralStatus, Side, may_move
from carecoord.tasks.actions import close_task
from carecoord.tasks.models import Task, TaskStatus

S = ReferralStatus

# What a referral may disclose to the organization doing the work, in the order the form lists it.
SHAREABLE: dict[str, str] = {
    "name": "Name",
    "birth_date": "Date of birth",
    "phone": "Phone number",
    "language": "Preferred language",
    "address": "Home address",
    "zip": "ZIP code only",
    "email": "Email address",
}
# Preselected on the form: what a partner needs to reach the person and speak with them.
MINIMUM_SHARE: tuple[str, ...] = ("name", "phone", "language")


@dataclass(frozen=True)
class ConsentToShare:
    """The person's consent to share the chosen details with the partner: how it was given, and a note."""

    method: str
    note: str = ""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a user, or (``by`` None) someone outside CareCoord named in ``display`` (a partner
    through a secure link, a remote system)."""

    side: Side
    by: User | None = None
    display: str = ""

    @property
    def name(self) -> str:
        if self.by is not None:
            return user_display(self.by)
        return self.display or ("the partner" if self.side == Side.TARGET else "the referring team")


def user_display(user: User) -> str:
    return f"{user.get_full_name() or user.username} ({user.organization.name})"


@contextlib.contextmanager
def on_channel(channel: str) -> Iterator[None]:
    """Audit what runs inside on ``channel`` (keeping the current request id and client address)."""
    if channel not in EventChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    here = current_origin()
    if here.channel == channel:
        yield
        return
    with origin(channel, client_address=here.client_address, request_id=here.request_id or None):
        yield


def _audit(
    referral: Referral, by: User | None, action: str, *, outcome: str = AuditOutcome.SUCCESS, **detail: object
) -> None:
    record(
        by=by,
        action=action,
        object_type="Referral",
        object_id=str(referral.pk),
        patient=referral.patient_id,
        outcome=outcome,
        username="" if by is not None else str(detail.get("actor", ""))[:150],
        detail=detail,
    )


# Sending --------------------------------------------------------------------------------------------------------


def shared_details(patient: Patient, share: Iterable[str]) -> dict[str, str]:
    """The chosen details of the person as they stand now (the snapshot a referral carries)."""
    from carecoord.web.templatetags.carecoord import language_name

    wanted = list(dict.fromkeys(share))
    phone = patient.phones.order_by("rank", "pk").first()
    address = patient.addresses.order_by("rank", "pk").first()
    values: dict[str, str] = {
        "name": f"{patient.given_names} {patient.family_name}".strip(),
        "birth_date": patient.birth_date.isoformat(),
        "phone": phone.number if phone is not None else "",
        "language": language_name(patient.preferred_language)
        + (" (needs an interpreter)" if patient.interpreter_needed else ""),
        "address": (
            ", ".join(
                part
                for part in (
                    address.line1,
                    address.line2,
                    address.city,
                    f"{address.state} {address.postal_code}".strip(),
                )
                if part
            )
            if address is not None
            else ""
        ),
        "zip": address.postal_code if address is not None else "",
        "email": patient.email,
    }
    return {key: values[key] for key in wanted if values.get(key)}


def _check_send(
    *,
    patient: Patient,
    service: Service,
    location: Location | None,
    need: str,
    reason: str,
    share: list[str],
    consent: ConsentToShare | None,
    priority: str,
    goal: Goal | None,
    intervention: Intervention | None,
    screening: QuestionnaireResponse | None,
    source_task: Task | None,
) -> None:
    errors: dict[str, list[str]] = {}
    if consent is None or consent.method not in ConsentMethod.values:
        errors["consent"] = ["Record the person's consent to share (written, verbal or electronic)."]
    if not need.strip() or len(need.strip()) > 40:
        errors["need"] = ["Say which need the referral is for."]
    if not reason.strip():
        errors["reason"] = ["Say why the person is referred, as the partner will read it."]
    unknown = [key for key in share if key not in SHAREABLE]
    if unknown:
        errors["share"] = [f"Unknown details to share: {', '.join(unknown)}."]
    elif not share:
        errors["share"] = ["Choose what the partner may know (at least how to reach the person)."]
    if priority not in ReferralPriority.values:
        errors["priority"] = [f"Unknown priority {priority!r}."]
    if service.status != "active":
        errors["service"] = [f"{service.name} is not taking referrals ({service.get_status_display().lower()})."]
    if location is not None and location.organization_id != service.organization_id:
        errors["location"] = ["Choose a location of the service's organization."]
    if goal is not None and goal.plan.patient_id != patient.pk:
        errors["goal"] = ["Link a goal of this person's care plan."]
    if intervention is not None and intervention.plan.patient_id != patient.pk:
        errors["intervention"] = ["Link an intervention of this person's care plan."]
    if intervention is not None and goal is not None and intervention.plan_id != goal.plan_id:
        errors["intervention"] = ["Link a goal and an intervention of the same plan."]
    if screening is not None and screening.patient_id != patient.pk:
        errors["screening"] = ["Link a screening of this person."]
    if source_task is not None and source_task.patient_id != patient.pk:
        errors["source_task"] = ["Link a task of this person."]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first if len(errors) == 1 else "The referral is not complete.", errors=errors)


def send_referral(
    *,
    patient: Patient,
    service: Service,
    location: Location | None = None,
    need: str,
    reason: str,
    note_to_partner: str = "",
    share: Iterable[str],
    consent: ConsentToShare | None,
    priority: str = ReferralPriority.ROUTINE,
    goal: Goal | None = None,
    intervention: Intervention | None = None,
    screening: QuestionnaireResponse | None = None,
    source_task: Task | None = None,
    by: User,
    channel: str = EventChannel.WEB,
    at: datetime.datetime | None = None,
) -> Referral:
    """Refer the person (already fetched through ``patients.access``) to a directory service, with their consent
    to share the chosen details. The referral is *requested*; it goes to the service's organization (and the
    partner tenant it is mapped to, if any); the suggested-referral task it answers is done. ``at``: when it was
    sent, if not now (a referral recorded after the fact, the demo)."""
    share = list(dict.fromkeys(share))
    with on_channel(channel):
        if not can(by, Capability.COMMUNITY_REFERRAL):
            record(
                by=by,
                action=AuditAction.CREATE,
                object_type="Referral",
                patient=patient,
                outcome=AuditOutcome.DENIED,
                detail={"reason": "role"},
            )
            raise AccessDenied("Your role may not make community referrals.")
        _check_send(
            patient=patient,
            service=service,
            location=location,
            need=need,
            reason=reason,
            share=share,
            consent=consent,
            priority=priority,
            goal=goal,
            intervention=intervention,
            screening=screening,
            source_task=source_task,
        )
        assert consent is not None
        organization = service.organization
        if organization is None:
            raise ValidationFailed(f"{service.name} names no organization to send to.", field="service")
        partner = PartnerOrganization.objects.filter(directory_organization=organization).first()
        now = at or timezone.now()
        shared = shared_details(patient, share)
        with transaction.atomic():
            referral = _open_referral(
                by=by,
                channel=channel,
                now=now,
                audit={
                    "target": organization.name,
                    "service": str(service.pk),
                    "shared": sorted(shared),
                    "consent": consent.method,
                },
                patient=patient,
                need=need.strip(),
                service=service,
                location=location,
                target_directory_organization=organization,
                target_organization=partner.organization if partner is not None else None,
                target_display=f"{organization.name} — {service.name}"[:300],
                priority=priority,
                reason=reason.strip(),
                note_to_partner=note_to_partner.strip(),
                shared=shared,
                consent_method=consent.method,
                consent_recorded_by=by,
                consent_recorded_at=now,
                consent_note=consent.note.strip()[:300],
                authored_on=now,
                goal=goal,
                intervention=intervention,
                screening=screening,
                source_task=source_task,
            )
            if source_task is not None and source_task.is_open:
                close_task(task=source_task, status=TaskStatus.COMPLETED, by=by, reason="Referral sent")
    return referral


def _open_referral(
    *, by: User, channel: str, now: datetime.datetime, audit: dict[str, object], event_reason: str = "", **fields: Any
) -> Referral:
    """A new requested referral from ``by``'s organization: the record, its first event, the audit record, and what
    sending does elsewhere (``loop.after_send``). Inside the caller's transaction."""
    referral = Referral.objects.create(
        referring_organization_id=by.organization_id,
        requester=by,
        requester_display=user_display(by),
        status=S.REQUESTED,
        status_changed_at=now,
        created_at=now,
        updated_at=now,
        **fields,
    )
    ReferralEvent.objects.create(
        referral=referral, at=now, from_status="", to_status=S.REQUESTED, by_user=by, by_display=user_display(by),
        channel=channel, reason=event_reason,
    )  # fmt: skip
    record(
        by=by,
        action=AuditAction.CREATE,
        object_type="Referral",
        object_id=str(referral.pk),
        patient=referral.patient_id,
        detail=audit,
    )
    from carecoord.referrals import loop

    loop.after_send(referral)
    return referral


def record_incoming_referral(
    *,
    patient: Patient,
    by: User,
    target: Organization,
    target_display: str,
    need: str,
    priority: str,
    reason: str,
    note: str,
    shared: dict[str, str],
    authored_on: datetime.datetime | None,
    remote_base_url: str,
    remote_task_id: str,
    remote_service_request_id: str,
) -> Referral:
    """Record a referral another system sent (``referrals.exchange.receive_referral`` has checked the sender and
    matched or registered the person): requested, for the partner organization ``target``."""
    now = timezone.now()
    with on_channel(EventChannel.FHIR), transaction.atomic():
        return _open_referral(
            by=by,
            channel=EventChannel.FHIR,
            now=now,
            event_reason="Received from the sender's system",
            audit={"direction": "incoming", "target": target.name, "remote": remote_task_id},
            direction=Direction.INCOMING,
            patient=patient,
            need=need[:40],
            target_organization=target,
            target_display=(target_display or target.name)[:300],
            priority=priority,
            reason=reason.strip(),
            note_to_partner=note.strip(),
            shared={key: value for key, value in shared.items() if value},
            authored_on=authored_on or now,
            remote_base_url=remote_base_url,
            remote_task_id=remote_task_id[:200],
            remote_service_request_id=remote_service_request_id[:200],
            remote_synced_at=now,
        )


# Moving through the states --------------------------------------------------------------------------------------


def _check_actor(referral: Referral, actor: Actor) -> None:
    """A user acting must be on the side they claim: the referring organization's staff, or the target's own
    partner users."""
    user = actor.by
    if user is None:
        return
    if not user.is_active:
        raise AccessDenied("This account is not active.")
    if actor.side == Side.REQUESTER:
        allowed = user.organization_id == referral.referring_organization_id and can(
            user, Capability.COMMUNITY_REFERRAL
        )
    else:
        allowed = (
            referral.target_organization_id is not None
            and user.organization_id == referral.target_organization_id
            and can(user, Capability.VIEW_REFERRALS_TO_ORG)
        )
    if not allowed:
        _audit(referral, user, AuditAction.UPDATE, outcome=AuditOutcome.DENIED, side=str(actor.side))
        raise AccessDenied(f"You are not on the {'referring' if actor.side == Side.REQUESTER else 'receiving'} side.")


def _status_label(status: str) -> str:
    return S(status).label.lower() if status in S.values else status


def change_status(
    *,
    referral: Referral,
    to: str,
    actor: Actor,
    reason: str = "",
    outcome: str = "",
    outcome_note: str = "",
    channel: str = EventChannel.WEB,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Referral:
    """Move the referral to ``to`` if ``states.MOVES`` lets ``actor.side`` make that move from its current status
    (read under a row lock). Rejected, cancelled, on hold and failed need a reason. ``outcome`` may be given with
    completed or failed. One event per change; the version goes up."""
    with on_channel(channel):
        _check_actor(referral, actor)
        if to not in S.values:
            raise ValidationFailed(f"Unknown status {to!r}.", field="status")
        reason = reason.strip()
        if outcome and outcome not in ReferralOutcome.values:
            raise ValidationFailed(f"Unknown outcome {outcome!r}.", field="outcome")
        if outcome and to not in (S.COMPLETED, S.FAILED):
            raise ValidationFailed("An outcome is given when the referral is completed or failed.", field="outcome")
        with transaction.atomic():
            locked = Referral.objects.select_for_update().get(pk=referral.pk)
            if expected_version is not None and locked.version != expected_version:
                from carecoord.common.errors import VersionConflict

                raise VersionConflict(
                    f"The referral changed (version {locked.version}, not {expected_version}); reload it.",
                    code="version-conflict",
                )
            current = locked.status
            if not may_move(current, to, actor.side):
                if may_move(current, to, Side.TARGET) or may_move(current, to, Side.REQUESTER):
                    who = "the organization doing the work" if actor.side == Side.REQUESTER else "the referring team"
                    _audit(locked, actor.by, AuditAction.UPDATE, outcome=AuditOutcome.DENIED, actor=actor.name,
                           side=str(actor.side), to=to)  # fmt: skip
                    raise AccessDenied(
                        f"Only {who} may move a referral from {_status_label(current)} to {_status_label(to)}.",
                        code="wrong-side",
                    )
                raise DomainError(
                    f"A referral that is {_status_label(current)} cannot become {_status_label(to)}.",
                    code="invalid-transition",
                    field="status",
                    current=current,
                    to=to,
                )
            if to in REASON_REQUIRED and not reason:
                raise ValidationFailed(f"Say why the referral is {_status_label(to)}.", field="reason")
            moment = at or timezone.now()
            locked.status = to
            locked.status_reason = reason[:500]
            locked.status_changed_at = moment
            if to == S.ACCEPTED and locked.accepted_at is None:
                locked.accepted_at = moment
            if to == S.IN_PROGRESS and locked.started_at is None:
                locked.started_at = moment
            if to in TERMINAL:
                locked.closed_at = moment
            if outcome:
                locked.outcome = outcome
            if outcome_note.strip():
                locked.outcome_note = outcome_note.strip()
            if actor.side == Side.TARGET:
                locked.unseen_by_requester = True
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.save()
            event = ReferralEvent.objects.create(
                referral=locked, at=moment, from_status=current, to_status=to, reason=reason, by_user=actor.by,
                by_display=actor.name[:300], channel=channel,
            )  # fmt: skip
            _audit(locked, actor.by, AuditAction.UPDATE, actor=actor.name, side=str(actor.side), previous=current,
                   status=to, reason=reason, outcome=outcome, version=locked.version)  # fmt: skip
            from carecoord.referrals import loop

            loop.after_move(locked, event, actor)
    _refresh(referral, locked)
    return referral


def _refresh(stale: Referral, fresh: Referral) -> None:
    """Copy the stored state onto the caller's instance (it was read before the lock)."""
    for field in fresh._meta.concrete_fields:
        setattr(stale, field.attname, getattr(fresh, field.attname))


def accept(*, referral: Referral, actor: Actor, channel: str = EventChannel.WEB) -> Referral:
    return change_status(referral=referral, to=S.ACCEPTED, actor=actor, channel=channel)


def reject(*, referral: Referral, actor: Actor, reason: str, channel: str = EventChannel.WEB) -> Referral:
    return change_status(referral=referral, to=S.REJECTED, actor=actor, reason=reason, channel=channel)


def complete(
    *, referral: Referral, actor: Actor, outcome: str, note: str = "", channel: str = EventChannel.WEB
) -> Referral:
    """Completed, with how it ended for the person (required here)."""
    if outcome not in ReferralOutcome.values:
        raise ValidationFailed("Say how the referral ended for the person.", field="outcome")
    return change_status(
        referral=referral, to=S.COMPLETED, actor=actor, outcome=outcome, outcome_note=note, channel=channel
    )


def cancel(*, referral: Referral, actor: Actor, reason: str, channel: str = EventChannel.WEB) -> Referral:
    return change_status(referral=referral, to=S.CANCELLED, actor=actor, reason=reason, channel=channel)


def set_outcome(
    *, referral: Referral, outcome: str, note: str = "", actor: Actor, channel: str = EventChannel.WEB
) -> Referral:
    """Record (or correct) how the referral ended for the person; the target's to say, on a completed or failed
    referral."""
    with on_channel(channel):
        _check_actor(referral, actor)
        if actor.side != Side.TARGET:
            raise AccessDenied("The organization that did the work records the outcome.", code="wrong-side")
        if outcome not in ReferralOutcome.values:
            raise ValidationFailed("Say how the referral ended for the person.", field="outcome")
        with transaction.atomic():
            locked = Referral.objects.select_for_update().get(pk=referral.pk)
            if locked.status not in (S.COMPLETED, S.FAILED):
                raise DomainError("The outcome is recorded when the referral is completed or failed.", code="open")
            locked.outcome = outcome
            locked.outcome_note = note.strip()
            locked.version += 1
            locked.unseen_by_requester = True
            locked.updated_at = timezone.now()
            locked.save(update_fields=["outcome", "outcome_note", "version", "unseen_by_requester", "updated_at"])
            _audit(locked, actor.by, AuditAction.UPDATE, actor=actor.name, outcome_code=outcome)
    _refresh(referral, locked)
    return referral


def record_activity(
    *,
    referral: Referral,
    performed_on: datetime.date,
    description: str,
    code: str = "",
    actor: Actor,
    channel: str = EventChannel.WEB,
) -> ReferralActivity:
    """A service the partner delivered under the referral (accepted, in progress or on hold; or completed, to
    add what was done)."""
    with on_channel(channel):
        _check_actor(referral, actor)
        if actor.side != Side.TARGET:
            raise AccessDenied("The organization doing the work records the services it delivered.", code="wrong-side")
        errors: dict[str, list[str]] = {}
        if not description.strip():
            errors["description"] = ["Say what was done."]
        if performed_on > timezone.localdate():
            errors["performed_on"] = ["A service delivered cannot be in the future."]
        if performed_on < referral.authored_on.date() - datetime.timedelta(days=1):
            errors["performed_on"] = ["The service was delivered before the referral was sent."]
        if code and not code.strip().isdigit():
            errors["code"] = ["A SNOMED CT code is digits only."]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
        if referral.status not in (S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED):
            raise DomainError(
                f"Services are recorded once the referral is accepted (it is {_status_label(referral.status)}).",
                code="not-accepted",
            )
        with transaction.atomic():
            activity = ReferralActivity.objects.create(
                referral=referral,
                performed_on=performed_on,
                description=description.strip()[:500],
                code=code.strip(),
                recorded_by=actor.by,
                recorded_by_display=actor.name[:300],
            )
            Referral.objects.filter(pk=referral.pk).update(
                unseen_by_requester=True, updated_at=timezone.now(), version=referral.version + 1
            )
            referral.version += 1
            _audit(referral, actor.by, AuditAction.CREATE, actor=actor.name, activity=str(activity.pk))
    return activity


def mark_seen(*, referral: Referral, by: User) -> None:
    """The requester opened the referral: its news leaves their day view."""
    if referral.unseen_by_requester and by.pk == referral.requester_id:
        Referral.objects.filter(pk=referral.pk).update(unseen_by_requester=False)
        referral.unseen_by_requester = False


# Secure links ---------------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    *,
    referral: Referral,
    recipient: str,
    valid_for: datetime.timedelta | None = None,
    by: User,
    channel: str = EventChannel.WEB,
) -> tuple[ReferralLink, str]:
    """A secure link for a partner without an account: the token (shown once, never stored) and the stored link
    (its SHA-256). Valid for ``valid_for`` (default ``CARECOORD_REFERRAL_LINK_DAYS``)."""
    with on_channel(channel):
        _check_actor(referral, Actor(Side.REQUESTER, by))
        recipient = recipient.strip()
        if recipient and ("@" not in recipient or any(ch in recipient for ch in " \r\n,;")):
            raise ValidationFailed("Give one email address (or none).", field="recipient")
        validity = valid_for if valid_for is not None else datetime.timedelta(days=settings.REFERRAL_LINK_DAYS)
        if validity <= datetime.timedelta(0) or validity > datetime.timedelta(days=90):
            raise ValidationFailed("A link works for up to 90 days.", field="valid_for")
        if not referral.is_open:
            raise DomainError(f"The referral is {_status_label(referral.status)}: no link is needed.", code="closed")
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            link = ReferralLink.objects.create(
                referral=referral,
                token_hash=token_hash(token),
                recipient=recipient,
                created_by=by,
                expires_at=timezone.now() + validity,
            )
            _audit(referral, by, AuditAction.SECURITY, link=str(link.pk), expires_at=link.expires_at.isoformat(),
                   recipient=recipient)  # fmt: skip
    return link, token


def revoke_link(*, link: ReferralLink, by: User, channel: str = EventChannel.WEB) -> ReferralLink:
    with on_channel(channel):
        _check_actor(link.referral, Actor(Side.REQUESTER, by))
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            _audit(link.referral, by, AuditAction.SECURITY, link=str(link.pk), revoked=True)
    return link


def use_link(*, link: ReferralLink) -> None:
    """Count one use of a link (its page opened or an action taken through it)."""
    now = timezone.now()
    from django.db.models import F

    ReferralLink.objects.filter(pk=link.pk).update(use_count=F("use_count") + 1, last_used_at=now)
    link.use_count += 1
    link.last_used_at = now


# Partners (administrators) --------------------------------------------------------------------------------------


def upsert_partner(
    *,
    directory_organization: ResourceOrganization,
    organization: Organization | None = None,
    fhir_base_url: str = "",
    fhir_token_variable: str = "",
    remote_organization_reference: str = "",
    link_recipient: str = "",
    by: User | None,
    channel: str = EventChannel.WEB,
) -> PartnerOrganization:
    """Say how referrals reach a directory organization: its own users here (a partner tenant), a remote FHIR
    server, or secure links to an address. ``by`` None is the command line or the demo seed."""
    with on_channel(channel):
        if by is not None and not can(by, Capability.MANAGE_ORGANIZATION):
            record(by=by, action=AuditAction.UPDATE, object_type="PartnerOrganization", outcome=AuditOutcome.DENIED,
                   purpose=Purpose.OPERATIONS)  # fmt: skip
            raise AccessDenied("Only organization administrators set up referral partners.")
        errors: dict[str, list[str]] = {}
        base = fhir_base_url.strip().rstrip("/")
        if base and not base.startswith(("https://", "http://")):
            errors["fhir_base_url"] = ["A FHIR base address starts with https://."]
        variable = fhir_token_variable.strip()
        if variable and not (variable.isidentifier() and variable.upper() == variable):
            errors["fhir_token_variable"] = ["Name an environment variable, e.g. CARECOORD_PARTNER_TOKEN."]
        recipient = link_recipient.strip()
        if recipient and ("@" not in recipient or any(ch in recipient for ch in " \r\n,;")):
            errors["link_recipient"] = ["Give one email address."]
        if not (organization or base or recipient):
            errors["organization"] = ["Choose how referrals reach them: a partner organization, FHIR, or links."]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
        with transaction.atomic():
            partner, created = PartnerOrganization.objects.update_or_create(
                directory_organization=directory_organization,
                defaults={
                    "organization": organization,
                    "fhir_base_url": base,
                    "fhir_token_variable": variable,
                    "remote_organization_reference": remote_organization_reference.strip(),
                    "link_recipient": recipient,
                },
            )
            record(
                by=by,
                action=AuditAction.CREATE if created else AuditAction.UPDATE,
                object_type="PartnerOrganization",
                object_id=str(partner.pk),
                purpose=Purpose.OPERATIONS,
                detail={"directory_organization": str(directory_organization.pk), "fhir": bool(base),
                        "organization": str(organization.pk) if organization else ""},
            )  # fmt: skip
    return partner


def partner_of(referral: Referral) -> PartnerOrganization:
    """The partner record of the referral's target (NotFound when the organization is not set up)."""
    partner = PartnerOrganization.objects.filter(directory_organization_id=referral.target_directory_organization_id)
    found = partner.first()
    if found is None:
        raise NotFound("The referral's organization is not set up as a partner.")
    return found
