"""The catalogue versions as the API lists them (API.md: code, version, status, fields, indicators)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.i18n import localized
from factories.catalogues.selectors import same_as_label
from factories.models import CatalogueField, CatalogueIndicator, CatalogueVersion


class CatalogueFieldSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    help = serializers.SerializerMethodField()

    class Meta:
        model = CatalogueField
        fields = [
            "name", "label", "label_zh", "label_en", "unit", "kind", "dimension", "must_be_positive", "at_most",
            "choices", "empty_means", "help",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_label(self, obj: CatalogueField) -> str:
        return localized(obj.label_zh, obj.label_en or obj.label_zh)

    @extend_schema_field(OpenApiTypes.STR)
    def get_help(self, obj: CatalogueField) -> str:
        return localized(obj.help_zh, obj.help_en or obj.help_zh)


class CatalogueIndicatorSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    same_as = serializers.SerializerMethodField(
        help_text="“目录代码/指标代码” of the indicator this one continues"
    )

    class Meta:
        model = CatalogueIndicator
        fields = [
            "code", "name", "name_zh", "name_en", "unit", "direction", "dimension", "definition", "evidence_required",
            "same_as",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, obj: CatalogueIndicator) -> str:
        return localized(obj.name_zh, obj.name_en or obj.name_zh)

    @extend_schema_field({"type": "string", "nullable": True, "example": "GBT36132-2018/EL-01"})
    def get_same_as(self, obj: CatalogueIndicator) -> str | None:
        return same_as_label(obj) or None


class CatalogueVersionSerializer(serializers.ModelSerializer):
    fields = serializers.SerializerMethodField(method_name="raw_fields")  # type: ignore[assignment]
    indicators = serializers.SerializerMethodField()

    class Meta:
        model = CatalogueVersion
        fields = [
            "code", "version", "name", "status", "adopted_at", "industry_divisions", "dimensions", "fields",
            "indicators",
        ]  # fmt: skip

    @extend_schema_field(CatalogueFieldSerializer(many=True))
    def raw_fields(self, obj: CatalogueVersion) -> list[dict[str, Any]]:
        return CatalogueFieldSerializer(obj.fields.all(), many=True, context=self.context).data  # type: ignore[return-value]

    @extend_schema_field(CatalogueIndicatorSerializer(many=True))
    def get_indicators(self, obj: CatalogueVersion) -> list[dict[str, Any]]:
        return CatalogueIndicatorSerializer(obj.indicators.all(), many=True, context=self.context).data  # type: ignore[return-value]
