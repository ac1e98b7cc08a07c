from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "carecoord.contacts"
    label = "contacts"
