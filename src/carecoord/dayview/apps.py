from django.apps import AppConfig


class DayviewConfig(AppConfig):
    name = "carecoord.dayview"
    label = "dayview"
