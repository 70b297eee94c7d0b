"""Serializers of grading standards, runs, results and incidents (revocation proposals: factories.serializers)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.limits import LONG_TEXT
from accounts.permissions import can
from accounts.serializers import ProtectedFileField
from factories.models import (
    ONCE_PUBLISHED,
    Enterprise,
    GradingResult,
    GradingRun,
    GradingStandard,
    Incident,
    Objection,
    ObjectorKind,
    RemedyKind,
)


class GradingStandardSerializer(serializers.ModelSerializer):
    parameters = serializers.DictField(help_text="标准参数（权重、α、分档条件等）")
    base = serializers.PrimaryKeyRelatedField(
        queryset=GradingStandard.objects.all(),
        write_only=True,
        required=False,
        help_text="新版本以哪个版本为基础（默认现行版本）",
    )
    used_by_published_run = serializers.SerializerMethodField()
    catalogue = serializers.CharField(
        source="catalogue_code",
        read_only=True,
        help_text="所依据的指标目录版本代码（如 GBT36132-2025），即参数中的 catalogue_version",
    )

    class Meta:
        model = GradingStandard
        fields = [
            "id",
            "code",
            "version",
            "name",
            "status",
            "catalogue",
            "parameters",
            "valid_from",
            "valid_to",
            "note",
            "created_at",
            "base",
            "used_by_published_run",
        ]
        read_only_fields = ["id", "code", "version", "status", "valid_from", "valid_to", "created_at"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_used_by_published_run(self, obj: GradingStandard) -> bool:
        return obj.runs.filter(is_simulation=False, status__in=ONCE_PUBLISHED).exists()


class AdoptSerializer(serializers.Serializer):
    valid_from = serializers.DateField()


class GradingRunSerializer(serializers.ModelSerializer):
    standard = serializers.CharField(source="standard.code", read_only=True)
    standard_version = serializers.IntegerField(source="standard.version", read_only=True)
    standard_id = serializers.PrimaryKeyRelatedField(
        queryset=GradingStandard.objects.all(),
        source="standard",
        write_only=True,
        required=False,
        help_text="评价标准版本（默认用年底有效的已采用版本；草案版本只能用于预评价/模拟）",
    )
    kind = serializers.SerializerMethodField(help_text="“正式评价”或“预评价/模拟”")
    confirm_pending = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="填报截止后仍有数据在审核中时，确认仍开始正式评价（须同时填写 reason）",
    )
    reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="在审核未完成时开始的理由",
    )
    progress = serializers.IntegerField(read_only=True)
    # null for the draft run the platform creates itself once a reporting window closes
    started_by = serializers.CharField(
        source="started_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = GradingRun
        fields = [
            "id",
            "year",
            "standard",
            "standard_version",
            "standard_id",
            "is_simulation",
            "status",
            "progress",
            "done",
            "total",
            "phase",
            "input_hash",
            "error",
            "note",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "notice_from",
            "notice_to",
            "published_at",
            "finalized_at",
            "superseded_by",
            "kind",
            "confirm_pending",
            "reason",
            "data_counts",
            "pending_total",
            "pending_reason",
            "notice_notified_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "progress",
            "done",
            "total",
            "phase",
            "input_hash",
            "error",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
            "notice_from",
            "notice_to",
            "published_at",
            "finalized_at",
            "superseded_by",
            "data_counts",
            "pending_total",
            "pending_reason",
            "notice_notified_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_kind(self, obj: GradingRun) -> str:
        return "预评价/模拟" if obj.is_simulation else "正式评价"


class PublishSerializer(serializers.Serializer):
    notice_from = serializers.DateField(label="公示开始日期")
    notice_to = serializers.DateField(label="公示结束日期")


class GradingResultSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    industry = serializers.CharField(source="industry_id", read_only=True)
    # null when the grade was decided without a score (e.g. no data, a first-year factory)
    composite_score = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = GradingResult
        fields = [
            "id",
            "run",
            "enterprise",
            "enterprise_name",
            "year",
            "district",
            "industry",
            "tier",
            "grade",
            "computed_grade",
            "decided_by",
            "level_score",
            "improvement_score",
            "composite_score",
            "q",
            "peer_group",
            "peer_count",
            "revocation_proposed",
            "flags",
            "reasons",
            "details",
        ]
        read_only_fields = fields


class PublishedGradeSerializer(serializers.ModelSerializer):
    """A published grade; the intermediate numbers of other factories are not part of it."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    industry = serializers.CharField(source="industry_id", read_only=True)
    status = serializers.CharField(source="run.status", read_only=True)

    class Meta:
        model = GradingResult
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "year",
            "grade",
            "district",
            "industry",
            "tier",
            "status",
            "level_score",
            "improvement_score",
            "composite_score",
            "decided_by",
        ]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    evidence = ProtectedFileField(url_name="api:incident-evidence", required=False, allow_null=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "kind",
            "severity",
            "occurred_on",
            "description",
            "evidence",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["id", "recorded_by", "recorded_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return fields


class ObjectionSerializer(serializers.ModelSerializer):
    """An objection as its readers see it (the city, the enterprise's district, the enterprise itself)."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    year = serializers.IntegerField(source="run.year", read_only=True)
    grade = serializers.CharField(source="result.grade", read_only=True)
    evidence_count = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "run",
            "result",
            "enterprise",
            "enterprise_name",
            "year",
            "grade",
            "objector_kind",
            "name",
            "email",
            "phone",
            "statement",
            "indicators",
            "evidence_count",
            "filed_at",
            "status",
            "decision_reason",
            "decided_at",
            "remedy_kind",
            "remedy_correction_id",
            "remedy_incident",
            "remedy_note",
            "new_run",
            "new_run_diff",
        ]
        read_only_fields = fields

    def get_evidence_count(self, objection: Objection) -> int:
        return objection.evidence.count()

    def to_representation(self, instance: Objection) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if instance.objector_kind == ObjectorKind.PUBLIC and not can(user, "objection.view_objector"):
            data.update(name="", email="", phone="")  # a member of the public stays unknown to the enterprise
        return data


class ObjectionCreateSerializer(serializers.Serializer):
    """An enterprise's objection to its own published grade (multipart for evidence files)."""

    result = serializers.PrimaryKeyRelatedField(queryset=GradingResult.objects.all())
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    statement = serializers.CharField(max_length=LONG_TEXT)
    indicators = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=50
    )
    evidence = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=5
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            fields["result"].queryset = GradingResult.objects.visible_to(request.user)  # type: ignore[attr-defined]
        return fields


class ObjectionAcceptSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=LONG_TEXT)
    remedy_kind = serializers.ChoiceField(choices=RemedyKind.choices)
    correction = serializers.IntegerField(required=False, allow_null=True, default=None)
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True, default=None
    )
    note = serializers.CharField(max_length=LONG_TEXT, required=False, allow_blank=True, default="")


class ObjectionRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=LONG_TEXT)


class ObjectionLinkRunSerializer(serializers.Serializer):
    run = serializers.PrimaryKeyRelatedField(queryset=GradingRun.objects.all())
