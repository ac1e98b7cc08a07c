"""Pages that list the organization's people (board, caseloads) write one audit record naming who was shown."""

from __future__ import annotations

from carecoord.audit.models import AuditRecord
from carecoord.consents.actions import ConsentData, record_consent
from carecoord.programs.actions import enroll
from carecoord.programs.models import Program
from carecoord.web.testing import plain_static_files, signed_in  # noqa: F401


def test_board_and_waiting_list_are_audited(client, maria, alice_rn, sam_supervisor):
    import datetime

    record_consent(
        patient=maria,
        data=ConsentData(form="DOH-5055", signed_on=datetime.date.today(), partners=[alice_rn.organization]),
        by=alice_rn,
    )
    enroll(patient=maria, program=Program.objects.get(code="ny-hh-adult"), by=alice_rn)
    assert signed_in(client, alice_rn).get("/programs/board/").status_code == 200
    board = AuditRecord.objects.filter(object_type="EnrollmentBoard").last()
    assert board.action == "search" and board.detail["results"] == [str(maria.pk)]
    assert signed_in(client, sam_supervisor).get("/caseload/").status_code == 200
    waiting = AuditRecord.objects.filter(object_type="Caseload").last()
    assert waiting.username == "sam_supervisor" and waiting.detail["results"] == [str(maria.pk)]
