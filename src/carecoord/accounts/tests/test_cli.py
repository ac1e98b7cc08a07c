"""The account commands, through the `carecoord` console script's entry point."""

import pytest

from carecoord.accounts.actions import authenticate_token
from carecoord.accounts.models import ApiToken, Organization, User
from carecoord.audit.models import AuditRecord
from carecoord.testing.cli import run_carecoord

pytestmark = pytest.mark.django_db

GOOD = "Sturdy-Passw0rd-42"


carecoord = run_carecoord


def test_createorg_prints_the_new_id(capsys, monkeypatch):
    code, out, _ = carecoord(capsys, monkeypatch, "createorg", "Harlem Health Home", "--type", "health_home")
    assert code == 0
    assert Organization.objects.get(pk=out.strip()).type == "health_home"


def test_createorg_refuses_a_duplicate_name(capsys, monkeypatch):
    carecoord(capsys, monkeypatch, "createorg", "Harlem Health Home", "--type", "health_home")
    code, _, err = carecoord(capsys, monkeypatch, "createorg", "harlem health home", "--type", "cbo")
    assert code == 1
    assert "already exists" in err
    assert Organization.objects.count() == 1


def test_createuser_reads_the_password_from_stdin_and_takes_org_by_name(capsys, monkeypatch, agency):
    code, out, _ = carecoord(
        capsys,
        monkeypatch,
        "createuser",
        "nina_rn",
        "--role",
        "licensed_care_manager",
        "--org",
        agency.name,
        "--license",
        "RN:NY:654321:2030-01-31",
        stdin=GOOD + "\n",
    )
    assert code == 0, out
    user = User.objects.get(username="nina_rn")
    assert user.check_password(GOOD)
    assert user.organization == agency
    assert user.licenses.get().number == "654321"
    assert user.practitioner.roles.get().organization == agency


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "care_manager", "--org", "Nowhere"], GOOD, "No organization named"),
        (["--role", "care_manager", "--org", "Brooklyn Care Partners"], "short", "too short"),
        (["--role", "care_manager", "--org", "Brooklyn Care Partners"], "", "standard input"),
        (["--role", "care_manager", "--org", "Brooklyn Care Partners", "--license", "RN:NY"], GOOD, "TYPE:STATE"),
    ],
)
def test_createuser_errors_name_the_problem_and_create_nothing(capsys, monkeypatch, agency, args, stdin, message):
    code, _, err = carecoord(capsys, monkeypatch, "createuser", "newbie", *args, stdin=stdin + "\n" if stdin else "")
    assert code == 1
    assert message in err
    assert not User.objects.filter(username="newbie").exists()


def test_token_create_prints_a_working_token_as_last_line(capsys, monkeypatch, alice_rn):
    code, out, _ = carecoord(capsys, monkeypatch, "token", "create", "alice_rn", "--days", "7")
    assert code == 0
    plain = out.strip().splitlines()[-1]
    assert authenticate_token(plain) == alice_rn
    stored = ApiToken.objects.get()
    assert plain not in (stored.digest, stored.prefix)


def test_token_revoke_stops_the_token(capsys, monkeypatch, alice_rn):
    _, out, _ = carecoord(capsys, monkeypatch, "token", "create", "alice_rn")
    plain = out.strip().splitlines()[-1]
    code, out, _ = carecoord(capsys, monkeypatch, "token", "revoke", plain[:10])
    assert code == 0
    assert authenticate_token(plain) is None


def test_token_create_for_unknown_user_fails(capsys, monkeypatch):
    code, _, err = carecoord(capsys, monkeypatch, "token", "create", "ghost")
    assert code == 1
    assert "No user named 'ghost'" in err


def test_commands_are_audited_as_cli(capsys, monkeypatch):
    carecoord(capsys, monkeypatch, "createorg", "Audited Org", "--type", "cbo")
    last = AuditRecord.objects.last()
    assert (last.channel, last.action, last.object_type) == ("cli", "create", "Organization")
