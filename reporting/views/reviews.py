"""Review queues: what waits for district review and for city verification."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.views_base import ScopedListView
from reporting import selectors
from reporting.filters import SubmissionFilter
from reporting.models import AnnualSubmission, ReportingYear


class ReviewQueueView(ScopedListView):
    """What waits for this reviewer (selectors.review_queue), oldest first."""

    model = AnnualSubmission
    template_name = "reporting/review_queue.html"
    title: Any = ""
    intro: Any = ""
    waiting_since: str = "submitted_at"
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
            counts=self.queue.aggregate(
                total=Count("pk"),
                late=Count("pk", filter=Q(late=True)),
                flagged=Count("pk", filter=~Q(yoy_flags=[])),
            ),
            years=ReportingYear.objects.values_list("year", flat=True),
        )
        return context


class DistrictQueueView(ReviewQueueView):
    right = "submission.approve"
    title = _("区县审核")
    intro = _("本区县企业已提交、等待审核的年度数据。审核通过后转市经济信息委复核；有问题请退回并写明原因。")
    waiting_since = "submitted_at"
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "submitted_at"}
    default_ordering = ["submitted_at", "pk"]


class CityQueueView(ReviewQueueView):
    right = "submission.verify"
    title = _("市级复核")
    intro = _("区县已审核、等待市级复核的年度数据。复核通过后数据锁定，用于分级评价。")
    waiting_since = "approved_at"
    ordering_fields = {"enterprise": "enterprise__name", "year": "year", "waiting": "approved_at"}
    default_ordering = ["approved_at", "pk"]
