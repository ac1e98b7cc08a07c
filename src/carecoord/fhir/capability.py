"""The CapabilityStatement at /fhir/metadata, generated from the registry so it lists exactly what is routed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any

from carecoord.fhir.exchange import FhirRequest
from carecoord.fhir.mapping.code_system import CODE_SYSTEMS
from carecoord.fhir.registry import ResourceType

PUBLISHED = "2025-01-01"


def _software_version() -> str:
    try:
        return package_version("carecoord")
    except PackageNotFoundError:
        return "0"


def _resource(resource: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": resource.name,
        "interaction": [{"code": code} for code in resource.interactions],
        "versioning": "versioned-update" if resource.update and resource.vread else "versioned",
        "readHistory": resource.vread is not None,
        "updateCreate": False,
        "conditionalCreate": resource.conditional_create,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
    }
    if resource.search_params:
        entry["searchParam"] = [
            {
                "name": p.name,
                **({"definition": p.definition} if p.definition.startswith("http") else {}),
                "type": p.type,
                "documentation": p.documentation,
            }
            for p in resource.search_params
        ]
    if resource.includes:
        entry["searchInclude"] = list(resource.includes)
    documentation = resource.documentation
    if resource.name == "CodeSystem":
        documentation += " Published: " + ", ".join(s.url for s in CODE_SYSTEMS) + "."
    if resource.search:
        documentation += (
            " Search results are paged with _count (default 20, at most 100) and _offset; "
            f"_sort by {', '.join(resource.sorts) or 'default order only'}."
        )
    entry["documentation"] = documentation.strip()
    return entry


def capability_statement(request: FhirRequest, types: dict[str, ResourceType]) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "id": "carecoord",
        "url": f"{request.base}/metadata",
        "name": "CareCoordFhirServer",
        "title": "CareCoord FHIR R4 server",
        "status": "active",
        "experimental": False,
        "date": PUBLISHED,
        "publisher": "CareCoord",
        "kind": "instance",
        "software": {"name": "CareCoord", "version": _software_version()},
        "implementation": {"description": "CareCoord care coordination platform", "url": request.base},
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "JSON only. Errors are OperationOutcomes. Unknown search parameters are an error "
                "unless the request says Prefer: handling=lenient.",
                "security": {
                    "cors": False,
                    "description": "Send a bearer token from `carecoord token create USERNAME` as "
                    "Authorization: Bearer <token>. metadata and CodeSystem are public.",
                },
                "resource": [_resource(t) for t in types.values()],
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "Only to receive a community referral (Gravity SDOH Clinical Care IG): a "
                        "Bundle of one SDOHCC Task For Referral Management (requested, owned by an organization "
                        "here), its ServiceRequest and the Patient it is for, each POSTed.",
                    }
                ],
            }
        ],
    }
