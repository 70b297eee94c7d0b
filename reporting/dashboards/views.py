"""The statistics dashboard (统计看板): one URL whose content follows the user's scope.

City staff and auditors see the whole city; a district user the same figures for its own unit only; an
enterprise user its own grades and dimension scores. Numbers come from `reporting.dashboards.selectors` (SQL
aggregates in the user's scope); this module turns them into KPI tiles, SVG charts and, for every chart,
the same numbers as a table (screen readers, printing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts import datacache
from accounts.charts import (
    LEVEL_COLORS,
    bar_chart,
    empty_chart,
    funnel_chart,
    line_chart,
    radar_chart,
)
from accounts.i18n import localized
from accounts.permissions import can
from accounts.views_base import CachedPageMixin, RightRequiredMixin
from factories.catalogues.bridge import ReportingCatalogue, reporting_catalogue
from factories.grading import selectors as grading_selectors
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import Grade, GradingResult
from reporting.dashboards import selectors as dashboards
from reporting.models import STATUS_COLOURS, SubmissionStatus

TOP_INDUSTRIES = 10
MANY_CATEGORIES = 12  # beyond this a category axis reads better as horizontal bars

YEAR_LABEL = _("{year}年度")
STATUS_SHORT = {
    SubmissionStatus.DRAFT: _("草稿"),
    SubmissionStatus.SUBMITTED: _("待区县审核"),
    SubmissionStatus.DISTRICT_APPROVED: _("待市级复核"),
    SubmissionStatus.CITY_VERIFIED: _("已复核"),
}
MISSING_LABEL = _("未填报")
MISSING_COLOUR = "#d1d5db"
# Empty states: a short message inside the chart frame and a sentence under it saying what will appear.
NO_GRADES = (
    _("{year}年度尚无已发布的评价结果"),
    _("市经济信息委发布公示后，这里将显示各等级绿色工厂的分布。"),
)
NO_TREND = (_("尚无已发布的评价结果"), _("每发布一个年度的评价，这里就多一组柱子。"))
NO_ENTERPRISES = (_("范围内还没有登记的企业"), _("登记企业后，这里将显示各管理单位的填报进度。"))
NO_OWN_GRADES = (_("暂无已发布的等级"), _("市经济信息委发布公示后，本企业的等级和得分将显示在这里。"))
NOT_GRADED = (
    _("本企业不参加AAAA–A分级评价"),
    _("分级评价只针对已认定的市级及以上绿色工厂。培育库企业的培育等级（B/C/D）请在“培育库”中查看。"),
)
NO_OWN_SCORES = (_("暂无已发布的评价结果"), _("发布评价后，这里将显示本企业五个维度的百分位得分。"))
NO_DIMENSIONS = (_("该年度没有可计算的维度得分"), _("例如该年度没有经市级复核的数据；请查看评价说明。"))


@dataclass
class Table:
    """The numbers behind a chart, shown in a <details> under it."""

    columns: list[tuple[Any, bool]]  # (header, numeric)
    rows: list[list[Any]]
    foot: list[Any] | None = None

    def body(self) -> SafeString:
        """The table's rows as HTML. Built here rather than in the template: a dashboard's tables hold about a
        thousand cells, and the template language (a lookup per cell attribute, a `dir()` for each failed one)
        took longer over them than the rest of the page."""
        rows = "".join(
            f"\n        <tr>{''.join(_cell(c, first=i == 0) for i, c in enumerate(row))}</tr>\n      "
            for row in self.rows
        )
        return mark_safe("      " + rows)  # every cell is escaped by _cell


def _shown(value: Any) -> str:
    """A value as `{{ value }}` prints it: localised, then escaped unless already safe."""
    return str(conditional_escape(localize(value)))


def _cell(cell: Any, *, first: bool) -> str:
    """One cell: the row's header, a grade ({"grade": …}), a link ({"link", "text"} or `Linked`), or a value."""
    if isinstance(cell, dict):
        grade, link, text = cell.get("grade"), cell.get("link"), cell.get("text")
    else:
        grade, link, text = None, getattr(cell, "link", None), getattr(cell, "text", None)
    if first:
        return f'<th scope="row">{_shown(cell)}</th>'
    numeric = ' class="num"' if grade is None and link is None else ""
    if grade:
        inner = f'<span class="grade-{_shown(grade)}">{_shown(grade)}</span>'
    elif link:
        inner = f'<a href="{_shown(link)}">{_shown(text)}</a>'
    else:
        inner = _shown(cell)
    return f"<td{numeric}>{inner}</td>"


@dataclass
class Card:
    """One chart with its title, the sentence under it, an optional link and its data table."""

    title: Any
    chart: str
    table: Table | None = None
    note: Any = ""
    link: tuple[Any, str] | None = None  # (text, url)
    empty: bool = False


def _empty(title: str, message: tuple[Any, Any], **fmt: Any) -> Card:
    """A card whose chart is the empty state, with a sentence under it saying what will appear."""
    short, hint = message
    return Card(title, empty_chart(str(short).format(**fmt)), note=str(hint).format(**fmt), empty=True)


@dataclass
class Kpi:
    """A KPI tile: label, big value with unit, a small note; a link when there is something to open."""

    label: Any
    value: Any
    unit: Any = ""
    note: Any = ""
    url: str = ""


@dataclass
class Dashboard:
    """What the page shows for one user and year."""

    kpis: list[Kpi] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    intro: Any = ""


def _year(year: int) -> str:
    return str(YEAR_LABEL).format(year=year)


def _pct(part: int, whole: int) -> str:
    return "—" if not whole else f"{100 * part / whole:.1f}%"


def _safe_reverse(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _grade_columns(first: Any) -> list[tuple[Any, bool]]:
    return [(first, False), *[(g, True) for g in Grade.values], (_("合计"), True)]


def _grade_foot(rows: list[dict[str, Any]]) -> list[Any]:
    return [_("合计"), *[sum(r[g] for r in rows) for g in Grade.values], sum(r["total"] for r in rows)]


def _grade_series(rows: list[dict[str, Any]]) -> list[tuple[str, list[float]]]:
    return [(g, [r[g] for r in rows]) for g in Grade.values]


GRADE_PALETTE = [g.colour for g in Grade]


# --- cards shared by the city and district dashboards ---------------------------------------------


def grades_by_district_card(user: Any, year: int) -> Card:
    rows = dashboards.grades_by_district(user, year)
    title = str(_("{year}年度各管理单位等级分布")).format(year=year)
    if not rows:
        return _empty(title, NO_GRADES, year=year)
    chart = bar_chart(
        [r["label"] for r in rows],
        _grade_series(rows),
        title=title,
        stacked=True,
        horizontal=len(rows) > MANY_CATEGORIES,
        colors=GRADE_PALETTE,
    )
    table = Table(
        _grade_columns(_("管理单位（评价时）")),
        [[r["label"], *[r[g] for g in Grade.values], r["total"]] for r in rows],
        _grade_foot(rows),
    )
    return Card(title, chart, table, note=_("按评价时企业所属的管理单位统计，按绿色工厂数由多到少排列。"))


def grades_by_industry_card(user: Any, year: int) -> Card:
    rows = dashboards.grades_by_industry(user, year)
    title = str(_("{year}年度主要行业等级分布")).format(year=year)
    if not rows:
        return _empty(title, NO_GRADES, year=year)
    shown = dashboards.fold_tail(rows, TOP_INDUSTRIES, str(_("其他行业")))
    labels = [f"{r['key']} {r['label']}" if r["key"] else r["label"] for r in shown]
    chart = bar_chart(
        labels, _grade_series(shown), title=title, stacked=True, horizontal=True, colors=GRADE_PALETTE
    )
    table = Table(
        _grade_columns(_("行业（GB/T 4754 大类）")),
        [[f"{r['key']} {r['label']}", *[r[g] for g in Grade.values], r["total"]] for r in rows],
        _grade_foot(rows),
    )
    note = (
        _("绿色工厂数最多的 {n} 个行业大类；其余合并为“其他行业”，数据表列出全部行业。").format(
            n=TOP_INDUSTRIES
        )
        if len(shown) < len(rows)
        else ""
    )
    return Card(title, chart, table, note=note)


def grade_trend_card(rows: list[dict[str, Any]]) -> Card:
    title = str(_("历年等级分布"))
    if not rows:
        return _empty(title, NO_TREND)
    chart = bar_chart(
        [_year(r["year"]) for r in rows], _grade_series(rows), title=title, stacked=True, colors=GRADE_PALETTE
    )
    table = Table(
        _grade_columns(_("年度")), [[r["year"], *[r[g] for g in Grade.values], r["total"]] for r in rows]
    )
    return Card(title, chart, table, note=_("各年度已发布（公示中或正式发布）的评价结果。"))


def list_url(name: str, **query: Any) -> str:
    """The list behind a figure: a page of reporting with the figure's filters."""
    url = _safe_reverse(name)
    params = urlencode({k: v for k, v in query.items() if v not in (None, "")})
    return f"{url}?{params}" if url and params else url


@dataclass(frozen=True)
class Linked:
    """A table cell that prints as its number and links to the rows it counts."""

    text: Any
    link: str

    def __str__(self) -> str:
        return str(self.text)


def _missing_cell(user: Any, year: int, row: dict[str, Any]) -> Any:
    """A unit's count of enterprises without data, linked to those enterprises on the non-filer list."""
    if not can(user, "non_filer.view") or not row["missing"]:
        return row["missing"]
    district = row["key"] if user.sees_whole_city else ""
    return Linked(
        row["missing"], list_url("reporting:non_filers", year=year, district=district, state="missing")
    )


def completeness_card(year: int, rows: list[dict[str, Any]], user: Any = None) -> Card:
    """Share of registered enterprises whose data of Y is submitted or further along, lowest first."""
    title = str(_("{year}年度各管理单位填报完成率（%）")).format(year=year)
    if not rows:
        return _empty(title, NO_ENTERPRISES)
    ordered = sorted(rows, key=lambda r: (r["rate"], r["key"]))
    chart = bar_chart(
        [r["label"] for r in ordered],
        [(str(_("完成率")), [round(r["rate"], 1) for r in ordered])],
        title=title,
        horizontal=True,
        value_format="{:.1f}%",
        colors=["#1565c0"],
    )
    table = Table(
        [
            (_("管理单位"), False),
            (_("登记企业"), True),
            (MISSING_LABEL, True),
            *[(STATUS_SHORT[s], True) for s in dashboards.STATUSES],
            (_("已提交及以后"), True),
            (_("完成率"), True),
        ],
        [
            [
                r["label"],
                r["registered"],
                _missing_cell(user, year, r) if user is not None else r["missing"],
                *[r[s.value] for s in dashboards.STATUSES],
                r["reported"],
                _pct(r["reported"], r["registered"]),
            ]
            for r in ordered
        ],
        [
            _("合计"),
            *[sum(r[k] for r in rows) for k in ("registered", "missing", *dashboards.STATUSES)],
            sum(r["reported"] for r in rows),
            _pct(sum(r["reported"] for r in rows), sum(r["registered"] for r in rows)),
        ],
    )
    return Card(
        title,
        chart,
        table,
        note=_("完成率 = 已提交（含区县已审核、市级已复核）的企业数 ÷ 登记企业数；按完成率由低到高排列。"),
        link=_non_filer_link(user, year),
    )


def _status_cell(user: Any, year: int, key: str, count: int) -> Any:
    """A district's count of one filing state, linked to the list behind it: the non-filers for data not
    filed, the submission list filtered by the status otherwise."""
    if user is None or not count:
        return count
    if key == "missing":
        if not can(user, "non_filer.view"):
            return count
        return Linked(count, list_url("reporting:non_filers", year=year, state="missing"))
    return Linked(count, list_url("reporting:submission_list", year=year, status=key))


def _non_filer_link(user: Any, year: int) -> tuple[Any, str] | None:
    if user is None or not can(user, "non_filer.view"):
        return None
    return (_("查看未提交数据的企业（催报）"), list_url("reporting:non_filers", year=year))


def status_card(year: int, rows: list[dict[str, Any]], user: Any = None) -> Card:
    """A district's own reporting progress: one bar split by status."""
    title = str(_("{year}年度本管理单位填报进度")).format(year=year)
    if not rows or not sum(r["registered"] for r in rows):
        return _empty(title, NO_ENTERPRISES)
    parts = [(MISSING_LABEL, "missing", MISSING_COLOUR)] + [
        (STATUS_SHORT[s], s.value, STATUS_COLOURS[s]) for s in dashboards.STATUSES
    ]
    chart = bar_chart(
        [r["label"] for r in rows],
        [(str(label), [r[key] for r in rows]) for label, key, _c in parts],
        title=title,
        stacked=True,
        horizontal=True,
        colors=[c for _l, _k, c in parts],
    )
    table = Table(
        [(_("状态"), False), *[(r["label"], True) for r in rows]],
        [[label, *[_status_cell(user, year, key, r[key]) for r in rows]] for label, key, _c in parts]
        + [
            [_("已提交及以后"), *[r["reported"] for r in rows]],
            [_("完成率"), *[_pct(r["reported"], r["registered"]) for r in rows]],
        ],
        [_("登记企业"), *[r["registered"] for r in rows]],
    )
    return Card(
        title,
        chart,
        table,
        note=_("每家登记企业按其{year}年度数据的当前状态计入一类。").format(year=year),
        link=_non_filer_link(user, year),
    )


FUNNEL_STAGES = (
    ("members", _("在库企业（D级及以上）")),
    ("c_or_above", _("C级及以上")),
    ("b_eligible", _("达到B级条件")),
    ("certified", _("已认定B级")),
)
NO_POOL = (
    _("培育库暂无在库企业"),
    _("区县受理入库申请并计算{year}年度培育等级后，这里将显示 D → C → B 级的梯度。"),
)


def _funnel_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {key: sum(r[key] for r in rows) for key, _label in FUNNEL_STAGES}


def pool_funnel_card(year: int, rows: list[dict[str, Any]], *, scope: Any) -> Card:
    """D → C → B-eligible → certified B of the active pool members in the scope (cumulative stages)."""
    title = str(_("{year}年度培育库梯度（{scope}）")).format(year=year, scope=scope)
    totals = _funnel_totals(rows)
    if not totals["members"]:
        return _empty(title, NO_POOL, year=year)
    chart = funnel_chart([(str(label), totals[key]) for key, label in FUNNEL_STAGES], title=title)
    table_rows = []
    previous = None
    for key, label in FUNNEL_STAGES:
        table_rows.append(
            [
                label,
                totals[key],
                "—" if previous is None else _pct(totals[key], previous),
                _pct(totals[key], totals["members"]),
            ]
        )
        previous = totals[key]
    table = Table(
        [(_("阶段"), False), (_("企业数"), True), (_("较上一阶段"), True), (_("占在库企业"), True)],
        table_rows,
    )
    return Card(
        title,
        chart,
        table,
        note=_(
            "各阶段逐级包含：C级及以上含达到B级条件者；已认定B级为该年度达到B级条件且已认定为区县级绿色工厂的企业。"
        ),
    )


def pool_by_district_card(year: int, rows: list[dict[str, Any]]) -> Card:
    """Each unit's active pool members split into exclusive groups (certified first); needs members."""
    title = str(_("{year}年度各管理单位培育库构成")).format(year=year)
    ordered = sorted(rows, key=lambda r: (-r["members"], r["key"]))
    for r in ordered:
        r["only_d"] = r["members"] - r["certified"] - r["only_b"] - r["only_c"]
    parts = [
        ("only_d", _("D级或未分级"), LEVEL_COLORS["D"]),
        ("only_c", _("C级"), LEVEL_COLORS["C"]),
        ("only_b", _("达到B级条件（未认定）"), "#81d4fa"),
        ("certified", _("已认定B级"), LEVEL_COLORS["B"]),
    ]
    chart = bar_chart(
        [r["label"] for r in ordered],
        [(str(label), [r[key] for r in ordered]) for key, label, _c in parts],
        title=title,
        stacked=True,
        horizontal=True,
        colors=[c for _k, _l, c in parts],
    )
    table = Table(
        [(_("管理单位"), False), *[(label, True) for _k, label in FUNNEL_STAGES], (_("B级认定率"), True)],
        [
            [r["label"], *[r[key] for key, _l in FUNNEL_STAGES], _pct(r["certified"], r["members"])]
            for r in ordered
        ],
        [
            _("合计"),
            *[sum(r[key] for r in ordered) for key, _l in FUNNEL_STAGES],
            _pct(sum(r["certified"] for r in ordered), sum(r["members"] for r in ordered)),
        ],
    )
    return Card(
        title, chart, table, note=_("按企业当前所属管理单位统计在库企业；每家企业只计入一类，已认定B级优先。")
    )


def pool_cards(user: Any, year: int, *, scope: Any, by_district: bool) -> list[Card]:
    rows = dashboards.pool_by_district(user, year)
    cards = [pool_funnel_card(year, rows, scope=scope)]
    if by_district and _funnel_totals(rows)["members"]:
        cards.append(pool_by_district_card(year, rows))
    return cards


def register_kpis(user: Any, year: int | None) -> tuple[list[Kpi], list[dict[str, Any]]]:
    """KPI tiles of the register and of year Y's reporting; also returns the per-unit completeness rows."""
    register = dashboards.register_counts(user)
    kpis = [
        Kpi(
            _("登记企业"),
            register["enterprises"],
            _("家"),
            url=list_url("factories:enterprise_list") if can(user, "enterprise.list") else "",
        ),
        Kpi(
            _("有效绿色工厂"),
            register["green_factories"],
            _("家"),
            note=_("市级 {city} · 国家级 {national}").format(
                city=register["city_tier"], national=register["national_tier"]
            ),
            url=list_url("factories:greenfactory_list", status="active")
            if can(user, "green_factory.list")
            else "",
        ),
    ]
    if year is None:
        return kpis, []
    counts = dashboards.submission_counts(user, year)
    rows = dashboards.completeness_by_district(user, year)
    kpis += [
        Kpi(
            str(_("{year}年度数据")).format(year=year),
            counts["total"],
            _("份"),
            note=" · ".join(f"{STATUS_SHORT[s]} {counts[s.value]}" for s in dashboards.STATUSES),
            url=list_url("reporting:submission_list", year=year),
        ),
        Kpi(
            _("填报完成率"),
            _pct(counts["reported"], register["enterprises"]),
            note=_("已提交 {reported} / 登记 {registered} 家").format(
                reported=counts["reported"], registered=register["enterprises"]
            ),
            url=list_url("reporting:non_filers", year=year) if can(user, "non_filer.view") else "",
        ),
    ]
    if can(user, "non_filer.view"):
        kpis.append(
            Kpi(
                _("未提交数据的企业"),
                register["enterprises"] - counts["reported"],
                _("家"),
                note=_("含未填报、草稿未提交和退回后未重新提交；点击催报"),
                url=list_url("reporting:non_filers", year=year),
            )
        )
    # What waits for review: a district's queue, or the city's (which auditors read without acting on it).
    if can(user, "submission.approve"):
        queue = (
            SubmissionStatus.SUBMITTED,
            "reporting:district_queue",
            "submission.approve",
            _("待区县审核"),
        )
    else:
        queue = (
            SubmissionStatus.DISTRICT_APPROVED,
            "reporting:city_queue",
            "submission.verify",
            _("待市级复核"),
        )
    status, name, right, label = queue
    acts = can(user, right)
    if acts or user.sees_whole_city:
        kpis.append(
            Kpi(
                label,
                counts[status.value],
                _("份"),
                note=_("点击进入审核队列") if acts else "",
                url=list_url(name, year=year) if acts else "",
            )
        )
    return kpis, rows


def grades_kpi(trend: list[dict[str, Any]], year: int) -> Kpi:
    row = next((r for r in trend if r["year"] == year), None)
    if row is None:
        return Kpi(str(_("{year}年度已评等级")).format(year=year), "—", note=_("尚未发布"))
    return Kpi(
        str(_("{year}年度已评等级")).format(year=year),
        row["total"],
        _("家"),
        note=" · ".join(f"{g} {row[g]}" for g in Grade.values),
        url=list_url("factories:grade_list", year=year),
    )


# --- per role -------------------------------------------------------------------------------------


def city_dashboard(user: Any, year: int | None) -> Dashboard:
    kpis, completeness = register_kpis(user, year)
    if year is None:
        return Dashboard(kpis)
    trend = dashboards.grade_trend(user)
    kpis.append(grades_kpi(trend, year))
    cards = [
        grade_trend_card(trend),
        grades_by_industry_card(user, year),
        grades_by_district_card(user, year),
        completeness_card(year, completeness, user),
        *pool_cards(user, year, scope=_("全市"), by_district=True),
    ]
    return Dashboard(kpis, cards)


def district_dashboard(user: Any, year: int | None) -> Dashboard:
    kpis, completeness = register_kpis(user, year)
    intro = _("以下数据仅统计本管理单位（{unit}）的企业。").format(unit=user.district.name)
    if year is None:
        return Dashboard(kpis, intro=intro)
    trend = dashboards.grade_trend(user)
    kpis.append(grades_kpi(trend, year))
    cards = [
        status_card(year, completeness, user),
        grades_by_industry_card(user, year),
        grade_trend_card(trend),
        *pool_cards(user, year, scope=user.district.name, by_district=False),
    ]
    return Dashboard(kpis, cards, intro=intro)


def _grade_history_card(grades: list[GradingResult], *, green_factory: bool = True) -> Card:
    title = str(_("历年等级与综合得分 C"))
    if not grades:
        return _empty(title, NO_OWN_GRADES if green_factory else NOT_GRADED)
    chart = line_chart(
        [f"{_year(r.year)} · {r.grade}" for r in grades],
        [(str(_("综合得分 C")), [r.composite_score for r in grades])],
        title=title,
        y_max=100,
    )
    rows = []
    for r in grades:
        url = _safe_reverse("factories:explanation", r.pk)
        rows.append(
            [
                r.year,
                {"grade": r.grade},
                _score(r.level_score),
                _score(r.improvement_score),
                _score(r.composite_score),
                {"link": url, "text": _("评价说明")} if url else "—",
            ]
        )
    table = Table(
        [
            (_("年度"), False),
            (_("等级"), False),
            (_("水平得分 L"), True),
            (_("提升得分 S"), True),
            (_("综合得分 C"), True),
            (_("说明"), False),
        ],
        rows,
    )
    return Card(title, chart, table, note=_("纵轴为综合得分 C（满分 100），横轴标注年度和当年等级。"))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _run_catalogue(result: GradingResult) -> ReportingCatalogue:
    """The catalogue the result's run graded on (its standard names it): its dimensions name the axes."""
    try:
        return reporting_catalogue(result.run.standard.catalogue_code or DEFAULT_CATALOGUE_VERSION)
    except KeyError:
        return reporting_catalogue()


def _radar_card(result: GradingResult | None) -> Card:
    if result is None:
        title = str(_("各维度百分位得分 D"))
        return _empty(title, NO_OWN_SCORES)
    title = str(_("{year}年度各维度百分位得分 D")).format(year=result.year)
    scores = (result.details or {}).get("dimension_scores") or {}
    catalogue = _run_catalogue(result)
    axes = []
    for dimension in catalogue.dimensions:
        if scores.get(dimension.code) is not None:
            axes.append((localized(dimension.name_zh, dimension.name_en), float(scores[dimension.code])))
    if not axes:
        return _empty(title, NO_DIMENSIONS)
    reference = str(_("对标组中位水平（50）"))
    chart = radar_chart(
        [a for a, _v in axes],
        [(str(result.enterprise.name), [v for _a, v in axes]), (reference, [50.0] * len(axes))],
        title=title,
    )
    table = Table(
        [(_("维度"), False), (_("本企业 D"), True), (reference, True)],
        [[a, f"{v:.1f}", "50"] for a, v in axes],
    )
    url = _safe_reverse("factories:explanation", result.pk)
    return Card(
        title,
        chart,
        table,
        note=_("D 是本企业在对标组内各维度指标的平均百分位：50 表示处于对标组中间水平。"),
        link=(_("查看评价说明：等级是怎样评定的、如何提升"), url) if url else None,
    )


def enterprise_dashboard(user: Any, year: int | None) -> Dashboard:
    grades = dashboards.own_grades(user)
    chosen = next((r for r in grades if r.year == year), grades[-1] if grades else None)
    kpis: list[Kpi] = []
    if chosen is not None:
        url = _safe_reverse("factories:explanation", chosen.pk)
        kpis += [
            Kpi(
                str(_("{year}年度等级")).format(year=chosen.year),
                chosen.grade,
                url=url,
                note=f"{Grade.label_of(chosen.grade)} · {chosen.run.get_status_display()}",
            ),
            Kpi(_("综合得分 C"), _score(chosen.composite_score)),
            Kpi(_("水平得分 L"), _score(chosen.level_score)),
            Kpi(_("提升得分 S"), _score(chosen.improvement_score)),
        ]
    if year is not None:
        submission = dashboards.own_submission(user, year)
        kpis.append(
            Kpi(
                str(_("{year}年度数据")).format(year=year),
                STATUS_SHORT[SubmissionStatus(submission.status)] if submission else MISSING_LABEL,
                url=_safe_reverse("reporting:submission_edit", user.enterprise_id, year)
                if submission is None or submission.status == SubmissionStatus.DRAFT
                else "",
            )
        )
    graded = bool(grades) or grading_selectors.own_enterprise_is_graded(user)
    cards = [_grade_history_card(grades, green_factory=graded), _radar_card(chosen)]
    return Dashboard(
        kpis, cards, intro=_("以下数据仅包含本企业（{name}）。").format(name=user.enterprise.name)
    )


def dashboard_for(user: Any) -> Callable[[Any, int | None], Dashboard]:
    """The dashboard of the user's scope: its own enterprise, the whole city, or its unit."""
    if can(user, "enterprise.view_own"):
        return enterprise_dashboard
    if user.sees_whole_city:
        return city_dashboard
    return district_dashboard


class DashboardView(RightRequiredMixin, CachedPageMixin, TemplateView):
    """统计看板: one page per scope, for a year chosen from those with data (?year=YYYY)."""

    right = "dashboard.view"
    template_name = "reporting/dashboard/page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: Any = self.request.user
        builder = dashboard_for(user)
        # The aggregates scan every published result and submission of the scope. With the data cache they
        # are kept exactly as long as nothing they read changes; without it, for a short while per scope.
        scope = (
            "dashboard",
            translation.get_language(),
            *datacache.scope_key(user),
            self.request.GET.get("year", ""),
            timezone.localdate().isoformat(),
        )

        def compute() -> dict[str, Any]:
            choice = dashboards.dashboard_years(user)
            year = self.chosen_year(choice)
            return {
                "years": choice.years,
                "year": year,
                "dashboard": builder(user, year),
                "computed_at": timezone.now(),
            }

        cached: dict[str, Any] | None
        if datacache.enabled():
            cached = datacache.fetch(scope, compute)
        else:
            key = ":".join(str(part) for part in scope)
            cached = cache.get(key) if settings.DASHBOARD_CACHE_SECONDS else None
            if cached is None:
                cached = compute()
                if settings.DASHBOARD_CACHE_SECONDS:
                    cache.set(key, cached, settings.DASHBOARD_CACHE_SECONDS)
        context.update(cached)
        return context

    def chosen_year(self, choice: dashboards.DashboardYears) -> int | None:
        raw = self.request.GET.get("year", "")
        if raw.isdigit() and int(raw) in choice.years:
            return int(raw)
        return choice.default
