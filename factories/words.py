"""Words of the registry's and grading's codes that more than one place shows: the rule that decided a
grade and the peer group a factory was compared with. Pages, exports and documents take them from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from factories.models import District, Industry, Tier
from factories.scoring import PEER_GROUP_ALL

# The rule that decided a grade (GradingResult.decided_by), as a short label for tables and exports.
DECIDED_BY_LABELS = {
    "BAND": gettext_lazy("按排名与得分"),
    "NO_SCORE": gettext_lazy("无可计算指标"),
    "FIRST_YEAR": gettext_lazy("首年认定评为A"),
    "NO_DATA_DOWNGRADE": gettext_lazy("未报送数据降档"),
    "NO_DATA_NO_PREVIOUS_GRADE": gettext_lazy("未报送数据"),
    "INCIDENT_GENERAL_DOWN": gettext_lazy("一般事故降档"),
    "INCIDENT_LARGE_CAP": gettext_lazy("较大事故封顶"),
    "NOT_IN_POPULATION": gettext_lazy("不在评价范围"),
}


def decided_label(code: str) -> str:
    """The deciding rule in words; a rule this version does not know stays as it is rather than vanish."""
    return str(DECIDED_BY_LABELS.get(code, code or "—"))


def peer_group_label(code: str, industry_name: str | None = None) -> str:
    """The peer group a factory was compared with: all green factories (too few in its industry) or its
    industry division, named 「同行业：36 汽车制造业」; nothing when it was compared with no one."""
    if code == PEER_GROUP_ALL:
        return _("全部绿色工厂（不分行业）")
    if not code:
        return ""
    industry = f"{code} {industry_name}" if industry_name else code
    return _("同行业：{industry}").format(industry=industry)


def tier_label(value: str) -> str:
    """市级 / 国家级 for a stored tier; a result's tier is stored without choices, so not by the field."""
    return str(Tier(value).label) if value in Tier.values else value


def filter_word(key: str, value: Any) -> Any:
    """A registry filter's value as the title row and the export list show it: the unit's and the
    industry's names, the tier in words; any other value as it is."""
    if key == "district":
        name = District.objects.filter(pk=value).values_list("name", flat=True).first()
        return name or value
    if key == "industry":
        industry = Industry.objects.filter(pk=value).first()
        return str(industry) if industry is not None else value
    if key == "tier":
        return tier_label(str(value))
    return value


def filter_words(**by_key: Callable[[str], Any]) -> Callable[[str, Any], Any]:
    """An exporter's ``word``: the registry's filter words, and ``by_key[key](value)`` for its own codes
    (e.g. ``status=lambda v: SubmissionStatus(v).label``); an unknown code stays as it is."""

    def word(key: str, value: Any) -> Any:
        if key in by_key:
            try:
                return str(by_key[key](str(value)))
            except ValueError:
                return value
        return filter_word(key, value)

    return word


def standard_parameters_words(value: Any, changes: Any = None) -> Any:
    """A grading or pool standard's parameters as one sentence for the audit trail (the full set is on the
    standard's page, which the entry links to): its catalogue, the number of indicators, the dimensions'
    weights by name and the grade lines; never the stored keys or the engine's codes (up/down, energy …)."""
    if not isinstance(value, dict):
        return value
    from django.utils import translation

    from factories.catalogues.bridge import reporting_catalogue

    try:
        catalogue = reporting_catalogue(str(value.get("catalogue_version") or "GBT36132-2018"))
        english = translation.get_language() == "en"
        named = {d.code: d.name_en if english else d.name_zh for d in catalogue.dimensions}
    except KeyError:
        named = {}
    parts = []
    if value.get("catalogue_version"):
        parts.append(_("指标目录 {code}").format(code=value["catalogue_version"]))
    parts.append(_("{n} 项指标").format(n=len(value.get("indicators") or [])))
    weights = value.get("weights") or {}
    if weights:
        listed = "、".join(f"{named.get(str(k), str(k))} {float(v):g}" for k, v in weights.items())
        parts.append(_("维度权重 {weights}").format(weights=listed))
    bands = value.get("bands") or []
    if bands:
        lines = "、".join(f"{b.get('grade')}：Q<{b.get('q_below')}，C≥{b.get('c_min')}" for b in bands)
        parts.append(_("等级线 {lines}").format(lines=lines))
    for key, label in (
        ("b_level_min", _("B级水平得分下限")),
        ("c_level_min", _("C级水平得分下限")),
        ("b_dimension_min", _("B级各维度得分下限")),
    ):
        if value.get(key) is not None:
            parts.append(f"{label} {value[key]}")
    return "；".join(parts)
