from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "carecoord.supervision"
    label = "supervision"
