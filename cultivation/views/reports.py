"""The district's annual report (Art. 12): list, generation, the report page and its steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.transitions import allowed_actions
from accounts.views_base import (
    RightRequiredMixin,
    ScopedDetailView,
    show_domain_error,
    signed_in,
)
from cultivation import selectors, services
from cultivation.forms import NarrativeForm
from cultivation.models import DISTRICT_REPORT_TRANSITIONS, DistrictReport, Level, ReportStatus
from cultivation.services.reports import FIRST_REPORT_YEAR
from cultivation.views.common import (
    LEVEL_CSS,
    PoolListView,
    PostActionView,
    level_label,
    posted_year,
    years_choice,
)

REPORT_ROWS: list[tuple[str, Any]] = [
    ("pool_size", _("年末在库企业数")),
    ("levels_not_computed", _("未评定等级的企业数")),
    ("certified_b", _("年末持有B级认定的企业数（已评定本年度等级的）")),
    ("entries", _("本年度入库")),
    ("exits", _("本年度退出")),
    ("graduations", _("本年度晋级为绿色工厂")),
    ("upgrades", _("等级上升")),
    ("downgrades", _("等级下降")),
    ("certifications", _("本年度新认定B级")),
    ("certified_b_total", _("年末有效的区县级绿色工厂")),
    ("reviews", _("本年度不定期复核")),
    ("falsifications", _("其中发现弄虚作假")),
]


def report_display(report: DistrictReport) -> dict[str, Any]:
    """The stored figures of a report as its page shows them, and its Word document too: the rows of the
    figures table, the level counts, the level moves in words and the standard versions used."""
    figures = report.figures
    return {
        "rows": [(label, figures.get(key, 0)) for key, label in REPORT_ROWS],
        "level_rows": [
            (label, LEVEL_CSS[level], figures.get("levels", {}).get(level, 0))
            for level, label in Level.choices
        ],
        "moves": [
            {**move, "from_label": level_label(move["from"]), "to_label": level_label(move["to"]), "up": up}
            for up, key in ((True, "upgraded"), (False, "downgraded"))
            for move in figures.get(key, [])
        ],
        "versions": "、".join(f"v{v}" for v in figures.get("standard_versions", [])) or "—",
    }


class ReportListView(PoolListView):
    """The districts' annual reports in the user's scope, and for whole-city staff the units yet to report."""

    right = "district_report.view"
    model = DistrictReport
    template_name = "cultivation/report_list.html"
    ordering_fields = {"year": "year", "district": "district_id", "status": "status"}
    default_ordering = ["-year", "district_id"]
    columns = [
        ("year", _("年度")),
        ("district", _("管理单位")),
        ("status", _("状态")),
        (None, _("报送时间")),
        (None, _("年末在库")),
    ]

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        status = self.request.GET.get("status", "")
        if status in ReportStatus.values:
            queryset = queryset.filter(status=status)
        return queryset.select_related("district", "submitted_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        try:
            missing_year = int(self.request.GET.get("missing_year", ""))
        except ValueError:
            missing_year = timezone.localdate().year - 1
        context.update(
            statuses=ReportStatus.choices,
            years=years_choice()[1:] if len(years_choice()) > 1 else years_choice(),
            report_years=[y for y in years_choice() if y >= FIRST_REPORT_YEAR],
            missing_year=missing_year,
            missing=list(selectors.districts_missing_report(user, missing_year))
            if user.sees_whole_city
            else None,
            can_generate=can(user, "district_report.submit"),
        )
        return context


class ReportGenerateView(RightRequiredMixin, View):
    """The district drafts (or redrafts) its annual report of a year from the data."""

    right = "district_report.submit"
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        district = signed_in(request).district
        if district is None:
            raise PermissionDenied  # the right is a district's; its account always names the unit
        try:
            report, created = services.district_report_generate(
                actor=request.user, district=district, year=posted_year(request)
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
            return redirect("cultivation:report_list")
        messages.success(
            request, str(_("已根据数据生成报告草稿。") if created else _("已按最新数据重新生成统计。"))
        )
        return redirect("cultivation:report_detail", report.pk)


class ReportDetailView(ScopedDetailView):
    """A district's annual report: the figures, the narrative, and its submission or the city's decision."""

    right = "district_report.view"
    model = DistrictReport
    template_name = "cultivation/report_detail.html"

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district", "generated_by", "submitted_by", "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = self.object
        user = self.request.user
        context.update(report_display(report))
        actions = allowed_actions(DISTRICT_REPORT_TRANSITIONS, report, user)
        context["editable"] = "edit" in actions
        context.setdefault("form", NarrativeForm(initial={"narrative": report.narrative}))
        context["can_decide"] = "acknowledge" in actions and "return" in actions
        return context


class ReportActionView(PostActionView):
    """The district's steps on its report (narrative, regenerate, submit) and the city's (acknowledge,
    return)."""

    rights = {
        "narrative": "district_report.submit",
        "regenerate": "district_report.submit",
        "submit": "district_report.submit",
        "acknowledge": "district_report.decide",
        "return": "district_report.decide",
    }
    # Another unit's report answers 404 before a refused role hears 403, as in the services.
    check_after_lookup = True
    model = DistrictReport
    DONE = {
        "narrative": _("已保存工作情况。"),
        "regenerate": _("已按最新数据重新生成统计。"),
        "submit": _("报告已报送市经济信息委。"),
        "acknowledge": _("已确认该报告。"),
        "return": _("已退回报告，区县将看到退回原因。"),
    }

    def run(self, report: DistrictReport, action: str) -> Any:
        user, post = self.request.user, self.request.POST
        if action == "narrative":
            services.district_report_save_narrative(
                actor=user, report=report, narrative=post.get("narrative", "")
            )
        elif action == "regenerate":
            services.district_report_generate(actor=user, district=report.district, year=report.year)
        elif action == "submit":
            if "narrative" in post:
                services.district_report_save_narrative(
                    actor=user, report=report, narrative=post.get("narrative", "")
                )
            services.district_report_submit(actor=user, report=report)
        elif action == "acknowledge":
            services.district_report_acknowledge(actor=user, report=report, comment=post.get("reason", ""))
        else:
            services.district_report_return(actor=user, report=report, reason=post.get("reason", ""))
        return self.DONE[action]

    def redirect_to(self, report: DistrictReport) -> str:
        return reverse("cultivation:report_detail", args=[report.pk])
