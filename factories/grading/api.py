"""Grading API (API.md names): standards, runs and their results, published grades, incidents,
revocation proposals and the recommendation list."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.http.response import HttpResponseBase
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import files, jobs
from accounts.files import EVIDENCE_RESPONSES
from accounts.serializers import NoteSerializer
from accounts.viewsets import ScopedMixin, ScopedReadOnlyViewSet
from factories import tallies
from factories.grading import selectors, services
from factories.grading.serializers import (
    AdoptSerializer,
    GradingResultSerializer,
    GradingRunSerializer,
    GradingStandardSerializer,
    IncidentSerializer,
    ObjectionAcceptSerializer,
    ObjectionCreateSerializer,
    ObjectionLinkRunSerializer,
    ObjectionRejectSerializer,
    ObjectionSerializer,
    PublishedGradeSerializer,
    PublishSerializer,
)
from factories.models import (
    GradingResult,
    GradingRun,
    GradingStandard,
    Incident,
    Objection,
    ProposalSource,
    RevocationProposal,
)
from factories.serializers import RevocationProposalSerializer


class GradingStandardViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Versioned grading standards. POST creates a new draft version; PATCH edits a draft; `adopt` puts it in force."""

    queryset = GradingStandard.objects.all()
    serializer_class = GradingStandardSerializer
    # PUT is not allowed (405), but a role that may not change standards is told so first (403).
    rights = {
        "list": "grading_standard.view",
        "retrieve": "grading_standard.view",
        "create": "grading.manage",
        "update": "grading.manage",
        "partial_update": "grading.manage",
        "adopt": "grading.manage",
    }
    filterset_fields = ["code", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        base = data.get("base") or services.standard_in_force(timezone.localdate().year)
        serializer.instance = services.grading_standard_new_version(
            actor=self.request.user,
            base=base,
            parameters=data.get("parameters"),
            name=data.get("name", ""),
            note=data.get("note", ""),
        )

    def perform_update(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.grading_standard_update(
            actor=self.request.user,
            standard=serializer.instance,
            parameters=data.get("parameters", serializer.instance.parameters),
            note=data.get("note", ""),
        )

    @extend_schema(request=AdoptSerializer, responses=GradingStandardSerializer)
    @action(detail=True, methods=["post"])
    def adopt(self, request: Request, pk: str | None = None) -> Response:
        body = AdoptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        standard = services.grading_standard_adopt(
            actor=request.user, standard=self.get_object(), valid_from=body.validated_data["valid_from"]
        )
        return Response(self.get_serializer(standard).data)


class ResultFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district_id")
    industry = django_filters.CharFilter(field_name="industry_id")

    class Meta:
        model = GradingResult
        fields = ["grade", "district", "industry", "tier", "revocation_proposed", "year", "enterprise"]


class GradingRunViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Grading runs (city staff and auditors). POST with `year` starts one as a Celery task."""

    queryset = GradingRun.objects.all()
    serializer_class = GradingRunSerializer
    rights = {
        "list": "grading_run.view",
        "retrieve": "grading_run.view",
        "results": "grading_run.view",
        "diff": "grading_run.view",
        "create": "grading.manage",
        "publish": "grading.manage",
        "finalize": "grading.manage",
        "retry": "grading.manage",
    }
    filterset_fields = ["year", "status", "is_simulation"]
    ordering = ["-year", "-created_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("standard", "started_by")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.grading_run_start(
            actor=self.request.user,
            year=data["year"],
            standard=data.get("standard"),
            simulation=data.get("is_simulation", False),
            note=data.get("note", ""),
            confirm_pending=data.get("confirm_pending", False),
            reason=data.get("reason", ""),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        response.status_code = status.HTTP_202_ACCEPTED
        if jobs.send_failed(response.data.serializer.instance):
            response.data["message"] = str(jobs.BROKER_DOWN)
        return response

    @extend_schema(request=PublishSerializer, responses=GradingRunSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Publish for public notice (公示) between the given dates."""
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.grading_run_publish(actor=request.user, run=self.get_object(), **body.validated_data)
        return Response(self.get_serializer(run).data)

    @extend_schema(request=None, responses=GradingRunSerializer)
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, pk: str | None = None) -> Response:
        """End the notice period; the grades become final."""
        run = services.grading_run_finalize(actor=request.user, run=self.get_object())
        return Response(self.get_serializer(run).data)

    @extend_schema(request=None, responses=GradingRunSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Restart a failed run, or one whose worker stopped responding."""
        run = services.grading_run_retry(actor=request.user, run=self.get_object())
        return Response(self.get_serializer(run).data)

    @extend_schema(responses=GradingResultSerializer(many=True))
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """Per-factory results with every intermediate number."""
        run = self.get_object()
        queryset = ResultFilter(request.GET, queryset=run.results.select_related("enterprise")).qs
        page = self.paginate_queryset(queryset.order_by("enterprise_id"))
        return self.get_paginated_response(GradingResultSerializer(page, many=True).data)

    @extend_schema(responses=OpenApiResponse(description="grade moves against the published run"))
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Who moved from what to what against the year's published run, and by district and industry."""
        run = self.get_object()
        base = selectors.diff_base(run)
        moves = selectors.run_diff(run, base)
        return Response(
            {
                "base_run": getattr(base, "pk", None),
                "moves": [
                    {
                        "enterprise": m["enterprise"].pk,
                        "enterprise_name": m["enterprise"].name,
                        "district": m["district"].pk,
                        "from": m["from"],
                        "to": m["to"],
                        "direction": m["direction"],
                        "composite_from": m["composite_from"],
                        "composite_to": m["composite_to"],
                        "causes": m["causes"],
                        "decided_by": m["decided_by"],
                        "reasons": m["reasons"],
                    }
                    for m in moves
                ],
                "by": selectors.moves_by(run, base),
            }
        )


class GradeFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district_id")
    industry = django_filters.CharFilter(field_name="industry_id")

    class Meta:
        model = GradingResult
        fields = ["year", "district", "industry", "grade", "tier", "enterprise"]


PUBLISHED_GRADE_COLUMNS = (
    "id",
    "enterprise_id",
    "enterprise__name",
    "year",
    "grade",
    "district_id",
    "industry_id",
    "tier",
    "run__status",
    "level_score",
    "improvement_score",
    "composite_score",
    "decided_by",
)
"""What `PublishedGradeSerializer` prints of a result, its enterprise and its run."""


class GradeViewSet(ScopedReadOnlyViewSet):
    """Published grades (公示 or final), scoped: districts see their unit's, enterprises their own."""

    queryset = GradingResult.objects.all()
    serializer_class = PublishedGradeSerializer
    rights = {"list": "grades.view", "retrieve": "grades.view", "explanation": "grades.view"}
    filterset_class = GradeFilter
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    ordering_fields = ["year", "grade", "composite_score", "enterprise__name"]
    ordering = ["-year", "-id"]
    tally = staticmethod(tallies.published_grade_count)

    def scope_queryset(self, queryset: Any) -> Any:
        queryset = queryset.published().select_related("enterprise", "run")
        if self.action in ("list", "retrieve"):
            # The columns the serializer prints: not each result's percentiles and reasons (JSON), nor the
            # whole run and enterprise rows, for every row of a page.
            queryset = queryset.only(*PUBLISHED_GRADE_COLUMNS)
        return queryset

    @extend_schema(responses=OpenApiResponse(description="explanation card"))
    @action(detail=True, methods=["get"])
    def explanation(self, request: Request, pk: str | None = None) -> Response:
        """The factory's explanation card: deciding rule, peer group, L, S, C, D_k, indicators, next band."""
        card = selectors.explanation(self.get_object())
        result = card["result"]
        return Response(
            {
                "enterprise": result.enterprise_id,
                "year": result.year,
                "grade": result.grade,
                "computed_grade": result.computed_grade,
                "decided_by": result.decided_by,
                "standard": card["standard"].label,
                "peer_group": result.peer_group,
                "peer_count": result.peer_count,
                "level_score": result.level_score,
                "improvement_score": result.improvement_score,
                "composite_score": result.composite_score,
                "q": result.q,
                "dimensions": card["dimensions"],
                "indicators": [
                    {
                        **row,
                        "value": None if row["value"] is None else str(row["value"]),
                        "previous": None if row["previous"] is None else str(row["previous"]),
                    }
                    for row in card["indicators"]
                ],
                "reasons": result.reasons,
                "next_band": card["next_band"],
            }
        )


class IncidentViewSet(
    ScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents recorded by the city (Art. 9); `confirm-revocation` confirms the revocation a run proposed."""

    queryset = Incident.objects.all()
    serializer_class = IncidentSerializer
    rights = {
        "list": "incident.view",
        "retrieve": "incident.view",
        "create": "incident.manage",
        "confirm_revocation": "incident.manage",
        "evidence": "incident.view",
    }
    filterset_fields = ["kind", "severity", "enterprise"]
    ordering = ["-occurred_on", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise", "recorded_by")

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.incident_record(actor=self.request.user, **serializer.validated_data)

    @extend_schema(responses=EVIDENCE_RESPONSES)
    @action(detail=True, methods=["get"])
    def evidence(self, request: Request, pk: str | None = None) -> HttpResponseBase:
        """The incident's evidence file under a readable name (404 when it has none)."""
        incident = self.get_object()
        return files.download(incident.evidence, incident.evidence_download_name)

    @extend_schema(request=NoteSerializer, responses=RevocationProposalSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-revocation")
    def confirm_revocation(self, request: Request, pk: str | None = None) -> Response:
        """Confirm the pending revocation proposed because of this incident (by a second city user)."""
        incident = self.get_object()
        proposal = (
            incident.revocation_proposals.filter(status="proposed", run__is_simulation=False)
            .order_by("-run_id")
            .first()
        )
        if proposal is None:
            raise Http404("该事故没有待确认的撤销建议。")
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.revocation_confirm(
            actor=request.user, proposal=proposal, note=body.validated_data["note"]
        )
        return Response(RevocationProposalSerializer(proposal).data)


class RevocationProposalFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(
        choices=ProposalSource.choices, method="filter_source", label="来源（run 分级评价 / register 名录）"
    )

    class Meta:
        model = RevocationProposal
        fields = ["status", "reason", "run", "enterprise"]

    def filter_source(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(run__isnull=value == ProposalSource.REGISTER)


class RevocationProposalViewSet(ScopedReadOnlyViewSet):
    """Revocations proposed by runs or from the register, awaiting a second city user's decision.

    `confirm` needs a second city user and, for a run's proposal, a final run (409 otherwise); `reject` is
    API.md's name for `dismiss` (both kept: `dismiss` is what the pages and earlier clients call).
    """

    queryset = RevocationProposal.objects.all()
    serializer_class = RevocationProposalSerializer
    rights = {
        "list": "revocation.view",
        "retrieve": "revocation.view",
        "confirm": "incident.manage",
        "dismiss": "incident.manage",
        "reject": "incident.manage",
    }
    filterset_class = RevocationProposalFilter

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise", "run", "decided_by", "proposed_by")

    @extend_schema(request=NoteSerializer, responses=RevocationProposalSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.revocation_confirm(
            actor=request.user, proposal=self.get_object(), note=body.validated_data["note"]
        )
        return Response(self.get_serializer(proposal).data)

    @extend_schema(request=NoteSerializer, responses=RevocationProposalSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        return self._dismiss(request)

    @extend_schema(request=NoteSerializer, responses=RevocationProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Decide not to revoke (API.md's `reject`; the same as `dismiss`)."""
        return self._dismiss(request)

    def _dismiss(self, request: Request) -> Response:
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = services.revocation_dismiss(
            actor=request.user, proposal=self.get_object(), note=body.validated_data["note"]
        )
        return Response(self.get_serializer(proposal).data)


class RecommendationViewSet(ScopedReadOnlyViewSet):
    """City-level factories graded AA or above in the published run, recommended for national level (Art. 8)."""

    queryset = GradingResult.objects.all()
    serializer_class = PublishedGradeSerializer
    # The rows are published grades, read as grades are (each role its scope); the HTML page of the national
    # list is for staff only (`recommendations.view`).
    rights = {"list": "grades.view", "retrieve": "grades.view"}
    filterset_class = GradeFilter
    ordering = ["-year", "-composite_score", "enterprise_id"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return selectors.recommendations(self.request.user).select_related("enterprise", "run")


class ObjectionViewSet(
    ScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Objections (异议) to published grades: the city reads all, a district those about its enterprises, an
    enterprise its own. An enterprise files one about its own grade during the notice period (POST); the city
    accepts (with the remedy) or rejects it with a reason, and links the new run of the year."""

    queryset = Objection.objects.all()
    serializer_class = ObjectionSerializer
    rights = {
        "list": "objection.view",
        "retrieve": "objection.view",
        "create": "objection.file",
        "accept": "objection.decide",
        "reject": "objection.decide",
        "link_run": "objection.decide",
    }
    filterset_fields = ["status", "objector_kind", "run", "enterprise"]
    ordering = ["-filed_at", "-id"]

    def scope_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("enterprise", "run", "result")

    @extend_schema(request=ObjectionCreateSerializer, responses={201: ObjectionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = ObjectionCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        objection = services.objection_file(actor=request.user, **body.validated_data)
        return Response(self.get_serializer(objection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionAcceptSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Accept with a written reason and the remedy: `correction` (a correction request's id), `incident`
        or `method_note` (with `note`)."""
        from reporting.models import CorrectionRequest

        objection = self.get_object()
        body = ObjectionAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        correction_id = data.pop("correction", None)
        correction = (
            CorrectionRequest.objects.visible_to(request.user).filter(pk=correction_id).first()
            if correction_id
            else None
        )
        objection = services.objection_accept(
            actor=request.user, objection=objection, correction=correction, **data
        )
        return Response(self.get_serializer(objection).data)

    @extend_schema(request=ObjectionRejectSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a written reason."""
        objection = self.get_object()
        body = ObjectionRejectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = services.objection_reject(actor=request.user, objection=objection, **body.validated_data)
        return Response(self.get_serializer(objection).data)

    @extend_schema(request=ObjectionLinkRunSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"], url_path="link-run")
    def link_run(self, request: Request, pk: str | None = None) -> Response:
        """Attach the new run of the year; its diff against the objected run is kept with the objection."""
        objection = self.get_object()
        body = ObjectionLinkRunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = services.objection_link_run(
            actor=request.user, objection=objection, **body.validated_data
        )
        return Response(self.get_serializer(objection).data)


def register(router: Any) -> None:
    router.register("grading-standards", GradingStandardViewSet, basename="grading-standard")
    router.register("grading-runs", GradingRunViewSet, basename="grading-run")
    router.register("grades", GradeViewSet, basename="grade")
    router.register("incidents", IncidentViewSet, basename="incident")
    router.register("revocation-proposals", RevocationProposalViewSet, basename="revocation-proposal")
    router.register("recommendations", RecommendationViewSet, basename="recommendation")
    router.register("objections", ObjectionViewSet, basename="objection")
