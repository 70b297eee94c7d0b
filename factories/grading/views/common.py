"""Shared by the grading pages: labels and badge classes, the sentences of the reason codes
(`ReasonWriter`) and number formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.i18n import localized
from factories.grading import selectors
from factories.grading.standard import IncidentEffect
from factories.indicators import get_catalogue
from factories.models import IncidentKind, IncidentSeverity, Industry, ProposalStatus, RunStatus

PUBLISHED_STATES = (RunStatus.PUBLISHED, RunStatus.FINAL, RunStatus.SUPERSEDED)  # once published

# Run states reuse the submission badge colours of app.css: grey waiting, blue working, teal ready for
# review, red failed, amber in public notice, green final.
RUN_BADGES = {
    RunStatus.QUEUED: "badge-draft",
    RunStatus.RUNNING: "badge-submitted",
    RunStatus.SUCCEEDED: "badge-district_approved",
    RunStatus.FAILED: "badge-returned",
    RunStatus.PUBLISHED: "badge-late",
    RunStatus.FINAL: "badge-city_verified",
    RunStatus.SUPERSEDED: "badge-draft",
}
PROPOSAL_BADGES = {
    ProposalStatus.PROPOSED: "badge-late",
    ProposalStatus.CONFIRMED: "badge-returned",
    ProposalStatus.DISMISSED: "badge-draft",
}
PHASE_MESSAGES = {
    "queued": _("排队中，等待计算服务处理……"),
    "loading": _("正在读取经复核的年度数据……"),
    "computing": _("正在计算百分位、维度得分和等级……"),
    "writing": _("正在保存每家工厂的结果……"),
    "done": _("计算完成。"),
}

# Every reason code of factories.grading, as a plain sentence with the numbers of the card.
REASON_TEXTS = {
    "BAND": _(
        "按对标组排名和综合得分评定为 {grade} 级：综合得分 C = {C}，排名位置 q = {q}"
        "（对标组中得分高于本企业的占 {q_pct}）。"
    ),
    "FLOOR_BLOCK": _("按排名可进入 {grade} 档，但综合得分 C = {C} 低于该档最低分 {c_min}。"),
    "AAAA_DIMENSION_BLOCK": _("按排名可进入 {grade} 档，但以下维度得分低于 {dimension_min}：{dimensions}。"),
    "PEER_FALLBACK": _(
        "本行业（{division}）有经复核数据的绿色工厂只有 {division_count} 家，少于 {min_peer} 家，"
        "因此与全部 {peer_count} 家有数据的绿色工厂比较。"
    ),
    "NO_IMPROVEMENT_SCORE": _("没有绿色化提升得分 S（{cause}），综合得分 C 取水平得分 L。"),
    "NO_SCORE": _("没有适用的指标，无法计算得分，计算等级为最低档。"),
    "FIRST_YEAR": _(
        "本年度首次认定为市级绿色工厂，评为 {grade} 级（《管理办法》第七条）；按得分计算的等级为 {computed_grade}。"
    ),
    "NO_DATA_FIRST_YEAR": _("首年认定且本年度未报送经复核的数据，评为 {grade} 级。"),
    "NO_DATA_DOWNGRADE": _(
        "本年度未报送经复核的数据（不履行职责，第九条）：由上一年度的 {previous_grade} 级"
        "降一档为 {grade} 级。"
    ),
    "NO_DATA_NO_PREVIOUS_GRADE": _("本年度未报送经复核的数据，且没有上一年度等级，评为 {grade} 级。"),
    "NO_DATA_SECOND_YEAR_REVOKE": _(
        "连续两年未报送经复核的数据，建议撤销绿色工厂称号（第九条，须市级工作人员确认）。"
    ),
    "INCIDENT_GENERAL_DOWN": _("发生{severity}{kind}，等级由 {from} 降一档为 {to}（第九条）。"),
    "INCIDENT_LARGE_CAP": _(
        "发生{severity}{kind}，等级由 {from} 降为 {to}（第九条：较大事故等级最高为 A）。"
    ),
    "INCIDENT_REVOKE": _(
        "发生{severity}{kind}，建议撤销绿色工厂称号（第九条，须另一名市级工作人员确认后生效）。"
    ),
    "NOT_IN_POPULATION": _("年末不是有效的绿色工厂，不在本次评价范围内。"),
}
FALSIFICATION_REVOKE = _("存在弄虚作假行为，建议撤销绿色工厂称号（第九条，须另一名市级工作人员确认后生效）。")
NO_IMPROVEMENT_CAUSES = {
    "no_previous_data": _("上一年度没有经复核的数据"),
    "no_comparable_indicator": _("两个年度没有可比的指标"),
}
# Rules that changed the grade computed from the scores (§6.9).
OVERRIDE_CODES = frozenset(
    {
        "FIRST_YEAR",
        "NO_DATA_FIRST_YEAR",
        "NO_DATA_DOWNGRADE",
        "NO_DATA_NO_PREVIOUS_GRADE",
        "NO_DATA_SECOND_YEAR_REVOKE",
        "INCIDENT_GENERAL_DOWN",
        "INCIDENT_LARGE_CAP",
        "INCIDENT_REVOKE",
    }
)
EFFECT_LABELS = {
    IncidentEffect.REVOKE: _("建议撤销称号"),
    IncidentEffect.CAP_AT_LOWEST: _("当年等级最高为 {lowest}"),
    IncidentEffect.ONE_BAND_DOWN: _("等级降一档"),
}
INDICATOR_STATUS = {
    "ok": _("已填报"),
    "not_applicable": _("不适用"),
    "not_reported": _("未填报"),
    "no_data": _("无复核数据"),
}
PROPOSAL_REASONS = {"incident": _("事故或弄虚作假"), "no_data_two_years": _("连续两年未报送经复核的数据")}


def f2(value: float | None) -> str:
    """Scores are shown with 2 decimals; the comparisons used the unrounded values."""
    return "—" if value is None else f"{value:.2f}"


class ReasonWriter:
    """Turns stored reason codes (factories.grading) into Chinese sentences for tables and the card."""

    def __init__(self, catalogue_version: str | None = None) -> None:
        self.catalogue = selectors.catalogue_view(catalogue_version) if catalogue_version else get_catalogue()
        self._industries: dict[str, str] | None = None

    def industry_name(self, code: str) -> str | None:
        if self._industries is None:
            self._industries = dict(Industry.objects.values_list("code", "name"))
        return self._industries.get(code)

    def industry(self, code: str) -> str:
        name = self.industry_name(code)
        return f"{code} {name}" if name else code

    def dimension(self, code: str) -> str:
        try:
            definition = self.catalogue.dimension(code)
        except StopIteration:
            return code
        return localized(definition.name_zh, definition.name_en)

    def text(self, reason: Mapping[str, Any]) -> str:
        code = reason.get("code", "")
        params = {k: v for k, v in reason.items() if k != "code"}
        if code == "INCIDENT_REVOKE" and params.get("kind") == IncidentKind.FALSIFICATION:
            return str(FALSIFICATION_REVOKE)
        template = REASON_TEXTS.get(code)
        if template is None:
            return code
        for key in ("C", "c_min", "dimension_min"):
            if isinstance(params.get(key), int | float):
                params[key] = f2(params[key])
        if isinstance(params.get("q"), int | float):
            params["q_pct"] = f"{params['q'] * 100:.1f}%"
            params["q"] = f"{params['q']:.3f}"
        if "dimensions" in params:
            params["dimensions"] = "、".join(
                f"{self.dimension(k)} {f2(v)}" for k, v in params["dimensions"].items()
            )
        if "division" in params:
            params["division"] = self.industry(params["division"])
        if "kind" in params:
            params["kind"] = (
                IncidentKind(params["kind"]).label if params["kind"] in IncidentKind.values else ""
            )
        if "severity" in params:
            severity = params["severity"]
            params["severity"] = (
                IncidentSeverity(severity).label if severity in IncidentSeverity.values else ""
            )
        if "cause" in params:
            params["cause"] = NO_IMPROVEMENT_CAUSES.get(params["cause"], params["cause"])
        if params.get("computed_grade") is None:
            params["computed_grade"] = "—"
        try:
            return str(template).format(**params)
        except (KeyError, IndexError):
            return str(template)

    def rule(self, decided_by: str, reasons: list[dict[str, Any]]) -> str:
        """The sentence of the rule that decided the grade (the last reason with that code)."""
        deciding = [r for r in reasons if r.get("code") == decided_by]
        if deciding:
            return self.text(deciding[-1])
        return self.text({"code": decided_by})


def run_badge(status: str) -> str:
    return RUN_BADGES.get(status, "badge-draft")  # type: ignore[call-overload]
