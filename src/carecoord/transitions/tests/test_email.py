"""Care team alerts by email: configured from the environment, sent after the alert commits with no health
information in it, to the lead care manager, for the kinds the administrator listed; a mail server that fails is
logged and audited and never stops the processing of ADT messages."""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from django.core import mail

from carecoord.audit.models import AuditRecord
from carecoord.config import ConfigurationError, email_config_from_env
from carecoord.notifications import email
from carecoord.notifications.models import Notification
from carecoord.transitions.models import AdtMessage, MessageStatus
from carecoord.transitions.tests.enrolled import enroll_person, make_ana, message, process

HEART_FAILURE = (("I50.9", "Heart failure, unspecified"),)
SITE = "https://carecoord.example.org"
# What must never be in an email: the person, the hospital, the diagnosis, the date of birth.
PHI = ("Ana", "Rivera", "GENHOSP", "I50.9", "Heart failure", "1950", "Admitted", "Discharged")


@pytest.fixture
def enrolled(alice_rn):
    ana = make_ana(alice_rn)
    enroll_person(ana, alice_rn)
    return ana


@pytest.fixture
def email_on(settings):
    settings.ALERT_EMAIL_KINDS = frozenset({"admission", "discharge"})
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "CareCoord <alerts@example.org>"
    email.resume_sending()
    yield settings
    email.resume_sending()


def _email_audits() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(object_type="Notification", action="export").order_by("recorded_at"))


def test_an_admission_is_emailed_to_the_lead_care_manager_after_commit_without_health_information(
    enrolled, alice_rn, email_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        process(message("A01", "M1", diagnoses=HEART_FAILURE, admitted="202611200830"))
        assert mail.outbox == []  # nothing leaves before the alert commits
    assert len(callbacks) == 1
    (sent,) = mail.outbox
    notice = Notification.objects.get(user=alice_rn)
    assert sent.to == [alice_rn.email] and sent.from_email == "CareCoord <alerts@example.org>"
    assert sent.subject == "CareCoord: a care team alert is waiting"
    assert f"{SITE}/notifications/{notice.pk}/" in sent.body
    for word in PHI:
        assert word not in sent.subject + sent.body, word
    (audit,) = _email_audits()
    assert (audit.object_id, audit.outcome, audit.patient_id, audit.channel) == (
        str(notice.pk),
        "success",
        enrolled.pk,
        "hl7",
    )
    assert audit.detail == {"delivery": "email", "user": str(alice_rn.pk)}


def test_only_the_listed_kinds_go_by_email_and_corrections_follow_them(
    enrolled, email_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        process(message("A04", "E1", patient_class="E", visit="V200"))  # ED visits are not listed
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        process(message("A01", "M1", admitted="202611200830"), message("A11", "M2"))
    assert len(mail.outbox) == 2  # the admission, then its correction
    assert all(m.subject == email.SUBJECT for m in mail.outbox)
    assert Notification.objects.filter(user__isnull=False, title__startswith="Correction").exists()


def test_no_email_when_the_installation_sends_none(enrolled, settings, django_capture_on_commit_callbacks):
    assert frozenset() == settings.ALERT_EMAIL_KINDS  # the default: CARECOORD_EMAIL_HOST unset
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        process(message("A01", "M1", admitted="202611200830"))
    assert callbacks == [] and mail.outbox == []
    assert Notification.objects.filter(patient=enrolled).count() == 2


def test_a_user_without_an_address_gets_no_email(enrolled, alice_rn, email_on, django_capture_on_commit_callbacks):
    alice_rn.email = ""
    alice_rn.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        process(message("A01", "M1", admitted="202611200830"))
    assert mail.outbox == [] and _email_audits() == []


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens there once the socket is closed


def test_a_failing_mail_server_is_logged_and_audited_and_processing_goes_on(
    enrolled, email_on, caplog, django_capture_on_commit_callbacks
):
    email_on.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    email_on.EMAIL_HOST, email_on.EMAIL_PORT, email_on.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        process(
            message("A01", "M1", admitted="202611200830"),
            message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="01"),
        )
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {MessageStatus.PROCESSED}
    assert Notification.objects.filter(title="Discharged from GENHOSP").count() == 2
    first, second = _email_audits()
    assert (first.outcome, first.detail["error"]) == ("failed", "ConnectionRefusedError")
    # The server is not tried again at once: the next email is audited as not sent, without a second timeout.
    assert (second.outcome, second.detail["error"]) == ("failed", "paused after a recent failure of the mail server")
    assert "not sent: ConnectionRefusedError" in caplog.text


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for Django's SMTP backend: greeting, EHLO, MAIL, RCPT, DATA, QUIT."""

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        envelope: dict[str, object] = {"to": []}
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif verb == b"MAIL":
                envelope["from"] = line.decode().split(":", 1)[1].strip()
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"RCPT":
                envelope["to"].append(line.decode().split(":", 1)[1].strip())  # type: ignore[attr-defined]
                self.wfile.write(b"250 OK\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                envelope["data"] = data.decode()
                server.received.append(envelope)
                envelope = {"to": []}
                self.wfile.write(b"250 OK queued\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[dict[str, object]] = []


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_discharge_is_sent_through_a_real_smtp_server(
    enrolled, alice_rn, email_on, smtp_server, django_capture_on_commit_callbacks
):
    email_on.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    email_on.EMAIL_HOST, email_on.EMAIL_PORT = "127.0.0.1", smtp_server.server_address[1]
    email_on.EMAIL_USE_TLS = email_on.EMAIL_USE_SSL = False
    with django_capture_on_commit_callbacks(execute=True):
        process(
            message("A01", "M1", admitted="202611200830", diagnoses=HEART_FAILURE),
            message("A03", "M2", admitted="202611200830", discharged="202611251200", disposition="01"),
        )
    assert len(smtp_server.received) == 2  # the admission and the discharge
    discharge = Notification.objects.get(user=alice_rn, title="Discharged from GENHOSP")
    last = smtp_server.received[-1]
    assert last["from"] == "<alerts@example.org>" and last["to"] == [f"<{alice_rn.email}>"]
    text = str(last["data"])
    assert "Subject: CareCoord: a care team alert is waiting" in text
    assert f"{SITE}/notifications/{discharge.pk}/" in text
    for word in PHI:
        assert word not in text, word
    assert [a.outcome for a in _email_audits()] == ["success", "success"]


# Configuration ------------------------------------------------------------------------------------------------------

GOOD = {
    "CARECOORD_EMAIL_HOST": "smtp.example.org",
    "CARECOORD_EMAIL_USER": "carecoord",
    "CARECOORD_EMAIL_PASSWORD": "s3cret",
    "CARECOORD_EMAIL_FROM": "CareCoord <alerts@example.org>",
    "CARECOORD_SITE_URL": "https://carecoord.example.org/",
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("CARECOORD_EMAIL") or name == "CARECOORD_SITE_URL":
            monkeypatch.delenv(name)
    return monkeypatch


def test_email_is_off_unless_a_host_is_set(clean_env):
    config = email_config_from_env()
    assert not config.enabled and config.alert_kinds == frozenset()


def test_a_complete_email_configuration(clean_env):
    for name, value in GOOD.items():
        clean_env.setenv(name, value)
    config = email_config_from_env()
    assert (config.host, config.port, config.tls, config.user, config.password) == (
        "smtp.example.org",
        587,
        "starttls",
        "carecoord",
        "s3cret",
    )
    assert config.site_url == "https://carecoord.example.org"
    assert config.alert_kinds == {"admission", "ed-visit", "observation", "discharge"}
    clean_env.setenv("CARECOORD_EMAIL_TLS", "ssl")
    clean_env.setenv("CARECOORD_EMAIL_ALERTS", "discharge, admission")
    config = email_config_from_env()
    assert (config.port, config.alert_kinds) == (465, {"discharge", "admission"})
    clean_env.setenv("CARECOORD_EMAIL_ALERTS", "none")
    assert email_config_from_env().alert_kinds == frozenset()


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"CARECOORD_EMAIL_FROM": ""}, "CARECOORD_EMAIL_FROM must be one address"),
        ({"CARECOORD_EMAIL_FROM": "a@example.org, b@example.org"}, "CARECOORD_EMAIL_FROM must be one address"),
        ({"CARECOORD_SITE_URL": ""}, "CARECOORD_SITE_URL"),
        ({"CARECOORD_EMAIL_TLS": "maybe"}, "CARECOORD_EMAIL_TLS must be one of"),
        ({"CARECOORD_EMAIL_PASSWORD": ""}, "set together"),
        ({"CARECOORD_EMAIL_TLS": "off"}, "password in clear"),
        ({"CARECOORD_EMAIL_ALERTS": "discharge,lab-result"}, "unknown alerts lab-result"),
        ({"CARECOORD_EMAIL_PORT": "0"}, "CARECOORD_EMAIL_PORT must be at least 1"),
    ],
)
def test_an_incomplete_or_unsafe_email_configuration_is_refused(clean_env, overrides, words):
    for name, value in (GOOD | overrides).items():
        if value:
            clean_env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=words):
        email_config_from_env()


def test_start_up_configures_django_s_smtp_backend_from_the_environment(tmp_path):
    """Through a real start-up: the settings module turns CARECOORD_EMAIL_* into Django's SMTP backend."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env |= GOOD | {
        "CARECOORD_DEBUG": "1",
        "CARECOORD_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "DJANGO_SETTINGS_MODULE": "carecoord.settings",
    }
    show = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL, s.EMAIL_HOST_USER, "
        "s.DEFAULT_FROM_EMAIL, s.SITE_URL, sorted(s.ALERT_EMAIL_KINDS), sep='|')"
    )
    result = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.org",
        "587",
        "True",
        "False",
        "carecoord",
        "CareCoord <alerts@example.org>",
        "https://carecoord.example.org",
        "['admission', 'discharge', 'ed-visit', 'observation']",
    ]
    bad = subprocess.run(
        [sys.executable, "-m", "carecoord", "check"],
        env=env | {"CARECOORD_EMAIL_TLS": "maybe"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "CARECOORD_EMAIL_TLS must be one of" in bad.stderr
