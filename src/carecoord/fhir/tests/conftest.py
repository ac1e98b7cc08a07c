"""FHIR tests talk HTTP through django.test.Client (with the API's middleware chain, as ``carecoord serve``
runs it) with bearer tokens of the named personas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from carecoord.accounts.actions import create_token
from carecoord.common.handlers import ApiClientHandler

EXAMPLES = (
    Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "fhir-r4-examples" / "care-coordination-subset"
)
FHIR_JSON = "application/fhir+json"


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate a returned resource (and a Bundle's entries) with the fhir.resources R4B models."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        if "resource" not in entry:  # a transaction-response entry holds only its response
            continue
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return resource


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text())


class Fhir:
    """A FHIR client acting as one user; every JSON answer is validated before the test sees it."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.client.handler = ApiClientHandler(enforce_csrf_checks=True)  # the API's chain, as in production
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _answer(self, response: Any) -> Any:
        if response["Content-Type"].startswith(("application/fhir+json", "application/json")):
            response.resource = valid(orjson.loads(response.content))
        return response

    def get(self, path: str, data: dict[str, Any] | None = None, **headers: str) -> Any:
        return self._answer(self.client.get(f"/fhir/{path}", data or {}, headers={**self.headers, **headers}))

    def post(self, path: str, body: Any, content_type: str = FHIR_JSON, **headers: str) -> Any:
        payload = body if isinstance(body, bytes | str) else orjson.dumps(body)
        return self._answer(
            self.client.post(f"/fhir/{path}", payload, content_type=content_type, headers={**self.headers, **headers})
        )

    def put(self, path: str, body: Any, content_type: str = FHIR_JSON, **headers: str) -> Any:
        payload = body if isinstance(body, bytes | str) else orjson.dumps(body)
        return self._answer(
            self.client.put(f"/fhir/{path}", payload, content_type=content_type, headers={**self.headers, **headers})
        )

    def patch(
        self, path: str, operations: Any, content_type: str = "application/json-patch+json", **headers: str
    ) -> Any:
        payload = operations if isinstance(operations, bytes | str) else orjson.dumps(operations)
        return self._answer(
            self.client.patch(f"/fhir/{path}", payload, content_type=content_type, headers={**self.headers, **headers})
        )

    def delete(self, path: str) -> Any:
        return self._answer(self.client.delete(f"/fhir/{path}", headers=self.headers))


def as_user(user: Any) -> Fhir:
    _, plain = create_token(user=user, by=None)
    return Fhir(plain)


@pytest.fixture
def alice(alice_rn):
    return as_user(alice_rn)


@pytest.fixture
def bob(bob_coordinator):
    return as_user(bob_coordinator)


@pytest.fixture
def eve(eve_outsider):
    return as_user(eve_outsider)


@pytest.fixture
def audrey(audrey_auditor):
    return as_user(audrey_auditor)


@pytest.fixture
def carla(cbo_carla):
    return as_user(cbo_carla)


@pytest.fixture
def anonymous(db):
    return Fhir(None)


def outcome(response: Any, status: int) -> dict[str, Any]:
    """Assert an OperationOutcome error with ``status`` and return it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.resource
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"] and all(i["severity"] in ("error", "fatal") for i in body["issue"])
    return body
