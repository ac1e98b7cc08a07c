from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "carecoord.consents"
    label = "consents"
