"""Tasks under /tasks/."""

from django.urls import path

from carecoord.tasks import views

app_name = "tasks"
urlpatterns = [
    path("", views.work_list, name="work_list"),
    path("<uuid:task_id>/", views.detail, name="detail"),
    path("<uuid:task_id>/status/", views.change_status, name="status"),
    path("<uuid:task_id>/take/", views.take, name="take"),
    path("<uuid:task_id>/assign/", views.assign, name="assign"),
    path("<uuid:task_id>/comment/", views.comment, name="comment"),
    path("new/<uuid:patient_id>/", views.new_for_patient, name="new_for_patient"),
]
