"""The statistics dashboard (统计看板): one URL whose content follows the user's role.

City staff and auditors see the whole city; a district user the same figures for its own unit only; an
enterprise user its own grades and dimension scores. Numbers come from `reporting.dashboards` (SQL
aggregates in the user's scope); this module turns them into KPI tiles, SVG charts and, for every chart,
the same numbers as a table (screen readers, printing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.models import Role
from factories.indicators import get_catalogue
from factories.models import GradingResult
from reporting import dashboards
from reporting.charts import GRADE_COLORS, bar_chart, empty_chart, radar_chart
from reporting.dashboards import GRADES
from reporting.forms import localized
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
NO_GRADES = _("{year}年度尚无已发布的评价结果。市经济信息委发布公示后，这里将显示各等级绿色工厂的分布。")
NO_TREND = _("尚无已发布的评价结果。每发布一个年度的评价，这里就多一组柱子。")
NO_ENTERPRISES = _("范围内还没有登记的企业，登记企业后这里将显示各管理单位的填报进度。")


@dataclass
class Table:
    """The numbers behind a chart, shown in a <details> under it."""

    columns: list[tuple[Any, bool]]  # (header, numeric)
    rows: list[list[Any]]
    foot: list[Any] | None = None


@dataclass
class Card:
    title: Any
    chart: str
    table: Table | None = None
    note: Any = ""
    link: tuple[Any, str] | None = None  # (text, url)


@dataclass
class Kpi:
    label: Any
    value: Any
    unit: Any = ""
    note: Any = ""
    url: str = ""
    grade: str = ""


@dataclass
class Dashboard:
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
    return [(first, False), *[(g, True) for g in GRADES], (_("合计"), True)]


def _grade_foot(rows: list[dict[str, Any]]) -> list[Any]:
    return [_("合计"), *[sum(r[g] for r in rows) for g in GRADES], sum(r["total"] for r in rows)]


def _grade_series(rows: list[dict[str, Any]]) -> list[tuple[str, list[float]]]:
    return [(g, [r[g] for r in rows]) for g in GRADES]


GRADE_PALETTE = [GRADE_COLORS[g] for g in GRADES]


# --- cards shared by the city and district dashboards ---------------------------------------------


def grades_by_district_card(user: Any, year: int) -> Card:
    rows = dashboards.grades_by_district(user, year)
    title = str(_("{year}年度各管理单位等级分布")).format(year=year)
    if not rows:
        return Card(title, empty_chart(str(NO_GRADES).format(year=year)))
    chart = bar_chart(
        [r["label"] for r in rows], _grade_series(rows), title=title, stacked=True,
        horizontal=len(rows) > MANY_CATEGORIES, colors=GRADE_PALETTE,
    )
    table = Table(_grade_columns(_("管理单位（评价时）")), [[r["label"], *[r[g] for g in GRADES], r["total"]]
                                                     for r in rows], _grade_foot(rows))
    return Card(title, chart, table, note=_("按评价时企业所属的管理单位统计，按绿色工厂数由多到少排列。"))


def grades_by_industry_card(user: Any, year: int) -> Card:
    rows = dashboards.grades_by_industry(user, year)
    title = str(_("{year}年度主要行业等级分布")).format(year=year)
    if not rows:
        return Card(title, empty_chart(str(NO_GRADES).format(year=year)))
    shown = dashboards.fold_tail(rows, TOP_INDUSTRIES, str(_("其他行业")))
    labels = [f"{r['key']} {r['label']}" if r["key"] else r["label"] for r in shown]
    chart = bar_chart(labels, _grade_series(shown), title=title, stacked=True, horizontal=True,
                      colors=GRADE_PALETTE)
    table = Table(_grade_columns(_("行业（GB/T 4754 大类）")),
                  [[f"{r['key']} {r['label']}", *[r[g] for g in GRADES], r["total"]] for r in rows],
                  _grade_foot(rows))
    note = _("绿色工厂数最多的 {n} 个行业大类；其余合并为“其他行业”，数据表列出全部行业。").format(n=TOP_INDUSTRIES) \
        if len(shown) < len(rows) else ""
    return Card(title, chart, table, note=note)


def grade_trend_card(rows: list[dict[str, Any]]) -> Card:
    title = str(_("历年等级分布"))
    if not rows:
        return Card(title, empty_chart(str(NO_TREND)))
    chart = bar_chart([_year(r["year"]) for r in rows], _grade_series(rows), title=title, stacked=True,
                      colors=GRADE_PALETTE)
    table = Table(_grade_columns(_("年度")), [[r["year"], *[r[g] for g in GRADES], r["total"]] for r in rows])
    return Card(title, chart, table, note=_("各年度已发布（公示中或正式发布）的评价结果。"))


def completeness_card(year: int, rows: list[dict[str, Any]]) -> Card:
    """Share of registered enterprises whose data of Y is submitted or further along, lowest first."""
    title = str(_("{year}年度各管理单位填报完成率（%）")).format(year=year)
    if not rows:
        return Card(title, empty_chart(str(NO_ENTERPRISES)))
    ordered = sorted(rows, key=lambda r: (r["rate"], r["key"]))
    chart = bar_chart([r["label"] for r in ordered], [(str(_("完成率")), [round(r["rate"], 1) for r in ordered])],
                      title=title, horizontal=True, value_format="{:.1f}%", colors=["#1565c0"])
    table = Table(
        [(_("管理单位"), False), (_("登记企业"), True), (MISSING_LABEL, True),
         *[(STATUS_SHORT[s], True) for s in dashboards.STATUSES], (_("已提交及以后"), True), (_("完成率"), True)],
        [[r["label"], r["registered"], r["missing"], *[r[s.value] for s in dashboards.STATUSES], r["reported"],
          _pct(r["reported"], r["registered"])] for r in ordered],
        [_("合计"), *[sum(r[k] for r in rows) for k in ("registered", "missing", *dashboards.STATUSES)],
         sum(r["reported"] for r in rows),
         _pct(sum(r["reported"] for r in rows), sum(r["registered"] for r in rows))],
    )
    return Card(title, chart, table,
                note=_("完成率 = 已提交（含区县已审核、市级已复核）的企业数 ÷ 登记企业数；按完成率由低到高排列。"))


def status_card(year: int, rows: list[dict[str, Any]]) -> Card:
    """A district's own reporting progress: one bar split by status."""
    title = str(_("{year}年度本管理单位填报进度")).format(year=year)
    if not rows or not sum(r["registered"] for r in rows):
        return Card(title, empty_chart(str(NO_ENTERPRISES)))
    parts = [(MISSING_LABEL, "missing", MISSING_COLOUR)] + [
        (STATUS_SHORT[s], s.value, STATUS_COLOURS[s]) for s in dashboards.STATUSES
    ]
    chart = bar_chart([r["label"] for r in rows], [(str(label), [r[key] for r in rows]) for label, key, _c in parts],
                      title=title, stacked=True, horizontal=True, colors=[c for _l, _k, c in parts])
    table = Table(
        [(_("状态"), False), *[(r["label"], True) for r in rows]],
        [[label, *[r[key] for r in rows]] for label, key, _c in parts]
        + [[_("已提交及以后"), *[r["reported"] for r in rows]],
           [_("完成率"), *[_pct(r["reported"], r["registered"]) for r in rows]]],
        [_("登记企业"), *[r["registered"] for r in rows]],
    )
    return Card(title, chart, table, note=_("每家登记企业按其{year}年度数据的当前状态计入一类。").format(year=year))


def register_kpis(user: Any, year: int | None) -> tuple[list[Kpi], list[dict[str, Any]]]:
    """KPI tiles of the register and of year Y's reporting; also returns the per-unit completeness rows."""
    register = dashboards.register_counts(user)
    kpis = [
        Kpi(_("登记企业"), register["enterprises"], _("家")),
        Kpi(_("有效绿色工厂"), register["green_factories"], _("家"),
            note=_("市级 {city} · 国家级 {national}").format(city=register["city_tier"],
                                                           national=register["national_tier"])),
    ]
    if year is None:
        return kpis, []
    counts = dashboards.submission_counts(user, year)
    rows = dashboards.completeness_by_district(user, year)
    kpis += [
        Kpi(str(_("{year}年度数据")).format(year=year), counts["total"], _("份"),
            note=" · ".join(f"{STATUS_SHORT[s]} {counts[s.value]}" for s in dashboards.STATUSES)),
        Kpi(_("填报完成率"), _pct(counts["reported"], register["enterprises"]),
            note=_("已提交 {reported} / 登记 {registered} 家").format(reported=counts["reported"],
                                                                   registered=register["enterprises"])),
    ]
    return kpis, rows


def grades_kpi(trend: list[dict[str, Any]], year: int) -> Kpi:
    row = next((r for r in trend if r["year"] == year), None)
    if row is None:
        return Kpi(str(_("{year}年度已评等级")).format(year=year), "—", note=_("尚未发布"))
    return Kpi(str(_("{year}年度已评等级")).format(year=year), row["total"], _("家"),
               note=" · ".join(f"{g} {row[g]}" for g in GRADES))


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
        completeness_card(year, completeness),
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
        status_card(year, completeness),
        grade_trend_card(trend),
        grades_by_industry_card(user, year),
    ]
    return Dashboard(kpis, cards, intro=intro)


def _grade_history_card(grades: list[GradingResult]) -> Card:
    title = str(_("历年等级与综合得分 C"))
    if not grades:
        return Card(title, empty_chart(str(_("暂无已发布的等级。市经济信息委发布公示后，本企业的等级将显示在这里。"))))
    labels = [f"{_year(r.year)} · {r.grade}" for r in grades]
    chart = bar_chart(labels, [(str(_("综合得分 C")), [r.composite_score or 0 for r in grades])], title=title,
                      value_format="{:.2f}", colors=[GRADE_COLORS["AAAA"]])
    rows = []
    for r in grades:
        url = _safe_reverse("factories:explanation", r.pk)
        rows.append([r.year, {"grade": r.grade}, _score(r.level_score), _score(r.improvement_score),
                     _score(r.composite_score), {"link": url, "text": _("评价说明")} if url else "—"])
    table = Table([(_("年度"), False), (_("等级"), False), (_("水平得分 L"), True), (_("提升得分 S"), True),
                   (_("综合得分 C"), True), (_("说明"), False)], rows)
    return Card(title, chart, table, note=_("柱高为综合得分 C（满分 100），柱下标注当年等级。"))


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _radar_card(result: GradingResult | None) -> Card:
    if result is None:
        title = str(_("各维度百分位得分 D"))
        return Card(title, empty_chart(str(_("暂无已发布的评价结果，无法显示各维度得分。"))))
    title = str(_("{year}年度各维度百分位得分 D")).format(year=result.year)
    scores = (result.details or {}).get("dimension_scores") or {}
    catalogue = get_catalogue()
    axes = []
    for dimension in catalogue.dimensions:
        if scores.get(dimension.code) is not None:
            axes.append((localized(dimension.name_zh, dimension.name_en), float(scores[dimension.code])))
    if not axes:
        return Card(title, empty_chart(str(_("该年度没有可计算的维度得分（例如未提交经复核的数据）。"))))
    reference = str(_("对标组中位水平（50）"))
    chart = radar_chart([a for a, _v in axes], [(str(result.enterprise.name), [v for _a, v in axes]),
                                                (reference, [50.0] * len(axes))], title=title)
    table = Table([(_("维度"), False), (_("本企业 D"), True), (reference, True)],
                  [[a, f"{v:.1f}", "50"] for a, v in axes])
    url = _safe_reverse("factories:explanation", result.pk)
    return Card(title, chart, table,
                note=_("D 是本企业在对标组内各维度指标的平均百分位：50 表示处于对标组中间水平。"),
                link=(_("查看评价说明：等级是怎样评定的、如何提升"), url) if url else None)


def enterprise_dashboard(user: Any, year: int | None) -> Dashboard:
    grades = dashboards.own_grades(user)
    chosen = next((r for r in grades if r.year == year), grades[-1] if grades else None)
    kpis: list[Kpi] = []
    if chosen is not None:
        url = _safe_reverse("factories:explanation", chosen.pk)
        kpis += [
            Kpi(str(_("{year}年度等级")).format(year=chosen.year), chosen.grade, grade=chosen.grade, url=url,
                note=chosen.run.get_status_display()),
            Kpi(_("综合得分 C"), _score(chosen.composite_score)),
            Kpi(_("水平得分 L"), _score(chosen.level_score)),
            Kpi(_("提升得分 S"), _score(chosen.improvement_score)),
        ]
    if year is not None:
        submission = dashboards.own_submission(user, year)
        kpis.append(Kpi(str(_("{year}年度数据")).format(year=year),
                        STATUS_SHORT[SubmissionStatus(submission.status)] if submission else MISSING_LABEL,
                        url=_safe_reverse("reporting:submission_edit", user.enterprise_id, year)
                        if submission is None or submission.status == SubmissionStatus.DRAFT else ""))
    cards = [_grade_history_card(grades), _radar_card(chosen)]
    return Dashboard(kpis, cards, intro=_("以下数据仅包含本企业（{name}）。").format(name=user.enterprise.name))


BUILDERS = {
    Role.CITY: city_dashboard,
    Role.AUDITOR: city_dashboard,
    Role.DISTRICT: district_dashboard,
    Role.ENTERPRISE: enterprise_dashboard,
}


class DashboardView(LoginRequiredMixin, TemplateView):
    """统计看板: one page per role, for a year chosen from those with data (?year=YYYY)."""

    template_name = "reporting/dashboard/page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        builder = BUILDERS.get(user.role)
        if builder is None:
            raise PermissionDenied
        choice = dashboards.dashboard_years(user)
        year = self.chosen_year(choice)
        context.update(years=choice.years, year=year, dashboard=builder(user, year),
                       sees_whole_city=user.sees_whole_city, role=user.role)
        return context

    def chosen_year(self, choice: dashboards.DashboardYears) -> int | None:
        raw = self.request.GET.get("year", "")
        if raw.isdigit() and int(raw) in choice.years:
            return int(raw)
        return choice.default
