from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户与审计")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from accounts import audit_export, audit_labels, datacache, signals  # noqa: F401  (they register)

        connection_created.connect(datacache.install, dispatch_uid="accounts.datacache.install")
        signals.connect()
