"""What the server supports, type by type: the router dispatches from it and metadata describes it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from carecoord.fhir.exchange import FhirRequest, FhirResponse

TypeHandler = Callable[["FhirRequest"], "FhirResponse"]
InstanceHandler = Callable[["FhirRequest", str], "FhirResponse"]
VersionHandler = Callable[["FhirRequest", str, str], "FhirResponse"]


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR SearchParamType: string, token, date, reference, uri
    documentation: str
    definition: str = ""


@dataclass(frozen=True)
class ResourceType:
    """One FHIR resource type: the interactions it supports and its search parameters."""

    name: str
    read: InstanceHandler | None = None
    vread: VersionHandler | None = None
    history_instance: InstanceHandler | None = None
    search: TypeHandler | None = None
    create: TypeHandler | None = None
    update: InstanceHandler | None = None
    search_params: tuple[SearchParam, ...] = ()
    sorts: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()  # _include values offered, e.g. "CarePlan:goal"
    conditional_create: bool = False
    patch: bool = False  # JSON Patch applied to the resource as read, then handled as its update (fhir/patch.py)
    public: bool = False  # readable without a token (conformance resources)
    documentation: str = ""

    @property
    def interactions(self) -> list[str]:
        named = [
            ("read", self.read),
            ("vread", self.vread),
            ("update", self.update),
            ("patch", self.update if self.patch and self.read else None),
            ("history-instance", self.history_instance),
            ("create", self.create),
            ("search-type", self.search),
        ]
        return [code for code, handler in named if handler is not None]

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.search_params if p.name == name), None)


COMMON_PARAMS = (
    SearchParam("_id", "token", "Logical id of the resource"),
    SearchParam("_lastUpdated", "date", "When the resource last changed (prefixes eq, ne, lt, le, gt, ge, sa, eb)"),
)


def resource_types() -> dict[str, ResourceType]:
    """Every supported type, by name (imported lazily: interactions import the domain)."""
    from carecoord.fhir.interactions import (
        audit_event,
        care_plan,
        care_team,
        code_system,
        consent,
        document_reference,
        encounter,
        episode_of_care,
        goal,
        healthcare_service,
        location,
        observation,
        organization,
        patient,
        practitioner,
        practitioner_role,
        provenance,
        questionnaire,
        questionnaire_response,
        related_person,
        service_request,
        task,
    )

    types = [
        patient.RESOURCE,
        related_person.RESOURCE,
        organization.RESOURCE,
        healthcare_service.RESOURCE,
        location.RESOURCE,
        practitioner.RESOURCE,
        practitioner_role.RESOURCE,
        audit_event.RESOURCE,
        code_system.RESOURCE,
        episode_of_care.RESOURCE,
        consent.RESOURCE,
        care_team.RESOURCE,
        service_request.RESOURCE,
        questionnaire.RESOURCE,
        questionnaire_response.RESOURCE,
        observation.RESOURCE,
        encounter.RESOURCE,
        provenance.RESOURCE,
        document_reference.RESOURCE,
        care_plan.RESOURCE,
        goal.RESOURCE,
        task.RESOURCE,
    ]
    return {t.name: t for t in types}
