from django.apps import AppConfig


class CarePlansConfig(AppConfig):
    name = "carecoord.careplans"
    label = "careplans"
