from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "carecoord.tasks"
    label = "tasks"
