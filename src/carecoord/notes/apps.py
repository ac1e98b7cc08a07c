from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "carecoord.notes"
    label = "notes"
