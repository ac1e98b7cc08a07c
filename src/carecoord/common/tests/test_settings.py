"""Settings come only from the environment and refuse bad values at start-up (through the CLI)."""

import os
import subprocess
import sys

import pytest

CARECOORD = [sys.executable, "-m", "carecoord"]


def run(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(env_overrides)
    return subprocess.run([*CARECOORD, *(args or ("check",))], env=env, capture_output=True, text=True, timeout=60)


GOOD_KEY = "k" * 40


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "CARECOORD_SECRET_KEY is required"),
        ({"CARECOORD_SECRET_KEY": "short"}, "at least 32 characters"),
        (
            {"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_DATABASE_URL": "mysql://x/y"},
            "CARECOORD_DATABASE_URL must start",
        ),
        ({"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_DATABASE_URL": "postgresql://host"}, "must name a database"),
        ({"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_TIME_ZONE": "Mars/Olympus"}, "CARECOORD_TIME_ZONE"),
        ({"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_DEBUG": "maybe"}, "CARECOORD_DEBUG must be"),
        ({"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_SESSION_IDLE_MINUTES": "0"}, "at least 1"),
        ({"CARECOORD_SECRET_KEY": GOOD_KEY, "CARECOORD_FHIR_BASE_URL": "ftp://x"}, "CARECOORD_FHIR_BASE_URL"),
    ],
)
def test_bad_settings_stop_start_up_with_a_clear_message(overrides, message, tmp_path):
    overrides.setdefault("CARECOORD_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    result = run(overrides)
    assert result.returncode == 2, result.stderr
    assert "configuration error" in result.stderr
    assert message in result.stderr


def test_debug_allows_missing_secret_and_good_settings_pass(tmp_path):
    result = run({"CARECOORD_DEBUG": "1", "CARECOORD_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert result.returncode == 0, result.stderr


def test_production_settings_are_secure_by_default(settings):
    assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.SESSION_IDLE_MINUTES == 15
    assert settings.MFA_REQUIRED is True


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECOORD_")}
    env.update(
        {
            "CARECOORD_DEBUG": "1",
            "CARECOORD_DATABASE_URL": f"sqlite:///{tmp_path}/w.sqlite3",
            "DJANGO_SETTINGS_MODULE": "carecoord.settings",
        }
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["wal", "20000"], out.stderr
