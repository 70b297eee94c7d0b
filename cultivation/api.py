"""Cultivation-pool API under /api/v1/cultivation/ (API.md names): applications, members, standards,
levels and level jobs, certifications, reviews and district reports. Thin: parse → service → render;
rows outside the caller's scope answer 404, a role without the right 403 before the body is read."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import files, jobs
from accounts.drf import JSONParser
from accounts.files import EVIDENCE_ID, EVIDENCE_RESPONSES
from accounts.serializers import NoteSerializer
from accounts.viewsets import ScopedMixin, ScopedReadOnlyViewSet
from cultivation import selectors, services
from cultivation.filters import (
    ApplicationFilter,
    CertificationFilter,
    DistrictReportFilter,
    LevelFilter,
    LevelJobFilter,
    MembershipFilter,
    ReviewFilter,
)
from cultivation.models import (
    BCertification,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    LevelDecision,
    LevelJob,
    PoolApplication,
    PoolMembership,
    SupervisionRecord,
)
from cultivation.serializers import (
    BCertificationSerializer,
    CertificationApplySerializer,
    CloseReviewSerializer,
    DistrictReportSerializer,
    DistrictStandardSerializer,
    IrregularReviewSerializer,
    LevelDecisionSerializer,
    LevelJobSerializer,
    MissingReportSerializer,
    NarrativeSerializer,
    OverdueMemberSerializer,
    PoolApplicationSerializer,
    PoolMembershipSerializer,
    SupervisionRecordSerializer,
    YearSerializer,
)
from factories.models import District
from reporting.serializers import ReasonSerializer


def _own_district(request: Request) -> District:
    """The caller's management unit; the action's right has already let only district users through."""
    district = getattr(request.user, "district", None)
    if district is None:
        raise PermissionDenied(_("只有区县经信部门可以执行此操作。"))
    return district


def _body(serializer_class: Any, request: Request) -> dict[str, Any]:
    body = serializer_class(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    return body.validated_data


def _evidence_download(application: Any, evidence_id: str | None) -> HttpResponseBase:
    """A file of an application the caller may see; another application's file id answers 404."""
    item = files.owned_file(application.evidence, evidence_id)
    return files.download(item.file, item.filename)


class ApplicationViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Applications to join the pool (Art. 10): an enterprise or its district applies; the district accepts
    (the enterprise joins) or rejects with a reason."""

    queryset = PoolApplication.objects.all()
    serializer_class = PoolApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["created_at", "status", "enterprise__name"]
    ordering = ["-created_at", "-id"]
    rights = {
        "list": "pool.view",
        "retrieve": "pool.view",
        "create": "pool.apply",
        "accept": "pool.manage",
        "reject": "pool.manage",
        "evidence_download": "pool.view",
    }
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise", "applied_by", "decided_by").prefetch_related(
            "evidence__uploaded_by"
        )

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.pool_application_submit(
            actor=self.request.user,
            enterprise=data["enterprise"],
            intention=data.get("intention", ""),
            plan=data.get("plan", ""),
            lawful_declaration=data.get("lawful_declaration", False),
            evidence_files=data.get("evidence_files"),
        )

    @extend_schema(responses=EVIDENCE_RESPONSES, parameters=[EVIDENCE_ID])
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>[^/.]+)/download",
        url_name="evidence-download",
    )
    def evidence_download(
        self, request: Request, pk: str | None = None, evidence_id: str | None = None
    ) -> HttpResponseBase:
        """One file filed with the application, for whoever may see it (another unit's answers 404)."""
        return _evidence_download(self.get_object(), evidence_id)

    @extend_schema(request=NoteSerializer, responses=PoolApplicationSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept: every Art. 10 condition holds; the enterprise joins the pool today."""
        application = services.pool_application_accept(
            actor=request.user, application=self.get_object(), note=_body(NoteSerializer, request)["note"]
        )
        return Response(self.get_serializer(application).data)

    @extend_schema(request=ReasonSerializer, responses=PoolApplicationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a reason (required)."""
        application = services.pool_application_reject(
            actor=request.user,
            application=self.get_object(),
            reason=_body(ReasonSerializer, request)["reason"],
        )
        return Response(self.get_serializer(application).data)


class MemberViewSet(ScopedReadOnlyViewSet):
    """Pool members. `exit` takes a member out (reason required); `supervision` lists or records the
    district's dated supervision and guidance steps; `overdue` lists members due for a visit."""

    queryset = PoolMembership.objects.all()
    serializer_class = PoolMembershipSerializer
    filterset_class = MembershipFilter
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    ordering_fields = ["joined_on", "status", "enterprise__name"]
    ordering = ["-joined_on", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    rights = {
        "list": "pool.view",
        "retrieve": "pool.view",
        "overdue": "pool.view",
        "supervision": "pool.view",
        "exit": "pool.exit",
        "record_supervision": "pool.manage",
    }

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise")

    @extend_schema(request=ReasonSerializer, responses=PoolMembershipSerializer)
    @action(detail=True, methods=["post"])
    def exit(self, request: Request, pk: str | None = None) -> Response:
        membership = services.membership_exit(
            actor=request.user,
            membership=self.get_object(),
            reason=_body(ReasonSerializer, request)["reason"],
        )
        return Response(self.get_serializer(membership).data)

    @extend_schema(request=None, responses=SupervisionRecordSerializer(many=True))
    @action(detail=True, methods=["get"])
    def supervision(self, request: Request, pk: str | None = None) -> Response:
        """The member's supervision and guidance records, newest first."""
        records = self.get_object().supervision_records.select_related("recorded_by").order_by("-date", "-id")
        page = self.paginate_queryset(records)
        return self.get_paginated_response(
            SupervisionRecordSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(request=SupervisionRecordSerializer, responses={201: SupervisionRecordSerializer})
    @supervision.mapping.post
    def record_supervision(self, request: Request, pk: str | None = None) -> Response:
        """Record one supervision or guidance step (kind, date, note, evidence file)."""
        membership = self.get_object()
        data = _body(SupervisionRecordSerializer, request)
        record = services.supervision_record_add(
            actor=request.user,
            membership=membership,
            kind=data["kind"],
            date=data["date"],
            note=data.get("note", ""),
            evidence=data.get("evidence"),
        )
        return Response(
            SupervisionRecordSerializer(record, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=OverdueMemberSerializer(many=True))
    @action(detail=False, methods=["get"])
    def overdue(self, request: Request) -> Response:
        """Active members never supervised or guided, or whose latest record is over 12 months old."""
        page = self.paginate_queryset(self.restrict(selectors.overdue_supervision(request.user)))
        return self.get_paginated_response(OverdueMemberSerializer(page, many=True).data)


class StandardViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """District B/C/D standards (Art. 5). POST creates a new version of the caller's own district's standard
    (`parameters` to change and a `note`); the latest version is in force."""

    queryset = DistrictStandard.objects.all()
    serializer_class = DistrictStandardSerializer
    rights = {"list": "pool.view", "retrieve": "pool.view", "create": "pool.manage"}
    filterset_fields = ["district", "version"]
    ordering = ["district_id", "-version"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("district", "created_by")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        if not isinstance(data["parameters"], dict):
            raise ValidationError({"parameters": ["应为JSON对象。"]})
        serializer.instance = services.district_standard_new_version(
            actor=self.request.user,
            district=_own_district(self.request),
            parameters=data["parameters"],
            note=data.get("note", ""),
        )


class LevelViewSet(ScopedReadOnlyViewSet):
    """Pool levels per enterprise and year (`level` B_eligible / C / D, `certified_b`). POST `compute` with a
    `year` starts the computation of the caller's district as a background job (202)."""

    queryset = LevelDecision.objects.all()
    serializer_class = LevelDecisionSerializer
    filterset_class = LevelFilter
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    ordering_fields = ["year", "level", "level_score", "enterprise__name"]
    ordering = ["-year", "enterprise__name", "id"]
    rights = {"list": "pool.view", "retrieve": "pool.view", "compute": "pool.manage"}

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise", "standard")

    @extend_schema(request=YearSerializer, responses={202: LevelJobSerializer})
    @action(detail=False, methods=["post"])
    def compute(self, request: Request) -> Response:
        job = services.level_job_start(
            actor=request.user, district=_own_district(request), year=_body(YearSerializer, request)["year"]
        )
        failed = jobs.send_failed(job)
        job.refresh_from_db()
        data = LevelJobSerializer(job).data
        if failed:
            data["message"] = str(jobs.BROKER_DOWN)
        return Response(data, status=status.HTTP_202_ACCEPTED)


class LevelJobViewSet(ScopedReadOnlyViewSet):
    """Level computations with their progress (poll `progress` and `status`)."""

    queryset = LevelJob.objects.all()
    serializer_class = LevelJobSerializer
    rights = {"list": "pool.view", "retrieve": "pool.view"}
    filterset_class = LevelJobFilter
    ordering = ["-created_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("standard", "started_by")


class CertificationViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """B-level certification (Art. 11(1)). POST applies (`enterprise`, `year` of a B-eligible level); the
    district certifies or rejects; after a level falls below B it confirms the loss or keeps the title."""

    queryset = BCertification.objects.all()
    serializer_class = BCertificationSerializer
    filterset_class = CertificationFilter
    ordering_fields = ["applied_at", "certified_at", "status"]
    ordering = ["-applied_at", "-id"]
    rights = {
        "list": "pool.view",
        "retrieve": "pool.view",
        "recommended": "pool.view",
        "create": "pool.apply",
        "certify": "pool.manage",
        "reject": "pool.manage",
        "confirm_loss": "pool.manage",
        "keep": "pool.manage",
        "evidence_download": "pool.view",
    }
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related(
            "membership__enterprise", "applied_by", "reviewed_by", "settled_by"
        ).prefetch_related("evidence__uploaded_by")

    @extend_schema(request=CertificationApplySerializer, responses={201: BCertificationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _body(CertificationApplySerializer, request)
        certification = services.b_certification_apply(
            actor=request.user,
            enterprise=data["enterprise"],
            year=data["year"],
            evidence_files=data.get("evidence_files"),
        )
        return Response(self.get_serializer(certification).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=EVIDENCE_RESPONSES, parameters=[EVIDENCE_ID])
    @action(
        detail=True,
        methods=["get"],
        url_path=r"evidence/(?P<evidence_id>[^/.]+)/download",
        url_name="evidence-download",
    )
    def evidence_download(
        self, request: Request, pk: str | None = None, evidence_id: str | None = None
    ) -> HttpResponseBase:
        """One file filed with the application, for whoever may see it (another unit's answers 404)."""
        return _evidence_download(self.get_object(), evidence_id)

    def _decide(self, request: Request, service: Any, body: Any, key: str) -> Response:
        certification = self.get_object()
        updated = service(actor=request.user, certification=certification, **{key: _body(body, request)[key]})
        return Response(self.get_serializer(updated).data)

    @extend_schema(request=NoteSerializer, responses=BCertificationSerializer)
    @action(detail=True, methods=["post"])
    def certify(self, request: Request, pk: str | None = None) -> Response:
        """Certify as a district-level green factory (区县级绿色工厂); a certificate number is issued."""
        return self._decide(request, services.b_certification_certify, NoteSerializer, "note")

    @extend_schema(request=ReasonSerializer, responses=BCertificationSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Decline to certify (reason required)."""
        return self._decide(request, services.b_certification_reject, ReasonSerializer, "reason")

    @extend_schema(request=ReasonSerializer, responses=BCertificationSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-loss")
    def confirm_loss(self, request: Request, pk: str | None = None) -> Response:
        """After a level fell below B: the certification is lost (reason required)."""
        return self._decide(request, services.b_certification_confirm_loss, ReasonSerializer, "reason")

    @extend_schema(request=ReasonSerializer, responses=BCertificationSerializer)
    @action(detail=True, methods=["post"])
    def keep(self, request: Request, pk: str | None = None) -> Response:
        """After a level fell below B: the district keeps the certification (reason required)."""
        return self._decide(request, services.b_certification_keep, ReasonSerializer, "reason")

    @extend_schema(responses=BCertificationSerializer(many=True))
    @action(detail=False, methods=["get"])
    def recommended(self, request: Request) -> Response:
        """Certified B factories of active members: recommended for city-level application (Art. 11(1))."""
        rows = selectors.recommended_b_factories(request.user).prefetch_related("evidence__uploaded_by")
        page = self.paginate_queryset(self.restrict(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ReviewViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Irregular reviews (不定期复核, Art. 12) by the city or the district. `close` records the findings; a
    falsification finding lowers the member one level and withdraws its B certification."""

    queryset = IrregularReview.objects.all()
    serializer_class = IrregularReviewSerializer
    filterset_class = ReviewFilter
    rights = {
        "list": "pool_review.view",
        "retrieve": "pool_review.view",
        "create": "pool.review",
        "close": "pool.review",
    }
    ordering = ["-opened_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("membership__enterprise", "opened_by", "closed_by")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.irregular_review_open(
            actor=self.request.user, membership=data["membership"], scope_note=data.get("scope_note", "")
        )

    @extend_schema(request=CloseReviewSerializer, responses=IrregularReviewSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        data = _body(CloseReviewSerializer, request)
        review = services.irregular_review_close(actor=request.user, review=self.get_object(), **data)
        return Response(self.get_serializer(review).data)


class DistrictReportViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """District annual reports (Art. 12). POST `year` drafts (or redrafts) the caller's district's report from
    the data; PATCH `narrative`; `submit` by the district; `acknowledge` or `return` (reason) by the city;
    `missing/?year=` lists the units that have not reported."""

    queryset = DistrictReport.objects.all()
    serializer_class = DistrictReportSerializer
    filterset_class = DistrictReportFilter
    ordering_fields = ["year", "district", "status", "submitted_at"]
    ordering = ["-year", "district_id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    rights = {
        "list": "district_report.view",
        "retrieve": "district_report.view",
        "missing": "district_report.view",
        "create": "district_report.submit",
        "partial_update": "district_report.submit",
        "submit": "district_report.submit",
        "acknowledge": "district_report.decide",
        "return_": "district_report.decide",
    }

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("district", "generated_by", "submitted_by", "decided_by")

    @extend_schema(
        request=YearSerializer, responses={200: DistrictReportSerializer, 201: DistrictReportSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report, created = services.district_report_generate(
            actor=request.user, district=_own_district(request), year=_body(YearSerializer, request)["year"]
        )
        return Response(
            self.get_serializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=NarrativeSerializer, responses=DistrictReportSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = services.district_report_save_narrative(
            actor=request.user,
            report=self.get_object(),
            narrative=_body(NarrativeSerializer, request)["narrative"],
        )
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses=DistrictReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        report = services.district_report_submit(actor=request.user, report=self.get_object())
        return Response(self.get_serializer(report).data)

    @extend_schema(request=NoteSerializer, responses=DistrictReportSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        report = services.district_report_acknowledge(
            actor=request.user, report=self.get_object(), comment=_body(NoteSerializer, request)["note"]
        )
        return Response(self.get_serializer(report).data)

    @extend_schema(request=ReasonSerializer, responses=DistrictReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        """Return to the district (reason required)."""
        report = services.district_report_return(
            actor=request.user, report=self.get_object(), reason=_body(ReasonSerializer, request)["reason"]
        )
        return Response(self.get_serializer(report).data)

    @extend_schema(
        parameters=[OpenApiParameter("year", int, required=True)],
        responses=MissingReportSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def missing(self, request: Request) -> Response:
        """Units in force on 31 December of `year` that have not submitted their report for it."""
        body = YearSerializer(data=request.query_params)
        body.is_valid(raise_exception=True)
        page = self.paginate_queryset(
            self.restrict(selectors.districts_missing_report(request.user, body.validated_data["year"]))
        )
        return self.get_paginated_response(MissingReportSerializer(page, many=True).data)


class SupervisionRecordViewSet(ScopedReadOnlyViewSet):
    """Supervision and guidance records of the members the caller may see (`membership` filters one
    member's); `evidence` downloads a record's evidence file through the same scope."""

    queryset = SupervisionRecord.objects.all()
    serializer_class = SupervisionRecordSerializer
    filterset_fields = ["membership", "kind"]
    ordering = ["-date", "-id"]
    rights = {"list": "pool.view", "retrieve": "pool.view", "evidence": "pool.view"}

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("membership__enterprise", "recorded_by")

    @extend_schema(responses=EVIDENCE_RESPONSES, parameters=[EVIDENCE_ID])
    @action(detail=True, methods=["get"])
    def evidence(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        """The record's evidence file under a readable name (404 when it has none)."""
        record = self.get_object()
        return files.download(record.evidence, record.evidence_download_name)


def register(router: Any) -> None:
    router.register("cultivation/applications", ApplicationViewSet, basename="cultivation-application")
    router.register("cultivation/members", MemberViewSet, basename="cultivation-member")
    router.register("cultivation/standards", StandardViewSet, basename="cultivation-standard")
    router.register("cultivation/levels", LevelViewSet, basename="cultivation-level")
    router.register("cultivation/level-jobs", LevelJobViewSet, basename="cultivation-level-job")
    router.register("cultivation/certifications", CertificationViewSet, basename="cultivation-certification")
    router.register("cultivation/reviews", ReviewViewSet, basename="cultivation-review")
    router.register(
        "cultivation/district-reports", DistrictReportViewSet, basename="cultivation-district-report"
    )
    router.register(
        "cultivation/supervision-records", SupervisionRecordViewSet, basename="cultivation-supervision"
    )
