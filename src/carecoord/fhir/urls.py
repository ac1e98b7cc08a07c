from django.urls import path, re_path

from carecoord.fhir import router

app_name = "fhir"
_TYPE = r"(?P<type_name>[A-Z][A-Za-z]{1,63})"
_ID = r"(?P<resource_id>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("", router.system, name="system"),
    path("metadata", router.metadata, name="metadata"),
    re_path(rf"^{_TYPE}$", router.type_level, name="type"),
    re_path(rf"^{_TYPE}/{_ID}$", router.instance, name="instance"),
    re_path(rf"^{_TYPE}/{_ID}/_history$", router.instance_history, name="history"),
    re_path(rf"^{_TYPE}/{_ID}/_history/(?P<version_id>[A-Za-z0-9\-.]{{1,64}})$", router.version, name="version"),
    re_path(r"^(?P<rest>.*)$", router.unknown, name="unknown"),
]
