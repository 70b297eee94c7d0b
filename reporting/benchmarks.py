"""Privacy-safe peer benchmarks (同行对标, issue 18): an enterprise's position, in quartile bands only.

For each indicator of its city-verified data, the enterprise learns in which quarter of its peers it lies
— 前25% / 25%–50% / 50%–75% / 后25%, the better end first whatever the indicator's direction — against the
enterprises of its two-digit industry division with city-verified data of the same year, catalogue and
indicator. The comparison is made only over at least `MIN_GROUP` enterprises (k = 5): a smaller division
falls back to the whole city, and a city with fewer than five answers nothing. No figure of another
enterprise leaves this module: not the quartile values (over five enterprises Q1 *is* the second one's
value), not a name, only the band and how many enterprises were compared.

A dimension's position is the mean of the enterprise's percentile among the peers of each indicator of
that dimension that could be compared, p = 100 × (W + 0.5·T) / (n − 1) with W peers it does better than
and T peers level with it (the counting of DOMAIN §7), read in the same four bands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.aggregates import Percentile
from accounts.i18n import localized
from accounts.permissions import can
from factories.catalogues.bridge import IndicatorInfo, reporting_catalogue
from factories.indicators import Direction
from reporting.models import AnnualSubmission, SubmissionStatus
from reporting.oversight import indicator_value

MIN_GROUP = 5
"""The smallest group a position is computed against (k-anonymity of the peers)."""

BANDS = {1: _("前25%"), 2: _("25%–50%"), 3: _("50%–75%"), 4: _("后25%")}
TOO_FEW = _("同行数量不足，暂不显示")


def quartile_band(value: float, q1: float, median: float, q3: float, direction: str) -> int:
    """1 (best quarter) … 4 (worst quarter); a value on a boundary counts to the better side."""
    if direction == Direction.DOWN:
        return 1 if value <= q1 else 2 if value <= median else 3 if value <= q3 else 4
    return 1 if value >= q3 else 2 if value >= median else 3 if value >= q1 else 4


def percentile_band(p: float) -> int:
    """The band of a percentile (0–100, higher is better)."""
    return 1 if p >= 75 else 2 if p >= 50 else 3 if p >= 25 else 4


@dataclass
class IndicatorPosition:
    """The enterprise's own value of one indicator and its band among `members` peers (None: not shown)."""

    indicator: IndicatorInfo
    value: Decimal | None
    group: str = ""  # "division", "city" or "" (not compared)
    group_label: str = ""
    members: int = 0
    band: int | None = None
    percentile: float | None = None
    note: Any = ""

    @property
    def band_label(self) -> Any:
        return BANDS[self.band] if self.band else ""


@dataclass
class DimensionPosition:
    code: str
    name: str
    band: int | None
    compared: int

    @property
    def band_label(self) -> Any:
        return BANDS[self.band] if self.band else TOO_FEW


@dataclass
class Benchmarks:
    """What the 「同行对标」 page and API show one enterprise for one year."""

    year: int | None
    years: list[int] = field(default_factory=list)
    industry: str = ""
    indicators: list[IndicatorPosition] = field(default_factory=list)
    dimensions: list[DimensionPosition] = field(default_factory=list)


def benchmark_years(user: Any) -> list[int]:
    """The years of the user's own enterprise with city-verified data, latest first."""
    if not can(user, "benchmark.view_own") or not user.enterprise_id:
        return []
    return list(
        AnnualSubmission.objects.visible_to(user)
        .filter(enterprise_id=user.enterprise_id, status=SubmissionStatus.CITY_VERIFIED)
        .order_by("-year")
        .values_list("year", flat=True)
    )


def _own_value(stored: dict[str, Any], code: str) -> Decimal | None:
    item = stored.get(code) or {}
    return None if item.get("value") is None else Decimal(item["value"])


def _standing(
    group: QuerySet, own: dict[str, Decimal], directions: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """For every indicator in `own`: the group's size with data, quartiles, and the peers the enterprise
    does better than or level with — one query, every figure computed by the database."""
    names = {code: f"v{i}" for i, code in enumerate(own)}
    group = group.annotate(**{name: indicator_value(code) for code, name in names.items()})
    figures: dict[str, Any] = {}
    for code, name in names.items():
        value = float(own[code])
        worse = (
            Q(**{f"{name}__lt": value}) if directions[code] == Direction.UP else Q(**{f"{name}__gt": value})
        )
        figures.update(
            {
                f"{name}_n": Count(name),
                f"{name}_q1": Percentile(name, 0.25),
                f"{name}_q2": Percentile(name, 0.5),
                f"{name}_q3": Percentile(name, 0.75),
                f"{name}_worse": Count("id", filter=worse),
                f"{name}_level": Count("id", filter=Q(**{name: value})),
            }
        )
    result = group.aggregate(**figures) if figures else {}
    return {
        code: {key: result[f"{name}_{key}"] for key in ("n", "q1", "q2", "q3", "worse", "level")}
        for code, name in names.items()
    }


def benchmarks(user: Any, year: int | None = None) -> Benchmarks:
    """The user's own enterprise's positions for `year` (default: its latest year with verified data)."""
    years = benchmark_years(user)
    if not years:
        return Benchmarks(year=None)
    year = year if year in years else years[0]
    own = (
        AnnualSubmission.objects.visible_to(user)
        .select_related("enterprise__industry")
        .get(enterprise_id=user.enterprise_id, year=year)
    )
    catalogue = reporting_catalogue(own.catalogue_version)
    industry = own.enterprise.industry
    result = Benchmarks(year=year, years=years, industry=str(industry))
    values = {i.code: _own_value(own.indicators, i.code) for i in catalogue.indicators}
    compared = {code: v for code, v in values.items() if v is not None}
    directions = {i.code: str(i.direction) for i in catalogue.indicators}
    # Deliberately not `visible_to(user)`: the peers are read as aggregates only, never as rows.
    peers = AnnualSubmission.objects.filter(
        year=year, status=SubmissionStatus.CITY_VERIFIED, catalogue_version=own.catalogue_version
    )
    division = _standing(peers.filter(enterprise__industry=industry), compared, directions)
    city = _standing(peers, compared, directions)
    groups = (
        ("division", str(_("同行业（{industry}）")).format(industry=industry), division),
        ("city", str(_("全市")), city),
    )
    for indicator in catalogue.indicators:
        position = IndicatorPosition(indicator=indicator, value=values[indicator.code])
        result.indicators.append(position)
        if position.value is None:
            position.note = _("本企业该指标不适用或未填报")
            continue
        for kind, label, standing in groups:
            figures = standing[indicator.code]
            if figures["n"] >= MIN_GROUP:
                position.group, position.group_label, position.members = kind, label, figures["n"]
                position.band = quartile_band(
                    float(position.value),
                    figures["q1"],
                    figures["q2"],
                    figures["q3"],
                    directions[indicator.code],
                )
                others = figures["n"] - 1
                position.percentile = 100 * (figures["worse"] + 0.5 * (figures["level"] - 1)) / others
                break
        else:
            position.note = TOO_FEW
    for dimension in catalogue.dimensions:
        ps = [
            p.percentile
            for p in result.indicators
            if p.indicator.dimension == dimension.code and p.percentile is not None
        ]
        if any(i.dimension == dimension.code for i in catalogue.indicators):
            band = percentile_band(sum(ps) / len(ps)) if ps else None
            result.dimensions.append(
                DimensionPosition(
                    dimension.code, localized(dimension.name_zh, dimension.name_en), band, len(ps)
                )
            )
    return result
