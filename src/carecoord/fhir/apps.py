from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "carecoord.fhir"
    label = "fhir"
