"""FHIR Consent from a consent form, and a posted Consent read into ``ConsentData``.

- ``scope`` patient-privacy; ``category`` the form in ``{base}/CodeSystem/consent-form`` and LOINC 59284-0;
- ``status`` ours (active, rejected for a DOH-5059 opt-out, inactive once withdrawn or revoked);
- ``dateTime`` the day signed; ``performer`` who signed: the person (Patient), or the parent, guardian,
  representative or care manager by name; ``organization`` the organization that took the consent;
- ``policyRule`` v3-ActCode OPTIN, OPTOUT (DOH-5058, DOH-5059) or 42CFRPart2;
- ``provision``: deny for DOH-5058 and DOH-5059, otherwise permit; ``period`` from signature to withdrawal or
  expiry; one ``actor`` per current partner (role IRCP, information recipient); ``securityLabel`` the labels
  the consent releases (42CFRPart2, HIV);
- the 42 CFR Part 2 elements (§2.31(a)) travel in the extension ``{base}/StructureDefinition/part2-consent``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from carecoord.consents.models import Consent, ConsentForm, ConsentStatus, SignerKind
from carecoord.fhir.mapping.codes import LOINC, base_url, coding
from carecoord.fhir.mapping.labels import LABEL_DISPLAYS, V3_ACT_CODE

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PATIENT_CONSENT = coding(LOINC, "59284-0", "Patient Consent")
INFORMATION_RECIPIENT = coding(PARTICIPATION_TYPE, "IRCP", "information recipient")
DENYING_FORMS = frozenset({ConsentForm.DOH_5058, ConsentForm.DOH_5059})
POLICY_RULES: dict[str, tuple[str, str]] = {
    ConsentForm.DOH_5058: ("OPTOUT", "opt-out"),
    ConsentForm.DOH_5059: ("OPTOUT", "opt-out"),
    ConsentForm.PART_2: ("42CFRPart2", "42 CFR Part2"),
}
OPT_IN = ("OPTIN", "opt-in")
# Part 2 consent elements: (sub-extension url, model field, value type)
PART2_ELEMENTS = (
    ("recipients", "part2_recipients", "valueCode"),
    ("disclosingProgram", "part2_disclosing_program", "valueString"),
    ("information", "part2_information", "valueString"),
    ("purpose", "part2_purpose", "valueString"),
    ("expiration", "part2_expiration", "valueString"),
    ("revocationExplained", "revocation_explained", "valueBoolean"),
)


def form_system() -> str:
    return f"{base_url()}/CodeSystem/consent-form"


def part2_url() -> str:
    return f"{base_url()}/StructureDefinition/part2-consent"


def _performer(consent: Consent) -> dict[str, Any]:
    if consent.signer_kind == SignerKind.PERSON:
        return {"reference": f"Patient/{consent.patient_id}"}
    who = consent.signer_name or (str(consent.recorded_by) if consent.signer_kind == SignerKind.CARE_MANAGER else "")
    return {"display": f"{who} ({consent.get_signer_kind_display()})" if who else consent.get_signer_kind_display()}


def _period(consent: Consent) -> dict[str, str]:
    period = {"start": consent.signed_on.isoformat()}
    ends = [day for day in (consent.withdrawn_on, consent.expires_on) if day is not None]
    if ends:
        period["end"] = min(ends).isoformat()
    return period


def _current(partner: Any, today: datetime.date) -> bool:
    return bool(partner.added_on <= today and (partner.removed_on is None or partner.removed_on > today))


def consent_resource(consent: Consent) -> dict[str, Any]:
    """The FHIR Consent for ``consent`` (its partners prefetched with their organizations)."""
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(consent.pk),
        "meta": {"versionId": str(consent.version)},  # no lastUpdated: withdrawals change it after recording
    }
    if consent.form == ConsentForm.PART_2:
        resource["extension"] = [
            {
                "url": part2_url(),
                "extension": [
                    {"url": url, kind: getattr(consent, name)}
                    for url, name, kind in PART2_ELEMENTS
                    if getattr(consent, name) not in ("", None)
                ],
            }
        ]
    resource["status"] = consent.status
    resource["scope"] = {"coding": [coding(CONSENT_SCOPE, "patient-privacy", "Privacy Consent")]}
    resource["category"] = [
        {"coding": [coding(form_system(), consent.form, consent.get_form_display())]},
        {"coding": [PATIENT_CONSENT]},
    ]
    resource["patient"] = {"reference": f"Patient/{consent.patient_id}"}
    resource["dateTime"] = consent.signed_on.isoformat()
    resource["performer"] = [_performer(consent)]
    resource["organization"] = [
        {"reference": f"Organization/{consent.organization_id}", "display": consent.organization.name}
    ]
    rule = POLICY_RULES.get(consent.form, OPT_IN)
    resource["policyRule"] = {"coding": [coding(V3_ACT_CODE, *rule)]}
    provision: dict[str, Any] = {
        "type": "deny" if consent.form in DENYING_FORMS else "permit",
        "period": _period(consent),
    }
    today = timezone.localdate()
    actors = [
        {
            "role": {"coding": [INFORMATION_RECIPIENT]},
            "reference": {"reference": f"Organization/{p.organization_id}", "display": p.organization.name},
        }
        for p in consent.partners.all()
        if _current(p, today)
    ]
    if actors:
        provision["actor"] = actors
    if consent.released_labels:
        provision["securityLabel"] = [
            coding(V3_ACT_CODE, label, LABEL_DISPLAYS.get(label, "")) for label in consent.released_labels
        ]
    resource["provision"] = provision
    return resource


def status_for(form: str) -> str:
    """The status a consent of ``form`` is recorded with."""
    return ConsentStatus.REJECTED if form == ConsentForm.DOH_5059 else ConsentStatus.ACTIVE
