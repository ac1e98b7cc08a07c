from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "carecoord.assessments"
    label = "assessments"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from carecoord.assessments.actions import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
