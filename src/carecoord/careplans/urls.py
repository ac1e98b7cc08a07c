"""Care plans under /careplans/."""

from django.urls import path

from carecoord.careplans import views

app_name = "careplans"
urlpatterns = [
    path("start/<uuid:patient_id>/", views.start, name="start"),
    path("<uuid:plan_id>/", views.detail, name="detail"),
    path("<uuid:plan_id>/details/", views.edit_details, name="details"),
    path("<uuid:plan_id>/problems/", views.add_problem, name="add_problem"),
    path("<uuid:plan_id>/problems/<uuid:problem_id>/resolve/", views.resolve_problem, name="resolve_problem"),
    path("<uuid:plan_id>/suggestions/<uuid:task_id>/", views.from_suggestion, name="from_suggestion"),
    path("<uuid:plan_id>/goals/", views.add_goal, name="add_goal"),
    path("<uuid:plan_id>/interventions/", views.add_intervention, name="add_intervention"),
    path("<uuid:plan_id>/sign/", views.sign, name="sign"),
    path("<uuid:plan_id>/review/schedule/", views.schedule_review, name="schedule_review"),
    path("<uuid:plan_id>/review/complete/", views.complete_review, name="complete_review"),
    path("<uuid:plan_id>/significant-change/", views.significant_change, name="significant_change"),
    path("<uuid:plan_id>/status/", views.plan_status, name="status"),
    path("<uuid:plan_id>/versions/", views.history, name="history"),
    path("<uuid:plan_id>/versions/<int:number>/", views.version, name="version"),
    path("<uuid:plan_id>/print/", views.print_plan, name="print"),
    path("goals/<uuid:goal_id>/", views.edit_goal, name="edit_goal"),
    path("goals/<uuid:goal_id>/status/", views.goal_status, name="goal_status"),
    path("goals/<uuid:goal_id>/progress/", views.goal_progress, name="goal_progress"),
    path("interventions/<uuid:intervention_id>/", views.edit_intervention, name="edit_intervention"),
    path("interventions/<uuid:intervention_id>/complete/", views.complete_intervention, name="complete_intervention"),
]
