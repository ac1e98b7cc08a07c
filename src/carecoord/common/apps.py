from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "carecoord.common"
    label = "common"
