"""Excel in and out in the browser: exports (direct or as a job with progress) and annual-data imports."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.errors import DomainError
from accounts.views_base import RoleRequiredMixin, show_domain_error
from factories.models import District, Enterprise, Industry
from reporting import exports, imports, jobs, services
from reporting.forms import ImportTemplateForm
from reporting.models import ExportJob, ImportJob, ReportingYear

EXPORT_KINDS = [
    "enterprises",
    "green_factories",
    "submissions",
    "grades",
    "recommendations",
    "pool",
    "district_reports",
]


def template_enterprises(user: Any) -> list[tuple[str, str]]:
    """A district's template is pre-filled with its enterprises; the city's template is blank."""
    if user.role != "district":
        return []
    return list(Enterprise.objects.visible_to(user).order_by("name").values_list("credit_code", "name"))


class ExportListView(RoleRequiredMixin, View):
    """The export form and the user's own export jobs."""

    permission = "export.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        kinds = [(kind, exports.REGISTRY[kind].title) for kind in EXPORT_KINDS if kind in exports.REGISTRY]
        titles = dict(kinds)
        jobs_list = list(ExportJob.objects.visible_to(request.user)[:30])
        for job in jobs_list:
            job.title = titles.get(job.kind, job.kind)  # type: ignore[attr-defined]
            job.filter_text = "；".join(  # type: ignore[attr-defined]
                f"{exports.FILTER_LABELS.get(k, k)}：{v}" for k, v in sorted(job.filters.items())
            )
        return render(
            request,
            "reporting/exports.html",
            {
                "kinds": kinds,
                "jobs": jobs_list,
                "years": ReportingYear.objects.values_list("year", flat=True),
                "districts": District.objects.filter(valid_to__isnull=True)
                if request.user.sees_whole_city
                else [],
                "industries": Industry.objects.all(),
                "sync_limit": exports.SYNC_LIMIT,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        filters = {
            k: request.POST.get(k) for k in ("year", "district", "industry", "grade", "tier", "status")
        }
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
        else:
            messages.info(request, _("导出共 {n} 行，正在后台生成，完成后可在下方下载。").format(n=job.total))
        return redirect("reporting:export_list")


class ExportDownloadView(LoginRequiredMixin, View):
    """Only the requester can download; anyone else gets 404."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)
        if job.status != "succeeded" or not job.file:
            raise Http404
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1]
        )


class ExportProgressView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = get_object_or_404(ExportJob.objects.visible_to(request.user), pk=pk)
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "done": job.done,
                "total": job.total,
                "message": job.error,
            }
        )


class ImportTemplateView(RoleRequiredMixin, View):
    permission = "import.create"

    def get(self, request: HttpRequest) -> HttpResponse:
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
        )
        unit = request.user.district.name if request.user.district_id else "全市"
        return FileResponse(
            io.BytesIO(data), as_attachment=True, filename=f"{year}年度数据导入模板-{unit}.xlsx"
        )


class ImportListView(RoleRequiredMixin, View):
    """Upload form and import history (who, when, what happened)."""

    permission = "import.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "reporting/imports.html",
            {
                "jobs": ImportJob.objects.visible_to(request.user).select_related(
                    "uploaded_by", "committed_by"
                )[:50],
                "years": ReportingYear.objects.values_list("year", flat=True),
                "max_mb": imports.MAX_UPLOAD_BYTES // 1024 // 1024,
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        upload = request.FILES.get("file")
        year = request.POST.get("year", "")
        if upload is None or not year.isdigit():
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
                actor=request.user, year=int(year), name=upload.name, data=upload.read()
            )
        except DomainError as error:
            show_domain_error(request, error)
            return redirect("reporting:import_list")
        return redirect("reporting:import_detail", pk=job.pk)


class ImportDetailView(RoleRequiredMixin, View):
    permission = "import.create"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
        return render(request, "reporting/import_detail.html", {"job": job})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(ImportJob.objects.visible_to(request.user), pk=pk)
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
