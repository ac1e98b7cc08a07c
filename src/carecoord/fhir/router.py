"""One generic router for every FHIR type: negotiation, bearer authentication, dispatch and errors.

Each view resolves the type in the registry, checks the interaction is supported (405 if not, 404 for an
unknown type), runs it, and serialises the result with orjson. Every failure leaves through
``outcome.translate`` as an OperationOutcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from carecoord.accounts.actions import authenticate_token
from carecoord.fhir.exchange import FhirRequest, FhirResponse
from carecoord.fhir.outcome import FhirError, not_supported, translate
from carecoord.fhir.registry import ResourceType, resource_types

FHIR_JSON = "application/fhir+json"
_JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir", "*/*", "application/*")
_FORMATS = frozenset({"json", "application/json", "application/fhir+json", "application/json+fhir"})

Interaction = Callable[[FhirRequest], FhirResponse]


@cache
def _types() -> dict[str, ResourceType]:
    return resource_types()


def _media_type(request: HttpRequest) -> str:
    """The JSON flavour to answer in; 406 when the client accepts no JSON at all."""
    fmt = request.GET.get("_format")
    if fmt is not None:
        if fmt.split(";")[0].strip() not in _FORMATS:
            raise FhirError(f"Only JSON is supported, not _format={fmt}.", status=406, issue_code="not-supported")
        return FHIR_JSON
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return FHIR_JSON
    offered = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if not any(kind in _JSON_TYPES for kind in offered):
        raise FhirError(f"Only JSON is supported; cannot answer in {accept}.", status=406, issue_code="not-supported")
    if "application/json" in offered and FHIR_JSON not in offered:
        return "application/json"
    return FHIR_JSON


def _check_body_type(request: HttpRequest) -> None:
    if request.method == "PATCH":
        kind = (request.content_type or "").lower()
        if kind != "application/json-patch+json":
            raise FhirError(
                f"Send a JSON Patch as application/json-patch+json, not {kind or 'no content type'}.",
                status=415,
                issue_code="not-supported",
            )
        return
    if request.method in ("POST", "PUT"):
        kind = (request.content_type or "").lower()
        if kind not in ("application/fhir+json", "application/json", "application/json+fhir"):
            raise FhirError(
                f"Send the resource as application/fhir+json, not {kind or 'no content type'}.",
                status=415,
                issue_code="not-supported",
            )


def _authenticate(request: HttpRequest, *, public: bool) -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        if public:
            return None
        raise FhirError("Send a bearer token: Authorization: Bearer <token>.", status=401, issue_code="login")
    user = authenticate_token(credential.strip())
    if user is None:
        if public:
            return None
        raise FhirError("The bearer token is unknown, expired or revoked.", status=401, issue_code="login")
    return user


@cache
def _base_path() -> str:
    return reverse("fhir:metadata").removesuffix("/metadata")


def _base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}{_base_path()}"


def _render(response: FhirResponse, media_type: str, *, pretty: bool) -> HttpResponse:
    option = orjson.OPT_INDENT_2 if pretty else 0
    http = HttpResponse(
        orjson.dumps(response.body, option=option), status=response.status, content_type=f"{media_type}; charset=utf-8"
    )
    if response.version_id is not None:
        http["ETag"] = f'W/"{response.version_id}"'
    if response.last_modified:
        http["Last-Modified"] = response.last_modified
    if response.location:
        http["Location"] = response.location
    for name, value in response.headers.items():
        http[name] = value
    return http


def _error_response(error: Exception, media_type: str) -> HttpResponse:
    status, outcome = translate(error)
    response = FhirResponse(body=outcome, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="CareCoord FHIR"'
    return _render(response, media_type, pretty=False)


def _serve(request: HttpRequest, type_name: str | None, choose: Callable[[ResourceType], Interaction]) -> HttpResponse:
    media_type = FHIR_JSON
    try:
        media_type = _media_type(request)
        resource = None
        if type_name is not None:
            resource = _types().get(type_name)
            if resource is None:
                raise FhirError(f"Unknown resource type {type_name!r}.", status=404, issue_code="not-supported")
        interaction = choose(resource) if resource is not None else choose(_METADATA)
        _check_body_type(request)
        user = _authenticate(request, public=resource is None or resource.public)
        if user is not None:
            request.user = user
        fhir_request = FhirRequest(
            user=user,
            base=_base(request),
            params=[(k, v) for k, values in request.GET.lists() for v in values],
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.body,
            query_string=request.META.get("QUERY_STRING", ""),
        )
        result = interaction(fhir_request)
    except Exception as error:  # the one place errors become OperationOutcomes
        return _error_response(error, media_type)
    return _render(result, media_type, pretty=request.GET.get("_pretty") == "true")


def _require(handler: Any, what: str, resource: ResourceType) -> Any:
    if handler is None:
        raise not_supported(f"{what} is not supported for {resource.name}.")
    return handler


_METADATA = ResourceType(name="metadata", public=True)


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    from carecoord.fhir.capability import capability_statement

    def choose(_: ResourceType) -> Interaction:
        if request.method != "GET":
            raise not_supported("Only GET is supported on metadata.")
        return lambda fhir: FhirResponse(body=capability_statement(fhir, _types()))

    return _serve(request, None, choose)


@csrf_exempt
def system(request: HttpRequest) -> HttpResponse:
    """The base: POST a transaction Bundle (a community referral sent here: ``interactions/transaction.py``)."""
    from carecoord.fhir.interactions.transaction import transaction

    def choose(_: ResourceType) -> Interaction:
        if request.method != "POST":
            raise not_supported("POST a transaction Bundle to the base; read resources by type.")
        return transaction

    return _serve(request, None, choose)


@csrf_exempt
def type_level(request: HttpRequest, type_name: str) -> HttpResponse:
    def choose(resource: ResourceType) -> Interaction:
        if request.method == "GET":
            return _require(resource.search, "search", resource)
        if request.method == "POST":
            return _require(resource.create, "create", resource)
        raise not_supported(f"{request.method} is not supported on /{resource.name}.")

    return _serve(request, type_name, choose)


@csrf_exempt
def instance(request: HttpRequest, type_name: str, resource_id: str) -> HttpResponse:
    def choose(resource: ResourceType) -> Interaction:
        if request.method == "GET":
            read = _require(resource.read, "read", resource)
            return lambda fhir: read(fhir, resource_id)
        if request.method == "PUT":
            update = _require(resource.update, "update", resource)
            return lambda fhir: update(fhir, resource_id)
        if request.method == "PATCH" and resource.patch and resource.read and resource.update:
            return lambda fhir: _patched(resource, fhir, resource_id)
        raise not_supported(f"{request.method} is not supported on {resource.name} instances.")

    return _serve(request, type_name, choose)


def _patched(resource: ResourceType, fhir: FhirRequest, resource_id: str) -> FhirResponse:
    """PATCH: the JSON Patch applied to the resource as read, then handled as a PUT of the result."""
    from carecoord.fhir.patch import apply_patch

    assert resource.read is not None and resource.update is not None
    try:
        operations = orjson.loads(fhir.body)
    except orjson.JSONDecodeError as error:
        raise FhirError(f"The body is not valid JSON: {error}", status=400, issue_code="structure") from None
    current = resource.read(fhir, resource_id).body
    patched = apply_patch(current, operations)
    return resource.update(dataclasses.replace(fhir, body=orjson.dumps(patched)), resource_id)


@csrf_exempt
def instance_history(request: HttpRequest, type_name: str, resource_id: str) -> HttpResponse:
    def choose(resource: ResourceType) -> Interaction:
        if request.method != "GET":
            raise not_supported("Only GET is supported on _history.")
        history = _require(resource.history_instance, "history", resource)
        return lambda fhir: history(fhir, resource_id)

    return _serve(request, type_name, choose)


@csrf_exempt
def version(request: HttpRequest, type_name: str, resource_id: str, version_id: str) -> HttpResponse:
    def choose(resource: ResourceType) -> Interaction:
        if request.method != "GET":
            raise not_supported("Only GET is supported on a version.")
        vread = _require(resource.vread, "vread", resource)
        return lambda fhir: vread(fhir, resource_id, version_id)

    return _serve(request, type_name, choose)


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    def choose(_: ResourceType) -> Interaction:
        raise FhirError(f"No FHIR endpoint at /{rest}.", status=404, issue_code="not-found")

    return _serve(request, None, choose)
