"""The chart's clinical section over HTTP: problems, hospital and ED visits, and LACE / HOSPITAL / Charlson with
the explanation of each component; missing data shown as missing; outsiders refused; every read audited."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from carecoord.audit.models import AuditRecord
from carecoord.clinical.tests.builders import NEW_YORK, condition, ed_visit, lab, procedure, stay
from carecoord.common.errors import AccessDenied
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def alice_client(client, alice_rn):
    return signed_in(client, alice_rn)


def _admitted() -> datetime.datetime:
    """Twenty days ago at 14:00 New York time: a stay discharged two weeks ago."""
    day = timezone.localdate() - 20 * DAY
    return datetime.datetime(day.year, day.month, day.day, 14, 0, tzinfo=NEW_YORK)


def _history(patient, by, *, sodium: bool = True):
    """CHF, diabetes with kidney disease, CKD 4 and COPD (Charlson 6); two ED visits in the months before an
    emergency 5-day stay with a procedure and low hemoglobin and sodium; one earlier admission."""
    condition(patient, by, "I50.9", display="Heart failure, unspecified")
    condition(patient, by, "E11.22", display="Type 2 diabetes mellitus with diabetic chronic kidney disease")
    condition(patient, by, "N18.4", display="Chronic kidney disease, stage 4 (severe)")
    condition(patient, by, "J44.9", display="Chronic obstructive pulmonary disease, unspecified")
    admitted = _admitted()
    stay(patient, by, days=3, start=admitted - 150 * DAY, facility_name="Eastbridge Medical Center")
    ed_visit(patient, by, start=admitted - 90 * DAY, facility_name="Eastbridge Medical Center", reason_text="Dyspnea")
    ed_visit(patient, by, start=admitted - 40 * DAY, facility_name="Kings Harbor Hospital", reason_text="Chest pain")
    index = stay(
        patient,
        by,
        days=5,
        start=admitted,
        priority="EM",
        service="medicine",
        facility_name="Eastbridge Medical Center",
        discharge_disposition="home",
        reason_text="Acute on chronic heart failure",
    )
    lab(patient, by, "718-7", "10.9", "g/dL", when=admitted + 4 * DAY)
    if sodium:
        lab(patient, by, "2951-2", "131", "mmol/L", when=admitted + 4 * DAY)
    procedure(patient, by, when=admitted + DAY, code="02HV33Z", encounter=index)
    return index


def _row(page: str, label: str) -> str:
    """The explanation row of a component, as HTML."""
    start = page.index(f'<th scope="row">{label}')
    return page[start : page.index("</tr>", start)]


def _card(page: str, slug: str) -> str:
    start = page.index(f'id="risk-{slug}"')
    return page[start : page.index("</article>", start)]


def test_chart_shows_problems_visits_and_scores_that_explain_themselves(alice_client, maria, alice_rn):
    _history(maria, alice_rn)
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    assert 'id="clinical"' in page

    # Active problems, with the code and its system said plainly.
    assert "Heart failure, unspecified" in page and 'ICD-10-CM</span> <span class="mono">I50.9' in page
    assert "Chronic obstructive pulmonary disease, unspecified" in page
    # Hospital and ED visits with facility, dates, length and disposition.
    visits = page[page.index('id="clinical-visits"') :]
    assert "Hospital stay" in visits and "ED visit" in visits and "Kings Harbor Hospital" in visits
    assert "5 days" in visits and "Home" in visits and "Acute on chronic heart failure" in visits

    # LACE: L 5 days -> 4, A emergency -> 3, C Charlson 6 -> 5, E 2 ED visits -> 2 = 14, high.
    lace = _card(page, "lace")
    assert '<span class="risk-number">14</span> <span class="muted">of 19</span>' in lace
    assert "⚠ High risk" in lace
    assert "<strong>4</strong> of 7" in _row(lace, "Length of stay")
    assert "<strong>3</strong> of 3" in _row(lace, "Acuity of admission")
    assert "<strong>5</strong> of 5" in _row(lace, "Comorbidity (Charlson index)")
    ed = _row(lace, "ED visits in the previous 6 months")
    assert "2 visits" in ed and "<strong>2</strong> of 4" in ed and "Kings Harbor Hospital" in ed
    assert "Encounter/" not in page  # references are named in words, not as record ids

    # HOSPITAL: H 1, O 0, S 1, P 1, IT 1, A 0 (one earlier admission), L 2 = 6, intermediate.
    hospital = _card(page, "hospital")
    assert '<span class="risk-number">6</span> <span class="muted">of 13</span>' in hospital
    assert "▲ Intermediate risk" in hospital
    hemoglobin = _row(hospital, "Hemoglobin at discharge")
    assert "10.9 g/dL" in hemoglobin and "<strong>1</strong> of 1" in hemoglobin and "a laboratory result" in hemoglobin
    assert "02HV33Z" in _row(hospital, "Procedure during the stay")
    assert "1 admission" in _row(hospital, "Admissions in the previous 12 months")

    # Charlson: CHF 1 + diabetes with end-organ damage 2 + renal 2 + COPD 1 = 6, with the conditions named.
    charlson = _card(page, "charlson")
    assert '<span class="risk-number">6</span>' in charlson and "⚠ Severe comorbidity" in charlson
    renal = _row(charlson, "Moderate or severe renal disease")
    assert "N18.4" in renal and "<strong>2</strong> of 2" in renal and "Chronic kidney disease, stage 4" in renal
    assert "Estimated 10-year survival 2%" in charlson
    assert "No condition coded for the other 15 categories" in charlson
    assert "<details" in lace and "How this is counted" in lace


def test_a_missing_lab_is_shown_as_missing_not_zero(alice_client, maria, alice_rn):
    _history(maria, alice_rn, sodium=False)
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    hospital = _card(page, "hospital")
    sodium = _row(hospital, "Sodium at discharge")
    assert "? Not recorded" in sodium and "? of 1" in sodium
    assert "<strong>0</strong>" not in sodium
    assert "No sodium result recorded during the stay" in hospital
    assert '<span class="risk-atleast">at least</span> 5</span>' in hospital
    assert "The total is at least 5" in hospital
    # 5 or 6 are both intermediate: the band is known even though the total is not.
    assert "▲ Intermediate risk" in hospital and "Band not known" not in hospital


def test_a_band_the_missing_data_could_change_is_not_given(alice_client, maria, alice_rn):
    index = stay(maria, alice_rn, days=2, start=_admitted(), priority="EL", service="medicine")
    procedure(maria, alice_rn, when=_admitted() + DAY, encounter=index)
    lab(maria, alice_rn, "2951-2", "140", "mmol/L", when=_admitted() + DAY)
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    hospital = _card(page, "hospital")
    # Known: P 1, everything else 0; hemoglobin unknown. 1 or 2: low either way.
    assert "● Low risk" in hospital and "No hemoglobin result recorded during the stay" in hospital
    lace = _card(page, "lace")
    assert '<span class="risk-number">2</span> <span class="muted">of 19</span>' in lace  # 2-day elective stay


def test_without_a_stay_only_charlson_is_shown(alice_client, maria, alice_rn):
    condition(maria, alice_rn, "E11.9", display="Type 2 diabetes mellitus without complications")
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    assert "No hospital discharge on record" in page
    assert 'id="risk-lace"' not in page and 'id="risk-hospital"' not in page
    charlson = _card(page, "charlson")
    assert '<span class="risk-number">1</span>' in charlson and "● Mild comorbidity" in charlson
    assert "No hospital stay or ED visit in the last 12 months." in page


def test_an_empty_record_says_so(alice_client, maria):
    page = alice_client.get(f"/patients/{maria.pk}/").content.decode()
    assert "No active problems on record." in page
    charlson = _card(page, "charlson")
    assert '<span class="risk-number">0</span>' in charlson and "No comorbidity coded" in charlson


def test_a_user_of_an_unrelated_organization_gets_the_access_denied_page(client, maria, alice_rn, eve_outsider):
    _history(maria, alice_rn)
    response = signed_in(client, eve_outsider).get(f"/patients/{maria.pk}/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Heart failure" not in page and 'id="clinical"' not in page and "LACE" not in page
    reads = AuditRecord.objects.filter(username="eve_outsider", object_type__in=["Condition", "RiskAssessment"])
    assert not reads.exists()  # refused at the chart: the clinical reads never ran


def test_every_clinical_read_is_audited(alice_client, maria, alice_rn):
    _history(maria, alice_rn)
    before = AuditRecord.objects.count()
    alice_client.get(f"/patients/{maria.pk}/")
    reads = AuditRecord.objects.filter(pk__gt=AuditRecord.objects.order_by("pk")[before - 1].pk, username="alice_rn")
    seen = {(r.object_type, r.action, r.outcome) for r in reads if r.patient_id == maria.pk}
    assert {
        ("Condition", "search", "success"),
        ("Encounter", "search", "success"),
        ("RiskAssessment", "read", "success"),
    } <= seen


def test_a_role_refused_the_clinical_part_sees_a_note_not_an_error(alice_client, maria, alice_rn, monkeypatch):
    condition(maria, alice_rn, "I50.9", display="Heart failure, unspecified")

    def refuse(*args, **kwargs):
        raise AccessDenied("your role does not include clinical records.")

    monkeypatch.setattr("carecoord.clinical.templatetags.clinical_chart.access_conditions", refuse)
    response = alice_client.get(f"/patients/{maria.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Clinical information is not shown: your role does not include clinical records." in page
    assert "Heart failure" not in page
    assert re.search(r'id="s-clinical"', page)
