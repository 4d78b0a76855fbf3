from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("用户与角色")

    def ready(self) -> None:
        from accounts import (
            sessions,  # noqa: F401  (a sign-in starts the session clocks)
            signin_audit,
        )

        signin_audit.connect()  # sign-ins, failures and lockouts into the audit trail
