"""CodeSystem: our own code systems, readable by anyone (no PHI), searchable by url, name and _id."""

from __future__ import annotations

from carecoord.common.errors import NotFound
from carecoord.fhir.exchange import FhirRequest, FhirResponse, versioned
from carecoord.fhir.mapping.code_system import CODE_SYSTEMS, OurCodeSystem, code_system_resource
from carecoord.fhir.registry import ResourceType, SearchParam
from carecoord.fhir.search import parse_query, searchset, token


def read(request: FhirRequest, system_id: str) -> FhirResponse:
    found = next((s for s in CODE_SYSTEMS if s.id == system_id), None)
    if found is None:
        raise NotFound(f"No CodeSystem {system_id}.")
    return versioned(code_system_resource(found))


def _matches(system: OurCodeSystem, name: str, value: str) -> bool:
    if name == "url":
        return system.url == value.split("|")[0]
    if name == "_id":
        return system.id == value
    if name == "name":
        return system.name.lower().startswith(value.lower())
    return any(code == token(value)[1] for code, _ in system.concepts)  # code


def search(request: FhirRequest) -> FhirResponse:
    query = parse_query(request, RESOURCE)
    found = [
        s for s in CODE_SYSTEMS if all(any(_matches(s, c.param.name, v) for v in c.values) for c in query.criteria)
    ]
    selected = found[query.offset : query.offset + query.count]
    return FhirResponse(
        body=searchset(request, "CodeSystem", query, [code_system_resource(s) for s in selected], len(found))
    )


RESOURCE = ResourceType(
    name="CodeSystem",
    read=read,
    search=search,
    public=True,
    search_params=(
        SearchParam("url", "uri", "Canonical URL, e.g. <base>/CodeSystem/program"),
        SearchParam("name", "string", "Computer-friendly name (prefix)"),
        SearchParam("code", "token", "A code the system defines"),
        SearchParam("_id", "token", "program, consent-form or core-service"),
    ),
    documentation="CareCoord's own code systems (program, consent-form, core-service).",
)
