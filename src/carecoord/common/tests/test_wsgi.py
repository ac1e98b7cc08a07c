"""The production entry point: /fhir/ takes the API's short chain, pages the full one; bodies arrive whole."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from carecoord.accounts.actions import create_token
from carecoord.web.testing import plain_static_files  # noqa: F401
from carecoord.wsgi import application


def call(path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    answer: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, response_headers

    body = application(environ, start_response)
    assert isinstance(body, list), "complete responses are handed to the server as one list"
    headers_seen: dict[str, str] = {}
    for name, value in answer["headers"]:
        headers_seen.setdefault(name.lower(), value)
    set_cookies = [v for n, v in answer["headers"] if n.lower() == "set-cookie"]
    headers_seen["set-cookie"] = ";".join(set_cookies)
    return answer["status"], headers_seen, b"".join(body)


@pytest.mark.django_db(transaction=True)
def test_fhir_read_through_the_api_chain(alice_rn, maria):
    _, token = create_token(user=alice_rn, by=None)
    status, headers, body = call(f"/fhir/Patient/{maria.pk}", Authorization=f"Bearer {token}", X_Request_ID="abc-1")
    assert status.startswith("200"), body
    assert orjson.loads(body)["id"] == str(maria.pk)
    assert headers["x-request-id"] == "abc-1"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["x-frame-options"] == "DENY"
    assert headers["set-cookie"] == ""  # no session, no CSRF cookie on the API


@pytest.mark.django_db(transaction=True)
def test_api_chain_ignores_a_signed_in_browser_session(client, alice_rn, maria):
    client.force_login(alice_rn)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    status, _, body = call(f"/fhir/Patient/{maria.pk}", Cookie=cookie)
    assert status.startswith("401"), body


@pytest.mark.django_db  # request_finished does connection housekeeping, as in production
def test_unknown_host_is_refused_on_the_api():
    status, _, _ = call("/fhir/metadata", Host="evil.example")
    assert status.startswith("400")


@pytest.mark.django_db(transaction=True)
def test_pages_keep_the_full_chain():
    status, headers, _ = call("/accounts/login/")
    assert status.startswith("200")
    assert "default-src" in headers["content-security-policy"]
    assert "carecoord_csrf" in headers["set-cookie"]


def test_a_server_process_starts_with_a_settled_heap():
    """Importing the entry point freezes what start-up loaded (Django, settings, URL patterns, views), so the
    garbage collector's full walks skip it (common/process.py)."""
    import gc

    assert gc.get_freeze_count() > 10_000
