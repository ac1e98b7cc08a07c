from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "carecoord.notifications"
    label = "notifications"
