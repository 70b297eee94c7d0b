"""Pool levels (Art. 11): the list per year and the background job that computes them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts import jobs
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.views_base import (
    JobProgressView,
    RightRequiredMixin,
    ScopedDetailView,
    show_domain_error,
    signed_in,
)
from cultivation import services
from cultivation.models import JobStatus, Level, LevelDecision, LevelJob
from cultivation.views.common import (
    LEVEL_CSS,
    PoolListView,
    _in_district,
    posted_year,
    selected_district,
    years_choice,
)
from reporting.models import ReportingYear


class LevelListView(PoolListView):
    """The pool levels of a year in the user's scope, and the district's level computations."""

    right = "pool.view"
    model = LevelDecision
    template_name = "cultivation/level_list.html"
    ordering_fields = {
        "enterprise": "enterprise__name",
        "level": "level",
        "score": "level_score",
        "gap": "level_gap",
    }
    default_ordering = ["enterprise__name", "pk"]
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
            years = self.scoped_queryset().aggregate(y=Max("year"))
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
        return _in_district(queryset, "enterprise__district", district, signed_in(self.request))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        visible = self.scoped_queryset()
        context.update(
            year=self.year(),
            years=sorted(set(visible.values_list("year", flat=True)) | {timezone.localdate().year - 1})[::-1],
            levels=Level.choices,
            can_compute=can(user, "pool.manage"),
            jobs=list(
                LevelJob.objects.visible_to(user)
                .select_related("standard", "started_by", "district")
                .order_by("-created_at")[:5]
            ),
            # Levels rest on a year's annual data, so only years the city opened for reporting are offered.
            compute_years=list(
                ReportingYear.objects.filter(year__in=years_choice())
                .order_by("-year")
                .values_list("year", flat=True)
            ),
        )
        for decision in context["object_list"]:
            decision.level_css = LEVEL_CSS.get(decision.level, "")
        return context


class LevelJobStartView(RightRequiredMixin, View):
    """The district starts computing its members' levels of a year, as a background job."""

    right = "pool.manage"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        district = signed_in(request).district
        if district is None:
            raise PermissionDenied  # the right is a district's; its account always names the unit
        try:
            job = services.level_job_start(actor=request.user, district=district, year=posted_year(request))
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
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
    """One level computation: its progress and, when done, how many members reached each level."""

    right = "pool.view"
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


class LevelJobProgressView(JobProgressView, View):
    """The progress of a district's level job, with its counts by level, for static/js/app.js to poll."""

    right = "pool.view"
    model = LevelJob

    def extra(self, job: Any) -> dict[str, Any]:
        return {"counts": job.counts}

    def message(self, job: Any) -> str:
        return str(job_message(job))
