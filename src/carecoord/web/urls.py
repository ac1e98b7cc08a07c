"""The web app's pages. Views live in their bounded contexts; this map gathers them under one namespace."""

from django.urls import path

from carecoord.accounts.views import admin_center
from carecoord.audit import views as audit_views
from carecoord.patients import views as patient_views
from carecoord.programs import settings_views as program_settings
from carecoord.web.views import home

app_name = "web"
urlpatterns = [
    path("", home, name="home"),
    path("patients/", patient_views.search, name="patient_search"),
    path("patients/new/", patient_views.register, name="patient_new"),
    path("patients/<uuid:patient_id>/", patient_views.chart, name="chart"),
    path("patients/<uuid:patient_id>/edit/", patient_views.edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/emergency-access/", patient_views.emergency_access, name="emergency_access"),
    path("supervisor/break-glass/", audit_views.break_glass_queue, name="break_glass_queue"),
    path("supervisor/break-glass/<uuid:grant_id>/review/", audit_views.break_glass_review, name="break_glass_review"),
    path("audit/", audit_views.audit_trail, name="audit_trail"),
    path("admin-center/", admin_center.overview, name="admin_center"),
    path("admin-center/users/", admin_center.users, name="admin_users"),
    path("admin-center/users/new/", admin_center.user_new, name="admin_user_new"),
    path("admin-center/users/<uuid:user_id>/", admin_center.user_edit, name="admin_user_edit"),
    path("admin-center/users/<uuid:user_id>/licenses/", admin_center.license_new, name="admin_license_new"),
    path("admin-center/users/<uuid:user_id>/reset-mfa/", admin_center.reset_mfa, name="admin_reset_mfa"),
    path("admin-center/tokens/", admin_center.tokens, name="admin_tokens"),
    path("admin-center/programs/", program_settings.program_list, name="admin_programs"),
    path("admin-center/programs/<slug:code>/", program_settings.program_edit, name="admin_program_edit"),
    path("admin-center/tokens/<uuid:token_id>/revoke/", admin_center.token_revoke, name="admin_token_revoke"),
]
