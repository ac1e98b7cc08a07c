"""The supervisor's caseload pages under /caseload/."""

from django.urls import path

from carecoord.programs import caseload_views

app_name = "caseload"
urlpatterns = [
    path("", caseload_views.team, name="team"),
    path("assign/", caseload_views.assign, name="assign"),
    path("coverage/", caseload_views.coverage, name="coverage"),
    path("enrollments/<uuid:enrollment_id>/", caseload_views.choose, name="choose"),
    path("staff/<uuid:user_id>/", caseload_views.member, name="member"),
    path("staff/<uuid:user_id>/reassign/", caseload_views.reassign, name="reassign"),
]
