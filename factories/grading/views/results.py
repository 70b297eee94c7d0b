"""Published grades: the grade list (and an enterprise's own grades), the explanation card of one
factory-year, and the list of factories recommended for the national level.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView

from accounts import exports
from accounts.charts import bar_chart, line_chart, radar_chart
from accounts.i18n import localized
from accounts.permissions import can
from accounts.views_base import RightRequiredMixin, ScopedObjectMixin, signed_in
from factories.grading import selectors, services
from factories.grading.api import GradeFilter
from factories.grading.views.common import (
    INDICATOR_STATUS,
    OVERRIDE_CODES,
    ReasonWriter,
    f2,
)
from factories.grading.views.standards import describe_standard
from factories.indicators import Direction
from factories.models import District, Grade, GradingResult, Industry, Objection, Tier
from factories.words import decided_label, peer_group_label


def published_years(user: Any) -> list[int]:
    return list(selectors.published_grades(user).order_by("-year").values_list("year", flat=True).distinct())


class GradeListView(RightRequiredMixin, ListView):
    """Published grades (公示 or final) in the user's scope; an enterprise user sees its own over years."""

    right = "grades.view"
    template_name = "factories/grading/grade_list.html"
    paginate_by = 25
    filter_params = ("year", "district", "industry", "grade", "tier", "q")

    def is_own_page(self) -> bool:
        """Whether this is an enterprise's own page (its grades over the years) rather than the list."""
        return can(self.request.user, "enterprise.view_own")

    def get_template_names(self) -> list[str]:
        return ["factories/grading/my_grades.html"] if self.is_own_page() else [self.template_name]

    def get_paginate_by(self, queryset: Any) -> int | None:
        return None if self.is_own_page() else self.paginate_by

    def get_queryset(self) -> QuerySet[GradingResult]:
        grades = selectors.published_grades(self.request.user).select_related("run")
        if self.is_own_page():
            return grades.order_by("-year")
        self.filterset = GradeFilter(self.request.GET, queryset=grades)
        queryset = self.filterset.qs
        term = self.request.GET.get("q", "").strip()
        if term:
            queryset = queryset.filter(
                Q(enterprise__name__icontains=term) | Q(enterprise__credit_code__icontains=term.upper())
            )
        self.filtered = queryset
        return queryset.order_by("-year", F("composite_score").desc(nulls_last=True), "enterprise__name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        context["is_enterprise"] = self.is_own_page()
        if self.is_own_page():
            return {**context, **self.my_context(list(context["object_list"]))}
        query = self.request.GET.copy()
        query.pop("page", None)
        values = {name: self.request.GET.get(name, "") for name in self.filter_params}
        rows = selectors.grade_distribution(self.filtered, "year")
        context.update(
            querystring=query.urlencode(),
            values=values,
            filtered=any(values.values()),
            export_filters=exports.current_filters("grades", values),
            years=published_years(user),
            grades=Grade.values,
            tiers=Tier.choices,
            sees_whole_city=user.sees_whole_city,
            districts=District.objects.in_force_on(timezone.localdate()).order_by("code"),
            industries=Industry.objects.all(),
            distribution=[{**r, "counts": [r[g] for g in Grade.values]} for r in rows],
            chart=bar_chart(
                [str(_("{year}年度")).format(year=r["key"]) for r in rows],
                [(g, [r[g] for r in rows]) for g in Grade.values],
                title=str(_("等级分布（当前筛选条件）")),
                stacked=True,
                colors=[g.colour for g in Grade],
            )
            if rows
            else None,
        )
        return context

    def my_context(self, grades: list[Any]) -> dict[str, Any]:
        writer = ReasonWriter()
        for result in grades:
            result.rule_text = writer.rule(result.decided_by, result.reasons)
        chronological = sorted(grades, key=lambda r: r.year)
        chart = (
            line_chart(
                [str(_("{year}年度")).format(year=r.year) for r in chronological],
                [
                    (str(_("综合得分 C")), [r.composite_score for r in chronological]),
                    (str(_("水平得分 L")), [r.level_score for r in chronological]),
                    (str(_("提升得分 S")), [r.improvement_score for r in chronological]),
                ],
                title=str(_("本企业历年得分")),
                y_max=100,
            )
            if len(chronological) > 1
            else None
        )
        user = signed_in(self.request)
        green_factory = bool(grades) or selectors.own_enterprise_is_graded(user)
        latest = grades[0] if grades else None
        return {
            "latest": latest,
            "chart": chart,
            "is_green_factory": green_factory,
            # 「提出异议」 while the latest grade is in notice (公示期).
            "can_object": latest is not None
            and can(user, "objection.file")
            and services.objection_window_problem(latest.run) is None,
            "has_objections": latest is not None
            and Objection.objects.visible_to(user).filter(run=latest.run).exists(),
        }


class MyGradesView(GradeListView):
    """The link of the 'grade published' notification: an enterprise's own grades (others: the list)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not can(request.user, "enterprise.view_own"):
            return redirect("factories:grade_list")
        return super().dispatch(request, *args, **kwargs)


class ExplanationView(ScopedObjectMixin, TemplateView):
    """The explanation card of one published factory-year (§6 end); only grades in the user's scope."""

    right = "grades.view"
    pk_url_kwarg = "result_pk"

    template_name = "factories/grading/explanation.html"

    def scoped_queryset(self) -> QuerySet:
        return selectors.published_grades(self.request.user).select_related("run__standard")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        result = self.get_object()
        display = explanation_display(result)
        scored = [d for d in display["dimensions"] if d["raw"] is not None]
        radar = (
            radar_chart(
                [d["name"] for d in scored],
                [
                    (str(result.enterprise.name), [d["raw"] for d in scored]),
                    (str(_("对标组中位水平（50）")), [50.0] * len(scored)),
                ],
                title=str(_("各维度得分 D（百分位，满分 100）")),
            )
            if scored
            else None
        )
        context.update(
            display,
            radar=radar,
            back_url=reverse(
                "factories:my_grades" if can(user, "enterprise.view_own") else "factories:grade_list"
            ),
            sees_runs=can(user, "grading_run.view"),
        )
        return context

    @staticmethod
    def next_band(data: Mapping[str, Any] | None, writer: ReasonWriter) -> dict[str, Any] | None:
        if not data:
            return None
        if data.get("blocked_by") == "TOP_BAND":
            return {"kind": "top"}
        if data.get("blocked_by") == "DIMENSION_MIN":
            return {
                "kind": "blocked",
                "grade": data["grade"],
                "dimensions": "、".join(writer.dimension(d) for d in data.get("blocking_dimensions", [])),
            }
        return {
            "kind": "gap",
            "grade": data["grade"],
            "c_needed": f2(data.get("c_needed")),
            "c_gap": f2(data.get("c_gap")),
        }


def _plain(value: Any) -> str | None:
    """A stored Decimal for reading: 4 decimals (6 below 0.01), no trailing zeros or exponent."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        return str(value)
    places = Decimal("0.0001") if abs(value) >= Decimal("0.01") else Decimal("0.000001")
    return format(value.quantize(places).normalize(), "f")


def explanation_display(result: GradingResult) -> dict[str, Any]:
    """The explanation card of one factory-year in words and rounded figures, from the stored numbers
    (`selectors.explanation`): the card's page and the factory's 评价结果通知书 both show this."""
    card = selectors.explanation(result)
    standard = card["standard"]
    writer = ReasonWriter(standard.parameters.get("catalogue_version"))
    catalogue = writer.catalogue
    names = {i.code: localized(i.name_zh, i.name_en) for i in catalogue.indicators}
    units = {i.code: localized(i.unit, i.unit_en) for i in catalogue.indicators}
    indicators = []
    for row in card["indicators"]:
        rate = row["rate"]
        indicators.append(
            {
                **row,
                "name": names.get(row["code"], row["name"]),
                "unit": units.get(row["code"], row["unit"]),
                "value": _plain(row["value"]),
                "previous": _plain(row["previous"]),
                "value_exact": row["value"],
                "previous_exact": row["previous"],
                "status_label": INDICATOR_STATUS.get(row["status"], row["status"]),
                "up": row["direction"] == Direction.UP,
                "percentile": None if row["percentile"] is None else f"{row['percentile']:.1f}",
                "rate": None if rate is None else f"{rate * 100:+.1f}%",
                "rate_sign": 0 if rate is None else (1 if rate > 0 else -1 if rate < 0 else 0),
            }
        )
    total_weight = sum(d["weight"] or 0 for d in card["dimensions"] if d["score"] is not None) or 1
    dimensions = [
        {
            **d,
            "name": writer.dimension(d["code"]),
            "score": f2(d["score"]),
            "raw": d["score"],
            "share": None if d["score"] is None else 100 * (d["weight"] or 0) / total_weight,
            "improvement": None if d["improvement"] is None else f"{d['improvement'] * 100:+.1f}%",
        }
        for d in card["dimensions"]
    ]
    reasons = [
        {"code": r.get("code"), "text": writer.text(r), "override": r.get("code") in OVERRIDE_CODES}
        for r in result.reasons
    ]
    peer_label = peer_group_label(result.peer_group, writer.industry_name(result.peer_group))
    return {
        "result": result,
        "card": card,
        "standard": standard,
        "indicators": indicators,
        "dimensions": dimensions,
        "reasons": reasons,
        "overrides": [r for r in reasons if r["override"] and r["code"] != result.decided_by],
        "rule_text": writer.rule(result.decided_by, result.reasons),
        "rule_label": decided_label(result.decided_by),
        "peer_label": peer_label,
        "next_band": ExplanationView.next_band(card["next_band"], writer),
        "L": f2(result.level_score),
        "S": f2(result.improvement_score),
        "C": f2(result.composite_score),
        "q_pct": None if result.q is None else f"{result.q * 100:.1f}%",
        "bands": describe_standard(standard)["bands"],
    }


class RecommendationListView(RightRequiredMixin, ListView):
    """City-level factories graded AA or above in the published run: the national-level list (Art. 8)."""

    right = "recommendations.view"
    template_name = "factories/grading/recommendation_list.html"
    paginate_by = 50

    def get_queryset(self) -> QuerySet[GradingResult]:
        self.years = published_years(self.request.user)
        try:
            self.year = int(self.request.GET.get("year") or (self.years[0] if self.years else 0))
        except ValueError:
            self.year = self.years[0] if self.years else 0
        queryset = selectors.recommendations(self.request.user, self.year).select_related(
            "run", "enterprise__green_factory"
        )
        params = {k: v for k, v in self.request.GET.items() if k in ("district", "industry")}
        return GradeFilter(params, queryset=queryset).qs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        values = {name: self.request.GET.get(name, "") for name in ("district", "industry")}
        user = signed_in(self.request)
        context.update(
            querystring=query.urlencode(),
            years=self.years,
            year=self.year,
            values=values,
            filtered=any(values.values()),
            export_filters=exports.current_filters("recommendations", {**values, "year": self.year or ""}),
            sees_whole_city=user.sees_whole_city,
            districts=District.objects.in_force_on(timezone.localdate()).order_by("code"),
            industries=Industry.objects.all(),
        )
        return context
