"""The chart's care team panel under /careteams/<person>/."""

from django.urls import path

from carecoord.careteams import views

app_name = "careteams"
urlpatterns = [
    path("<uuid:patient_id>/", views.panel, name="panel"),
    path("<uuid:patient_id>/add/", views.add, name="add"),
    path("<uuid:patient_id>/staff-options/", views.staff_options, name="staff_options"),
    path("<uuid:patient_id>/members/<int:member_id>/end/", views.end, name="end"),
]
