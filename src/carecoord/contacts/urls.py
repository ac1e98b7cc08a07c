"""Contacts under /contacts/."""

from django.urls import path

from carecoord.contacts import report_views, views

app_name = "contacts"
urlpatterns = [
    path("patients/<uuid:patient_id>/", views.log, name="log"),
    path("patients/<uuid:patient_id>/new/", views.new_contact, name="new"),
    path("patients/<uuid:patient_id>/time/", views.new_time, name="time"),
    path("patients/<uuid:patient_id>/timer/start/", views.timer_start, name="timer_start"),
    path("patients/<uuid:patient_id>/timer/cancel/", views.timer_cancel, name="timer_cancel"),
    path("billing/", report_views.billing, name="billing"),
    path("billing/report.csv", report_views.billing_csv, name="billing_csv"),
    path("billing/close/", report_views.billing_close, name="billing_close"),
    path("billing/reopen/", report_views.billing_reopen, name="billing_reopen"),
]
