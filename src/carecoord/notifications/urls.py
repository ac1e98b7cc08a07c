"""Notifications under /notifications/."""

from django.urls import path

from carecoord.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.index, name="index"),
    path("count/", views.count, name="count"),
    path("read-all/", views.read_all, name="read_all"),
    path("<uuid:notice_id>/", views.open_notice, name="open"),
    path("<uuid:notice_id>/read/", views.read, name="read"),
]
