"""The scoring tables of STANDARDS.md C.9-C.11 and the code lists behind the Charlson index, as data.

Everything a site may need to change is here, at module level, and the score functions take the [R] choices as
keyword arguments defaulting to these values:

- ``LACE_LOS_INCLUSIVE`` [R]: length of stay as discharge date minus admission date (False, the original
  van Walraven definition) or counting both the admission and the discharge day (True, Alberta's);
- ``CHARLSON_HIERARCHY`` [R]: a milder category is not counted when its severe form is present.

Point tables are ``(lower bound, points)`` pairs, highest first; bands are ``(lower bound, band)`` pairs,
lowest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from carecoord.clinical.models import AdmitPriority, AdmitSource, EncounterClass

# Bands ----------------------------------------------------------------------------------------------------------

LACE_BANDS: tuple[tuple[int, str], ...] = ((0, "low"), (5, "moderate"), (10, "high"))
HOSPITAL_BANDS: tuple[tuple[int, str], ...] = ((0, "low"), (5, "intermediate"), (7, "high"))
# Not in STANDARDS.md: the grouping commonly used with the Charlson index (0 none, 1-2 mild, 3-4 moderate, 5+
# severe). Shown with the score; nothing depends on it.
CHARLSON_BANDS: tuple[tuple[int, str], ...] = ((0, "none"), (1, "mild"), (3, "moderate"), (5, "severe"))

# LACE (C.9) -----------------------------------------------------------------------------------------------------

LACE_LOS_INCLUSIVE = False  # [R] see the module docstring
LACE_LOS_POINTS: tuple[tuple[int, int], ...] = ((14, 7), (7, 5), (4, 4), (3, 3), (2, 2), (1, 1), (0, 0))
LACE_ACUITY_POINTS = 3
LACE_COMORBIDITY_POINTS: tuple[tuple[int, int], ...] = ((4, 5), (3, 3), (2, 2), (1, 1), (0, 0))
LACE_ED_VISIT_POINTS: tuple[tuple[int, int], ...] = ((4, 4), (3, 3), (2, 2), (1, 1), (0, 0))
LACE_ED_LOOKBACK_MONTHS = 6

# Shared by LACE (acuity, ED visits) and HOSPITAL (index type) --------------------------------------------------

# Admission priorities that make a stay acute / urgent (non-elective), and those that make it planned.
ACUTE_PRIORITIES = frozenset({AdmitPriority.EMERGENCY, AdmitPriority.URGENT})
PLANNED_PRIORITIES = frozenset({AdmitPriority.ELECTIVE, AdmitPriority.ROUTINE})
ACUTE_ADMIT_SOURCES = frozenset({AdmitSource.EMERGENCY_DEPARTMENT})
ED_CLASSES = frozenset({EncounterClass.EMERGENCY})
INPATIENT_CLASSES = frozenset({EncounterClass.INPATIENT})
# An ED visit that ended (or, without an end, began) at most this many hours before the admission is the visit
# that led to it: it makes the admission acute and is not counted among the prior ED visits.
ED_LEADS_TO_ADMISSION_HOURS = 24

# HOSPITAL (C.11) ------------------------------------------------------------------------------------------------

HEMOGLOBIN_CODES = ("718-7",)  # Hemoglobin [Mass/volume] in Blood
SODIUM_CODES = ("2951-2", "2947-0")  # Sodium [Moles/volume] in Serum or Plasma; in Blood
HOSPITAL_HEMOGLOBIN_BELOW = Decimal("12")  # g/dL
HOSPITAL_HEMOGLOBIN_POINTS = 1
HOSPITAL_SODIUM_BELOW = Decimal("135")  # mmol/L
HOSPITAL_SODIUM_POINTS = 1
HOSPITAL_ONCOLOGY_POINTS = 2
HOSPITAL_PROCEDURE_POINTS = 1
HOSPITAL_INDEX_TYPE_POINTS = 1
HOSPITAL_ADMISSION_POINTS: tuple[tuple[int, int], ...] = ((6, 5), (2, 2), (0, 0))
HOSPITAL_ADMISSION_LOOKBACK_MONTHS = 12
HOSPITAL_LONG_STAY_DAYS = 5
HOSPITAL_LONG_STAY_POINTS = 2
# Values of Encounter.service that mean the person was discharged from an oncology service.
ONCOLOGY_SERVICES = frozenset(
    {
        "oncology",
        "onc",
        "hematology-oncology",
        "hem-onc",
        "medical-oncology",
        "surgical-oncology",
        "radiation-oncology",
        "gynecologic-oncology",
        "pediatric-oncology",
    }
)
# Units each laboratory value may come in, with the factor to the unit the table uses (g/dL; mmol/L).
HEMOGLOBIN_UNITS: dict[str, Decimal] = {"g/dL": Decimal(1), "g/dl": Decimal(1), "g/L": Decimal("0.1")}
SODIUM_UNITS: dict[str, Decimal] = {
    "mmol/L": Decimal(1),
    "mmol/l": Decimal(1),
    "meq/L": Decimal(1),
    "mEq/L": Decimal(1),
}

# Charlson (C.10) ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CharlsonCategory:
    key: str
    label: str
    weight: int


CHARLSON_CATEGORIES: tuple[CharlsonCategory, ...] = (
    CharlsonCategory("mi", "Myocardial infarction", 1),
    CharlsonCategory("chf", "Congestive heart failure", 1),
    CharlsonCategory("pvd", "Peripheral vascular disease", 1),
    CharlsonCategory("cvd", "Cerebrovascular disease", 1),
    CharlsonCategory("dementia", "Dementia", 1),
    CharlsonCategory("cpd", "Chronic pulmonary disease", 1),
    CharlsonCategory("rheumatic", "Connective tissue (rheumatologic) disease", 1),
    CharlsonCategory("pud", "Peptic ulcer disease", 1),
    CharlsonCategory("mild_liver", "Mild liver disease", 1),
    CharlsonCategory("diabetes", "Diabetes (uncomplicated)", 1),
    CharlsonCategory("hemiplegia", "Hemiplegia or paraplegia", 2),
    CharlsonCategory("renal", "Moderate or severe renal disease", 2),
    CharlsonCategory("diabetes_complicated", "Diabetes with end-organ damage", 2),
    CharlsonCategory("tumor", "Any tumor (non-metastatic solid)", 2),
    CharlsonCategory("leukemia", "Leukemia", 2),
    CharlsonCategory("lymphoma", "Lymphoma", 2),
    CharlsonCategory("severe_liver", "Moderate or severe liver disease", 3),
    CharlsonCategory("metastatic", "Metastatic solid tumor", 6),
    CharlsonCategory("aids", "AIDS", 6),
)
CHARLSON_BY_KEY = {category.key: category for category in CHARLSON_CATEGORIES}

CHARLSON_HIERARCHY = True  # [R] see the module docstring
# milder category -> the severe form that replaces it when both are present
CHARLSON_SUPERSEDED_BY: dict[str, str] = {
    "diabetes": "diabetes_complicated",
    "mild_liver": "severe_liver",
    "tumor": "metastatic",
}
# Age-adjusted index: points by age in years.
CHARLSON_AGE_POINTS: tuple[tuple[int, int], ...] = ((80, 4), (70, 3), (60, 2), (50, 1), (0, 0))


def _diabetes(subcodes: str) -> tuple[str, ...]:
    """E08-E14 with the fourth characters given: ICD-10-CM's diabetes blocks (E08, E09, E13 are CM's additions
    to Quan's E10-E14; E12 and E14 exist only in WHO ICD-10 and cost nothing here)."""
    return tuple(f"E{block:02d}.{digit}" for block in range(8, 15) for digit in subcodes)


# ICD-10 prefixes per category: Quan et al. 2005 (Med Care 43:1130), the Charlson column of its ICD-10 coding
# algorithm. "A-B" is an inclusive range of codes of the same length; a prefix covers every code below it.
# Quan's "any malignancy" is split into the solid tumor, leukemia and lymphoma lines of C.10 (myeloma, C90,
# goes with lymphoma as in Deyo's adaptation); C7A/C7B are ICD-10-CM's neuroendocrine tumor blocks.
CHARLSON_ICD10: dict[str, tuple[str, ...]] = {
    "mi": ("I21", "I22", "I25.2"),
    "chf": ("I09.9", "I11.0", "I13.0", "I13.2", "I25.5", "I42.0", "I42.5-I42.9", "I43", "I50", "P29.0"),
    "pvd": (
        "I70", "I71", "I73.1", "I73.8", "I73.9", "I77.1", "I79.0", "I79.2", "K55.1", "K55.8", "K55.9", "Z95.8",
        "Z95.9",
    ),
    "cvd": ("G45", "G46", "H34.0", "I60-I69"),
    "dementia": ("F00-F03", "F05.1", "G30", "G31.1"),
    "cpd": ("I27.8", "I27.9", "J40-J47", "J60-J67", "J68.4", "J70.1", "J70.3"),
    "rheumatic": ("M05", "M06", "M31.5", "M32-M34", "M35.1", "M35.3", "M36.0"),
    "pud": ("K25-K28",),
    "mild_liver": (
        "B18", "K70.0-K70.3", "K70.9", "K71.3-K71.5", "K71.7", "K73", "K74", "K76.0", "K76.2-K76.4", "K76.8",
        "K76.9", "Z94.4",
    ),
    "diabetes": _diabetes("01689"),
    "diabetes_complicated": _diabetes("23457"),
    "hemiplegia": ("G04.1", "G11.4", "G80.1", "G80.2", "G81", "G82", "G83.0-G83.4", "G83.9"),
    "renal": (
        "I12.0", "I13.1", "N03.2-N03.7", "N05.2-N05.7", "N18", "N19", "N25.0", "Z49.0-Z49.2", "Z94.0", "Z99.2",
    ),
    "tumor": ("C00-C26", "C30-C34", "C37-C41", "C43", "C45-C58", "C60-C76", "C97", "C7A"),
    "leukemia": ("C91-C95",),
    "lymphoma": ("C81-C85", "C88", "C90", "C96"),
    "severe_liver": ("I85.0", "I85.9", "I86.4", "I98.2", "K70.4", "K71.1", "K72.1", "K72.9", "K76.5-K76.7"),
    "metastatic": ("C77-C80", "C7B"),
    "aids": ("B20-B22", "B24"),
}  # fmt: skip

# SNOMED CT concepts per category. CareCoord has no terminology server, so this is a list of concepts, not a
# subsumption query: the codes Synthea writes (marked S: seen in ../shared/data's Synthea records) and common
# siblings. Chronic kidney disease of any stage counts as renal disease, as Quan's N18 does. Carcinoma in situ
# and "suspected" cancers do not count (Quan has no D0x codes); "Neoplasm of prostate" is Synthea's prostate
# cancer diagnosis and counts as a tumor.
CHARLSON_SNOMED: dict[str, str] = {
    # myocardial infarction
    "22298006": "mi",  # S Myocardial infarction
    "399211009": "mi",  # S History of myocardial infarction (Quan: I25.2 old MI)
    "401303003": "mi",  # Acute ST segment elevation myocardial infarction
    "401314000": "mi",  # Acute non-ST segment elevation myocardial infarction
    # congestive heart failure
    "88805009": "chf",  # S Chronic congestive heart failure
    "84114007": "chf",  # Heart failure
    "42343007": "chf",  # Congestive heart failure
    "85232009": "chf",  # Left heart failure
    "703272007": "chf",  # Heart failure with reduced ejection fraction
    "446221000": "chf",  # Heart failure with normal ejection fraction
    # peripheral vascular disease
    "400047006": "pvd",  # Peripheral vascular disease
    "840580004": "pvd",  # Peripheral arterial disease
    # cerebrovascular disease
    "230690007": "cvd",  # S Stroke (cerebrovascular accident)
    "422504002": "cvd",  # Ischemic stroke
    "266257000": "cvd",  # Transient ischemic attack
    # dementia
    "26929004": "dementia",  # S Alzheimer's disease
    "230265002": "dementia",  # Familial Alzheimer's disease of early onset
    "52448006": "dementia",  # Dementia
    "429998004": "dementia",  # Vascular dementia
    # chronic pulmonary disease (Quan includes asthma, J45)
    "13645005": "cpd",  # Chronic obstructive lung disease
    "87433001": "cpd",  # S Pulmonary emphysema
    "185086009": "cpd",  # S Chronic obstructive bronchitis
    "63480004": "cpd",  # Chronic bronchitis
    "195967001": "cpd",  # Asthma
    "233678006": "cpd",  # S Childhood asthma
    # connective tissue disease
    "69896004": "rheumatic",  # S Rheumatoid arthritis
    "55464009": "rheumatic",  # Systemic lupus erythematosus
    # peptic ulcer
    "13200003": "pud",  # Peptic ulcer
    # liver
    "128302006": "mild_liver",  # Chronic hepatitis C
    "61977001": "mild_liver",  # Chronic type B viral hepatitis
    "19943007": "mild_liver",  # Cirrhosis of liver (Quan: K74 is mild)
    "59927004": "severe_liver",  # Hepatic failure
    "28670008": "severe_liver",  # Esophageal varices
    # diabetes
    "44054006": "diabetes",  # S Diabetes mellitus type 2
    "46635009": "diabetes",  # Diabetes mellitus type 1
    "73211009": "diabetes",  # Diabetes mellitus
    "368581000119106": "diabetes_complicated",  # S Neuropathy due to type 2 diabetes mellitus
    "127013003": "diabetes_complicated",  # S Disorder of kidney due to diabetes mellitus
    "90781000119102": "diabetes_complicated",  # S Microalbuminuria due to type 2 diabetes mellitus
    "157141000119108": "diabetes_complicated",  # S Proteinuria due to type 2 diabetes mellitus
    "422034002": "diabetes_complicated",  # Retinopathy due to type 2 diabetes mellitus
    "1551000119108": "diabetes_complicated",  # Nonproliferative retinopathy due to type 2 diabetes mellitus
    # hemiplegia / paraplegia
    "698754002": "hemiplegia",  # S Chronic paralysis due to lesion of spinal cord
    "50582007": "hemiplegia",  # Hemiplegia
    "60389000": "hemiplegia",  # Paraplegia
    # renal disease
    "46177005": "renal",  # S End-stage renal disease
    "431855005": "renal",  # S Chronic kidney disease stage 1
    "431856006": "renal",  # S Chronic kidney disease stage 2
    "433144002": "renal",  # S Chronic kidney disease stage 3
    "431857002": "renal",  # S Chronic kidney disease stage 4
    "433146000": "renal",  # Chronic kidney disease stage 5
    "709044004": "renal",  # Chronic kidney disease
    "161665007": "renal",  # S History of renal transplant (Quan: Z94.0)
    # solid tumors
    "254637007": "tumor",  # S Non-small cell lung cancer
    "424132000": "tumor",  # S Non-small cell carcinoma of lung, TNM stage 1
    "254632001": "tumor",  # Small cell carcinoma of lung
    "363406005": "tumor",  # S Malignant tumor of colon
    "93761005": "tumor",  # Primary malignant neoplasm of colon
    "126906006": "tumor",  # S Neoplasm of prostate (Synthea's prostate cancer)
    "254837009": "tumor",  # S Malignant neoplasm of breast
    # leukemia, lymphoma
    "93143009": "leukemia",  # Leukemia
    "91861009": "leukemia",  # Acute myeloid leukemia
    "118600007": "lymphoma",  # Malignant lymphoma
    # metastatic solid tumor
    "314994000": "metastatic",  # S Metastasis from malignant tumor of prostate
    "128462008": "metastatic",  # Secondary malignant neoplastic disease
    # AIDS (not HIV infection alone)
    "62479008": "aids",  # Acquired immune deficiency syndrome
}
