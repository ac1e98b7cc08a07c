"""Properties of the scoring machinery, whatever the inputs (no database)."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from carecoord.clinical.risk import categories_of
from carecoord.clinical.risk.result import Component, RiskScore, band_for, points_for
from carecoord.clinical.risk.tables import HOSPITAL_BANDS, LACE_BANDS, LACE_LOS_POINTS

ICD = "http://hl7.org/fhir/sid/icd-10-cm"

components = st.lists(
    st.builds(
        lambda points, spare, known: Component("x", "x", None, points if known else None, points + spare),
        st.integers(0, 7),
        st.integers(0, 3),
        st.booleans(),
    ),
    max_size=8,
)


@given(components, st.sampled_from([LACE_BANDS, HOSPITAL_BANDS]))
def test_a_band_is_given_only_when_the_unknowns_cannot_change_it(parts, bands):
    score = RiskScore("T", "Encounter/1", datetime.date(2025, 1, 1), tuple(parts), bands)
    assert score.total <= score.highest
    assert score.complete == all(c.known for c in parts)
    if score.complete:
        assert score.total == score.highest and score.band == band_for(score.total, bands)
    if score.band is not None:
        assert all(band_for(total, bands) == score.band for total in range(score.total, score.highest + 1))
    else:
        assert band_for(score.total, bands) != band_for(score.highest, bands)


@given(st.integers(0, 400))
def test_length_of_stay_points_never_fall_as_the_stay_grows(days):
    assert points_for(days, LACE_LOS_POINTS) <= points_for(days + 1, LACE_LOS_POINTS) <= 7


@given(st.sampled_from(["C77", "C78", "C79", "C80"]), st.text("0123456789", max_size=3))
def test_every_secondary_malignancy_code_is_metastatic(block, rest):
    code = block + ("." + rest if rest else "")
    assert categories_of(ICD, code) == {"metastatic"}


@given(st.from_regex(r"\A[LRS][0-9]{2}(\.[0-9]{1,3})?\Z"))
def test_skin_musculoskeletal_injury_and_symptom_chapters_score_nothing(code):
    """R (symptoms) and S (injuries) are outside the index; L (skin) too."""
    assert categories_of(ICD, code) == set()
