"""Word documents of a grading (Art. 7, 8) in 公文 layout, signed and filed on paper by the city:

- the 公示 notice of a run in notice or final: every graded factory with its tier and grade, the notice
  period of the run, and where to object (city staff only; simulations and drafts have none: 404);
- each factory's 评价结果通知书 of a final run: its grade, tier, the rule that decided it and the score
  breakdown per dimension as the explanation card shows it, for the city, the factory's district and the
  enterprise itself (anyone else: 404).

Every figure is the stored result of the run (`selectors`, `explanation_display`); nothing is recomputed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.documents import (
    CITY_COMMISSION,
    MEASURES,
    OfficialDocument,
    chinese_date,
    document_filename,
    list_separator,
)
from accounts.views_base import ScopedObjectMixin
from factories.grading import selectors
from factories.grading.views.results import explanation_display
from factories.models import Grade, GradingResult, GradingRun, RunStatus, Tier


def grade_words(value: str) -> str:
    """A grade as the documents write it: 「AA级（较好）」."""
    label = Grade.label_of(value)
    return _("{grade}级（{label}）").format(grade=value, label=label) if label else "—"


def tier_words(value: str) -> str:
    return str(Tier(value).label) if value in Tier.values else "—"


def _day(moment: dt.datetime | None, fallback: dt.date | None = None) -> dt.date:
    if moment is not None:
        return timezone.localdate(moment)
    return fallback or timezone.localdate()


def _period(run: GradingRun) -> dict[str, str]:
    return {
        "start": chinese_date(run.notice_from) if run.notice_from else "—",
        "end": chinese_date(run.notice_to) if run.notice_to else "—",
    }


# --- the 公示 notice of a run ---------------------------------------------------------------------


def notice_title(run: GradingRun) -> str:
    return _("关于{year}年度绿色工厂分级评价结果的公示").format(year=run.year)


def notice_list_title(run: GradingRun) -> str:
    return _("{year}年度绿色工厂分级评价结果名单").format(year=run.year)


def notice_document(run: GradingRun) -> OfficialDocument:
    """The public notice of `run` (in notice or final) with the list of its factories as the attachment."""
    document = OfficialDocument(
        title=notice_title(run),
        addressee=_(
            "各区县（自治县）经济信息委，两江新区、西部科学城重庆高新区、万盛经开区经信部门，各有关企业"
        ),
        author=str(CITY_COMMISSION),
    )
    counts = selectors.grade_distribution(run.results.all(), "run_id")
    row = counts[0] if counts else {"total": 0}
    by_grade = list_separator().join(
        _("{grade}{count}家").format(grade=grade_words(grade), count=row.get(grade, 0))
        for grade in Grade.values
    )
    document.paragraph(
        _(
            "根据{measures}，市经济信息委依据经复核的{year}年度绿色制造数据和《{standard}》（第{version}版），"
            "对市级及以上绿色工厂开展了{year}年度分级评价。共评价绿色工厂{total}家，其中{by_grade}。"
            "现将评价结果予以公示（见附件）。"
        ).format(
            measures=MEASURES,
            year=run.year,
            standard=run.standard.name,
            version=run.standard.version,
            total=row.get("total", 0),
            by_grade=by_grade,
        )
    )
    document.paragraph(_("公示期为{start}至{end}。").format(**_period(run)))
    document.paragraph(
        _(
            "公示期内，对评价结果有异议的，请以书面形式向重庆市经济和信息化委员会提出，写明异议的事项和理由，"
            "并附相关证明材料。单位提出异议的，应加盖单位公章；个人提出异议的，应署真实姓名并注明联系方式。"
            "企业也可登录本平台查看本企业的评价说明。逾期提出的异议不予受理。"
        )
    )
    document.paragraph(_("公示期满无异议或异议不成立的，评价结果正式发布。"))
    document.attachment_note([notice_list_title(run)])
    document.signature(str(CITY_COMMISSION), _day(run.published_at, run.notice_from))

    document.attachment(notice_list_title(run))
    order = {grade: index for index, grade in enumerate(Grade.values)}
    rows = sorted(
        run.results.values_list("enterprise__name", "district__name", "tier", "grade"),
        key=lambda r: (order.get(r[3], len(order)), r[1], r[0]),
    )
    document.table(
        [_("序号"), _("企业名称"), _("管理单位"), _("级别"), _("评价等级")],
        [
            (index, name, district, tier_words(tier), grade_words(grade))
            for index, (name, district, tier, grade) in enumerate(rows, start=1)
        ],
        numeric=[0],
        widths_mm=[12, 68, 24, 18, 34],
    )
    return document


class RunNoticeDocumentView(ScopedObjectMixin, View):
    """The 公示 notice of a published or final official run, for the city that issues it."""

    right = "grading.manage"
    model = GradingRun

    def scoped_queryset(self) -> QuerySet:
        # Official runs in notice or final: a draft, a simulation or a superseded run has no notice (404).
        return selectors.runs_for(self.request.user).filter(
            is_simulation=False, status__in=[RunStatus.PUBLISHED, RunStatus.FINAL]
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        run: GradingRun = self.get_object()
        name = _("{year}年度绿色工厂分级评价结果公示").format(year=run.year)
        return notice_document(run).response(document_filename(name, timezone.localdate()))


# --- a factory's 评价结果通知书 ---------------------------------------------------------------------


def result_title(result: GradingResult) -> str:
    return _("{year}年度绿色工厂分级评价结果通知书").format(year=result.year)


def _weight(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def result_document(result: GradingResult, *, recommended: bool) -> OfficialDocument:
    """The letter to the enterprise of `result` (of a final run): what the explanation card shows, in
    words, signed by the city; `recommended` says whether it is on the national-level list (Art. 8)."""
    display = explanation_display(result)
    run = result.run
    enterprise = result.enterprise
    document = OfficialDocument(
        title=result_title(result), addressee=enterprise.name, author=str(CITY_COMMISSION)
    )
    document.paragraph(
        _(
            "根据{measures}第七条，市经济信息委依据经复核的{year}年度绿色制造数据和《{standard}》（第{version}版），"
            "对市级及以上绿色工厂开展了{year}年度分级评价。评价结果经{start}至{end}公示，现已正式发布。"
            "现将贵单位的评价结果通知如下。"
        ).format(
            measures=MEASURES,
            year=result.year,
            standard=run.standard.name,
            version=run.standard.version,
            **_period(run),
        )
    )

    document.heading(_("一、评价结果"))
    document.paragraph(
        _("贵单位（统一社会信用代码：{code}）为{tier}绿色工厂，{year}年度评价等级为{grade}。").format(
            code=enterprise.credit_code,
            tier=tier_words(result.tier),
            year=result.year,
            grade=grade_words(result.grade),
        )
    )
    document.paragraph(_("评定依据：{rule}").format(rule=display["rule_text"]))
    for override in display["overrides"]:
        document.paragraph(override["text"])
    if result.revocation_proposed:
        document.paragraph(
            _(
                "本次评价建议撤销贵单位的绿色工厂称号，须经市经济信息委另一名工作人员确认后生效；上述等级在不撤销时适用。"
            )
        )
    if recommended:
        document.paragraph(
            _(
                "按第八条，AA级及以上的市级绿色工厂优先推荐申报国家级绿色工厂，贵单位已列入{year}年度推荐名单。"
            ).format(year=result.year)
        )

    document.heading(_("二、得分情况"))
    peer = (
        _("{group}，共{count}家").format(group=display["peer_label"], count=result.peer_count)
        if display["peer_label"]
        else _("无（本年度没有经复核的数据）")
    )
    document.table(
        [_("项目"), _("结果")],
        [
            (_("绿色化水平得分 L"), display["L"]),
            (
                _("绿色化提升得分 S"),
                display["S"] if result.improvement_score is not None else _("无上一年度可比数据"),
            ),
            (_("综合得分 C"), display["C"]),
            (_("对标组排名 q（得分高于本企业的比例）"), display["q_pct"] or "—"),
            (_("对标组"), peer),
            (_("评价时管理单位"), result.district.name),
        ],
        numeric=[],
        widths_mm=[80, 76],
    )

    document.heading(_("三、各维度得分"))
    document.table(
        [_("维度"), _("权重"), _("得分 D"), _("平均提升率")],
        [
            (
                d["name"],
                _weight(d["weight"])
                if d["share"] is None
                else _("{weight}（{share}%）").format(weight=_weight(d["weight"]), share=f"{d['share']:.0f}"),
                d["score"],
                d["improvement"] or "—",
            )
            for d in display["dimensions"]
        ],
        numeric=[1, 2, 3],
        widths_mm=[52, 36, 32, 36],
    )
    document.paragraph(
        _(
            "D 为该维度各指标百分位的平均（0–100）；50 相当于对标组的中间水平。没有适用指标的维度不计入，权重重新归一。"
        )
    )

    document.heading(_("四、提升方向"))
    next_band = display["next_band"]
    if next_band is None:
        document.paragraph(_("本年度没有综合得分，无法计算。"))
    elif next_band["kind"] == "top":
        document.paragraph(_("按得分已处于最高档。"))
    elif next_band["kind"] == "blocked":
        document.paragraph(
            _("要达到 {g} 档，以下维度得分须先达到该档的最低要求：{dims}。单靠提高综合得分无法达到。").format(
                g=next_band["grade"], dims=next_band["dimensions"]
            )
        )
    else:
        document.paragraph(
            _(
                "综合得分 C 再提高 {gap} 分（达到 {needed}），即可达到 {g} 档（假定对标组其他企业得分不变）。"
            ).format(gap=next_band["c_gap"], needed=next_band["c_needed"], g=next_band["grade"])
        )
    document.paragraph(
        _(
            "各项指标的数值、百分位和同比变化，请登录重庆市绿色工厂动态管理与梯度培育平台查看本企业的评价说明。"
        )
    )
    document.paragraph(_("特此通知。"))
    document.signature(str(CITY_COMMISSION), _day(run.finalized_at, run.notice_to))
    return document


class ResultNoticeDocumentView(ScopedObjectMixin, View):
    """A factory's 评价结果通知书 of a final run: the city, the factory's district and the enterprise."""

    right = "grade_notice.view"
    pk_url_kwarg = "result_pk"
    model = GradingResult

    def scoped_queryset(self) -> QuerySet:
        return (
            selectors.published_grades(self.request.user)
            .filter(run__status=RunStatus.FINAL)
            .select_related("run__standard")
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        result: GradingResult = self.get_object()
        recommended = selectors.recommendations(request.user, result.year).filter(pk=result.pk).exists()
        name = _("{enterprise}{year}年度绿色工厂分级评价结果通知书").format(
            enterprise=result.enterprise.name, year=result.year
        )
        return result_document(result, recommended=recommended).response(
            document_filename(name, timezone.localdate())
        )
