"""The demo's current day: a care manager's day view shows safety, hospital events, tasks and more, not only
overdue screenings; a second run writes nothing."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from carecoord.accounts.models import User
from carecoord.assessments.models import QuestionnaireResponse, SafetyFlag
from carecoord.audit.models import AuditRecord
from carecoord.careplans.models import CarePlan
from carecoord.contacts.models import Contact
from carecoord.dayview.access import access_day
from carecoord.notes.models import ProgressNote
from carecoord.tasks.models import Task
from carecoord.transitions.models import AdtMessage, Transition

COUNTED = (
    QuestionnaireResponse,
    SafetyFlag,
    Task,
    AdtMessage,
    Transition,
    CarePlan,
    Contact,
    ProgressNote,
    AuditRecord,
)


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(patients: int = 60) -> str:
    out = StringIO()
    call_command("seed_demo", "--patients", str(patients), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_the_care_managers_day_has_many_kinds_of_work_and_a_second_run_adds_nothing():
    seed()
    day = access_day(User.objects.get(username="alicia_rn"))
    kinds = Counter(ranked.row.kind for ranked in day.rows)
    assert len(kinds) >= 5, kinds
    assert kinds["safety"] >= 1 and kinds["transitions"] >= 1 and kinds["tasks"] >= 1
    assert kinds["screening"] * 2 < sum(kinds.values()), kinds

    assert 2 <= SafetyFlag.objects.count() <= 3
    assert Transition.objects.filter(status="open").count() >= 2
    assert set(AdtMessage.objects.values_list("status", flat=True)) == {"processed"}
    histories = Counter(
        QuestionnaireResponse.objects.filter(questionnaire__url="http://loinc.org/q/44249-1").values_list(
            "patient_id", flat=True
        )
    )
    assert max(histories.values()) >= 3
    assert CarePlan.objects.filter(status="active").count() >= 10
    assert Contact.objects.exists()
    assert ProgressNote.objects.filter(cosign_required=True, cosigned_at__isnull=True).count() == 1

    before = {model.__name__: model.objects.count() for model in COUNTED}
    seed()
    assert {model.__name__: model.objects.count() for model in COUNTED} == before


@pytest.mark.django_db
def test_the_demo_has_partners_and_community_referrals_in_several_states():
    from carecoord.referrals.access import list_partner_inbox
    from carecoord.referrals.models import PartnerOrganization, Referral

    out = seed()
    assert "5 community referrals" in out
    assert PartnerOrganization.objects.count() == 3
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert statuses == {"requested": 2, "in-progress": 1, "completed": 1, "rejected": 1}, statuses
    carmen = User.objects.get(username="carmen_pantry")
    assert len(list_partner_inbox(carmen, "all")) == 3
    before = AuditRecord.objects.count()
    seed()
    assert Referral.objects.count() == 5 and AuditRecord.objects.count() == before
