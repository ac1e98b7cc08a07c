from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "carecoord.assessments"
    label = "assessments"
