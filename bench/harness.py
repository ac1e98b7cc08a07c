"""What the benchmark workers share: Django started against the bench's database, migrated; percentiles."""

from __future__ import annotations

import os


def start_django(url: str, *, pages: bool = False) -> None:
    """Configure CareCoord for ``url`` from the environment, start Django and migrate. ``pages``: the worker
    requests pages through ``django.test.Client`` (test host allowed, no MFA, static files without a manifest)."""
    os.environ.update(
        {
            "CARECOORD_DATABASE_URL": url,
            "CARECOORD_SECRET_KEY": "bench-" + "x" * 40,
            "CARECOORD_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "carecoord.settings",
        }
    )
    if pages:
        os.environ.update({"CARECOORD_ALLOWED_HOSTS": "testserver", "CARECOORD_MFA_REQUIRED": "0"})
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if pages:
        settings.STORAGES = {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    call_command("migrate", verbosity=0)


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0.95 for p95) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * (len(ordered) - 1))))]
