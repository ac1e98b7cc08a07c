"""Contacts under /contacts/."""

from django.urls import path

from carecoord.contacts import views

app_name = "contacts"
urlpatterns = [
    path("patients/<uuid:patient_id>/", views.log, name="log"),
    path("patients/<uuid:patient_id>/new/", views.new_contact, name="new"),
    path("patients/<uuid:patient_id>/time/", views.new_time, name="time"),
    path("patients/<uuid:patient_id>/timer/start/", views.timer_start, name="timer_start"),
    path("patients/<uuid:patient_id>/timer/cancel/", views.timer_cancel, name="timer_cancel"),
]
