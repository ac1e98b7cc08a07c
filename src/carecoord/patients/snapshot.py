"""A person's whole record as one plain dict: stored per version, and what the FHIR mapping reads."""

from __future__ import annotations

from typing import Any

from carecoord.patients.models import Patient


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def snapshot_patient(patient: Patient) -> dict[str, Any]:
    return {
        "id": str(patient.pk),
        "version": patient.version,
        "updated_at": patient.updated_at.isoformat(),
        "active": patient.active,
        "family_name": patient.family_name,
        "given_names": patient.given_names,
        "name_prefix": patient.name_prefix,
        "name_suffix": patient.name_suffix,
        "preferred_name": patient.preferred_name,
        "birth_date": _date(patient.birth_date),
        "sex": patient.sex,
        "gender_identity": patient.gender_identity,
        "pronouns": patient.pronouns,
        "preferred_language": patient.preferred_language,
        "interpreter_needed": patient.interpreter_needed,
        "email": patient.email,
        "deceased_date": _date(patient.deceased_date),
        "primary_care_provider_id": str(patient.primary_care_provider_id or "") or None,
        "primary_care_organization_id": str(patient.primary_care_organization_id or "") or None,
        "identifiers": [
            {"kind": i.kind, "system": i.system, "value": i.value, "assigner_id": str(i.assigner_id or "") or None}
            for i in patient.identifiers.all()
        ],
        "addresses": [
            {
                "use": a.use,
                "line1": a.line1,
                "line2": a.line2,
                "city": a.city,
                "state": a.state,
                "postal_code": a.postal_code,
                "county": a.county,
                "start_date": _date(a.start_date),
                "end_date": _date(a.end_date),
            }
            for a in patient.addresses.all()
        ],
        "phones": [
            {"kind": p.kind, "number": p.number, "digits": p.digits, "text_consent": p.text_consent}
            for p in patient.phones.all()
        ],
        "coverages": [
            {
                "payer_name": c.payer_name,
                "payer_id": str(c.payer_id or "") or None,
                "plan_type": c.plan_type,
                "member_id": c.member_id,
                "start_date": _date(c.start_date),
                "end_date": _date(c.end_date),
            }
            for c in patient.coverages.all()
        ],
        "contacts": [
            {
                "id": str(c.pk),
                "name": c.name,
                "relationship": c.relationship,
                "phone": c.phone,
                "email": c.email,
                "is_caregiver": c.is_caregiver,
                "is_proxy": c.is_proxy,
                "is_emergency": c.is_emergency,
                "active": c.active,
            }
            for c in patient.contacts.all()
        ],
    }
