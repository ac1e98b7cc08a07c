"""Care plan fixtures: a person enrolled in a program with Alice as care manager, and a plan for them."""

from __future__ import annotations

import pytest
from django.utils import timezone

from carecoord.careplans.actions import start_care_plan
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import enroll
from carecoord.programs.models import Program
from carecoord.testing.factories import make_user


def enrolled(patient, program_code, *, by, care_manager=None):
    record_consent(
        patient=patient,
        data=ConsentData(form="DOH-5055", signed_on=timezone.localdate(), partners=[by.organization]),
        by=by,
    )
    return enroll(patient=patient, program=Program.objects.get(code=program_code), by=by, care_manager=care_manager)


@pytest.fixture
def carl_cm(agency):
    """A care manager without a license."""
    return make_user("carl_cm", role="care_manager", organization=agency, first_name="Carl", last_name="Ortiz")


@pytest.fixture
def enrollment(maria, alice_rn):
    return enrolled(maria, "ny-hh-adult", by=alice_rn, care_manager=alice_rn)


@pytest.fixture
def plan(maria, alice_rn, enrollment):
    return start_care_plan(patient=maria, enrollment=enrollment, by=alice_rn)
