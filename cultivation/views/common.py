"""What the cultivation pages share: the role, badge and reason-text constants, small helpers for the
request and for level decisions, and the base classes for list, staff-only and POST-action views.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict
from accounts.models import Role
from accounts.views_base import RoleRequiredMixin
from cultivation import services
from cultivation.models import Level
from cultivation.services.reports import FIRST_REPORT_YEAR
from factories.indicators import get_catalogue
from factories.models import District
from factories.views import sort_headers

STAFF_ROLES = frozenset({Role.CITY, Role.DISTRICT, Role.AUDITOR})
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


def actor(request: HttpRequest) -> Any:
    """The signed-in user of a view (the base classes have made sure there is one)."""
    return request.user


def posted_year(request: HttpRequest) -> int:
    """The posted year; 0 when it is not a number, which the service refuses with its range message."""
    try:
        return int(request.POST.get("year", ""))
    except ValueError:
        return 0


def _flash(request: HttpRequest, error: DomainError) -> None:
    """A service refusal as messages; the field messages already say what is wrong."""
    texts = [str(text) for texts in error.field_errors.values() for text in texts]
    for text in texts or [str(error.message)]:
        messages.error(request, text)


def _fmt(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, int | float) else "—"


def level_label(level: str) -> str:
    return str(Level(level).label) if level in Level.values else "—"


def reason_texts(reasons: list[Mapping[str, Any]]) -> list[str]:
    """The engine's reasons of a decision as Chinese sentences (the LEVEL line last is the verdict)."""
    catalogue = get_catalogue()
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
    """The unit the page is about: a district user's own, or the one city staff picked (None = all)."""
    user = actor(request)
    if user.role == Role.DISTRICT:
        return user.district
    if user.sees_whole_city:
        code = request.GET.get("district", "")
        return District.objects.filter(pk=code).first() if code else None
    return None


def decorate_decision(decision: Any) -> Any:
    """Attach what the templates show: level badge, Chinese reasons and the gap-to-B checklist."""
    decision.level_css = LEVEL_CSS.get(decision.level, "")
    decision.reason_lines = reason_texts(decision.reasons)
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


class ScopedListMixin:
    """A list page with the API's FilterSet, sortable headers and the list of status choices."""

    request: HttpRequest
    filterset_class: Any = None
    columns: list[tuple[str | None, Any]] = []

    def filtered(self, queryset: QuerySet) -> QuerySet:
        if self.filterset_class is not None:
            queryset = self.filterset_class(self.request.GET or None, queryset=queryset).qs
        ordering = self.get_ordering()  # type: ignore[attr-defined]
        return queryset.order_by(*ordering) if ordering else queryset

    def list_context(self) -> dict[str, Any]:
        user = actor(self.request)
        return {
            "headers": sort_headers(self.request, self.columns),
            "districts": District.objects.order_by("code") if user.sees_whole_city else None,
            "values": self.request.GET,
            "filtered": any(v for k, v in self.request.GET.items() if k not in ("sort", "page")),
        }


class StaffOnlyMixin:
    """Pages for city, district and auditor staff (an enterprise does not see review files or reports)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if actor(request).is_authenticated and actor(request).role not in STAFF_ROLES:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PostActionView(RoleRequiredMixin, View):
    """A POST that loads one scoped object, calls one service and redirects with a message."""

    http_method_names = ["post"]
    model: Any

    def get_object(self, pk: int) -> Any:
        return get_object_or_404(self.model.objects.visible_to(actor(self.request)), pk=pk)

    def run(self, obj: Any, action: str) -> Any:
        raise NotImplementedError

    def redirect_to(self, obj: Any) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int, action: str = "") -> HttpResponse:
        obj = self.get_object(pk)
        try:
            done = self.run(obj, action)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        except (InvalidInput, StateConflict) as error:
            _flash(request, error)
        else:
            messages.success(request, str(done))
        return HttpResponseRedirect(self.redirect_to(obj))
