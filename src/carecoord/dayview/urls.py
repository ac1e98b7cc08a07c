"""The care manager's day under /today/."""

from django.urls import path

from carecoord.dayview import views

app_name = "dayview"
urlpatterns = [
    path("", views.day, name="day"),
    path("counts/", views.counts, name="counts"),
]
