from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "django_jobs"
    label = "django_jobs"
    verbose_name = "Jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Layer exception (DESIGN): ready() imports the checks surface to register it.
        from django_jobs import checks  # noqa: F401
        from django_jobs.db.sqlite import connect_signals

        connect_signals()
