"""Reporting API: reporting years, submissions with their workflow actions, indicators, corrections."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import files
from accounts.errors import InvalidInput
from accounts.models import Notification
from accounts.viewsets import REFUSED, ScopedMixin, ScopedViewSet
from factories.models import Enterprise
from reporting import benchmarks, bulk, jobs, oversight, selectors, services, tallies
from reporting.filters import CorrectionFilter, SubmissionFilter
from reporting.models import (
    AnnualSubmission,
    CorrectionRequest,
    ExportJob,
    ImportJob,
    ReportingYear,
)
from reporting.selectors import ErrorsHead, JSONArrayLength
from reporting.serializers import (
    AnomalyDismissSerializer,
    BulkIdsSerializer,
    BulkResultSerializer,
    CorrectionSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExportJobSerializer,
    ImportErrorSerializer,
    ImportJobSerializer,
    IndicatorSerializer,
    NonFilerSerializer,
    NotificationSerializer,
    ReasonSerializer,
    RemindSerializer,
    ReportingYearSerializer,
    ReturnSerializer,
    SubmissionSerializer,
    submission_prefetches,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportingYearViewSet(ScopedViewSet):
    """Reporting years and their windows; the city opens and adjusts them."""

    queryset = ReportingYear.objects.all()
    serializer_class = ReportingYearSerializer
    rights = {
        "list": "reporting_year.view",
        "retrieve": "reporting_year.view",
        "create": "reporting_year.manage",
        "update": "reporting_year.manage",
        "partial_update": "reporting_year.manage",
    }
    lookup_field = "year"
    ordering_fields = ["year"]
    ordering = ["-year"]

    def perform_create(self, serializer: Any) -> None:
        serializer.save()


class SubmissionViewSet(ScopedViewSet):
    """Annual submissions. Creating or updating saves a draft; the workflow moves by the actions."""

    queryset = AnnualSubmission.objects.all()
    serializer_class = SubmissionSerializer
    rights = {
        "list": "submission.view",
        "retrieve": "submission.view",
        "indicators": "submission.view",
        "create": "submission.edit",
        "update": "submission.edit",
        "partial_update": "submission.edit",
        "submit": "submission.submit",
        "approve": "submission.approve",
        "verify": "submission.verify",
        "return_": "submission.return",
        "bulk_approve": "submission.approve",
        "bulk_verify": "submission.verify",
        "evidence": "submission.view",
        "evidence_add": "submission.edit",
        "evidence_download": "submission.view",
        "evidence_remove": "submission.edit",
        "dismiss_anomaly": "anomaly.dismiss",
    }
    # The review steps are judged after the scoped lookup, so another district's submission answers 404
    # (as on the pages) rather than telling a refused role that it exists.
    check_after_lookup = frozenset(
        {"approve", "verify", "return_", "dismiss_anomaly", "evidence_add", "evidence_remove"}
    )
    filterset_class = SubmissionFilter
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    ordering_fields = ["year", "status", "submitted_at", "updated_at", "enterprise__name"]
    ordering = ["-year", "-id"]
    tally = staticmethod(tallies.submission_count)

    def scope_queryset(self, queryset: Any) -> Any:
        queryset = queryset.select_related("enterprise").prefetch_related(*submission_prefetches())
        # A page prints no derived indicators (they have their own endpoint): not read for every row.
        return queryset.defer("indicators") if self.action == "list" else queryset

    def _step(self, request: Request, service: Any, **kwargs: Any) -> Response:
        submission = self.get_object()
        updated = service(actor=request.user, submission=submission, **kwargs)
        return Response(self.get_serializer(updated).data)

    @extend_schema(request=None, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send a draft for district review."""
        return self._step(request, services.submission_submit)

    @extend_schema(request=ReasonSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """District approval of submitted data."""
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        return self._step(request, services.submission_approve, comment=reason.validated_data["reason"])

    @extend_schema(request=ReasonSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """City re-verification (复核); locks the data and stores its indicators."""
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        return self._step(request, services.submission_verify, comment=reason.validated_data["reason"])

    @extend_schema(request=ReturnSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return submitted or district-approved data to draft; `reason` is required. `evidence_requested`
        names figures (raw fields or indicator codes) that need a file before the data is sent again."""
        body = ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._step(
            request,
            services.submission_return,
            reason=body.validated_data["reason"],
            evidence_requested=body.validated_data["evidence_requested"],
        )

    @extend_schema(request=None, responses=EvidenceSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        """The submission's evidence (佐证材料), each with its permission-checked `download_url`."""
        submission = self.get_object()
        items = submission.evidence.select_related("uploaded_by").order_by("field", "id")
        return Response(EvidenceSerializer(items, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    )
    @evidence.mapping.post
    def evidence_add(self, request: Request, pk: str | None = None) -> Response:
        """Attach a file (PDF, OFD, JPG, PNG, XLSX or DOCX, recognised by content) to one figure of a draft:
        multipart `field` (raw field name, indicator code, or a declared `major_change.<kind>` /
        `compliance.permit`), `file`, `note`."""
        body = EvidenceUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = services.evidence_add(
            actor=request.user,
            submission=self.get_object(),
            field=body.validated_data["field"],
            upload=body.validated_data["file"],
            note=body.validated_data["note"],
        )
        return Response(
            EvidenceSerializer(item, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def _evidence_item(self, evidence_id: str | None) -> Any:
        return files.owned_file(self.get_object().evidence, evidence_id)

    @extend_schema(responses=files.EVIDENCE_RESPONSES, parameters=[files.EVIDENCE_ID])
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>[^/.]+)/download",
        url_name="evidence-download",
    )
    def evidence_download(
        self, request: Request, pk: str | None = None, evidence_id: str | None = None
    ) -> HttpResponseBase:
        """One evidence file as uploaded, for whoever may see the submission (another unit's answers 404)."""
        item = self._evidence_item(evidence_id)
        return files.download(item.file, item.filename)

    @extend_schema(request=None, responses={204: None}, parameters=[files.EVIDENCE_ID])
    @action(
        detail=True,
        methods=["post"],
        url_path=r"evidence/(?P<evidence_id>[^/.]+)/remove",
        url_name="evidence-remove",
    )
    def evidence_remove(
        self, request: Request, pk: str | None = None, evidence_id: str | None = None
    ) -> Response:
        """Take a file off a draft (its filer, while the data can be edited)."""
        services.evidence_remove(actor=request.user, item=self._evidence_item(evidence_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=AnomalyDismissSerializer, responses=SubmissionSerializer)
    @action(detail=True, methods=["post"], url_path="dismiss-anomaly")
    def dismiss_anomaly(self, request: Request, pk: str | None = None) -> Response:
        """Dismiss one anomaly flag (by `kind` and `field_or_indicator`) after checking it; `reason` is
        required and recorded in the audit trail. District and city reviewers only."""
        body = AnomalyDismissSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._step(request, services.anomaly_dismiss, **body.validated_data)

    def _bulk(self, request: Request, action: str) -> Response:
        body = BulkIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcomes = bulk.review(actor=request.user, action=action, ids=body.validated_data["ids"])
        return Response(bulk_answer(outcomes))

    @extend_schema(request=BulkIdsSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-approve")
    def bulk_approve(self, request: Request) -> Response:
        """District approval of many submitted items: each is its own audited step; the answer gives each
        item's result (done, refused with the reason, or not_found for ids outside the caller's scope)."""
        return self._bulk(request, "approve")

    @extend_schema(request=BulkIdsSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-verify")
    def bulk_verify(self, request: Request) -> Response:
        """City verification of many district-approved items, each its own audited step (see bulk-approve)."""
        return self._bulk(request, "verify")

    @extend_schema(request=None, responses=IndicatorSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def indicators(self, request: Request, pk: str | None = None) -> Response:
        """Derived indicators with status ok / not_applicable / not_reported."""
        return Response(
            IndicatorSerializer(selectors.submission_indicators(self.get_object()), many=True).data
        )


class CorrectionViewSet(
    ScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Correction requests for locked data; the city approves or rejects them."""

    queryset = CorrectionRequest.objects.all()
    serializer_class = CorrectionSerializer
    rights = {
        "list": "correction.view",
        "retrieve": "correction.view",
        "create": "correction.request",
        "approve": "correction.decide",
        "reject": "correction.decide",
    }
    check_after_lookup = frozenset({"approve", "reject"})
    filterset_class = CorrectionFilter
    ordering_fields = ["requested_at", "status"]
    ordering = ["-requested_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("requested_by", "decided_by").prefetch_related("evidence__uploaded_by")

    @extend_schema(request=ReasonSerializer, responses=CorrectionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        correction = services.correction_decide(
            actor=request.user,
            correction=self.get_object(),
            approve=True,
            reason=reason.validated_data["reason"],
        )
        return Response(self.get_serializer(correction).data)

    @extend_schema(request=ReasonSerializer, responses=CorrectionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        reason = ReasonSerializer(data=request.data)
        reason.is_valid(raise_exception=True)
        correction = services.correction_decide(
            actor=request.user,
            correction=self.get_object(),
            approve=False,
            reason=reason.validated_data["reason"],
        )
        return Response(self.get_serializer(correction).data)


def bulk_answer(outcomes: list[bulk.Outcome]) -> dict[str, Any]:
    return {"results": [o.as_dict() for o in outcomes], **bulk.summary(outcomes)}


@extend_schema(
    parameters=[
        OpenApiParameter("year", int, description="填报年度；缺省为最近的填报年度"),
        OpenApiParameter("unit", str, description="管理单位代码（仅市级和审计用户可选）"),
        OpenApiParameter("state", str, enum=list(selectors.NON_FILER_STATES)),
        OpenApiParameter("q", str, description="企业名称或统一社会信用代码"),
    ]
)
class NonFilerViewSet(ScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Enterprises of the caller's scope without submitted data of a year (催报): none, a draft, or
    returned data not yet submitted again; `remind` sends each selected one a reminder."""

    queryset = Enterprise.objects.all()
    serializer_class = NonFilerSerializer
    rights = {"list": "non_filer.view", "remind": "submission.remind"}
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Enterprise.objects.none()
        raw = str(self.request.query_params.get("year", ""))
        year = int(raw) if raw.isdigit() and len(raw) == 4 else selectors.latest_reporting_year()
        if year is None:
            return Enterprise.objects.none()
        user = self.request.user
        rows = self.restrict(selectors.non_filers(user, year))
        return selectors.filter_non_filers(
            rows, self.request.query_params, whole_city=user.sees_whole_city
        ).order_by("district__code", "name", "pk")

    @extend_schema(request=RemindSerializer, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"])
    def remind(self, request: Request) -> Response:
        """Remind the listed enterprises of their data of `year` (in-app and e-mail), each on its own:
        refused per item when already submitted, reminded within 24 hours, or without an account."""
        body = RemindSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcomes = bulk.remind(
            actor=request.user, year=body.validated_data["year"], ids=body.validated_data["enterprises"]
        )
        return Response(bulk_answer(outcomes))


class NotificationViewSet(ScopedMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    rights = {"list": "notification.view", "retrieve": "notification.view"}
    filterset_fields = ["kind"]
    ordering = ["-created_at", "-id"]


class ExportViewSet(
    ScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's exports. Small exports are ready at once; large ones report progress until done."""

    queryset = ExportJob.objects.all()
    serializer_class = ExportJobSerializer
    rights = {
        "list": "export.view",
        "retrieve": "export.view",
        "download": "export.view",
        "create": "export.create",
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        job, queued = jobs.export_request(
            actor=request.user,
            kind=body.validated_data["kind"],
            filters=body.validated_data.get("filters") or {},
        )
        data = self.get_serializer(job).data
        if not queued:
            data["message"] = "后台任务服务暂时不可用：导出已登记，服务恢复后将自动生成，请稍后查看。"
        return Response(
            data, status=status.HTTP_201_CREATED if job.status == "succeeded" else status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        responses={
            (200, XLSX): OpenApiResponse(response=OpenApiTypes.BINARY, description="the xlsx file"),
            (200, "application/zip"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="the zip of kind evidence_zip: a folder per enterprise and 清单.xlsx",
            ),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        job = self.get_object()
        if job.status != "succeeded" or not job.file:
            raise Http404("导出文件尚未生成。")
        return files.download(job.file, job.download_name)


class ImportViewSet(
    ScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Upload (stored after quick checks; 202 while the dry run runs in the background, 201 when a small file
    was checked at once) → the job with progress and the first errors → `errors/` (every error kept, paged)
    → `commit`, all or nothing."""

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    rights = {
        "list": "import.view",
        "retrieve": "import.view",
        "errors": "import.view",
        "create": "import.create",
        "commit": "import.create",
        "download": "import.view",
    }

    def scope_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        # A list never reads whole error lists or parsed rows: the first few errors and the count kept.
        return queryset.defer("errors", "parsed", "traceback").annotate(
            errors_head=ErrorsHead("errors"), errors_kept=JSONArrayLength("errors")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > 20 * 1024 * 1024:
            return Response({"file": ["文件过大，上限为 10 MB。"]}, status=status.HTTP_400_BAD_REQUEST)
        job = services.import_upload(
            actor=request.user, year=body.validated_data["year"], name=upload.name, data=upload.read()
        )
        return Response(
            self.get_serializer(job).data,
            status=status.HTTP_201_CREATED if job.finished else status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="page number (1, 2, …)"),
            OpenApiParameter("page_size", int, description="errors per page (default 50, at most 500)"),
        ],
        responses=inline_serializer(
            "PaginatedImportErrorList",
            fields={
                "count": drf_serializers.IntegerField(),
                "next": drf_serializers.URLField(allow_null=True),
                "previous": drf_serializers.URLField(allow_null=True),
                "results": ImportErrorSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"])
    def errors(self, request: Request, pk: str | None = None) -> Response:
        """Every error kept for this upload (at most IMPORT_MAX_ERRORS), by sheet, row and column, paged."""
        job = self.get_object()
        page = self.paginate_queryset(job.errors)
        return self.get_paginated_response(ImportErrorSerializer(page, many=True).data)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        job = services.import_commit(actor=request.user, job=self.get_object())
        return Response(
            self.get_serializer(job).data,
            status=status.HTTP_200_OK if job.status == "committed" else status.HTTP_400_BAD_REQUEST,
        )

    @extend_schema(
        responses={
            (200, XLSX): OpenApiResponse(response=OpenApiTypes.BINARY, description="the uploaded xlsx")
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        """The workbook as uploaded, under its original name (a refused upload kept no file: 404)."""
        job = self.get_object()
        return files.download(job.file, job.download_name)


def _year_param(request: Request) -> int:
    """`?year=`: a reporting year, else the latest one; a clear error when there is none."""
    raw = str(request.query_params.get("year", ""))
    year = int(raw) if raw.isdigit() and len(raw) == 4 else selectors.latest_reporting_year()
    if year is None:
        raise InvalidInput(field_errors={"year": [_("请指定年度（如 2025）。")]})
    return year


def _unit(unit_id: str | None, name: str) -> dict[str, Any] | None:
    return {"code": unit_id, "name": name} if unit_id else None


class _OversightBase(ScopedMixin, viewsets.GenericViewSet):
    """Aggregates, not rows: a role without the right is refused (403), not given an empty list."""

    queryset = AnnualSubmission.objects.none()
    rights = {"list": "oversight.view"}
    filter_backends: list[Any] = []
    pagination_class = None

    def check_permissions(self, request: Any) -> None:
        super().check_permissions(request)
        if not self.may(request):
            self.permission_denied(request, message=str(REFUSED))


@extend_schema_serializer(many=False)
class ReviewerConsistencySerializer(drf_serializers.Serializer):
    """One object (not a list) although it answers the viewset's list route."""

    year = drf_serializers.IntegerField()
    units = drf_serializers.ListField(child=drf_serializers.DictField())
    city = drf_serializers.DictField(allow_null=True)


@extend_schema_serializer(many=False)
class IndicatorDistributionSerializer(drf_serializers.Serializer):
    year = drf_serializers.IntegerField()
    indicator = drf_serializers.CharField()
    min_count = drf_serializers.IntegerField()
    units = drf_serializers.ListField(child=drf_serializers.DictField())
    city = drf_serializers.DictField(allow_null=True)


@extend_schema_serializer(many=False)
class PeerBenchmarksSerializer(drf_serializers.Serializer):
    year = drf_serializers.IntegerField(allow_null=True)
    min_group = drf_serializers.IntegerField()
    indicators = drf_serializers.ListField(child=drf_serializers.DictField())
    dimensions = drf_serializers.ListField(child=drf_serializers.DictField())


YEAR_PARAM = OpenApiParameter("year", int, description="年度；缺省为最近的填报年度")


@extend_schema(
    parameters=[YEAR_PARAM],
    responses=ReviewerConsistencySerializer,
)
class ReviewerConsistencyViewSet(_OversightBase):
    """Per management unit the caller reads (a district: its own) and for the whole city: review decisions,
    returns and the return rate, median days from submission to decision, approvals of ×3-flagged data and
    those without a comment, submitted and late data (Art. 12)."""

    def list(self, request: Request) -> Response:
        year = _year_param(request)
        units, city = oversight.reviewer_figures(request.user, year)

        def shape(f: oversight.UnitFigures) -> dict[str, Any]:
            return {
                "unit": _unit(f.unit_id, f.name),
                "decisions": f.decisions,
                "returns": f.returns,
                "return_rate": f.return_rate,
                "median_days_to_review": f.median_days,
                "flagged_approvals": f.flagged_approvals,
                "flagged_approved_without_comment": f.flagged_silent,
                "flagged_approved_without_comment_share": f.flagged_silent_share,
                "submitted": f.submitted,
                "late_submissions": f.late,
            }

        return Response(
            {"year": year, "units": [shape(u) for u in units], "city": shape(city) if city else None}
        )


@extend_schema(
    parameters=[YEAR_PARAM, OpenApiParameter("indicator", str, description="指标代码，如 EL-01")],
    responses=IndicatorDistributionSerializer,
)
class IndicatorDistributionViewSet(_OversightBase):
    """An indicator's P10, Q1, median, Q3 and P90 over each readable unit's city-verified data and the whole
    city's; a group of fewer than `min_count` enterprises carries its count only."""

    def list(self, request: Request) -> Response:
        year = _year_param(request)
        codes = [i.code for i in oversight.year_indicators(year)]
        code = str(request.query_params.get("indicator", ""))
        if code not in codes:
            raise InvalidInput(
                field_errors={
                    "indicator": [
                        _("未知的指标“{code}”，可选：{choices}。").format(code=code, choices="、".join(codes))
                    ]
                }
            )
        units, city = oversight.distributions(request.user, year, code)

        def shape(d: oversight.Distribution) -> dict[str, Any]:
            figures = {k: getattr(d, k) for k in oversight.FRACTIONS}
            return {"unit": _unit(d.unit_id, d.name), "count": d.count, **figures}

        return Response(
            {
                "year": year,
                "indicator": code,
                "min_count": oversight.MIN_VALUES,
                "units": [shape(u) for u in units],
                "city": shape(city) if city else None,
            }
        )


@extend_schema(
    parameters=[OpenApiParameter("year", int, description="年度；缺省为本企业最近一个经市级复核的年度")],
    responses=PeerBenchmarksSerializer,
)
class BenchmarkViewSet(_OversightBase):
    """The caller's own enterprise: per indicator and dimension, the quartile band (1 = best quarter) among
    its industry division's enterprises with city-verified data, or the whole city's when the division has
    fewer than `min_group`; no band when the city has fewer too. Never another enterprise's figures."""

    rights = {"list": "benchmark.view_own"}

    def list(self, request: Request) -> Response:
        raw = str(request.query_params.get("year", ""))
        result = benchmarks.benchmarks(request.user, int(raw) if raw.isdigit() and len(raw) == 4 else None)
        return Response(
            {
                "year": result.year,
                "min_group": benchmarks.MIN_GROUP,
                "indicators": [
                    {
                        "indicator": p.indicator.code,
                        "name": p.indicator.name_zh,
                        "direction": str(p.indicator.direction),
                        "value": None if p.value is None else format(p.value, "f"),
                        "group": p.group or None,
                        "group_label": p.group_label,
                        "members": p.members or None,
                        "band": p.band,
                        "band_label": str(p.band_label) if p.band else str(p.note),
                    }
                    for p in result.indicators
                ],
                "dimensions": [
                    {"dimension": d.code, "name": d.name, "band": d.band, "band_label": str(d.band_label)}
                    for d in result.dimensions
                ],
            }
        )


def register(router: Any) -> None:
    router.register("reporting-years", ReportingYearViewSet, basename="reporting-year")
    router.register("submissions", SubmissionViewSet, basename="submission")
    router.register("corrections", CorrectionViewSet, basename="correction")
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register("non-filers", NonFilerViewSet, basename="non-filer")
    router.register("exports", ExportViewSet, basename="export")
    router.register("imports", ImportViewSet, basename="import")
    router.register("benchmarks", BenchmarkViewSet, basename="benchmark")
    router.register("oversight/reviewers", ReviewerConsistencyViewSet, basename="oversight-reviewer")
    router.register(
        "oversight/distributions", IndicatorDistributionViewSet, basename="oversight-distribution"
    )
