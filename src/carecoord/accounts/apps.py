from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carecoord.accounts"
    label = "accounts"
