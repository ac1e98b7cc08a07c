"""What a ``partner`` user can open: every page of the web app is tried (ids filled in with the person's, the
referral's, or a random one); only their inbox, the referrals sent to them, their notifications, the directory (no
PHI) and their own account pages answer 200, and none of them shows the person's date of birth or address, which
the referral did not share. (Today they open: the inbox, the referral, notifications, password change, the
directory and its service pages, the questionnaire catalog.)"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from carecoord.referrals.tests.builders import send, world
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db

# Pages a partner may open: their own work, their notices and account, the directory and the questionnaire
# catalog (neither holds anything about a person).
ALLOWED = re.compile(
    r"^/(referrals/(inbox/|[0-9a-f-]{36}/)|notifications/.*|accounts/.*|directory/.*|assessments/questionnaires/|$)"
)


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found: list[str] = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, pattern)
        elif isinstance(entry, URLPattern):
            found.append(pattern)
    return found


def _fill(route: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        kind, name = match.group(1) or "str", match.group(2)
        if name in ids:
            return ids[name]
        return {"int": "1", "slug": "x", "path": "x"}.get(kind, str(uuid.uuid4()))

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def test_a_partner_reaches_only_their_referrals_and_never_the_chart(client):
    w = world()
    referral = send(w)
    signed_in(client, w.carla)
    ids = {"patient_id": str(w.patient.pk), "referral_id": str(referral.pk)}
    opened = []
    for route in _routes(get_resolver()):
        if route.startswith(("fhir/", "healthz", "^")) or "token" in route:
            continue
        url = _fill(route, ids)
        response = client.get(url)
        if response.status_code != 200:
            continue
        opened.append(url)
        assert ALLOWED.match(url), f"a partner opened {url}"
        body = response.content.decode()
        assert w.patient.birth_date.strftime("%-d %b %Y") not in body, url
        assert "100 Main St" not in body, url
    assert f"/referrals/{referral.pk}/" in opened and "/referrals/inbox/" in opened
