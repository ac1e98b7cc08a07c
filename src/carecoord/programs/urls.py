"""Program pages under /programs/: referral inbox, enrollment board, and the chart's program actions."""

from django.urls import path

from carecoord.programs import import_views, views

app_name = "programs"
urlpatterns = [
    path("referrals/", views.referral_inbox, name="referrals"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral"),
    path("referrals/<uuid:referral_id>/accept/", views.referral_accept, name="referral_accept"),
    path("referrals/<uuid:referral_id>/reject/", views.referral_reject, name="referral_reject"),
    path("board/", views.board, name="board"),
    path("imports/", import_views.upload, name="import"),
    path("patients/<uuid:patient_id>/", views.programs_section, name="section"),
    path("patients/<uuid:patient_id>/refer/", views.refer, name="refer"),
    path("patients/<uuid:patient_id>/outreach/", views.log_attempt, name="log_attempt"),
    path("patients/<uuid:patient_id>/outreach/claim/", views.claim_month, name="claim_month"),
    path("patients/<uuid:patient_id>/enroll/", views.enroll, name="enroll"),
    path("enrollments/<uuid:enrollment_id>/end/", views.end_enrollment, name="end_enrollment"),
]
