from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckinsConfig(AppConfig):
    name = "kiemdich.checkins"
    verbose_name = _("Scans")

    def ready(self) -> None:
        from . import signals  # noqa: F401 (registers the delete lock)
