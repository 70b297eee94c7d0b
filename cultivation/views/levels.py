"""Pool levels (Art. 11): the list per year and the background job that computes them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import jobs
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.views_base import RoleRequiredMixin, ScopedDetailView, ScopedListView
from cultivation import services
from cultivation.models import JobStatus, Level, LevelDecision, LevelJob
from cultivation.views.common import (
    LEVEL_CSS,
    ScopedListMixin,
    _flash,
    _in_district,
    actor,
    posted_year,
    selected_district,
    years_choice,
)


class LevelListView(ScopedListMixin, ScopedListView):
    model = LevelDecision
    template_name = "cultivation/level_list.html"
    ordering_fields = {
        "enterprise": "enterprise__name",
        "level": "level",
        "score": "level_score",
        "gap": "level_gap",
    }
    default_ordering = ["enterprise__name", "pk"]  # type: ignore[assignment]
    columns = [
        ("enterprise", _("企业")),
        ("level", _("培育等级")),
        ("score", _("绿色化水平得分 L")),
        ("gap", _("L距B级")),
        (None, _("监管/指导/路径")),
        (None, _("分级标准版本")),
    ]

    def year(self) -> int | None:
        try:
            return int(self.request.GET.get("year", ""))
        except ValueError:
            years = LevelDecision.objects.visible_to(actor(self.request)).aggregate(y=Max("year"))
            return years["y"]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = queryset.filter(year=self.year()).select_related(
            "enterprise", "enterprise__district", "standard", "standard__district", "membership"
        )
        level = self.request.GET.get("level", "")
        if level in Level.values:
            queryset = queryset.filter(level=level)
        certified = self.request.GET.get("certified", "")
        if certified in ("1", "0"):
            queryset = queryset.filter(certified_b=certified == "1")
        q = self.request.GET.get("q", "").strip()
        if q:
            queryset = queryset.filter(
                Q(enterprise__name__icontains=q) | Q(enterprise__credit_code__icontains=q.upper())
            )
        district = selected_district(self.request)
        queryset = _in_district(queryset, "enterprise__district", district, actor(self.request))
        return self.filtered(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = actor(self.request)
        visible = LevelDecision.objects.visible_to(user)
        context.update(
            self.list_context(),
            year=self.year(),
            years=sorted(set(visible.values_list("year", flat=True)) | {timezone.localdate().year - 1})[::-1],
            levels=Level.choices,
            can_compute=can(user, "pool.manage"),
            jobs=list(
                LevelJob.objects.visible_to(user)
                .select_related("standard", "started_by", "district")
                .order_by("-created_at")[:5]
            ),
            compute_years=years_choice(),
        )
        for decision in context["object_list"]:
            decision.level_css = LEVEL_CSS.get(decision.level, "")
        return context


class LevelJobStartView(RoleRequiredMixin, View):
    permission = "pool.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            job = services.level_job_start(
                actor=actor(request), district=actor(request).district, year=posted_year(request)
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
            return redirect("cultivation:level_list")
        messages.success(request, str(_("已开始计算{year}年度培育等级。")).format(year=job.year))
        if jobs.send_failed(job):
            messages.warning(request, str(jobs.BROKER_DOWN))
        return redirect("cultivation:level_job_detail", job.pk)


def job_message(job: LevelJob) -> str:
    if job.status == JobStatus.QUEUED:
        return str(_("排队中，等待后台计算开始……"))
    if job.status == JobStatus.RUNNING:
        return str(_("正在计算：已完成 {done} / {total} 家。")).format(done=job.done, total=job.total)
    if job.status == JobStatus.FAILED:
        return str(_("计算失败：{error}")).format(error=job.error)
    return str(_("计算完成：共 {total} 家培育库成员。")).format(total=job.total)


class LevelJobDetailView(ScopedDetailView):
    model = LevelJob
    template_name = "cultivation/level_job_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "standard", "started_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = self.object
        context["message"] = job_message(job)
        context["outcomes"] = [
            {"level": level, "label": label, "css": LEVEL_CSS[level], "count": job.counts.get(level, 0)}
            for level, label in Level.choices
        ]
        return context


class LevelJobProgressView(LoginRequiredMixin, View):
    """JSON {status, progress, done, total, message} that static/js/app.js polls."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = get_object_or_404(LevelJob.objects.visible_to(actor(request)), pk=pk)
        response = JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "done": job.done,
                "total": job.total,
                "counts": job.counts,
                "message": job_message(job),
            }
        )
        response["Cache-Control"] = "no-store"
        return response
