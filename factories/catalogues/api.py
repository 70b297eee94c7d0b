"""GET /api/v1/catalogues/: every catalogue version, its raw fields and its indicators (read-only)."""

from __future__ import annotations

from accounts.viewsets import ScopedReadOnlyViewSet
from factories.catalogues.selectors import with_parts
from factories.catalogues.serializers import CatalogueVersionSerializer
from factories.models import CatalogueVersion


class CatalogueViewSet(ScopedReadOnlyViewSet):
    """Indicator catalogue versions (GBT36132-2018, GBT36132-2025, sector variants), draft or adopted.

    `same_as` is "CATALOGUE/CODE" of the indicator of an earlier catalogue that an indicator continues, so
    an improvement rate can span a change of catalogue.
    """

    queryset = CatalogueVersion.objects.all()
    serializer_class = CatalogueVersionSerializer
    rights = {"list": "catalogue.view", "retrieve": "catalogue.view"}
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def scope_queryset(self, queryset):  # type: ignore[no-untyped-def]
        return with_parts(queryset)


def register(router) -> None:  # type: ignore[no-untyped-def]
    router.register("catalogues", CatalogueViewSet, basename="catalogue")
