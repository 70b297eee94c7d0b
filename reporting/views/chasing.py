"""Chasing non-filers (催报): the list of a year's enterprises without submitted data, and reminding many at once."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import DomainError, NotAllowed
from accounts.permissions import can
from accounts.views_base import RightRequiredMixin, ScopedListView, show_domain_error, signed_in
from factories.models import District, Enterprise
from reporting import bulk, selectors
from reporting.models import ReportingYear
from reporting.views.reviews import kept_query

STATE_LABELS = {
    "missing": _("未填报"),
    "draft": _("草稿未提交"),
    "returned": _("已退回，待重新提交"),
}
LIST_PARAMS = ("year", "district", "state", "q")


def chosen_year(params: Any) -> int | None:
    """The year asked for if it is a reporting year, else the latest reporting year."""
    raw = str(params.get("year") or "")
    years = list(ReportingYear.objects.values_list("year", flat=True))
    if raw.isdigit() and int(raw) in years:
        return int(raw)
    return max(years, default=None)


class NonFilerListView(ScopedListView):
    """The enterprises of a year (in the user's scope) with no data, a draft, or returned data not yet
    submitted again; the last reminder of each; select many → remind."""

    right = "non_filer.view"
    model = Enterprise
    template_name = "reporting/non_filer_list.html"
    ordering_fields = {
        "enterprise": "name",
        "district": "district__code",
        "state": "filing_state",
        "reminded": "last_reminded_at",
    }
    default_ordering = ["district__code", "name", "pk"]
    columns = [
        ("enterprise", _("企业")),
        ("district", _("管理单位")),
        ("state", _("填报状态")),
        ("reminded", _("上次催报")),
    ]
    filter_params = LIST_PARAMS

    def scoped_queryset(self) -> QuerySet:
        self.year = chosen_year(self.request.GET)
        if self.year is None:
            return Enterprise.objects.none()
        user = signed_in(self.request)
        self.all_rows = selectors.non_filers(user, self.year)
        return selectors.filter_non_filers(self.all_rows, self.request.GET, whole_city=user.sees_whole_city)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        counts = (
            self.all_rows.order_by().aggregate(
                total=Count("pk"),
                **{state: Count("pk", filter=Q(filing_state=state)) for state in STATE_LABELS},
            )
            if self.year is not None
            else {}
        )
        for row in context["object_list"]:
            row.state_label = STATE_LABELS.get(row.filing_state, "")
        context.update(
            year=self.year,
            years=ReportingYear.objects.values_list("year", flat=True),
            districts=District.objects.filter(valid_to__isnull=True) if user.sees_whole_city else None,
            states=list(STATE_LABELS.items()),
            counts=counts,
            can_remind=can(user, "submission.remind"),
            list_query=kept_query(self.request.GET, LIST_PARAMS),
            export_filters=[
                (key, value)
                for key, value in (
                    ("year", self.year),
                    ("district", self.request.GET.get("district", "") if user.sees_whole_city else ""),
                    ("state", self.request.GET.get("state", "")),
                    ("q", self.request.GET.get("q", "")),
                )
                if value
            ],
        )
        return context


class NonFilerRemindView(RightRequiredMixin, View):
    """Remind the selected non-filers in one action; the page lists each one's result."""

    right = "submission.remind"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        back = reverse("reporting:non_filers")
        query = kept_query(QueryDict(request.POST.get("back", "")[:500]), LIST_PARAMS)
        if query:
            back = f"{back}?{query}"
        raw_year = request.POST.get("year", "")
        if not raw_year.isdigit():
            messages.error(request, _("请选择年度。"))
            return redirect(back)
        try:
            outcomes = bulk.remind(actor=request.user, year=int(raw_year), ids=request.POST.getlist("ids"))
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except DomainError as error:
            show_domain_error(request, error)
            return redirect(back)
        return render(
            request,
            "reporting/bulk_result.html",
            {
                "title": _("催报结果"),
                "intro": _("{year}年度数据催报：每家企业单独发送站内通知和电子邮件，结果如下。").format(
                    year=raw_year
                ),
                "outcomes": outcomes,
                "summary": bulk.summary(outcomes),
                "done_label": _("已催报"),
                "back": back,
                "back_label": _("返回未填报企业名单"),
            },
        )
