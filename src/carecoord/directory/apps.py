from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "carecoord.directory"
    label = "directory"
