from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProximityConfig(AppConfig):
    name = "kiemdich.proximity"
    verbose_name = _("Close-contact detection (Bluetooth)")
