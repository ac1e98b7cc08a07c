"""Referrals exchanged between two CareCoord instances over HTTP (Gravity IG direct referral).

Instance A is this test's Django (the Health Home). Instance B is a real second CareCoord started as a subprocess
(``carecoord migrate`` and ``carecoord serve`` on its own SQLite file, its own environment), set up with its
command line (``createorg``, ``createuser``, ``token create``): a community organization with a partner user, and
an organization standing for A whose token A sends with. A sends a referral with ``referral-sync``; B's partner
accepts and completes it through B's FHIR API; A's next sync reads it back: completed, with the outcome and the
service delivered, and the care plan intervention closed. With B gone, a sync reports the failure and changes
nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from carecoord.careplans.models import InterventionStatus
from carecoord.referrals.actions import Actor, change_status, upsert_partner
from carecoord.referrals.exchange import ExchangeError, RemoteServer
from carecoord.referrals.models import EventChannel
from carecoord.referrals.states import ReferralStatus, Side
from carecoord.referrals.tests.builders import plan_with_goal, send, world
from carecoord.testing.cli import run_carecoord

pytestmark = pytest.mark.django_db
S = ReferralStatus
TOKEN_VARIABLE = "CARECOORD_TEST_PARTNER_TOKEN"
DEADLINE = 300.0  # seconds for a step of instance B (a loaded CI machine migrates slowly); not waited out when it works
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
OUTCOME = "http://carecoord.org/fhir/CodeSystem/referral-outcome"
SHARED = ["name", "birth_date", "phone", "language"]


def _free_port() -> int | None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", 0))
        except OSError:
            return None
        return int(probe.getsockname()[1])


@dataclass
class InstanceB:
    base: str
    cbo_id: str
    partner_token: str
    sender_token: str
    process: subprocess.Popen[bytes]

    def as_partner(self) -> RemoteServer:
        return RemoteServer(self.base, self.partner_token)


def _carecoord(env: dict[str, str], *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [sys.executable, "-m", "carecoord", *args],
        env=env,
        input=stdin.encode(),
        capture_output=True,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout.decode().strip()


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    """Wait for the serve command's first line, then poll /healthz until it answers, B exits, or the deadline."""
    assert process.stdout is not None
    first = process.stdout.readline().decode()
    assert "serving on" in first, first
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            address = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(address, timeout=2) as answer:
                if answer.status == 200:
                    return
        try:  # wait on the process itself: returns at once if B died
            process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"instance B exited with {process.returncode}")
    raise AssertionError("instance B did not answer /healthz in time")


@pytest.fixture
def instance_b(tmp_path: Path) -> Iterator[InstanceB]:
    port = _free_port()
    if port is None:
        pytest.skip("cannot bind a loopback port")
    (tmp_path / "static").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CARECOORD_") and not key.startswith(("DJANGO_", "PYTEST"))
    }
    env.update(
        CARECOORD_DATABASE_URL=f"sqlite:///{tmp_path / 'b.sqlite3'}",
        CARECOORD_SECRET_KEY="instance-b-secret-" + "y" * 40,
        CARECOORD_DATA_DIR=str(tmp_path),
        CARECOORD_ALLOWED_HOSTS="127.0.0.1,localhost",
        CARECOORD_MFA_REQUIRED="0",
    )
    _carecoord(env, "migrate", "--no-input")
    cbo_id = _carecoord(env, "createorg", "Community Food Pantry", "--type", "cbo")
    _carecoord(env, "createorg", "Brooklyn Care Partners", "--type", "care_management_agency")
    _carecoord(env, "createuser", "pat_pantry", "--role", "partner", "--org", "Community Food Pantry",
               "--first-name", "Pat", stdin="a-long-partner-password-1\n")  # fmt: skip
    _carecoord(env, "createuser", "bcp_sender", "--role", "care_manager", "--org", "Brooklyn Care Partners",
               stdin="a-long-sender-password-22\n")  # fmt: skip
    partner_token = _carecoord(env, "token", "create", "pat_pantry", "--name", "partner")
    sender_token = _carecoord(env, "token", "create", "bcp_sender", "--name", "Brooklyn Care Partners' CareCoord")
    process = subprocess.Popen(
        [sys.executable, "-m", "carecoord", "serve", "--port", str(port), "--workers", "1", "--no-collectstatic"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, process)
        yield InstanceB(f"http://127.0.0.1:{port}/fhir", cbo_id, partner_token, sender_token, process)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None and not process.stdout.closed:
        process.stdout.close()


def _remote_put(server: RemoteServer, task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return server.request("PUT", f"Task/{task['id']}", {**task, **changes})


def test_a_referral_passes_to_another_carecoord_and_its_completion_comes_back(
    instance_b, capsys, monkeypatch
):  # fmt: skip
    w = world()
    goal, intervention = plan_with_goal(w)
    upsert_partner(
        directory_organization=w.service.organization, fhir_base_url=instance_b.base,
        fhir_token_variable=TOKEN_VARIABLE, remote_organization_reference=f"Organization/{instance_b.cbo_id}",
        by=None,
    )  # fmt: skip
    monkeypatch.setenv(TOKEN_VARIABLE, instance_b.sender_token)
    referral = send(w, share=SHARED, goal=goal, intervention=intervention)
    waiting = send(w, share=SHARED, reason="Needs a second pantry visit")
    moved = send(w, share=SHARED, reason="Needs groceries delivered")
    assert referral.target_organization is None and not referral.remote_task_id

    status, out, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 0, (out, err)
    assert "3 sent" in out
    referral.refresh_from_db()
    assert referral.remote_task_id.startswith("referral-") and referral.remote_base_url == instance_b.base
    assert referral.status == S.REQUESTED

    # B's partner finds the two referrals, sees the person only as shared, accepts and completes the first
    partner = instance_b.as_partner()
    inbox = partner.request("GET", "Task?status=requested&code=fulfill")
    assert inbox["total"] == 3
    task = partner.request("GET", f"Task/{referral.remote_task_id}")
    person = task["contained"][0]
    assert person["name"] == [{"text": "María García"}] and person["birthDate"] == w.patient.birth_date.isoformat()
    assert task["owner"]["reference"] == f"Organization/{instance_b.cbo_id}"
    accepted = _remote_put(partner, task, status="accepted")
    assert accepted["status"] == "accepted"
    today = timezone.localdate().isoformat()
    completed = _remote_put(
        partner,
        accepted,
        status="completed",
        output=[
            {
                "type": {"coding": [{"system": SDOHCC, "code": "resulting-activity"}]},
                "valueCodeableConcept": {"text": f"{today}: Groceries for two weeks"},
            }
        ],
        businessStatus={"coding": [{"system": OUTCOME, "code": "need-met"}], "text": "Enrolled at the pantry"},
    )
    assert completed["status"] == "completed"
    # a forbidden move on B is refused there too (422 naming both statuses)
    with pytest.raises(ExchangeError) as refused:
        _remote_put(partner, completed, status="in-progress")
    assert "422" in refused.value.message and "completed" in refused.value.message

    status, out, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 0, (out, err)
    assert "1 referrals changed" in out
    referral.refresh_from_db()
    assert referral.status == S.COMPLETED
    assert referral.outcome == "need-met" and referral.outcome_note == "Enrolled at the pantry"
    moves = [(e.from_status, e.to_status, e.channel) for e in referral.events.all()]
    assert moves == [
        ("", S.REQUESTED, EventChannel.WEB),
        (S.REQUESTED, S.ACCEPTED, EventChannel.SYNC),
        (S.ACCEPTED, S.COMPLETED, EventChannel.SYNC),
    ]
    assert [(a.performed_on.isoformat(), a.description) for a in referral.activities.all()] == [
        (today, "Groceries for two weeks")
    ]
    intervention.refresh_from_db()
    assert intervention.status == InterventionStatus.COMPLETED
    assert "completed the referral: need met" in " ".join(goal.progress_notes.values_list("text", flat=True))

    # the care manager cancels one here: the next sync cancels its Task on B, with the reason
    moved.refresh_from_db()
    change_status(referral=moved, to=S.CANCELLED, actor=Actor(side=Side.REQUESTER, by=w.cm), reason="Moved away")
    status, out, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 0, (out, err)
    there = partner.request("GET", f"Task/{moved.remote_task_id}")
    assert there["status"] == "cancelled" and there["statusReason"]["text"] == "Moved away"

    # a second sync changes nothing
    status, out, _ = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 0 and "0 sent" in out and "0 referrals changed" in out
    assert referral.events.count() == 3 and moved.events.count() == 2

    # B goes away: the sync says so, exits 1, and the waiting referral keeps its state
    stop(instance_b.process)
    waiting.refresh_from_db()
    before = (waiting.status, waiting.version, waiting.remote_synced_at)
    status, out, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 1
    assert "could not be reached" in err
    waiting.refresh_from_db()
    assert (waiting.status, waiting.version, waiting.remote_synced_at) == before


def test_a_partner_that_cannot_be_reached_keeps_the_referral_waiting(capsys, monkeypatch):
    port = _free_port()
    if port is None:
        pytest.skip("cannot bind a loopback port")
    w = world()
    upsert_partner(
        directory_organization=w.service.organization, fhir_base_url=f"http://127.0.0.1:{port}/fhir",
        fhir_token_variable=TOKEN_VARIABLE, remote_organization_reference="Organization/x", by=None,
    )  # fmt: skip
    referral = send(w, share=SHARED)
    status, _, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 1 and f"Set the environment variable {TOKEN_VARIABLE}" in err
    monkeypatch.setenv(TOKEN_VARIABLE, "not-a-real-token")
    status, _, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 1 and "could not be reached" in err
    referral.refresh_from_db()
    assert referral.status == S.REQUESTED and not referral.remote_task_id and referral.version == 1


def test_a_referral_that_does_not_share_the_date_of_birth_is_not_sent(capsys, monkeypatch):
    port = _free_port()
    if port is None:
        pytest.skip("cannot bind a loopback port")
    w = world()
    upsert_partner(
        directory_organization=w.service.organization, fhir_base_url=f"http://127.0.0.1:{port}/fhir",
        fhir_token_variable=TOKEN_VARIABLE, remote_organization_reference="Organization/x", by=None,
    )  # fmt: skip
    monkeypatch.setenv(TOKEN_VARIABLE, "token")
    referral = send(w)  # name, phone, language
    status, _, err = run_carecoord(capsys, monkeypatch, "referral-sync")
    assert status == 1 and "date of birth" in err
    referral.refresh_from_db()
    assert not referral.remote_task_id


@pytest.mark.parametrize("minutes", ["5", "14", "1441"])
def test_a_sync_interval_outside_the_ig_bounds_stops_start_up(minutes, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARECOORD_")}
    env.update(
        CARECOORD_SECRET_KEY="k" * 40,
        CARECOORD_DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
        CARECOORD_REFERRAL_SYNC_MINUTES=minutes,
    )
    result = subprocess.run(
        [sys.executable, "-m", "carecoord", "check"], env=env, capture_output=True, text=True, timeout=DEADLINE
    )
    assert result.returncode == 2, result.stderr
    assert "CARECOORD_REFERRAL_SYNC_MINUTES" in result.stderr


def test_the_worker_keeps_one_sync_job_waiting_once_a_partner_is_reached_over_fhir(capsys, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from carecoord.referrals.exchange import SYNC_JOB_PATH

    # a worker closes connections between jobs, which would end the test's transaction (as in tasks' tests)
    for module in ("carecoord.tasks.management.commands.worker", "django_tasks_db.management.commands.db_worker"):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)
    w = world()
    code, out, err = run_carecoord(capsys, monkeypatch, "worker", "--batch")
    assert code == 0, err
    assert not DBTaskResult.objects.filter(task_path=SYNC_JOB_PATH).exists()  # nobody to sync with
    upsert_partner(
        directory_organization=w.service.organization, fhir_base_url="http://127.0.0.1:9/fhir",
        fhir_token_variable=TOKEN_VARIABLE, remote_organization_reference="Organization/x", by=None,
    )  # fmt: skip
    code, out, err = run_carecoord(capsys, monkeypatch, "worker", "--batch")
    assert code == 0, err
    assert "Referral sync job enqueued" in out
    job = DBTaskResult.objects.get(task_path=SYNC_JOB_PATH)
    assert job.status == "SUCCESSFUL"
    assert job.return_value["errors"]  # no token set: reported, not raised
    code, out, _ = run_carecoord(capsys, monkeypatch, "worker", "--batch")
    waiting = DBTaskResult.objects.get(task_path=SYNC_JOB_PATH, status="READY")
    assert waiting.run_after >= job.started_at + datetime.timedelta(minutes=60)
