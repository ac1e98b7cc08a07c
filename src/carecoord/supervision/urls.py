"""The supervisor's pages under /team/."""

from django.urls import path

from carecoord.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.team, name="team"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/reassign/", views.reassign, name="reassign"),
    path("productivity/", views.productivity, name="productivity"),
    path("productivity.csv", views.productivity_csv, name="productivity_csv"),
]
