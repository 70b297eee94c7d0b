"""The 「审核一致性」 page (Art. 12): each unit's review figures and an indicator's spread against the city.

The figures come from `reporting.oversight`; a district user gets its own unit's row only, against the
whole city. Box plots are drawn only over five or more enterprises.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.charts import Box, box_chart
from accounts.views_base import RightRequiredMixin, signed_in
from reporting import oversight, selectors
from reporting.models import ReportingYear


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def parse_year(raw: Any) -> int | None:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) == 4 else None


class OversightView(RightRequiredMixin, TemplateView):
    """City staff and auditors compare every unit's reviews; a district its own unit against the city."""

    right = "oversight.view"
    template_name = "reporting/oversight.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        years = list(ReportingYear.objects.values_list("year", flat=True))
        year = parse_year(self.request.GET.get("year"))
        if year not in years:
            year = selectors.latest_reporting_year()
        context.update(years=years, year=year, whole_city=user.sees_whole_city)
        if year is None:
            return context
        indicators = oversight.year_indicators(year)
        code = self.request.GET.get("indicator") or ""
        indicator = next((i for i in indicators if i.code == code), indicators[0])
        units, city = oversight.reviewer_figures(user, year)
        spread, city_spread = oversight.distributions(user, year, indicator.code)
        city_label = _("全市")
        boxes = [_box(d) for d in spread]
        if city_spread is not None:
            boxes.append(_box(city_spread, city_label))
        context.update(
            indicators=indicators,
            indicator=indicator,
            rows=[_row(u) for u in units],
            city=_row(city, city_label) if city is not None else None,
            chart=box_chart(
                boxes,
                title=_("{code} {name}：各管理单位分布").format(code=indicator.code, name=indicator.name_zh),
                unit=indicator.unit,
                min_count=oversight.MIN_VALUES,
                too_few=_("少于{min}家企业，不显示分布"),
            ),
            spread=[*spread, *([city_spread] if city_spread else [])],
            city_label=city_label,
            min_values=oversight.MIN_VALUES,
            export_filters=[("year", year)],
        )
        return context


def _box(d: oversight.Distribution, city_label: str = "") -> Box:
    """A unit's box; the city's (named `city_label`) is highlighted."""
    return Box(city_label or d.name, d.count, d.p10, d.q1, d.median, d.q3, d.p90, highlight=bool(city_label))


def _row(figures: oversight.UnitFigures, name: str = "") -> dict[str, Any]:
    return {
        "name": name or figures.name,
        "decisions": figures.decisions,
        "returns": figures.returns,
        "return_rate": percent(figures.return_rate),
        "median_days": days(figures.median_days),
        "flagged": figures.flagged_approvals,
        "flagged_silent": figures.flagged_silent,
        "flagged_share": percent(figures.flagged_silent_share),
        "submitted": figures.submitted,
        "late": figures.late,
    }
