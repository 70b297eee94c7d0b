"""Review queues: what waits for district review and for city verification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import DomainError, NotAllowed
from accounts.views_base import RightRequiredMixin, ScopedListView, show_domain_error, signed_in
from factories.models import District
from reporting import bulk, selectors
from reporting.filters import SubmissionFilter
from reporting.models import AnnualSubmission, ReportingYear

QUEUE_PARAMS = ("year", "q")
QUEUES = {"district": "reporting:district_queue", "city": "reporting:city_queue"}


def kept_query(params: Any, keys: tuple[str, ...]) -> str:
    """The listed filters of `params` (a QueryDict or dict), short and encoded: what a page passes on."""
    query = QueryDict(mutable=True)
    for key in keys:
        value = str(params.get(key) or "").strip()[:100]
        if value:
            query[key] = value
    return query.urlencode()


def queue_url(queue: str, params: Any) -> str:
    """The queue page with the filters of `params`."""
    query = kept_query(params, QUEUE_PARAMS)
    url = reverse(QUEUES.get(queue, "reporting:district_queue"))
    return f"{url}?{query}" if query else url


class ReviewQueueView(ScopedListView):
    """What waits for this reviewer (selectors.review_queue), oldest first."""

    model = AnnualSubmission
    template_name = "reporting/review_queue.html"
    title: Any = ""
    intro: Any = ""
    waiting_since: str = "submitted_at"
    queue_name: str = ""
    bulk_action: str = ""
    bulk_label: Any = ""
    columns = [
        ("enterprise", _("企业")),
        ("year", _("年度")),
        ("waiting", _("等待自")),
    ]
    filterset_class = SubmissionFilter
    filter_params = ("year", "q")

    def scoped_queryset(self) -> QuerySet:
        self.queue = selectors.review_queue(self.request.user)
        return self.queue

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            intro=self.intro,
            waiting_since=self.waiting_since,
            counts=selectors.queue_counts(self.queue),
            years=ReportingYear.objects.values_list("year", flat=True),
            queue=self.queue_name,
            queue_query=kept_query(self.request.GET, QUEUE_PARAMS),
            bulk_action=self.bulk_action,
            bulk_label=self.bulk_label,
            bulk_max=bulk.BULK_MAX,
            export_filters=[
                (key, value) for key in QUEUE_PARAMS if (value := self.request.GET.get(key, "").strip())
            ],
            **self.evidence_zip_context(),
        )
        return context

    def evidence_zip_context(self) -> dict[str, Any]:
        """The 下载佐证材料（压缩包） form: the year shown (or the latest), and for the city the units to pick."""
        chosen = self.request.GET.get("year", "").strip()
        year = int(chosen) if chosen.isdigit() else selectors.latest_reporting_year()
        whole_city = signed_in(self.request).sees_whole_city
        return {
            "zip_year": year,
            "zip_districts": District.objects.filter(valid_to__isnull=True).order_by("code")
            if whole_city
            else [],
        }


class DistrictQueueView(ReviewQueueView):
    right = "submission.approve"
    title = _("区县审核")
    intro = _("本区县企业已提交、等待审核的年度数据。审核通过后转市经济信息委复核；有问题请退回并写明原因。")
    waiting_since = "submitted_at"
    queue_name = "district"
    bulk_action = "approve"
    bulk_label = _("批量审核通过")
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "submitted_at"}
    default_ordering = ["submitted_at", "pk"]


class CityQueueView(ReviewQueueView):
    right = "submission.verify"
    title = _("市级复核")
    intro = _("区县已审核、等待市级复核的年度数据。复核通过后数据锁定，用于分级评价。")
    waiting_since = "approved_at"
    queue_name = "city"
    bulk_action = "verify"
    bulk_label = _("批量复核通过")
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "approved_at"}
    default_ordering = ["approved_at", "pk"]


class BulkReviewView(RightRequiredMixin, View):
    """Approve (district) or verify (city) the selected items of a queue in one action: each item is its own
    audited step; the page lists each one's result (done, or the refusal's reason)."""

    rights = {"approve": "submission.approve", "verify": "submission.verify"}
    http_method_names = ["post"]

    def post(self, request: HttpRequest, action: str) -> HttpResponse:
        queue = "district" if action == "approve" else "city"
        back = queue_url(queue, QueryDict(request.POST.get("back", "")[:500]))
        try:
            outcomes = bulk.review(actor=request.user, action=action, ids=request.POST.getlist("ids"))
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            show_domain_error(request, error)
            return redirect(back)
        summary = bulk.summary(outcomes)
        if summary[bulk.DONE]:
            messages.success(request, ACTION_DONE_MANY[action].format(n=summary[bulk.DONE]))
        return render(
            request,
            "reporting/bulk_result.html",
            {
                "title": _("批量审核结果") if action == "approve" else _("批量复核结果"),
                "intro": _("每一项单独审核、单独记录；未能处理的项目列出了原因，可逐条打开处理。"),
                "outcomes": outcomes,
                "summary": summary,
                "done_label": _("已审核通过") if action == "approve" else _("已复核通过"),
                "back": back,
                "back_label": _("返回审核队列"),
                "detail_links": True,
            },
        )


ACTION_DONE_MANY = {
    "approve": _("已审核通过 {n} 份年度数据，已转市经济信息委复核。"),
    "verify": _("已复核通过 {n} 份年度数据，数据已锁定。"),
}
