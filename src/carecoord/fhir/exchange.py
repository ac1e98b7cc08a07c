"""The request and response of one FHIR interaction, independent of Django's view machinery."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from carecoord.fhir.outcome import FhirError, bad_request, issue

if TYPE_CHECKING:
    from carecoord.accounts.models import User

_ETAG = re.compile(r'^\s*(?:W/)?"?([^"]+?)"?\s*$')


@dataclass
class FhirRequest:
    """What an interaction needs from the HTTP request."""

    user: User | None
    base: str  # absolute address of the FHIR base, e.g. https://host/fhir
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes = b""
    query_string: str = ""

    @property
    def authenticated_user(self) -> User:
        if self.user is None:  # the router lets only public types through without a user
            raise FhirError("Authentication required.", status=401, issue_code="login")
        return self.user

    @property
    def lenient(self) -> bool:
        return "handling=lenient" in self.headers.get("prefer", "").replace(" ", "")

    def if_match(self) -> int | None:
        """The version an If-Match header expects, or None when there is none."""
        value = self.headers.get("if-match", "")
        if not value:
            return None
        match = _ETAG.match(value)
        if match is None or not match.group(1).isdigit():
            raise bad_request(f'If-Match must be a version ETag such as W/"3", not {value!r}.', issue_code="value")
        return int(match.group(1))

    def resource(self, resource_type: str, model: type[BaseModel]) -> dict[str, Any]:
        """The body as a JSON resource of ``resource_type``, structure-checked with the R4B model."""
        try:
            data = orjson.loads(self.body)
        except orjson.JSONDecodeError as error:
            raise bad_request(f"The body is not valid JSON: {error}", issue_code="structure") from None
        if not isinstance(data, dict):
            raise bad_request("The body must be a JSON object (a FHIR resource).", issue_code="structure")
        found = data.get("resourceType")
        if found != resource_type:
            raise bad_request(
                f"Expected a {resource_type} resource, got {found or 'no resourceType'}.",
                expression="resourceType",
                issue_code="structure",
            )
        try:
            model.model_validate(data)
        except PydanticError as error:
            raise FhirError(
                "The resource does not conform to FHIR R4.",
                status=400,
                issue_code="structure",
                issues=structure_issues(resource_type, error),
            ) from None
        return data


def structure_issues(resource_type: str, error: PydanticError) -> list[dict[str, Any]]:
    issues = []
    for problem in error.errors():
        path = resource_type
        for part in problem["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            elif part not in ("__root__",) and not str(part).startswith("function-"):
                path += f".{part}"
        message = str(problem["msg"]).split("\n")[0][:300]
        issues.append(issue("structure", message, expression=path))
    return issues


@dataclass
class FhirResponse:
    """A resource (or OperationOutcome) to send, with its status and version headers."""

    body: dict[str, Any]
    status: int = 200
    version_id: str | None = None
    last_modified: str | None = None
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def versioned(resource: dict[str, Any], *, status: int = 200, location: str | None = None) -> FhirResponse:
    meta = resource.get("meta") or {}
    return FhirResponse(
        body=resource,
        status=status,
        version_id=meta.get("versionId"),
        last_modified=meta.get("lastUpdated"),
        location=location,
    )
