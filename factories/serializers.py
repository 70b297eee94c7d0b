from __future__ import annotations

from rest_framework import serializers

from factories.models import District, Industry


class DistrictSerializer(serializers.ModelSerializer):
    successor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = District
        fields = ["code", "name", "kind", "kind_display", "valid_from", "valid_to", "successor"]
        read_only_fields = fields


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name"]
        read_only_fields = fields
