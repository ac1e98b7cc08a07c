from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "carecoord.web"
    label = "web"
