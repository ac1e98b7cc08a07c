from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "carecoord.referrals"
    label = "referrals"
