"""carecoord import-assignments: a plan's file becomes referrals, row by row, with a report; re-import is a no-op."""

from __future__ import annotations

import pytest

from carecoord.patients.models import Patient
from carecoord.programs.models import ProgramReferral
from carecoord.testing.cli import run_carecoord
from carecoord.testing.factories import make_organization
from carecoord.web.testing import plain_static_files  # noqa: F401

HEADER = "CIN,Family_Name,Given_Names,Birth_Date,Sex,Program,Assigned_To,Member_ID,Phone,Reason\n"


@pytest.fixture
def plan(db):
    return make_organization("Empire Medicaid Plan", type="health_plan")


def write(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "assignments.csv"
    path.write_text(header + body, encoding="utf-8")
    return str(path)


def test_rows_are_accepted_rejected_and_reported(tmp_path, capsys, monkeypatch, plan, sam_supervisor, maria):
    maria_cin = maria.identifiers.get(kind="medicaid_cin").value
    body = (
        "AB12345C,Nguyen,Lan,1971-04-02,female,ny-hh-adult,,P-1,718-555-0101,High ED use\n"
        f"{maria_cin},García,María José,{maria.birth_date},female,ny-hh-adult,,P-2,,\n"
        "CD99999E,Lopez,Ana,1980-13-01,female,ny-hh-adult,,P-3,,\n"
        "EF11111G,Smith,Joe,1965-01-01,male,no-such-program,,P-4,,\n"
        f"{maria_cin},García,María,1990-01-01,female,medicare-ccm,,P-5,,\n"
        "GH22222J,Brown,Li,1959-09-09,male,ny-hh-adult,Nowhere Agency,P-6,,\n"
        ",Doe,Jane,1970-01-01,female,ny-hh-adult,,,,\n"
        "AB12345C,Nguyen,Lan,1971-04-02,female,ny-hh-adult,,P-1,,\n"
    )
    report = tmp_path / "report.csv"
    code, out, err = run_carecoord(
        capsys,
        monkeypatch,
        "import-assignments",
        write(tmp_path, body),
        "--plan",
        plan.name,
        "--as",
        "sam_supervisor",
        "--report",
        str(report),
    )
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith("row 2: accepted") and "new member registered" in lines[0]
    assert lines[1].startswith("row 3: accepted") and "new member" not in lines[1]
    assert "birth_date '1980-13-01' is not a date" in lines[2]
    assert "program 'no-such-program' is not a program code" in lines[3]
    assert "belongs to a person born" in lines[4]
    assert "'Nowhere Agency' is not an organization" in lines[5]
    assert "missing cin" in lines[6]
    assert "appear earlier in the file" in lines[7]
    assert lines[-1] == "8 rows: 2 accepted, 0 updated, 0 unchanged, 6 rejected"
    assert report.read_text().startswith("row,cin,outcome,message\n2,AB12345C,accepted,")
    referrals = ProgramReferral.objects.filter(source="plan_assignment")
    assert referrals.count() == 2 and {r.referring_organization for r in referrals} == {plan}
    assert {r.receiving_organization for r in referrals} == {sam_supervisor.organization}
    assert Patient.objects.filter(family_name="Nguyen").count() == 1
    assert not Patient.objects.filter(family_name__in=["Lopez", "Smith", "Brown", "Doe"]).exists()


def test_reimport_changes_nothing_and_end_withdraws(tmp_path, capsys, monkeypatch, plan, sam_supervisor):
    body = "AB12345C,Nguyen,Lan,1971-04-02,female,ny-hh-adult,,P-1,,\n"
    path = write(tmp_path, body)
    args = ("import-assignments", path, "--plan", plan.name, "--as", "sam_supervisor")
    assert run_carecoord(capsys, monkeypatch, *args)[0] == 0
    code, out, _ = run_carecoord(capsys, monkeypatch, *args)
    assert code == 0 and "unchanged" in out and ProgramReferral.objects.count() == 1
    ended = write(
        tmp_path, "AB12345C,Nguyen,Lan,1971-04-02,female,ny-hh-adult,,P-1,,end\n", HEADER.replace("Reason", "Action")
    )
    code, out, _ = run_carecoord(
        capsys, monkeypatch, "import-assignments", ended, "--plan", plan.name, "--as", "sam_supervisor"
    )
    assert code == 0 and "withdrawn" in out
    assert ProgramReferral.objects.get().status == "cancelled"


def test_bad_files_are_refused_whole(tmp_path, capsys, monkeypatch, plan, sam_supervisor, agency):
    path = write(tmp_path, "x\n", header="name,dob\n")
    code, _, err = run_carecoord(
        capsys, monkeypatch, "import-assignments", path, "--plan", plan.name, "--as", "sam_supervisor"
    )
    assert code == 1 and "lacks the column(s) cin, family_name, given_names, birth_date, sex" in err
    code, _, err = run_carecoord(
        capsys,
        monkeypatch,
        "import-assignments",
        str(tmp_path / "nope.csv"),
        "--plan",
        plan.name,
        "--as",
        "sam_supervisor",
    )
    assert code == 1 and "No such file" in err
    code, _, err = run_carecoord(
        capsys, monkeypatch, "import-assignments", write(tmp_path, ""), "--plan", agency.name, "--as", "sam_supervisor"
    )
    assert code == 1 and "is not a health plan" in err
    assert not ProgramReferral.objects.exists()


# The same import from the browser ------------------------------------------------------------------------------


def _upload(client, plan, body: str, *, name="assignments.csv", raw: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = raw if raw is not None else (HEADER + body).encode("utf-8")
    return client.post("/programs/imports/", {"plan": plan.pk, "file": SimpleUploadedFile(name, data, "text/csv")})


def test_web_upload_reports_each_row_rejected_first_and_reimport_is_unchanged(client, plan, sam_supervisor):
    from carecoord.web.testing import signed_in

    sam = signed_in(client, sam_supervisor)
    assert "Import a plan assignment file" in sam.get("/programs/imports/").content.decode()
    body = (
        "AB12345C,Nguyen,Lan,1971-04-02,female,ny-hh-adult,,P-1,718-555-0101,High ED use\n"
        "CD99999E,Lopez,Ana,1980-13-01,female,ny-hh-adult,,P-3,,\n"
    )
    page = _upload(sam, plan, body).content.decode()
    assert "2 rows read" in page and "1 accepted" in page and "1 rejected" in page
    assert page.index("is not a date") < page.index("new member registered")  # rejected rows first
    assert ProgramReferral.objects.filter(source="plan_assignment").count() == 1
    again = _upload(sam, plan, body).content.decode()
    assert "1 unchanged" in again and ProgramReferral.objects.filter(source="plan_assignment").count() == 1


def test_web_upload_refuses_bad_files_with_a_reason(client, plan, sam_supervisor):
    from carecoord.web.testing import signed_in

    sam = signed_in(client, sam_supervisor)
    page = _upload(sam, plan, "", raw="CIN;Name\nX;Y\n".encode("utf-16")).content.decode()
    assert "not UTF-8 text" in page
    page = _upload(sam, plan, "", raw=b"cin,family_name\nAB12345C,Nguyen\n").content.decode()
    assert "lacks the column(s) given_names, birth_date, sex" in page
    assert not ProgramReferral.objects.exists()


def test_web_upload_needs_a_role_that_registers_and_enrolls(client, plan, audrey_auditor):
    from carecoord.web.testing import signed_in

    assert signed_in(client, audrey_auditor).get("/programs/imports/").status_code == 403
