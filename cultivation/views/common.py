"""What the cultivation pages share: the badge and reason-text constants, small helpers for the request
and for level decisions, and the base classes for list and POST-action views.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.views_base import ScopedListView, ScopedObjectMixin, show_domain_error, signed_in
from cultivation import services
from cultivation.models import Level
from cultivation.services.reports import FIRST_REPORT_YEAR
from factories.catalogues.bridge import reporting_catalogue
from factories.models import District

LEVEL_CSS: dict[str, str] = {Level.B_ELIGIBLE: "level-B", Level.C: "level-C", Level.D: "level-D"}
# The reason codes of cultivation.levels as sentences with the numbers of the decision.
REASON_TEXTS: dict[str, Any] = {
    "NOT_SUPERVISED": _("尚未纳入监管（节能监察或能耗在线监测）。"),
    "NOT_GUIDED": _("尚未接受指导服务（绿色生产水平评估或诊断）。"),
    "NO_PLAN": _("尚未明确提升路径。"),
    "DIMENSION_BELOW_B": _("{dimension}得分 {D} 低于B级下限 {min}（差 {gap}）。"),
    "LEVEL_BELOW_B": _("绿色化水平得分 L = {L}，低于B级下限 {min}（差 {gap}）。"),
    "LEVEL_BELOW_C": _("绿色化水平得分 L = {L}，低于C级下限 {min}（差 {gap}）。"),
    "NO_DATA": _("没有经区县审核的本年度数据，无法计算得分。"),
    "NO_BENCHMARK": _("没有可对标的绿色工厂数据，无法计算得分。"),
    "BENCHMARK_FALLBACK": _(
        "本行业（{division}）有数据的绿色工厂只有 {division_count} 家，少于 {min_benchmark} 家，"
        "因此与全市 {benchmark_count} 家有数据的绿色工厂比较。"
    ),
    "INDICATOR_NO_BENCHMARK": _("指标 {indicators} 没有可对标的绿色工厂，未计入得分。"),
    "NO_SCORE": _("没有可计分的指标，无法计算绿色化水平得分 L。"),
    "LEVEL": _("按标准判定为：{level}。"),
    "REVIEW_DOWNGRADE": _("经不定期复核发现弄虚作假，由{from}降为{to}。"),
}


# --- small helpers --------------------------------------------------------------------------------


def posted_year(request: HttpRequest) -> int:
    """The posted year; 0 when it is not a number, which the service refuses with its range message."""
    try:
        return int(request.POST.get("year", ""))
    except ValueError:
        return 0


def _fmt(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "—"


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else "—"


def reason_texts(reasons: list[Mapping[str, Any]], year: int | None = None) -> list[str]:
    """The engine's reasons of a decision as Chinese sentences (the LEVEL line last is the verdict); the
    dimensions named as the catalogue of the decision's year names them."""
    catalogue = services.year_catalogue(year) if year else reporting_catalogue()
    texts = []
    for reason in reasons:
        code = reason.get("code", "")
        params = {k: v for k, v in reason.items() if k != "code"}
        template = REASON_TEXTS.get(code)
        if template is None:
            texts.append(code)
            continue
        for key in ("D", "L", "min", "gap"):
            if key in params:
                params[key] = _fmt(params[key])
        if "dimension" in params:
            with contextlib.suppress(KeyError, StopIteration):
                params["dimension"] = catalogue.dimension(params["dimension"]).name_zh
        if "indicators" in params:
            params["indicators"] = "、".join(params["indicators"])
        if code == "LEVEL":
            params["level"] = level_label(
                Level.B_ELIGIBLE if params.get("level") == "B" else params.get("level", "")
            )
        for key in ("from", "to"):
            if key in params:
                params[key] = level_label(params[key])
        try:
            texts.append(str(template).format(**params))
        except (KeyError, IndexError):
            texts.append(str(template))
    return texts


def selected_district(request: HttpRequest) -> District | None:
    """The unit the page is about: the one whole-city staff picked (None = all), else the user's own unit
    (None for an enterprise, whose rows are its own anyway)."""
    user = signed_in(request)
    if user.sees_whole_city:
        code = request.GET.get("district", "")
        return District.objects.filter(pk=code).first() if code else None
    return user.district


def decorate_decision(decision: Any) -> Any:
    """Attach what the templates show: level badge, Chinese reasons and the gap-to-B checklist."""
    decision.level_css = LEVEL_CSS.get(decision.level, "")
    decision.reason_lines = reason_texts(decision.reasons, decision.year)
    decision.checklist = services.b_checklist(decision)
    decision.gaps = services.gaps_text(decision.checklist)
    return decision


def _in_district(queryset: QuerySet, path: str, district: District | None, user: Any) -> QuerySet:
    """City staff may narrow a page to one unit; a district user's rows are already its unit's."""
    if district is not None and user.sees_whole_city:
        return queryset.filter(**{path: district.pk})
    return queryset


def years_choice() -> list[int]:
    return list(range(timezone.localdate().year, FIRST_REPORT_YEAR - 3, -1))


class PoolListView(ScopedListView):
    """A pool list page: the base list, plus the units whole-city staff may narrow it to."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sees_city = signed_in(self.request).sees_whole_city
        context["districts"] = District.objects.order_by("code") if sees_city else None
        return context


class PostActionView(ScopedObjectMixin, View):
    """A POST that loads one scoped object, calls one service and redirects with a message."""

    http_method_names = ["post"]

    def run(self, obj: Any, action: str) -> Any:
        raise NotImplementedError

    def redirect_to(self, obj: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        obj = self.get_object()
        try:
            done = self.run(obj, action)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            show_domain_error(request, error)
        else:
            messages.success(request, str(done))
        return HttpResponseRedirect(self.redirect_to(obj))
