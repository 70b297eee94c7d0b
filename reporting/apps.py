from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("年度数据填报")

    def ready(self) -> None:
        from reporting import audit_labels, demo, evidence_zip, exports, home, miit  # noqa: F401  (exports and home register themselves)

        demo.register()
