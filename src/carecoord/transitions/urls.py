"""Transitions of care under /transitions/."""

from django.urls import path

from carecoord.transitions import views

app_name = "transitions"
urlpatterns = [
    path("", views.transition_list, name="list"),
    path("<int:transition_id>/", views.detail, name="detail"),
    path("<int:transition_id>/contact/", views.contact, name="contact"),
    path("<int:transition_id>/medication/", views.medication, name="medication"),
    path("<int:transition_id>/visit/", views.visit, name="visit"),
    path("<int:transition_id>/complexity/", views.complexity, name="complexity"),
    path("<int:transition_id>/complete/", views.complete, name="complete"),
    path("<int:transition_id>/cancel/", views.cancel, name="cancel"),
]
