"""Excel in and out in the browser: exports (direct or as a job with progress) and annual-data imports."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts import exports, files
from accounts.errors import DomainError
from accounts.views_base import (
    JobProgressView,
    RightRequiredMixin,
    ScopedObjectMixin,
    show_domain_error,
    signed_in,
)
from factories.models import District, Enterprise, Grade, Industry, Tier
from reporting import imports, jobs, services
from reporting.forms import ImportTemplateForm
from reporting.models import ExportJob, ImportJob, ReportingYear

EXPORT_KINDS = [
    "enterprises",
    "green_factories",
    "submissions",
    "grades",
    "recommendations",
    "miit_dynamic",
    "evidence_zip",
    "pool",
    "pool_members",
    "district_reports",
]


def template_enterprises(user: Any) -> list[tuple[str, str]]:
    """A district's template is pre-filled with its enterprises; the city's (whole-city) template is blank."""
    if user.sees_whole_city:
        return []
    return list(Enterprise.objects.visible_to(user).order_by("name").values_list("credit_code", "name"))


class ExportListView(RightRequiredMixin, View):
    """The export form and the user's own export jobs."""

    right = "export.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        kinds = [
            (kind, exports.REGISTRY[kind].title, exports.REGISTRY[kind].filters)
            for kind in EXPORT_KINDS
            if kind in exports.REGISTRY
        ]
        titles = {kind: exporter.title for kind, exporter in exports.REGISTRY.items()}
        jobs_list = list(ExportJob.objects.visible_to(request.user)[:30])
        for job in jobs_list:
            job.title = titles.get(job.kind, job.kind)  # type: ignore[attr-defined]
            job.filter_text = "；".join(  # type: ignore[attr-defined]
                exports.filter_parts(exports.REGISTRY.get(job.kind), job.filters)
            )
        return render(
            request,
            "reporting/exports.html",
            {
                "kinds": kinds,
                "jobs": jobs_list,
                "years": ReportingYear.objects.values_list("year", flat=True),
                "grades": Grade.values,
                "tiers": Tier.choices,
                "chosen": request.GET.get("kind", ""),
                "districts": District.objects.filter(valid_to__isnull=True)
                if signed_in(request).sees_whole_city
                else [],
                "industries": Industry.objects.all(),
                "sync_limit": exports.SYNC_LIMIT,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        filters = {k: request.POST.get(k) for k in jobs.FILTER_KEYS}
        try:
            job, queued = jobs.export_request(
                actor=request.user, kind=request.POST.get("kind", ""), filters=filters
            )
        except DomainError as error:
            show_domain_error(request, error)
            return redirect("reporting:export_list")
        if job.status == "succeeded":
            return redirect("reporting:export_download", pk=job.pk)
        if not queued:
            messages.warning(
                request,
                _(
                    "后台任务服务暂时不可用：导出已登记（共 {n} 行），服务恢复后将自动生成，请稍后回到本页下载。"
                ).format(n=job.total),
            )
        elif job.file_format == "zip":
            messages.info(
                request, _("佐证材料共 {n} 个文件，正在后台打包，完成后可在下方下载。").format(n=job.total)
            )
        else:
            messages.info(request, _("导出共 {n} 行，正在后台生成，完成后可在下方下载。").format(n=job.total))
        return redirect("reporting:export_list")


class ExportDownloadView(ScopedObjectMixin, View):
    """Only the requester can download; anyone else gets 404."""

    right = "export.view"
    model = ExportJob

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = self.get_object()
        if job.status != "succeeded" or not job.file:
            raise Http404
        return files.download(job.file, job.download_name)


class ExportProgressView(JobProgressView, View):
    """The progress of one of the user's exports, as JSON for the page to poll."""

    right = "export.view"
    model = ExportJob


class ImportProgressView(JobProgressView, View):
    """The validation progress of one upload, as JSON for its page to poll."""

    right = "import.create"
    model = ImportJob


class ImportTemplateView(RightRequiredMixin, View):
    """The workbook to fill for an import: blank for the city, pre-filled with a district's enterprises."""

    right = "import.create"

    def get(self, request: HttpRequest) -> HttpResponseBase:
        form = ImportTemplateForm(request.GET)
        if not form.is_valid():
            for texts in form.errors.values():
                for text in texts:
                    messages.error(request, str(text))
            return redirect("reporting:import_list")
        year = form.cleaned_data["year"] or timezone.localdate().year - 1
        reporting_year = ReportingYear.objects.filter(year=year).first()
        data = imports.build_template(
            year=year,
            enterprises=template_enterprises(request.user),
            catalogue_version=reporting_year.catalogue_version if reporting_year else "GBT36132-2018",
            sector_catalogues=reporting_year.sector_catalogue_codes if reporting_year else [],
        )
        user = signed_in(request)
        unit = user.district.name if user.district else "全市"
        return FileResponse(
            io.BytesIO(data), as_attachment=True, filename=f"{year}年度数据导入模板-{unit}.xlsx"
        )


class ImportListView(RightRequiredMixin, View):
    """Upload form and import history (who, when, what happened)."""

    right = "import.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "reporting/imports.html",
            {
                "jobs": ImportJob.objects.visible_to(request.user)
                .select_related("uploaded_by", "committed_by")
                .defer("errors", "parsed", "traceback")[:50],
                "years": ReportingYear.objects.values_list("year", flat=True),
                "grades": Grade.values,
                "max_mb": imports.MAX_UPLOAD_BYTES // 1024 // 1024,
                # a unit's template lists its enterprises (see template_enterprises)
                "prefilled_template": not signed_in(request).sees_whole_city,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        year = request.POST.get("year", "")
        if upload is None or upload.size is None or not year.isdigit():
            messages.error(request, _("请选择年度并选择要上传的 .xlsx 文件。"))
            return redirect("reporting:import_list")
        if upload.size > imports.MAX_UPLOAD_BYTES:
            messages.error(
                request,
                _("文件过大（{size:.1f} MB），上限为 {limit} MB。").format(
                    size=upload.size / 1024 / 1024, limit=imports.MAX_UPLOAD_BYTES // 1024 // 1024
                ),
            )
            return redirect("reporting:import_list")
        try:
            job = services.import_upload(
                actor=request.user, year=int(year), name=upload.name or "", data=upload.read()
            )
        except DomainError as error:
            show_domain_error(request, error)
            return redirect("reporting:import_list")
        return redirect("reporting:import_detail", pk=job.pk)


class ImportDownloadView(ScopedObjectMixin, View):
    """The workbook as it was uploaded, under its original name, for whoever may see the import."""

    right = "import.create"
    model = ImportJob

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = self.get_object()
        return files.download(job.file, job.download_name)


ERRORS_PER_PAGE = 50


class ImportDetailView(ScopedObjectMixin, View):
    """One upload: its validation's progress, then its dry run (errors by sheet, row and column, a page at a
    time; those beyond IMPORT_MAX_ERRORS counted); its uploader commits it."""

    right = "import.create"
    model = ImportJob

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        from django.core.paginator import Paginator

        job = self.get_object()
        paginator = Paginator(job.errors if job.status != "refused" else [], ERRORS_PER_PAGE)
        number = request.GET.get("page") or 1
        page = paginator.get_page(paginator.num_pages if number == "last" else number)
        return render(
            request,
            "reporting/import_detail.html",
            {
                "job": job,
                "page_obj": page,
                "is_paginated": page.has_other_pages(),
                "querystring": "",
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_object()
        try:
            job = services.import_commit(actor=request.user, job=job)
        except DomainError as error:
            show_domain_error(request, error)
            return redirect("reporting:import_detail", pk=pk)
        if job.status == "committed":
            messages.success(
                request,
                _("已导入 {n} 行数据（草稿），请到“年度数据填报”中提交审核。").format(n=job.row_count),
            )
        else:
            messages.error(request, _("导入未完成：数据在试导入后发生了变化，详见下方错误，未写入任何数据。"))
        return redirect("reporting:import_detail", pk=pk)
