from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "carecoord.clinical"
    label = "clinical"
