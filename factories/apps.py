from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoriesConfig(AppConfig):
    name = "factories"
    verbose_name = _("企业与绿色工厂")

    def ready(self) -> None:
        from factories import home  # noqa: F401  (registers the home-page steps)
