"""Labels and helpers shared by the annual-data pages: status and window labels, indicator rows,
value groups, the typed-values preview and correction changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.i18n import in_language, localized
from factories.catalogues.bridge import (
    ReportingCatalogue,
    derive_indicators,
    validate_raw,
    year_on_year_flags,
)
from factories.indicators import IndicatorValue, Status
from reporting import services
from reporting.forms import choice_set_value
from reporting.models import AnnualSubmission, CorrectionRequest, CorrectionStatus, ReportingYear
from reporting.values import from_storage, parse_raw_values

INDICATOR_STATUS_LABELS = {
    Status.OK: _("正常"),
    Status.NOT_APPLICABLE: _("不适用"),
    Status.NOT_REPORTED: _("未填报"),
}
WINDOW_STATE_LABELS = {"not_open": _("尚未开放"), "open": _("填报中"), "closed": _("已截止")}
TRANSITION_LABELS = {
    "submit": _("提交"),
    "approve": _("区县审核通过"),
    "verify": _("市级复核通过"),
    "return": _("退回修改"),
    "correct": _("更正（新版本）"),
}
ACTION_DONE = {
    "submit": _("已提交，等待区县经信部门审核。"),
    "approve": _("已审核通过，已转市经济信息委复核。"),
    "verify": _("已复核通过，数据已锁定。"),
    "return": _("已退回，企业将收到退回原因。"),
}


# --- small helpers --------------------------------------------------------------------------------


def shown_unit(raw_field: Any) -> str:
    """The unit beside a shown raw value; none for a choice set, whose value is the list of its items."""
    return "" if getattr(raw_field, "is_choice_set", False) else localized(raw_field.unit, raw_field.unit_en)


def shown_value(catalogue: ReportingCatalogue, name: str, stored: Any) -> Any:
    """A stored raw value as a page shows it: a decimal string as stored, 是/否 for a yes-no field, the
    chosen items of a choice set joined by 、 (以上均不具备 when none); None stays None (未填报)."""
    if stored is None:
        return None
    try:
        raw_field = catalogue.raw_field(name)
    except StopIteration:
        return stored
    if raw_field.is_choice_set:
        items = stored if isinstance(stored, list) else []
        return localized("、", ", ").join(items) if items else _("以上均不具备")
    if raw_field.is_yes_no:
        return _("是") if str(stored) == "1" else _("否") if str(stored) == "0" else stored
    return stored


def _indicator_rows(
    catalogue: ReportingCatalogue, values: Mapping[str, IndicatorValue]
) -> list[dict[str, Any]]:
    rows = []
    for indicator in catalogue.indicators:
        value = values[indicator.code]
        rows.append(
            {
                "code": indicator.code,
                "name": indicator.name_zh,
                "name_en": indicator.name_en,
                "value": None if value.value is None else format(value.value, "f"),
                "unit": indicator.unit,
                "status": str(value.status),
                "formula": indicator.formula_zh,
                "direction": str(indicator.direction),
            }
        )
    return _labelled(rows, catalogue)


def _labelled(rows: list[dict[str, Any]], catalogue: ReportingCatalogue) -> list[dict[str, Any]]:
    """Indicator rows (as the selector returns them) with the label, unit, formula and status text of
    the UI language."""
    labelled = []
    for row in rows:
        indicator = catalogue.indicator(row["code"])
        labelled.append(
            {
                **row,
                "label": localized(row["name"], row["name_en"]),
                "unit": localized(indicator.unit, indicator.unit_en),
                "formula": localized(indicator.formula_zh, indicator.formula_en),
                "status_label": INDICATOR_STATUS_LABELS[Status(row["status"])],
            }
        )
    return labelled


def _value_groups(
    catalogue: ReportingCatalogue,
    raw_values: Mapping[str, Any],
    flagged: Any = (),
    previous: Mapping[str, Any] | None = None,
    evidence: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Raw values grouped by dimension for read-only display, with last year's value when known and the
    evidence of each figure (reporting.evidence.cells) when given."""
    return [
        {
            "name": localized(group.name_zh, group.name_en),
            "rows": [
                {
                    "name": f.name,
                    "label": localized(f.label_zh, f.label_en),
                    "unit": shown_unit(f),
                    "value": shown_value(catalogue, f.name, raw_values.get(f.name)),
                    "previous": shown_value(catalogue, f.name, previous.get(f.name))
                    if previous is not None
                    else None,
                    "flagged": f.name in flagged,
                    "evidence": (evidence or {}).get(f.name),
                }
                for f in raw_fields
            ],
        }
        for group, raw_fields in catalogue.field_groups()
    ]


def _window(reporting_year: ReportingYear | None) -> dict[str, Any] | None:
    if reporting_year is None:
        return None
    state = reporting_year.window_state(services.today())
    return {"year": reporting_year, "state": state, "state_label": WINDOW_STATE_LABELS[state]}


INVALID_STATUS_LABEL = _("数据有误")


def typed_preview(catalogue: Any, data: Any, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The indicators and problems of values as typed (not yet saved): the live preview, and the preview
    shown again with a form that was refused.

    A field the save would refuse is left out of the indicators, as the save itself would, and every
    indicator built on it says 数据有误 instead of showing a figure (RH-01 = 200 % read as 正常 before).
    With last year's stored values (`previous`), the ×3 year-on-year rule is applied to what is typed, so
    the enterprise learns of the flag before saving, not after.
    """
    names = [f.name for f in catalogue.raw_fields]
    typed = {
        f.name: choice_set_value(data.getlist(f.name) if hasattr(data, "getlist") else data.get(f.name) or [])
        if f.is_choice_set
        else data.get(f.name, "")
        for f in catalogue.raw_fields
    }
    parsed, errors = parse_raw_values(catalogue, typed)
    values = {name: parsed.get(name) for name in names}
    refused = validate_raw(values, catalogue)
    problems = [in_language(text) for texts in errors.values() for text in texts]
    problems += [in_language(text) for texts in refused.values() for text in texts]
    wrong = set(errors) | set(refused)
    usable = {name: (None if name in wrong else value) for name, value in values.items()}
    rows = _indicator_rows(catalogue, derive_indicators(usable, catalogue))
    for row in rows:
        if wrong.intersection(catalogue.indicator(row["code"]).fields):
            row.update(value=None, status="invalid", status_label=INVALID_STATUS_LABEL)
    flagged: list[str] = []
    if previous is not None:
        flagged = year_on_year_flags(usable, from_storage(previous, catalogue), catalogue=catalogue)
    return {
        "indicators": rows,
        "problems": problems,
        "preview_flagged_labels": [
            localized(catalogue.raw_field(n).label_zh, catalogue.raw_field(n).label_en) for n in flagged
        ],
    }


def _correction_changes(
    catalogue: ReportingCatalogue, submission: AnnualSubmission, correction: CorrectionRequest
) -> list[dict[str, Any]]:
    """Requested values; the current value is shown next to them while the request is pending."""
    pending = correction.status == CorrectionStatus.PENDING
    return [
        {
            "label": localized(f.label_zh, f.label_en),
            "unit": shown_unit(f),
            "old": shown_value(catalogue, f.name, submission.raw_values.get(f.name)) if pending else None,
            "new": shown_value(catalogue, f.name, correction.new_values[f.name]),
        }
        for f in catalogue.raw_fields
        if f.name in correction.new_values
    ]
