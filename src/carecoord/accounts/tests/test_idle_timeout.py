"""Automatic logoff: a session ends after CARECOORD_SESSION_IDLE_MINUTES without a request from the person. The
polls an open page sends (notifications, the day view's counts) do not keep it alive, and a poll that finds it
ended sends the browser to the sign-in page."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from carecoord.accounts.middleware import POLL_HEADER
from carecoord.testing.factories import make_organization, make_user
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db
LAST_SEEN = "carecoord_last_seen"
POLL = {"HTTP_HX_REQUEST": "true", f"HTTP_{POLL_HEADER.upper().replace('-', '_')}": "1"}


def _seen(client: Client, minutes_ago: float) -> float:
    session = client.session
    session[LAST_SEEN] = time.time() - minutes_ago * 60
    session.save()
    return float(session[LAST_SEEN])


@pytest.fixture
def client_in(client: Client, plain_static_files) -> Client:  # noqa: F811
    signed_in(client, make_user("alice_cm", role="care_manager", organization=make_organization()))
    return client


def test_polls_do_not_keep_the_session_alive(client_in):
    before = _seen(client_in, settings.SESSION_IDLE_MINUTES - 1)
    for url in (reverse("notifications:count"), reverse("dayview:counts")):
        assert client_in.get(url, **POLL).status_code == 200
    assert client_in.session[LAST_SEEN] == before


def test_a_poll_after_the_timeout_sends_the_browser_to_sign_in(client_in):
    _seen(client_in, settings.SESSION_IDLE_MINUTES + 1)
    response = client_in.get(reverse("dayview:counts"), **POLL)
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"].startswith(reverse("accounts:login")) and "timeout=1" in response["HX-Redirect"]
    assert "_auth_user_id" not in client_in.session
    assert client_in.get("/today/").status_code == 302  # signed out


def test_a_page_the_person_opens_keeps_it_alive(client_in):
    before = _seen(client_in, 5)
    assert client_in.get("/today/").status_code == 200
    assert client_in.session[LAST_SEEN] > before + 4 * 60


def test_the_last_activity_is_written_at_most_every_30_seconds(client_in):
    before = _seen(client_in, 0.2)  # 12 seconds ago
    assert client_in.get("/today/").status_code == 200
    assert client_in.session[LAST_SEEN] == before


def test_a_page_after_the_timeout_redirects_to_sign_in(client_in):
    _seen(client_in, settings.SESSION_IDLE_MINUTES + 1)
    response = client_in.get("/today/")
    assert response.status_code == 302 and "timeout=1" in response["Location"]


def test_open_pages_poll_with_the_header(client_in):
    page = client_in.get("/today/").content.decode()
    assert page.count(f'hx-headers=\'{{"{POLL_HEADER}": "1"}}\'') == 2  # the notifications link and the counts
