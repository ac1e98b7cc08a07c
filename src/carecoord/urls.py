"""URL map: the web app at /, FHIR R4 at /fhir/, health check at /healthz."""

from django.urls import include, path

from carecoord.web.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("fhir/", include("carecoord.fhir.urls")),
    path("accounts/", include("carecoord.accounts.urls")),
    path("programs/", include("carecoord.programs.urls")),
    path("caseload/", include("carecoord.programs.caseload_urls")),
    path("consents/", include("carecoord.consents.urls")),
    path("careteams/", include("carecoord.careteams.urls")),
    path("notifications/", include("carecoord.notifications.urls")),
    path("tasks/", include("carecoord.tasks.urls")),
    path("contacts/", include("carecoord.contacts.urls")),
    path("notes/", include("carecoord.notes.urls")),
    path("careplans/", include("carecoord.careplans.urls")),
    path("assessments/", include("carecoord.assessments.urls")),
    path("transitions/", include("carecoord.transitions.urls")),
    path("today/", include("carecoord.dayview.urls")),
    path("team/", include("carecoord.supervision.urls")),
    path("directory/", include("carecoord.directory.urls")),
    path("referrals/", include("carecoord.referrals.urls")),
    path("", include("carecoord.web.urls")),
]
