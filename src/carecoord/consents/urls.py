"""Consent pages under /consents/."""

from django.urls import path

from carecoord.consents import views

app_name = "consents"
urlpatterns = [
    path("patients/<uuid:patient_id>/", views.consent_list, name="list"),
    path("patients/<uuid:patient_id>/new/", views.record, name="new"),
    path("patients/<uuid:patient_id>/withdraw/", views.withdraw, name="withdraw"),
    path("patients/<uuid:patient_id>/opt-out/", views.opt_out, name="opt_out"),
    path("<uuid:consent_id>/", views.detail, name="detail"),
    path("<uuid:consent_id>/partners/add/", views.add_partner, name="add_partner"),
    path("<uuid:consent_id>/partners/<uuid:organization_id>/remove/", views.remove_partner, name="remove_partner"),
    path("<uuid:consent_id>/revoke/", views.revoke, name="revoke"),
]
