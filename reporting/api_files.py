"""Exports and imports over the API (API.md): POST kind + filters → job; upload → dry run → commit."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import ScopedMixin
from reporting import exports, jobs, services
from reporting.models import ExportJob, ImportJob


class ExportJobSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=[])
    filters = serializers.DictField(
        required=False, default=dict, help_text="year, district, industry, grade, tier, status"
    )
    progress = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "filters",
            "status",
            "progress",
            "done",
            "total",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "status",
            "progress",
            "done",
            "total",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["kind"].choices = sorted(exports.REGISTRY)
        return fields

    def get_download_url(self, obj: ExportJob) -> str | None:
        if obj.status != "succeeded":
            return None
        return reverse("api:export-download", args=[obj.pk])


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
    write_permission = "export.create"

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

    @extend_schema(responses={200: OpenApiResponse(description="the xlsx file")})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        job = self.get_object()
        if job.status != "succeeded" or not job.file:
            raise Http404("导出文件尚未生成。")
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
        )


class ImportJobSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, help_text="按模板填写的 .xlsx 文件")
    year = serializers.IntegerField(min_value=2016, max_value=2100)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "year",
            "file",
            "file_name",
            "file_size",
            "status",
            "row_count",
            "errors",
            "created_at",
            "committed_at",
        ]
        read_only_fields = [
            "id",
            "file_name",
            "file_size",
            "status",
            "row_count",
            "errors",
            "created_at",
            "committed_at",
        ]


class ImportViewSet(
    ScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Upload → dry run (every error by sheet, row, column) → `commit`, all or nothing."""

    queryset = ImportJob.objects.all()
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    write_permission = "import.create"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > 20 * 1024 * 1024:
            return Response({"file": ["文件过大，上限为 10 MB。"]}, status=status.HTTP_400_BAD_REQUEST)
        job = services.import_upload(
            actor=request.user, year=body.validated_data["year"], name=upload.name, data=upload.read()
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        job = services.import_commit(actor=request.user, job=self.get_object())
        return Response(
            self.get_serializer(job).data,
            status=status.HTTP_200_OK if job.status == "committed" else status.HTTP_400_BAD_REQUEST,
        )


def register(router: Any) -> None:
    router.register("exports", ExportViewSet, basename="export")
    router.register("imports", ImportViewSet, basename="import")
