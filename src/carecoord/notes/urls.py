"""Progress notes under /notes/."""

from django.urls import path

from carecoord.notes import views

app_name = "notes"
urlpatterns = [
    path("cosign/", views.queue, name="queue"),
    path("patients/<uuid:patient_id>/", views.patient_notes, name="list"),
    path("patients/<uuid:patient_id>/new/", views.new_note, name="new"),
    path("<uuid:note_id>/", views.detail, name="detail"),
    path("<uuid:note_id>/save/", views.save, name="save"),
    path("<uuid:note_id>/addenda/", views.addendum, name="addendum"),
    path("<uuid:note_id>/cosign/", views.cosign, name="cosign"),
    path("<uuid:note_id>/return/", views.return_to_author, name="return"),
    path("<uuid:note_id>/error/", views.in_error, name="error"),
]
