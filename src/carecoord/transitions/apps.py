from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "carecoord.transitions"
    label = "transitions"
