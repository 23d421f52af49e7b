from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "kiemdich.hotline"
    verbose_name = _("Hotline 1022")
