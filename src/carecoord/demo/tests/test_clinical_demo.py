"""The demo's clinical records: problems and hospital use for enrolled people, with risk scores that spread over
the bands, a high LACE and a stay whose labs are missing."""

from io import StringIO

import pytest
from django.core.management import call_command

from carecoord.clinical.access import risk_scores_for
from carecoord.clinical.models import Condition, Encounter, Observation
from carecoord.patients.models import Patient


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
def test_enrolled_people_get_problems_visits_and_scores_in_every_band():
    call_command("seed_demo", "--patients", "40", stdout=StringIO(), stderr=StringIO())
    enrolled = set(Patient.objects.filter(assignments__kind="enrollment").values_list("pk", flat=True))
    with_problems = set(Condition.objects.values_list("patient_id", flat=True))
    assert with_problems and with_problems <= enrolled
    assert Encounter.objects.filter(encounter_class="EMER").exists()
    assert Observation.objects.filter(code="718-7", encounter__encounter_class="IMP").exists()
    assert not Condition.objects.filter(source="manual").exists()  # every record names its feed

    stays = Patient.objects.filter(pk__in=Encounter.objects.filter(encounter_class="IMP").values("patient_id"))
    scores = [risk_scores_for(patient) for patient in stays]
    lace = [s.lace for s in scores if s.lace is not None]
    assert any(score.band == "high" for score in lace)
    missing = [s.hospital for s in scores if s.hospital is not None and not s.hospital.complete]
    assert any(c.key == "H" and c.points is None for score in missing for c in score.components)
    assert len({s.charlson.band for s in scores}) >= 2

    before = (Condition.objects.count(), Encounter.objects.count(), Observation.objects.count())
    call_command("seed_demo", "--patients", "40", stdout=StringIO(), stderr=StringIO())
    assert (Condition.objects.count(), Encounter.objects.count(), Observation.objects.count()) == before
