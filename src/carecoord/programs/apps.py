from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "carecoord.programs"
    label = "programs"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from carecoord.programs.catalog import install_after_migrate

        post_migrate.connect(install_after_migrate, sender=self)
