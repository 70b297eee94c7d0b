from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CultivationConfig(AppConfig):
    name = "cultivation"
    verbose_name = _("梯度培育库")

    def ready(self) -> None:
        # Importing these registers the pool's exporters and home-page steps.
        import cultivation.audit_labels
        import cultivation.exports
        import cultivation.home  # noqa: F401
        from cultivation import demo
        from cultivation.services import membership_graduate
        from factories.services import RECOGNITION_HOOKS

        # A pool member recognised as a green factory leaves the pool as graduated (DOMAIN §3).
        if membership_graduate not in RECOGNITION_HOOKS:
            RECOGNITION_HOOKS.append(membership_graduate)
        demo.register()
        # What a B certificate's public pages say (issue 17).
        from cultivation.public import b_certificate_facts
        from factories.certificates import READERS
        from factories.models import CertificateKind

        READERS[CertificateKind.B] = b_certificate_facts
