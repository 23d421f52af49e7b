from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "kiemdich.adoption"
    verbose_name = _("App adoption")
