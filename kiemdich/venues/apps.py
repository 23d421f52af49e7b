from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VenuesConfig(AppConfig):
    name = "kiemdich.venues"
    verbose_name = _("Checkpoints")
