"""Telling a user by email that a notice is waiting, with the minimum necessary: no name, no event, no health
information in the email, only that an alert is waiting and a link to it (which asks them to sign in).

``email_notice`` is called inside the transaction that created the notice and sends only after it commits
(``transaction.on_commit``): a rolled-back notice is never announced, and the email never holds a database
transaction open. Sending is best effort and never raises: the notice is already in the notification centre.
Each email is audited (``export``, outcome success or failed, with the error's kind); a failure is also logged.
After a failure the mail server is not tried again for ``PAUSE_AFTER_FAILURE`` seconds (those emails are audited
as failed, "paused"), so an unreachable server costs one timeout a minute rather than one per alert.

Configuration: ``CARECOORD_EMAIL_*`` and ``CARECOORD_SITE_URL`` (``config.email_config_from_env``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from carecoord.audit.actions import record
from carecoord.audit.models import AuditAction, AuditOutcome
from carecoord.common.middleware import Origin, current_origin, origin
from carecoord.notifications.models import Notification

log = logging.getLogger(__name__)

SUBJECT = "CareCoord: a care team alert is waiting"
PAUSE_AFTER_FAILURE = 60.0

_lock = threading.Lock()
_paused_until = 0.0


def resume_sending() -> None:
    """Forget an earlier failure: the next email tries the mail server again."""
    global _paused_until
    with _lock:
        _paused_until = 0.0


def _pause() -> None:
    global _paused_until
    with _lock:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE


def _paused() -> bool:
    with _lock:
        return time.monotonic() < _paused_until


def body_for(notice_id: uuid.UUID) -> str:
    """The whole email: that an alert is waiting, and where (no health information)."""
    link = f"{settings.SITE_URL}/notifications/{notice_id}/"
    return (
        "A care team alert is waiting in CareCoord.\n\n"
        f"Sign in to read it: {link}\n\n"
        "This email holds no health information. You receive it because your organization sends care team "
        "alerts by email; ask your CareCoord administrator to change that.\n"
    )


def email_notice(*, notice: Notification) -> bool:
    """Email the notice's user, once the current transaction commits, that it is waiting. False when there is no
    one to email (a notice to the whole organization, an inactive user, no address on file)."""
    user = notice.user
    if user is None or not user.is_active or not user.email:
        return False
    where = current_origin()
    transaction.on_commit(
        functools.partial(
            _send,
            notice_id=notice.pk,
            user_id=user.pk,
            address=user.email,
            patient_id=notice.patient_id,
            where=where,
        )
    )
    return True


def _send(
    *,
    notice_id: uuid.UUID,
    user_id: uuid.UUID,
    address: str,
    patient_id: uuid.UUID | None,
    where: Origin,
) -> None:
    outcome, problem = AuditOutcome.SUCCESS, ""
    if _paused():
        outcome, problem = AuditOutcome.FAILED, "paused after a recent failure of the mail server"
    else:
        try:
            send_mail(SUBJECT, body_for(notice_id), None, [address], fail_silently=False)
        except Exception as error:  # any failure of the mail server or the network: logged, audited, not raised
            _pause()
            outcome, problem = AuditOutcome.FAILED, type(error).__name__
            log.warning("Email for notification %s not sent: %s: %s", notice_id, type(error).__name__, error)
    detail = {"delivery": "email", "user": str(user_id), **({"error": problem} if problem else {})}
    try:
        with origin(where.channel, client_address=where.client_address, request_id=where.request_id or None):
            record(
                by=None,
                action=AuditAction.EXPORT,
                object_type="Notification",
                object_id=str(notice_id),
                patient=patient_id,
                outcome=outcome,
                detail=detail,
            )
    except Exception:  # the audit database failing must not undo what was committed before
        log.exception("Audit of the email for notification %s failed", notice_id)
