"""Community referrals under /referrals/."""

from django.urls import path

from carecoord.referrals import outcome_views, partner_views, views

app_name = "referrals"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("partners/", partner_views.partners, name="partners"),
    path("outcomes/", outcome_views.outcomes, name="outcomes"),
    path("outcomes.csv", outcome_views.outcomes_csv, name="outcomes_csv"),
    path("new/<uuid:patient_id>/", views.new, name="new"),
    path("link/<str:token>/", views.by_link, name="link"),
    path("<uuid:referral_id>/", views.detail, name="detail"),
    path("<uuid:referral_id>/status/", views.status, name="status"),
    path("<uuid:referral_id>/services/", views.activity, name="activity"),
    path("<uuid:referral_id>/links/", views.make_link, name="make_link"),
    path("<uuid:referral_id>/links/<uuid:link_id>/revoke/", views.revoke, name="revoke_link"),
]
