"""FHIR Encounter from a clinical encounter (a hospital stay, an ED visit, an observation stay, an office visit).

- ``class``: the v3 ActCode stored (IMP, EMER, OBSENC, AMB, HH, VR); ``priority`` v3 ActPriority;
- ``identifier``: the feed's visit number (PV1-19), type VN, in our visit-number system;
- ``period``; ``hospitalization.admitSource`` and ``dischargeDisposition`` (FHIR's code systems);
- ``reasonCode``: the reason as text; ``diagnosis``: the encounter's diagnoses (not entered in error) as
  Condition references, in the order recorded (rank 1 first);
- ``serviceProvider``: the facility's Organization when known, else its name as a display; ``location`` the
  facility's name.
"""

from __future__ import annotations

from typing import Any

from carecoord.clinical.models import Condition, Encounter
from carecoord.fhir.mapping.codes import SNOMED, base_url, coding

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"


def visit_number_system() -> str:
    return f"{base_url()}/sid/visit-number"


def encounter_resource(encounter: Encounter, diagnoses: list[Condition] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.pk),
        "meta": {"lastUpdated": encounter.updated_at.isoformat()},
    }
    if encounter.source_identifier:
        resource["identifier"] = [
            {
                "use": "usual",
                "type": {"coding": [coding(IDENTIFIER_TYPE, "VN", "Visit number")]},
                "system": visit_number_system(),
                "value": encounter.source_identifier,
                **({"assigner": {"display": encounter.facility_name}} if encounter.facility_name else {}),
            }
        ]
    resource["status"] = encounter.status
    resource["class"] = coding(ACT_CODE, encounter.encounter_class, encounter.get_encounter_class_display())
    if encounter.type_code:
        resource["type"] = [{"coding": [coding(SNOMED, encounter.type_code, encounter.type_display)]}]
    if encounter.service:
        resource["serviceType"] = {"text": encounter.service}
    if encounter.priority:
        resource["priority"] = {"coding": [coding(ACT_PRIORITY, encounter.priority, encounter.get_priority_display())]}
    resource["subject"] = {"reference": f"Patient/{encounter.patient_id}"}
    period = {"start": encounter.period_start.isoformat()}
    if encounter.period_end is not None:
        period["end"] = encounter.period_end.isoformat()
    resource["period"] = period
    if encounter.reason_text:
        resource["reasonCode"] = [{"text": encounter.reason_text}]
    if diagnoses:
        resource["diagnosis"] = [
            {
                "condition": {"reference": f"Condition/{condition.pk}", "display": condition.display or condition.code},
                "use": {"coding": [coding(DIAGNOSIS_ROLE, "DD", "Discharge diagnosis")]}
                if encounter.period_end is not None
                else {"coding": [coding(DIAGNOSIS_ROLE, "AD", "Admission diagnosis")]},
                "rank": rank,
            }
            for rank, condition in enumerate(diagnoses, start=1)
        ]
    hospitalization: dict[str, Any] = {}
    if encounter.admit_source:
        hospitalization["admitSource"] = {
            "coding": [coding(ADMIT_SOURCE, encounter.admit_source, encounter.get_admit_source_display())]
        }
    if encounter.discharge_disposition:
        hospitalization["dischargeDisposition"] = {
            "coding": [
                coding(
                    DISCHARGE_DISPOSITION,
                    encounter.discharge_disposition,
                    encounter.get_discharge_disposition_display(),
                )
            ]
        }
    if hospitalization:
        resource["hospitalization"] = hospitalization
    if encounter.facility_name:
        resource["location"] = [{"location": {"display": encounter.facility_name}}]
    if encounter.facility_organization_id is not None:
        provider: dict[str, str] = {"reference": f"Organization/{encounter.facility_organization_id}"}
        if encounter.facility_name:
            provider["display"] = encounter.facility_name
        resource["serviceProvider"] = provider
    elif encounter.facility_name:
        resource["serviceProvider"] = {"display": encounter.facility_name}
    return resource
