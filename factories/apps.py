from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoriesConfig(AppConfig):
    name = "factories"
    verbose_name = _("企业与绿色工厂")

    def ready(self) -> None:
        # Importing these registers the home-page steps and the exporters of the register and of grading.
        import factories.audit_labels
        import factories.exports
        import factories.grading.audit_labels
        import factories.grading.exports
        import factories.home  # noqa: F401
        from factories.certificates import READERS
        from factories.grading.public import grade_certificate_facts
        from factories.models import CertificateKind

        READERS[CertificateKind.GRADE] = grade_certificate_facts
