"""The public notice pages (公示, issue 17): anyone, without signing in, reads which runs are in notice or
final and each run's factories with their grades and the AA+ recommendation list (Art. 8). Only public
fields; a run that is not public (draft, simulation, superseded, a notice not yet begun) answers 404."""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.datacache import LargeTablePaginator
from accounts.views_base import PublicPageMixin
from factories.certificates import mask_credit_code
from factories.grading import public
from factories.models import District, Grade, GradingRun, RunStatus, Tier

NOTICE_MAX_AGE = 60  # while objections may come in, a notice page is kept a minute, not five
PAGE_SIZE = 100


def _notice_running(run: GradingRun) -> bool:
    today = timezone.localdate()
    return run.status == RunStatus.PUBLISHED and bool(run.notice_to) and today <= run.notice_to  # type: ignore[operator]


class NoticeIndexView(PublicPageMixin, TemplateView):
    template_name = "factories/grading/public_index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        runs = list(public.public_runs())
        for run in runs:
            run.notice_running = _notice_running(run)  # type: ignore[attr-defined]
        return {
            **super().get_context_data(**kwargs),
            "runs": runs,
            "public_max_age": NOTICE_MAX_AGE if any(r.notice_running for r in runs) else None,  # type: ignore[attr-defined]
        }


class NoticeRunView(PublicPageMixin, TemplateView):
    """One public run: its factories (paged, by management unit) or, with `?list=recommended`, Art. 8's list."""

    template_name = "factories/grading/public_run.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        run = get_object_or_404(public.public_runs(), pk=self.kwargs["pk"])
        recommended = self.request.GET.get("list") == "recommended"
        rows = public.public_recommendations(run) if recommended else public.public_results(run)
        district = (self.request.GET.get("district") or "")[:12]
        if district:
            rows = rows.filter(district_id=district)
        paginator = LargeTablePaginator(rows, PAGE_SIZE)
        try:
            page = paginator.page(self.request.GET.get("page") or 1)
        except InvalidPage as missing:
            raise Http404 from missing
        tiers = dict(Tier.choices)
        for row in page.object_list:
            row.masked_code = mask_credit_code(row.enterprise.credit_code)
            row.tier_label = tiers.get(row.tier, "")
            row.grade_label = Grade.label_of(row.grade)
            certificate = getattr(row, "certificate", None)
            row.certificate_code = certificate.code if certificate and run.status == RunStatus.FINAL else ""
        running = _notice_running(run)
        return {
            **super().get_context_data(**kwargs),
            "run": run,
            "page_obj": page,
            "rows": page.object_list,
            "recommended": recommended,
            "district": district,
            "districts": District.objects.order_by("code"),  # every unit: cheaper than asking the run which
            "notice_running": running,
            "public_max_age": NOTICE_MAX_AGE if running else None,
        }
