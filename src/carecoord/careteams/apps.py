from django.apps import AppConfig


class CareteamsConfig(AppConfig):
    name = "carecoord.careteams"
    label = "careteams"
