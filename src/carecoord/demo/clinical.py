"""Clinical facts for the demo's enrolled people: problems, ED visits and hospital stays, labs and procedures.

Health Home members live with chronic conditions, and many used the hospital in the last year; their records
reach CareCoord from outside, so every write names its feed, as the real ones would: the problem list from the
primary care practice (FHIR), the network hospital's visits from its ADT feed (HL7 v2, with visit numbers),
other hospitals' visits, labs and procedures from a health information exchange (FHIR). Everything goes
through the clinical actions (validated and audited), labs in bulk with ``record_observations``.

Each story is drawn from a generator seeded with the person's Medicaid CIN (else Medicare MBI), so a rebuilt
demo tells the same stories; dates are counted back from today. The first person with a story always has a
high LACE after a long emergency stay, the second a stay without hemoglobin or sodium results (the chart shows
both as missing), so even a small demo shows them. People who already have clinical records are skipped: a
second run writes nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from carecoord.accounts.models import Organization
from carecoord.clinical.actions import (
    ConditionData,
    EncounterData,
    ObservationData,
    ProcedureData,
    Quantity,
    record_condition,
    record_encounter,
    record_observations,
    record_procedure,
)
from carecoord.clinical.models import ICD10CM, ICD10PCS, SNOMED, Condition, Encounter, RecordSource
from carecoord.demo.network import AGENCY_BRONX, AGENCY_BROOKLYN, HOSPITAL, Network
from carecoord.patients.models import AssignmentKind, IdentifierKind, Patient, PatientAssignment, PatientIdentifier

BATCH = 50
SHARE_WITH_PROBLEMS = 0.85  # of enrolled people
SHARE_WITH_HOSPITAL_USE = 0.4  # of those with problems

# (code, display): ICD-10-CM problem-list codes, grouped so a person's list hangs together.
CARDIOMETABOLIC = (
    ("I10", "Essential (primary) hypertension"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("E66.9", "Obesity, unspecified"),
    ("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris"),
    ("I73.9", "Peripheral vascular disease, unspecified"),
)
DIABETES = (
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
    ("E11.22", "Type 2 diabetes mellitus with diabetic chronic kidney disease"),
    ("E11.40", "Type 2 diabetes mellitus with diabetic neuropathy, unspecified"),
)
HEART_FAILURE = (
    ("I50.9", "Heart failure, unspecified"),
    ("I50.22", "Chronic systolic (congestive) heart failure"),
    ("I50.32", "Chronic diastolic (congestive) heart failure"),
)
KIDNEY = (
    ("N18.30", "Chronic kidney disease, stage 3 unspecified"),
    ("N18.4", "Chronic kidney disease, stage 4 (severe)"),
)
LUNG = (
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified"),
    ("J45.40", "Moderate persistent asthma, uncomplicated"),
)
BEHAVIORAL = (
    ("F33.1", "Major depressive disorder, recurrent, moderate"),
    ("F41.1", "Generalized anxiety disorder"),
    ("F20.9", "Schizophrenia, unspecified"),
    ("F31.9", "Bipolar disorder, unspecified"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
)
OTHER = (
    ("I25.2", "Old myocardial infarction"),
    ("I69.351", "Hemiplegia and hemiparesis following cerebral infarction affecting right dominant side"),
    ("G30.9", "Alzheimer's disease, unspecified"),
    ("M06.9", "Rheumatoid arthritis, unspecified"),
    ("K74.60", "Unspecified cirrhosis of liver"),
    ("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"),
    ("C50.911", "Malignant neoplasm of unspecified site of right female breast"),
)
# Problems some exchanges send in SNOMED CT (shown with their system on the chart).
SNOMED_INSTEAD = {
    "E11.9": ("44054006", "Diabetes mellitus type 2"),
    "J45.40": ("195967001", "Asthma"),
    "I10": ("59621000", "Essential hypertension"),
}
CANCER_CODES = frozenset({"C34.90", "C50.911"})

OTHER_HOSPITALS = ("Kings Harbor Hospital", "Bronx Riverside Hospital", "Queensview Medical Center")
SERVICES = ("medicine", "medicine", "medicine", "cardiology", "pulmonary", "psychiatry", "nephrology")
DISPOSITIONS = ("home", "home", "home", "home", "alt-home", "snf", "rehab")
ED_REASONS = (
    "Shortness of breath",
    "Chest pain",
    "Fall at home",
    "High blood sugar",
    "Suicidal thoughts",
    "Missed dialysis",
    "Abdominal pain",
    "Ran out of medicines",
    "Dizziness",
)
STAY_REASONS = {
    "medicine": ("Pneumonia", "Cellulitis of the leg", "Diabetic ketoacidosis", "Sepsis, urinary source"),
    "cardiology": ("Acute on chronic heart failure", "Chest pain, rule out heart attack", "Atrial fibrillation"),
    "pulmonary": ("COPD flare", "Asthma attack"),
    "psychiatry": ("Depression with suicidal thoughts", "Psychosis, stopped medicines"),
    "nephrology": ("Acute kidney injury", "Fluid overload, missed dialysis"),
    "oncology": ("Chemotherapy complications", "Neutropenic fever"),
}
PROCEDURES = (
    ("02HV33Z", "Insertion of infusion device into superior vena cava, percutaneous approach"),
    ("0DJ08ZZ", "Inspection of upper intestinal tract, via natural or artificial opening endoscopic"),
    ("5A1D70Z", "Performance of urinary filtration, intermittent, less than 6 hours per day"),
    ("0W993ZZ", "Drainage of right pleural cavity, percutaneous approach"),
)
HEMOGLOBIN = ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL")
SODIUM = ("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L")


@dataclass
class ClinicalSeedSummary:
    people: int = 0
    conditions: int = 0
    ed_visits: int = 0
    stays: int = 0
    observations: int = 0
    procedures: int = 0


@dataclass
class _Story:
    patient: Patient
    rng: random.Random
    hospital: Organization
    summary: ClinicalSeedSummary
    # "high": a long emergency stay after several ED visits; "missing": a stay without labs; "": drawn.
    showcase: str = ""


def _moment(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _problems(story: _Story) -> list[tuple[str, str]]:
    rng = story.rng
    chosen: list[tuple[str, str]] = []
    if story.showcase == "high" or rng.random() < 0.55:
        chosen += rng.sample(CARDIOMETABOLIC, rng.randint(1, 3))
        if story.showcase == "high" or rng.random() < 0.7:
            chosen.append(DIABETES[2] if story.showcase == "high" else rng.choice(DIABETES))
        if story.showcase == "high" or rng.random() < 0.3:
            chosen.append(rng.choice(HEART_FAILURE))
        if story.showcase == "high" or rng.random() < 0.2:
            chosen.append(KIDNEY[1] if story.showcase == "high" else rng.choice(KIDNEY))
    if rng.random() < 0.25:
        chosen.append(rng.choice(LUNG))
    if rng.random() < 0.55 or not chosen:
        chosen += rng.sample(BEHAVIORAL, rng.randint(1, 2))
    if rng.random() < 0.15:
        chosen.append(rng.choice(OTHER))
    return list(dict.fromkeys(chosen))


def _record_problems(story: _Story) -> list[Condition]:
    today = timezone.localdate()
    rows = []
    for code, display in _problems(story):
        onset = today - datetime.timedelta(days=story.rng.randint(200, 15 * 365))
        system, source = ICD10CM, RecordSource.FHIR
        if code in SNOMED_INSTEAD and story.rng.random() < 0.25:
            (code, display), system = SNOMED_INSTEAD[code], SNOMED
        rows.append(
            record_condition(
                patient=story.patient,
                data=ConditionData(
                    code_system=system,
                    code=code,
                    display=display,
                    onset_date=onset,
                    recorded_date=min(today, onset + datetime.timedelta(days=story.rng.randint(0, 90))),
                    source=source,
                ),
                by=None,
            )
        )
    story.summary.conditions += len(rows)
    return rows


def _visit_source(story: _Story, facility: str) -> tuple[str, str, Organization | None]:
    """(source, visit number, facility organization): the network hospital's ADT feed numbers its visits."""
    if facility == story.hospital.name:
        return RecordSource.HL7V2, f"V{story.rng.randint(10**7, 10**8 - 1)}", story.hospital
    return RecordSource.FHIR, "", None


def _ed_visit(
    story: _Story, start: datetime.datetime, facility: str, *, reason: str = "", hours: int | None = None
) -> Encounter:
    source, number, organization = _visit_source(story, facility)
    story.summary.ed_visits += 1
    return record_encounter(
        patient=story.patient,
        data=EncounterData(
            encounter_class="EMER",
            period_start=start,
            period_end=start + datetime.timedelta(hours=hours or story.rng.randint(3, 11)),
            priority="EM",
            facility_name=facility,
            facility_organization=organization,
            reason_text=reason or story.rng.choice(ED_REASONS),
            discharge_disposition="home",
            source=source,
            source_identifier=number,
        ),
        by=None,
    )


def _labs(story: _Story, stay: Encounter, *, days: int, omit: str) -> None:
    """Hemoglobin and sodium on admission and the morning of discharge (``omit``: "both", "sodium" or "")."""
    rng = story.rng
    anemic, low_sodium = rng.random() < 0.4, rng.random() < 0.3
    mornings = [stay.period_start + datetime.timedelta(hours=2)]
    if days > 0 and stay.period_end is not None:
        mornings.append(stay.period_end - datetime.timedelta(hours=5))
    rows = []
    for index, when in enumerate(mornings):
        last = index == len(mornings) - 1
        tests = [] if omit == "both" else [HEMOGLOBIN] if omit == "sodium" else [HEMOGLOBIN, SODIUM]
        for code, display, unit in tests:
            if code == HEMOGLOBIN[0]:
                value = Decimal(rng.randint(85, 119) if anemic and last else rng.randint(118, 152)) / 10
            else:
                value = Decimal(rng.randint(128, 134) if low_sodium and last else rng.randint(135, 143))
            rows.append(
                ObservationData(
                    code=code,
                    display=display,
                    value=Quantity(value, unit, unit),
                    categories=["laboratory"],
                    effective_at=when,
                    encounter=stay,
                    source=RecordSource.FHIR,
                )
            )
    record_observations(patient=story.patient, observations=rows, by=None)
    story.summary.observations += len(rows)


def _stay(
    story: _Story,
    admitted: datetime.datetime,
    *,
    days: int,
    facility: str,
    service: str,
    via_ed: bool,
    priority: str,
    labs: str = "",
    discharged: bool = True,
    procedure: bool | None = None,
) -> Encounter:
    rng = story.rng
    if via_ed:  # the visit that led to the admission ends as the person goes up to the ward
        waited = rng.randint(4, 9)
        _ed_visit(story, admitted - datetime.timedelta(hours=waited), facility, hours=waited - 1)
    source, number, organization = _visit_source(story, facility)
    end = None
    if discharged:
        end = _moment((admitted + datetime.timedelta(days=days)).date(), rng.randint(10, 15), rng.choice((0, 30)))
        end = max(end, admitted + datetime.timedelta(hours=6))
    stay = record_encounter(
        patient=story.patient,
        data=EncounterData(
            encounter_class="IMP",
            status="finished" if discharged else "in-progress",
            period_start=admitted,
            period_end=end,
            priority=priority,
            admit_source="emd" if via_ed else "",
            service=service,
            discharge_disposition=rng.choice(DISPOSITIONS) if discharged else "",
            facility_name=facility,
            facility_organization=organization,
            reason_text=rng.choice(STAY_REASONS[service]),
            source=source,
            source_identifier=number,
        ),
        by=None,
    )
    story.summary.stays += 1
    _labs(story, stay, days=days, omit=labs)
    if procedure if procedure is not None else rng.random() < 0.45:
        code, display = rng.choice(PROCEDURES)
        record_procedure(
            patient=story.patient,
            data=ProcedureData(
                code_system=ICD10PCS,
                code=code,
                display=display,
                performed_at=admitted + datetime.timedelta(hours=rng.randint(8, 30)),
                encounter=stay,
                source=RecordSource.FHIR,
            ),
            by=None,
        )
        story.summary.procedures += 1
    return stay


def _hospital_use(story: _Story, problems: list[Condition]) -> None:
    """ED visits and stays in the last year; the latest stay is the one the chart's scores are about."""
    rng = story.rng
    today = timezone.localdate()
    home_hospital = story.hospital.name if rng.random() < 0.7 else rng.choice(OTHER_HOSPITALS)

    def facility() -> str:
        return home_hospital if rng.random() < 0.8 else rng.choice(OTHER_HOSPITALS)

    if story.showcase == "high":
        # Three ED visits in the months before a 15-day emergency admission for heart failure.
        for back in (150, 95, 41):
            _ed_visit(
                story, _moment(today - datetime.timedelta(days=back), 21), home_hospital, reason="Shortness of breath"
            )
        admitted = _moment(today - datetime.timedelta(days=24), 23, 30)
        _stay(story, admitted, days=15, facility=home_hospital, service="cardiology", via_ed=True, priority="EM")
        return
    if story.showcase == "missing":
        admitted = _moment(today - datetime.timedelta(days=9), 16)
        _stay(story, admitted, days=4, facility=home_hospital, service="medicine", via_ed=True, priority="EM",
              labs="both", procedure=False)  # fmt: skip
        return
    cancer = any(c.code in CANCER_CODES for c in problems)
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
        _ed_visit(story, _moment(today - datetime.timedelta(days=rng.randint(5, 360)), rng.randint(0, 23)), facility())
    stays = rng.choice((0, 1, 1, 1, 2, 3))
    starts = sorted((rng.randint(3, 350) for _ in range(stays)), reverse=True)
    last_end = today - datetime.timedelta(days=400)
    for number, back in enumerate(starts):
        day = max(today - datetime.timedelta(days=back), last_end + datetime.timedelta(days=3))
        room = (today - day).days - 2  # discharged by the day before yesterday
        if room < 0:
            break
        days = min(rng.choice((0, 1, 2, 3, 3, 4, 5, 6, 8, 11, 16)), room)
        discharged = not (number == len(starts) - 1 and rng.random() < 0.06)
        via_ed = rng.random() < 0.65
        # A few feeds leave the priority out: without an ED visit the admission's acuity is not known.
        priority = "EM" if via_ed else rng.choice(("EL", "UR", "EL", ""))
        service = "oncology" if cancer and rng.random() < 0.6 else rng.choice(SERVICES)
        labs = "both" if rng.random() < 0.12 else ("sodium" if rng.random() < 0.1 else "")
        _stay(story, _moment(day, rng.randint(8, 22)), days=days, facility=facility(), service=service, via_ed=via_ed,
              priority=priority, labs=labs, discharged=discharged)  # fmt: skip
        last_end = day + datetime.timedelta(days=days)


def _story(story: _Story) -> None:
    problems = _record_problems(story)
    if story.showcase or story.rng.random() < SHARE_WITH_HOSPITAL_USE:
        _hospital_use(story, problems)


def seed_clinical(network: Network, *, progress: Callable[[int, int], None] | None = None) -> ClinicalSeedSummary:
    """Give a share of the enrolled demo people without clinical records their problems and hospital use."""
    summary = ClinicalSeedSummary()
    hospital = network.organization(HOSPITAL)
    agencies = [network.organization(key).pk for key in (AGENCY_BRONX, AGENCY_BROOKLYN)]
    recorded = set(Condition.objects.values_list("patient_id", flat=True).distinct()) | set(
        Encounter.objects.values_list("patient_id", flat=True).distinct()
    )
    keys = dict(
        PatientIdentifier.objects.filter(kind=IdentifierKind.MEDICARE_MBI).values_list("patient_id", "value")
    ) | dict(PatientIdentifier.objects.filter(kind=IdentifierKind.MEDICAID_CIN).values_list("patient_id", "value"))
    rows = list(
        PatientAssignment.objects.filter(
            organization_id__in=agencies, kind=AssignmentKind.ENROLLMENT, end_date__isnull=True
        )
        .select_related("patient")
        .order_by("patient__created_at", "patient_id")
    )
    chosen = [
        row.patient
        for row in rows
        if row.patient.active
        and not row.patient.deceased_date
        and random.Random(f"problems:{keys.get(row.patient_id, row.patient_id)}").random() < SHARE_WITH_PROBLEMS
    ]
    showcases = ["high", "missing"] if not recorded else []
    pending = [patient for patient in chosen if patient.pk not in recorded]
    for start in range(0, len(pending), BATCH):
        # One transaction per batch: far fewer commits than one per person (seed.py does the same).
        with transaction.atomic():
            for index, patient in enumerate(pending[start : start + BATCH], start=start + 1):
                story = _Story(
                    patient=patient,
                    rng=random.Random(f"clinical:{keys.get(patient.pk, patient.pk)}"),
                    hospital=hospital,
                    summary=summary,
                    showcase=showcases.pop(0) if showcases else "",
                )
                _story(story)
                summary.people += 1
                if progress is not None:
                    progress(index, len(pending))
    return summary
