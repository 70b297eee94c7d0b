"""The 「同行对标」 page: an enterprise's own position per indicator and dimension, in quartile bands only."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView

from accounts.i18n import localized
from accounts.views_base import RightRequiredMixin
from reporting import benchmarks
from reporting.views.oversight import parse_year


class BenchmarkView(RightRequiredMixin, TemplateView):
    """Where the enterprise stands among its industry's peers; never another enterprise's figures."""

    right = "benchmark.view_own"
    template_name = "reporting/benchmarks.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        result = benchmarks.benchmarks(self.request.user, parse_year(self.request.GET.get("year")))
        rows = [
            {
                "code": p.indicator.code,
                "name": localized(p.indicator.name_zh, p.indicator.name_en),
                "unit": localized(p.indicator.unit, p.indicator.unit_en),
                "direction": localized(p.indicator.direction.label_zh, p.indicator.direction.label_en),
                "value": None if p.value is None else format(p.value.normalize(), "f"),
                "group": p.group_label,
                "members": p.members,
                "band": p.band,
                "band_label": p.band_label,
                "note": p.note,
            }
            for p in result.indicators
        ]
        context.update(
            result=result,
            rows=rows,
            bands=list(benchmarks.BANDS.items()),
            min_group=benchmarks.MIN_GROUP,
        )
        return context
