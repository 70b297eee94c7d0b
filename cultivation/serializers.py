"""Cultivation serializers: explicit fields; statuses and everything the platform derives are read-only.
Writes go through `cultivation.services`; input serializers only parse."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.limits import LONG_TEXT, REPORT_TEXT
from accounts.serializers import ProtectedFileField
from cultivation.models import (
    ApplicationEvidence,
    BCertification,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    LevelDecision,
    LevelJob,
    PoolApplication,
    PoolMembership,
    SupervisionKind,
    SupervisionRecord,
)
from factories.models import District, Enterprise


class ScopedChoicesMixin:
    """Limits the related fields named in `scoped_fields` to the rows the requesting user may see."""

    scoped_fields: tuple[str, ...] = ()
    context: dict[str, Any]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            for name in self.scoped_fields:
                fields[name].queryset = fields[name].queryset.visible_to(request.user)
        return fields


class ApplicationEvidenceSerializer(serializers.ModelSerializer):
    """A file filed with an application; `download_url` is the permission-checked download, never a media
    path."""

    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationEvidence
        fields = ["id", "filename", "size", "sha256", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: ApplicationEvidence) -> str:
        pk: int | None = obj.pool_application_id
        name = "api:cultivation-application-evidence-download"
        if pk is None:
            pk, name = obj.certification_id, "api:cultivation-certification-evidence-download"
        url = reverse(name, kwargs={"pk": pk, "evidence_id": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


def evidence_files_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        write_only=True,
        max_length=50,
        help_text="multipart: evidence files (PDF, OFD, JPG, PNG, XLSX, DOCX, checked by content) filed "
        "with the application",
    )


class EvidenceListMixin:
    """`evidence`: the files filed with the application (a list, never null)."""

    context: dict[str, Any]

    @extend_schema_field(ApplicationEvidenceSerializer(many=True))
    def get_evidence(self, application: Any) -> list[dict[str, Any]]:
        # The viewsets prefetch `evidence__uploaded_by`; the model orders the files by id.
        return ApplicationEvidenceSerializer(application.evidence.all(), many=True, context=self.context).data  # type: ignore[return-value]


class PoolApplicationSerializer(EvidenceListMixin, ScopedChoicesMixin, serializers.ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="enterprise.district_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    applied_by = serializers.CharField(source="applied_by.username", read_only=True)
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    lawful_declaration = serializers.BooleanField(help_text="依法设立、守法经营声明（必须为 true）")
    evidence = serializers.SerializerMethodField()
    evidence_files = evidence_files_field()

    class Meta:
        model = PoolApplication
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "district",
            "intention",
            "plan",
            "lawful_declaration",
            "status",
            "status_display",
            "checklist",
            "applied_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "evidence",
            "evidence_files",
        ]
        read_only_fields = ["id", "status", "checklist", "created_at", "decided_at", "decision_reason"]
        # "One pending application" is judged by the service, which answers 409 with a clear message.
        validators: list[Any] = []

    scoped_fields = ("enterprise",)


class PoolMembershipSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="enterprise.district_id", read_only=True)
    district_at_entry = serializers.CharField(source="district_id", read_only=True)
    industry = serializers.CharField(source="enterprise.industry_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = PoolMembership
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "district",
            "district_at_entry",
            "industry",
            "application",
            "joined_on",
            "status",
            "status_display",
            "exited_on",
            "exit_reason",
        ]
        read_only_fields = fields


class OverdueMemberSerializer(PoolMembershipSerializer):
    # A plain string here, so the schema keeps one named enum for a member's status.
    status = serializers.CharField(read_only=True)
    last_record_on = serializers.DateField(read_only=True, allow_null=True)
    has_supervision = serializers.BooleanField(read_only=True)
    has_guidance = serializers.BooleanField(read_only=True)

    class Meta(PoolMembershipSerializer.Meta):
        fields = [*PoolMembershipSerializer.Meta.fields, "last_record_on", "has_supervision", "has_guidance"]
        read_only_fields = fields


class SupervisionRecordSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=SupervisionKind.choices)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    evidence = ProtectedFileField(
        url_name="api:cultivation-supervision-evidence", required=False, allow_null=True
    )
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = SupervisionRecord
        fields = [
            "id",
            "membership",
            "kind",
            "kind_display",
            "date",
            "note",
            "evidence",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["id", "membership", "recorded_by", "recorded_at"]


class DistrictStandardSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district_id", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    code = serializers.SerializerMethodField()
    parameters = serializers.JSONField(
        help_text="新版本要修改的参数（b_dimension_min, b_level_min, c_level_min, min_benchmark, weights, "
        "indicators）；未列出的沿用现行版本"
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = DistrictStandard
        fields = [
            "id",
            "district",
            "district_name",
            "code",
            "version",
            "parameters",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "version", "created_at"]

    def get_code(self, obj: DistrictStandard) -> str:
        return str(obj.parameters.get("code", ""))


class LevelDecisionSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    district = serializers.CharField(source="enterprise.district_id", read_only=True)
    industry = serializers.CharField(source="enterprise.industry_id", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    computed_level = serializers.CharField(
        read_only=True, help_text="按标准计算的等级（取值同 level）；复核降级前"
    )
    standard_version = serializers.IntegerField(source="standard.version", read_only=True)
    standard_district = serializers.CharField(source="standard.district_id", read_only=True)

    class Meta:
        model = LevelDecision
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "district",
            "industry",
            "year",
            "level",
            "level_display",
            "computed_level",
            "certified_b",
            "supervised",
            "guided",
            "has_plan",
            "data_status",
            "level_score",
            "dimension_scores",
            "percentiles",
            "dimension_gaps",
            "level_gap",
            "reasons",
            "benchmark_group",
            "benchmark_count",
            "standard",
            "standard_version",
            "standard_district",
            "job",
            "review_downgraded",
            "membership",
            "updated_at",
        ]
        read_only_fields = fields


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(label="年度", min_value=2000, max_value=2100)


class LevelJobSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district_id", read_only=True)
    standard_version = serializers.IntegerField(source="standard.version", read_only=True)
    progress = serializers.IntegerField(read_only=True)
    started_by = serializers.CharField(
        source="started_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = LevelJob
        fields = [
            "id",
            "district",
            "year",
            "status",
            "progress",
            "done",
            "total",
            "counts",
            "standard",
            "standard_version",
            "error",
            "started_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class BCertificationSerializer(EvidenceListMixin, serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="membership.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="membership.enterprise.name", read_only=True)
    district = serializers.CharField(source="district_id", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    applied_by = serializers.CharField(source="applied_by.username", read_only=True)
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, default=None, allow_null=True
    )
    settled_by = serializers.CharField(
        source="settled_by.username", read_only=True, default=None, allow_null=True
    )
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = BCertification
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "membership",
            "district",
            "year",
            "status",
            "status_display",
            "checklist",
            "applied_by",
            "applied_at",
            "reviewed_by",
            "reviewed_at",
            "decision_reason",
            "certificate_no",
            "certified_at",
            "review_reason",
            "settled_by",
            "settled_at",
            "settle_reason",
            "ended_at",
            "end_reason",
            "evidence",
        ]
        read_only_fields = fields


class CertificationApplySerializer(ScopedChoicesMixin, serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), label="企业")
    year = serializers.IntegerField(label="依据的培育等级年度")
    evidence_files = evidence_files_field()

    scoped_fields = ("enterprise",)


class IrregularReviewSerializer(ScopedChoicesMixin, serializers.ModelSerializer):
    enterprise = serializers.IntegerField(source="membership.enterprise_id", read_only=True)
    enterprise_name = serializers.CharField(source="membership.enterprise.name", read_only=True)
    membership = serializers.PrimaryKeyRelatedField(queryset=PoolMembership.objects.all())
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    closed_by = serializers.CharField(
        source="closed_by.username", read_only=True, default=None, allow_null=True
    )
    level_before = serializers.CharField(read_only=True, help_text="复核降级前的等级（取值同培育等级 level）")
    level_after = serializers.CharField(read_only=True, help_text="复核降级后的等级")

    class Meta:
        model = IrregularReview
        fields = [
            "id",
            "membership",
            "enterprise",
            "enterprise_name",
            "status",
            "scope_note",
            "opened_by",
            "opened_at",
            "findings",
            "falsification",
            "downgraded_year",
            "level_before",
            "level_after",
            "closed_by",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "opened_at",
            "findings",
            "falsification",
            "downgraded_year",
            "level_before",
            "level_after",
            "closed_at",
        ]
        validators: list[Any] = []  # "one open review per member" is the service's (409)

    scoped_fields = ("membership",)


class CloseReviewSerializer(serializers.Serializer):
    findings = serializers.CharField(allow_blank=True, label="复核结论", max_length=LONG_TEXT)
    falsification = serializers.BooleanField(label="发现弄虚作假")


class DistrictReportSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district_id", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    generated_by = serializers.CharField(source="generated_by.username", read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, default=None, allow_null=True
    )
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = DistrictReport
        fields = [
            "id",
            "district",
            "district_name",
            "year",
            "status",
            "status_display",
            "figures",
            "narrative",
            "generated_by",
            "generated_at",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "return_reason",
        ]
        read_only_fields = [
            "id",
            "year",
            "status",
            "figures",
            "generated_at",
            "submitted_at",
            "decided_at",
            "decision_comment",
            "return_reason",
        ]


class NarrativeSerializer(serializers.Serializer):
    narrative = serializers.CharField(allow_blank=True, label="工作情况", max_length=REPORT_TEXT)


class MissingReportSerializer(serializers.ModelSerializer):
    report_status = serializers.CharField(
        read_only=True, allow_null=True, help_text="已有报告的状态（草稿/退回），无则为空"
    )
    report_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = District
        fields = ["code", "name", "report_status", "report_id"]
        read_only_fields = fields
