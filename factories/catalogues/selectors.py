"""Reads of catalogue versions: the versions a user may see and the plain spec the engine evaluates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Prefetch, QuerySet

from factories.catalogues.engine import CatalogueSpec, FieldSpec, IndicatorSpec, evaluate
from factories.indicators import IndicatorValue
from factories.models import CatalogueField, CatalogueIndicator, CatalogueVersion


def catalogue_list(user: Any) -> QuerySet[CatalogueVersion]:
    """Every catalogue version with its fields and indicators (the methodology is public to its users)."""
    return with_parts(CatalogueVersion.objects.visible_to(user))


def with_parts(queryset: QuerySet[CatalogueVersion]) -> QuerySet[CatalogueVersion]:
    return queryset.prefetch_related(
        Prefetch("fields", queryset=CatalogueField.objects.order_by("position", "id")),
        Prefetch(
            "indicators",
            queryset=CatalogueIndicator.objects.select_related("same_as__catalogue").order_by(
                "position", "id"
            ),
        ),
    )


def same_as_label(indicator: CatalogueIndicator) -> str:
    """ "GBT36132-2018/EL-01" for the indicator this one continues, or ""."""
    target = indicator.same_as
    return f"{target.catalogue.code}/{target.code}" if target else ""


def catalogue_spec(version: CatalogueVersion) -> CatalogueSpec:
    """The plain data of a version for the pure engine: fields, indicators and every same_as target."""
    fields = tuple(
        FieldSpec(
            name=f.name,
            label_zh=f.label_zh,
            label_en=f.label_en,
            unit=f.unit,
            kind=f.kind,
            must_be_positive=f.must_be_positive,
            at_most=f.at_most,
            choices=tuple(f.choices or ()),
            empty_means=f.empty_means,
            dimension=f.dimension,
        )
        for f in version.fields.order_by("position", "id")
    )
    indicators = tuple(
        IndicatorSpec(
            code=i.code,
            name_zh=i.name_zh,
            definition=i.definition or {},
            direction=i.direction,
            dimension=i.dimension,
            same_as=same_as_label(i),
        )
        for i in version.indicators.select_related("same_as__catalogue").order_by("position", "id")
    )
    others = CatalogueIndicator.objects.exclude(catalogue=version).values_list("catalogue__code", "code")
    return CatalogueSpec(
        code=version.code,
        fields=fields,
        indicators=indicators,
        dimensions=tuple(str(d.get("code", "")) for d in version.dimensions or []),
        known_same_as=frozenset(f"{c}/{i}" for c, i in others),
    )


def catalogue_indicators(
    stored_raw: Mapping[str, Any], version: CatalogueVersion | str
) -> dict[str, IndicatorValue]:
    """The indicators of a catalogue version (object or code) from stored raw values (§4, §4b)."""
    if isinstance(version, str):
        version = CatalogueVersion.objects.get(code=version)
    return evaluate(catalogue_spec(version), stored_raw)
