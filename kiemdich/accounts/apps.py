from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kiemdich.accounts"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        from kiemdich.core.auth import use_token_lookup

        from .tokens import user_for_token

        use_token_lookup(user_for_token)
