"""Assessments under /assessments/."""

from django.urls import path

from carecoord.assessments import views

app_name = "assessments"
urlpatterns = [
    path("patients/<uuid:patient_id>/", views.patient_assessments, name="patient"),
    path("patients/<uuid:patient_id>/new/<uuid:questionnaire_id>/", views.start, name="start"),
    path("responses/<uuid:response_id>/", views.response_page, name="response"),
    path("responses/<uuid:response_id>/amend/", views.amend, name="amend"),
    path("responses/<uuid:response_id>/entered-in-error/", views.mark_entered_in_error, name="entered_in_error"),
    path("safety-flags/<uuid:flag_id>/resolve/", views.resolve_flag, name="resolve_flag"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/<uuid:questionnaire_id>/", views.questionnaire, name="questionnaire"),
    path("questionnaires/<uuid:questionnaire_id>/retire/", views.retire, name="retire"),
]
