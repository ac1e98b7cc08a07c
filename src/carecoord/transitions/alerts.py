"""Alerts from ADT events: the care team of an enrolled person hears of an admission, ED visit, observation stay
or discharge within seconds, and a cancel withdraws what was sent.

``on_events`` is called by ``processing._process`` right after a message's events are applied, in the same
transaction: the alert is committed together with the encounter (or not at all), and a message is applied
once, so a message processed again never alerts again. ``EventAlert`` (one per event and organization) makes
that explicit and is what a cancel reads.

For each organization with which the person has an active enrollment: a notice to the organization and one to
the lead care manager (the enrollment's care manager, else the care team's lead), naming the person, the
facility, the reason and the diagnoses the hospital sent (what the team needs to act, nothing of the record);
and the work that follows as a task: after an admission or observation stay "contact the hospital team", after
an ED visit a check-in, after a discharge home the transition (``workflow.open_transition``) with its contact
task. A repeated start notice for the same visit (a resent A01 under a new control id) is not alerted twice.
People not enrolled get no alert; their events are stored as always.

Email: when the installation sends email (``CARECOORD_EMAIL_HOST``), the lead care manager's personal notice of
the kinds listed in ``CARECOORD_EMAIL_ALERTS`` (default: admission, ED visit, observation stay and discharge) is
also announced by email, after the transaction commits, with no health information in it
(``notifications.email``); so is the correction of such an alert. The organization's shared notice is not
emailed. The choice is the administrator's, per installation, so that a care team cannot miss alerts by leaving
a preference unset; a user without an email address on file gets none.

A11 or A13 (a cancel event retracting an earlier one): the task the retracted event made is marked entered in
error (or the transition it opened is cancelled, its tasks entered in error), and a short correction is sent to
the same recipients.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from carecoord.accounts.models import User
from carecoord.clinical.models import DischargeDisposition
from carecoord.notifications.actions import notify
from carecoord.notifications.email import email_notice
from carecoord.notifications.models import NotificationKind
from carecoord.programs.models import Enrollment, EnrollmentStatus
from carecoord.tasks.actions import TaskData, close_task, create_task, may_own
from carecoord.tasks.models import Task, TaskKind, TaskPriority, TaskStatus
from carecoord.transitions.models import AdtEvent, EventAlert, EventKind, Transition, TransitionStatus
from carecoord.transitions.rules import ADMISSION_TASK_BUSINESS_DAYS, current_rules
from carecoord.transitions.workflow import (
    CONTACT_REASON,
    cancel_transition,
    care_manager_for,
    end_of,
    lead_care_manager,
    open_transition,
)

ALERT_KINDS = frozenset({EventKind.ADMISSION, EventKind.ED_VISIT, EventKind.OBSERVATION, EventKind.DISCHARGE})
ADMISSION_REASON = "transition-admission"
ED_VISIT_REASON = "transition-ed-visit"

_HEADLINE: dict[str, str] = {
    EventKind.ADMISSION: "Admitted to {facility}",
    EventKind.OBSERVATION: "In observation at {facility}",
    EventKind.ED_VISIT: "ED visit at {facility}",
    EventKind.DISCHARGE: "Discharged from {facility}",
}
_NOUN: dict[str, str] = {
    EventKind.ADMISSION: "admission",
    EventKind.OBSERVATION: "observation stay",
    EventKind.ED_VISIT: "ED visit",
    EventKind.DISCHARGE: "discharge",
}


def on_events(events: Iterable[AdtEvent]) -> None:
    """The hook processing calls with the events one message produced."""
    for event in events:
        if event.kind == EventKind.CANCEL:
            retract_alerts(cancel=event)
        elif event.kind in ALERT_KINDS:
            alert_care_teams(event)


def active_enrollments(patient_id: uuid.UUID) -> list[Enrollment]:
    """The person's active enrollments, one per organization (the earliest)."""
    found: dict[uuid.UUID, Enrollment] = {}
    rows = (
        Enrollment.objects.filter(patient_id=patient_id, status=EnrollmentStatus.ACTIVE)
        .select_related("patient", "organization", "care_manager", "program")
        .order_by("start_date", "created_at")
    )
    for enrollment in rows:
        found.setdefault(enrollment.organization_id, enrollment)
    return list(found.values())


def _facility(event: AdtEvent) -> str:
    return event.facility or (event.encounter.facility_name if event.encounter else "") or "a hospital"


def _recipient(enrollment: Enrollment) -> User | None:
    """Who hears personally: the lead care manager of the enrolling organization, else the enrollment's."""
    for user in (lead_care_manager(enrollment.patient, enrollment.organization_id), enrollment.care_manager):
        if user is not None and user.is_active and user.organization_id == enrollment.organization_id:
            return user
    return None


def _body(event: AdtEvent, enrollment: Enrollment, transition: Transition | None) -> str:
    patient = enrollment.patient
    born = f", born {patient.birth_date:%-d %b %Y}" if patient.birth_date else ""
    moment = timezone.localtime(event.occurred_at)
    lines = [
        f"{patient.given_names} {patient.family_name}{born} ({enrollment.program.name}).",
        f"{_NOUN[event.kind].capitalize()} {moment:%a %-d %b, %-I:%M %p}".replace("AM", "am").replace("PM", "pm")
        + f" at {_facility(event)}.",
    ]
    if event.reason:
        lines.append(f"Reason: {event.reason}.")
    coded = [f"{d.get('code', '')} {d.get('display', '')}".strip() for d in event.diagnoses if d.get("code")]
    if coded:
        lines.append("Diagnoses: " + "; ".join(coded) + ".")
    if event.kind == EventKind.DISCHARGE and event.encounter is not None and event.encounter.discharge_disposition:
        lines.append(f"Discharged to: {event.encounter.get_discharge_disposition_display().lower()}.")
    if transition is not None:
        lines.append(f"Interactive contact due by {transition.contact_due:%a %-d %b} (2 business days).")
    return "\n".join(lines)


def _already_alerted(event: AdtEvent, organization_id: uuid.UUID) -> bool:
    if event.encounter_id is None:
        return False
    return EventAlert.objects.filter(
        organization_id=organization_id,
        event__encounter_id=event.encounter_id,
        event__kind=event.kind,
        event__retracted_by__isnull=True,
        corrected_at__isnull=True,
    ).exists()


def _alert_task(event: AdtEvent, enrollment: Enrollment) -> Task | None:
    """The work an admission, observation stay or ED visit asks of the care manager."""
    if event.kind == EventKind.DISCHARGE:
        return None
    due = current_rules().calendar.add_business_days(timezone.localdate(), ADMISSION_TASK_BUSINESS_DAYS)
    facility = _facility(event)
    if event.kind == EventKind.ED_VISIT:
        title, reason = f"ED visit at {facility}: check in with the person", ED_VISIT_REASON
        description = "Find out why they went and what they need now; a follow-up may be due within 7 days."
    else:
        where = "Admitted to" if event.kind == EventKind.ADMISSION else "In observation at"
        title, reason = f"{where} {facility}: contact the hospital team", ADMISSION_REASON
        description = "Share the care plan and the care team's contacts; ask about the expected discharge."
    owner = care_manager_for(enrollment)
    return create_task(
        data=TaskData(
            organization_id=enrollment.organization_id,
            title=title,
            kind=TaskKind.TRANSITION,
            priority=TaskPriority.URGENT,
            patient=enrollment.patient,
            owner=owner,
            due_at=end_of(due),
            reason=reason,
            focus=f"Encounter/{event.encounter_id}" if event.encounter_id else f"AdtEvent/{event.pk}",
            description=description,
        ),
        by=None,
    )


def alert_care_teams(event: AdtEvent) -> list[EventAlert]:
    """Alert every organization with which the person is enrolled (none when not enrolled)."""
    alerts = []
    for enrollment in active_enrollments(event.patient_id):
        if EventAlert.objects.filter(event=event, organization_id=enrollment.organization_id).exists():
            continue
        if _already_alerted(event, enrollment.organization_id):
            continue
        transition = None
        if event.kind == EventKind.DISCHARGE and event.encounter is not None:
            transition = open_transition(encounter=event.encounter, enrollment=enrollment, event=event, by=None)
        if transition is not None:
            task = Task.objects.filter(focus=transition.focus, reason=CONTACT_REASON).order_by("-created_at").first()
        else:
            task = _alert_task(event, enrollment)
        user = _recipient(enrollment)
        title = _HEADLINE[event.kind].format(facility=_facility(event))
        if event.kind == EventKind.DISCHARGE and event.encounter is not None:
            disposition = event.encounter.discharge_disposition
            if disposition and disposition not in (DischargeDisposition.HOME, DischargeDisposition.ALTERNATIVE_HOME):
                title += f" to {event.encounter.get_discharge_disposition_display().lower()}"
        link = f"/transitions/{transition.pk}/" if transition is not None else f"/patients/{event.patient_id}/"
        body = _body(event, enrollment, transition)
        for recipient in (None, user) if user is not None else (None,):
            notice = notify(
                organization=enrollment.organization,
                user=recipient,
                patient=enrollment.patient,
                kind=NotificationKind.HOSPITAL_EVENT,
                title=title,
                body=body,
                link=link,
                by=None,
            )
            if recipient is not None and event.kind in settings.ALERT_EMAIL_KINDS:
                email_notice(notice=notice)
        alerts.append(
            EventAlert.objects.create(event=event, organization=enrollment.organization, notified_user=user, task=task)
        )
    return alerts


def retract_alerts(*, cancel: AdtEvent) -> list[EventAlert]:
    """What the cancelled event raised, withdrawn: its task entered in error (a discharge's transition
    cancelled), and a correction to whoever was told."""
    target = cancel.retracts
    if target is None:
        return []
    corrected = []
    what = _NOUN.get(target.kind, "notice")
    reason = f"The hospital cancelled the {what} ({cancel.trigger_event})."
    for alert in EventAlert.objects.filter(event=target, corrected_at__isnull=True).select_related(
        "organization", "notified_user", "task"
    ):
        if target.encounter_id is not None:
            for transition in Transition.objects.filter(
                encounter_id=target.encounter_id, organization_id=alert.organization_id, status=TransitionStatus.OPEN
            ):
                cancel_transition(transition=transition, reason=reason, by=None, status=TaskStatus.ENTERED_IN_ERROR)
        if alert.task is not None:
            close_task(task=alert.task, status=TaskStatus.ENTERED_IN_ERROR, by=None, reason=reason, rule="transition")
        moment = timezone.localtime(target.occurred_at)
        title = f"Correction: {what} at {_facility(target)} cancelled"
        body = (
            f"The hospital cancelled its {what} notice of {moment:%a %-d %b}. "
            "Disregard the earlier alert; its task was withdrawn."
        )
        recipients: list[User | None] = [None]
        if alert.notified_user is not None and may_own(alert.notified_user, alert.organization_id):
            recipients.append(alert.notified_user)
        for recipient in recipients:
            notice = notify(
                organization=alert.organization,
                user=recipient,
                patient=target.patient,
                kind=NotificationKind.HOSPITAL_EVENT,
                title=title,
                body=body,
                link=f"/patients/{target.patient_id}/",
                by=None,
            )
            if recipient is not None and target.kind in settings.ALERT_EMAIL_KINDS:
                email_notice(notice=notice)  # whoever was emailed the alert hears of its correction the same way
        alert.corrected_at = timezone.now()
        alert.save(update_fields=["corrected_at"])
        corrected.append(alert)
    return corrected
