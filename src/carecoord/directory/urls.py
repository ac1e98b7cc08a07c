"""The community resource directory under /directory/."""

from django.urls import path

from carecoord.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.search, name="search"),
    path("services/<int:service_id>/", views.service_detail, name="service"),
]
