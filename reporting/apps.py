from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("年度数据填报")

    def ready(self) -> None:
        from reporting import demo, home  # noqa: F401  (home registers the home-page steps)

        demo.register()
        # The pool and district-report exporters live with the cultivation models they read.
        import cultivation.exports  # noqa: F401
