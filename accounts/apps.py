from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户与审计")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from accounts import aggregates, audit_export, audit_labels, datacache, signals  # noqa: F401  (they register)

        connection_created.connect(datacache.install, dispatch_uid="accounts.datacache.install")
        connection_created.connect(aggregates.install, dispatch_uid="accounts.aggregates.install")
        signals.connect()
