"""Permission-checked reads of the ADT queues (raw messages carry PHI about people who may not be ours yet).

The intake error queue is for administrators (``MANAGE_ORGANIZATION``); the review queue for staff who
register people (``REGISTER_PATIENTS``), who link a message to a person with ``actions.link_message_to_patient``.
Each listing is audited, naming the queue and how many entries were shown.
"""

from __future__ import annotations

from carecoord.accounts.models import User
from carecoord.accounts.permissions import Capability, can
from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.errors import AccessDenied, NotFound
from carecoord.patients.access import access_patient, visible_patients
from carecoord.patients.models import Patient
from carecoord.transitions import queries
from carecoord.transitions.models import AdtMessage, IntakeError, Transition, TransitionStatus


def _gate(user: User, capability: Capability, object_type: str) -> None:
    if not can(user, capability):
        record(by=user, action=AuditAction.READ, object_type=object_type, outcome=AuditOutcome.DENIED)
        raise AccessDenied("Your role may not see this HL7 intake queue.")


def access_intake_errors(user: User) -> list[IntakeError]:
    _gate(user, Capability.MANAGE_ORGANIZATION, "IntakeError")
    errors = queries.list_intake_errors()
    record(by=user, action=AuditAction.SEARCH, object_type="IntakeError", detail={"shown": len(errors)})
    return errors


def access_intake_error(user: User, error_id: object) -> IntakeError:
    _gate(user, Capability.MANAGE_ORGANIZATION, "IntakeError")
    error = IntakeError.objects.filter(pk=int(str(error_id))).first() if str(error_id).isdigit() else None
    if error is None:
        raise NotFound("No such intake error.")
    record(by=user, action=AuditAction.READ, object_type="IntakeError", object_id=str(error.pk))
    return error


def access_review_queue(user: User) -> list[AdtMessage]:
    _gate(user, Capability.REGISTER_PATIENTS, "AdtMessage")
    messages = queries.list_review_queue()
    record(by=user, action=AuditAction.SEARCH, object_type="AdtMessage", detail={"review_queue": len(messages)})
    return messages


def access_review_message(user: User, message_id: object) -> AdtMessage:
    _gate(user, Capability.REGISTER_PATIENTS, "AdtMessage")
    message = (
        AdtMessage.objects.filter(pk=int(str(message_id)), status="review").first()
        if str(message_id).isdigit()
        else None
    )
    if message is None:
        raise NotFound("No such message in review.")
    record(by=user, action=AuditAction.READ, object_type="AdtMessage", object_id=str(message.pk))
    return message


# Transitions of care (the transitional care workflow) -----------------------------------------------------------


def access_transition(user: User, transition_id: object) -> Transition:
    """One transition of the user's organization, after the access check on its person (audited there)."""
    key = int(str(transition_id)) if str(transition_id).isdigit() else None
    transition = (
        Transition.objects.select_related("patient", "encounter", "enrollment__program").filter(pk=key).first()
        if key is not None
        else None
    )
    if transition is None or transition.organization_id != user.organization_id:
        record(
            by=user,
            action=AuditAction.READ,
            object_type="Transition",
            object_id=str(transition_id)[:64],
            patient=transition.patient_id if transition is not None else None,
            outcome=AuditOutcome.FAILED if transition is None else AuditOutcome.DENIED,
        )
        if transition is None:
            raise NotFound("No such transition.")
        raise AccessDenied("This transition is another organization's.")
    access_patient(user, transition.patient_id, object_type="Transition", object_id=str(transition.pk))
    return transition


def access_open_transitions(user: User, *, limit: int = 200) -> list[Transition]:
    """The organization's open transitions for people the user may see, audited as one listing naming them."""
    if not can(user, Capability.VIEW_PATIENTS):
        record(by=user, action=AuditAction.SEARCH, object_type="Transition", outcome=AuditOutcome.DENIED)
        raise AccessDenied("Your role does not include people's records.")
    found = list(
        Transition.objects.filter(
            organization_id=user.organization_id,
            status=TransitionStatus.OPEN,
            patient__in=visible_patients(user),
        )
        .select_related("patient")
        .prefetch_related("contacts")
        .order_by("-discharge_date", "-pk")[:limit]
    )
    if found:
        record(
            by=user,
            action=AuditAction.SEARCH,
            object_type="Transition",
            detail={
                "list": "open",
                "results": [t.pk for t in found],
                "patients": sorted({str(t.patient_id) for t in found}),
            },
        )
    return found


def transitions_of_accessed_patient(user: User, patient: Patient) -> list[Transition]:
    """The person's transitions with the user's organization, open first then newest, for a person the caller
    has just fetched through ``access_patient`` for this user (the chart: audited once, with the page)."""
    rows = Transition.objects.filter(patient=patient, organization_id=user.organization_id).order_by(
        "-discharge_date", "-pk"
    )
    return sorted(rows[:20], key=lambda t: t.status != TransitionStatus.OPEN)
