"""The declarations of an annual submission that the national 动态管理表 asks for: 重大事项变更 (name,
business scope, site, boundary) and the compliance self-declaration (no major accident, a valid pollutant
discharge permit, no serious dishonesty record).

They are two JSON objects on the submission, checked against the schema below, rather than related rows:
there are at most four changes and one declaration per enterprise-year, always read and written with the
submission's figures, under the same edit rule (drafts only), audit trail and review; no query selects by
them. A related model would add a second scope, a second audit and nested API writes for no reader.

`major_changes`: ``{kind: {"changed": bool, "changed_on": "YYYY-MM-DD" | None, "description": str}}`` with
kind one of `CHANGE_KINDS`; a kind that is absent has not been declared yet, ``changed: false`` is a
declared "no change". `compliance`: the keys of `COMPLIANCE_KEYS`; an absent or null answer is undeclared.
Each object is replaced as a whole when written.

Evidence (the submission's evidence files, API `field`) attaches to a declaration by the names in
`EVIDENCE_FIELDS`: ``major_change.<kind>`` for the documents of a change (e.g. the new business licence of
a name change, the land or lease contract of a site change) and ``compliance.permit`` for the pollutant
discharge permit or the registration receipt. The rules (`evidence_keys`, `required_evidence_keys`):

- a file may be attached to a change only once the draft declares it (``changed: true``), and to the permit
  only once the draft declares a permit or a registration; before that the upload is refused in words
  (`undeclared_message`), so no file hangs on a change nobody declared. A file stays when the answer is
  later changed back, shown under its words, and can be removed.
- each declared change, and a declared valid permit, need a file before the data can be submitted (the
  national table asks for the changes "with dates and evidence", and a permit is a document the enterprise
  holds); the submit refusal names them like any other missing evidence. A registration receipt may be
  attached but is not required: registration is done online and leaves no certificate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DESCRIPTION_LIMIT = 500
PERMIT_NUMBER_LIMIT = 40
LATEST_PERMIT_DATE = dt.date(2100, 12, 31)


class ChangeKind(models.TextChoices):
    """The four 重大事项变更 the national dynamic-management table lists."""

    NAME = "name", gettext_lazy("企业名称变更")
    BUSINESS_SCOPE = "business_scope", gettext_lazy("经营范围变更")
    SITE = "site", gettext_lazy("厂址变更")
    BOUNDARY = "boundary", gettext_lazy("工厂边界变更")


class PermitStatus(models.TextChoices):
    """排污许可 under the classified management of pollutant discharge: a permit, or registration only."""

    VALID = "valid", gettext_lazy("持有有效排污许可证")
    REGISTRATION = "registration", gettext_lazy("实行排污登记管理（无需申领排污许可证）")
    ABSENT = "absent", gettext_lazy("未取得排污许可证")


CHANGE_KINDS = tuple(ChangeKind.values)
COMPLIANCE_KEYS = (
    "no_major_accident",
    "accident_note",
    "permit",
    "permit_number",
    "permit_valid_to",
    "no_serious_credit_record",
    "credit_note",
)
PERMIT_EVIDENCE = "compliance.permit"
EVIDENCE_FIELDS = {
    **{
        f"major_change.{kind}": format_lazy(gettext_lazy("重大事项变更：{kind}"), kind=ChangeKind(kind).label)
        for kind in CHANGE_KINDS
    },
    PERMIT_EVIDENCE: gettext_lazy("排污许可证（或排污登记回执）"),
}
"""Evidence field names (API `field` of a submission's evidence) for the declarations, with their words."""

EVIDENCE_EXAMPLES = {
    "major_change.name": gettext_lazy("变更后的营业执照、市场监管部门的变更登记通知书"),
    "major_change.business_scope": gettext_lazy("变更后的营业执照、市场监管部门的变更登记通知书"),
    "major_change.site": gettext_lazy("新厂址的不动产权证书或租赁合同、环评批复"),
    "major_change.boundary": gettext_lazy("调整后的用地或规划许可文件、厂区平面布置图"),
    PERMIT_EVIDENCE: gettext_lazy("排污许可证正本（或副本首页），实行登记管理的为排污登记回执"),
}
"""What a file of each declaration usually is, shown beside the upload."""

STATEMENTS = {
    "no_major_accident": gettext_lazy("本年度未发生较大及以上安全生产事故和突发环境事件"),
    "no_serious_credit_record": gettext_lazy("未被列入严重失信主体名单，无严重违法失信记录"),
}


def _date(value: Any) -> dt.date | str | None:
    """A date from the API or the form; an unreadable one comes back as the text it was."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return str(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _answer(value: Any) -> bool | str | None:
    if value is None or isinstance(value, bool):
        return value
    return str(value)


def clean_major_changes(
    data: Any, *, year: int, today: dt.date
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The 重大事项变更 in stored form, and the problems found keyed by ``major_changes.<kind>.<key>``."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, Mapping):
        return {}, {"major_changes": [_("重大事项变更应为按变更类型填写的对象。")]}
    cleaned: dict[str, Any] = {}
    for kind, entry in data.items():
        if kind not in CHANGE_KINDS:
            errors.setdefault("major_changes", []).append(
                _("未知的变更类型“{kind}”，可选：{choices}。").format(
                    kind=kind, choices="、".join(f"{k}（{ChangeKind(k).label}）" for k in CHANGE_KINDS)
                )
            )
            continue
        label = str(ChangeKind(kind).label)
        path = f"major_changes.{kind}"
        if entry is None:
            continue
        if not isinstance(entry, Mapping) or not isinstance(entry.get("changed"), bool):
            errors[f"{path}.changed"] = [_("{label}：请选择本年度是否有变更。").format(label=label)]
            continue
        changed_on = _date(entry.get("changed_on"))
        description = _text(entry.get("description"))
        if not entry["changed"]:
            if changed_on is not None or description:
                errors[f"{path}.description"] = [
                    _("{label}：选择了“无变更”，请清空变更日期和说明，或改选“有变更”。").format(label=label)
                ]
            cleaned[kind] = {"changed": False, "changed_on": None, "description": ""}
            continue
        if changed_on is None:
            errors[f"{path}.changed_on"] = [_("{label}：请填写变更日期。").format(label=label)]
        elif isinstance(changed_on, str):
            errors[f"{path}.changed_on"] = [
                _("{label}：变更日期“{value}”无法识别，请按“年-月-日”填写，例如 {year}-03-01。").format(
                    label=label, value=changed_on, year=year
                )
            ]
        elif not dt.date(year, 1, 1) <= changed_on <= today:
            errors[f"{path}.changed_on"] = [
                _("{label}：变更日期应在{first}至{last}之间（本年度起至今天），填写的是{value}。").format(
                    label=label, first=dt.date(year, 1, 1), last=today, value=changed_on
                )
            ]
        if not description:
            errors[f"{path}.description"] = [
                _("{label}：请说明变更内容（例如变更前后的名称、范围或地址）。").format(label=label)
            ]
        elif len(description) > DESCRIPTION_LIMIT:
            errors[f"{path}.description"] = [
                _("{label}：变更说明不能超过{limit}个字（现有{length}个字）。").format(
                    label=label, limit=DESCRIPTION_LIMIT, length=len(description)
                )
            ]
        cleaned[kind] = {
            "changed": True,
            "changed_on": changed_on.isoformat() if isinstance(changed_on, dt.date) else None,
            "description": description,
        }
    return ({} if errors else {k: cleaned[k] for k in CHANGE_KINDS if k in cleaned}), errors


def clean_compliance(data: Any, *, year: int, today: dt.date) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The compliance self-declaration in stored form, and the problems keyed by ``compliance.<key>``."""
    if not isinstance(data, Mapping):
        return {}, {"compliance": [_("合规性自我声明应为对象。")]}
    errors: dict[str, list[str]] = {}
    unknown = sorted(str(k) for k in data if k not in COMPLIANCE_KEYS)
    if unknown:
        errors["compliance"] = [
            _("合规性自我声明中没有这些项目：{unknown}。").format(unknown="、".join(unknown))
        ]
    cleaned: dict[str, Any] = {}
    for key, note_key, missing_note in (
        (
            "no_major_accident",
            "accident_note",
            _("发生过较大及以上事故的，请说明事故的时间、类型和处理情况。"),
        ),
        (
            "no_serious_credit_record",
            "credit_note",
            _("有严重失信记录的，请说明记录的名称、认定机关和日期。"),
        ),
    ):
        answer = _answer(data.get(key))
        note = _text(data.get(note_key))
        if isinstance(answer, str):
            errors[f"compliance.{key}"] = [_("“{statement}”应回答是或否。").format(statement=STATEMENTS[key])]
            continue
        if answer is False and not note:
            errors[f"compliance.{note_key}"] = [missing_note]
        if len(note) > DESCRIPTION_LIMIT:
            errors[f"compliance.{note_key}"] = [
                _("说明不能超过{limit}个字（现有{length}个字）。").format(
                    limit=DESCRIPTION_LIMIT, length=len(note)
                )
            ]
        cleaned[key], cleaned[note_key] = answer, note
    permit = data.get("permit")
    number = _text(data.get("permit_number"))
    valid_to = _date(data.get("permit_valid_to"))
    if permit in (None, ""):
        permit = None
    elif permit not in PermitStatus.values:
        errors["compliance.permit"] = [
            _("排污许可情况应为以下之一：{choices}。").format(
                choices="、".join(f"{k}（{PermitStatus(k).label}）" for k in PermitStatus.values)
            )
        ]
    if len(number) > PERMIT_NUMBER_LIMIT:
        errors["compliance.permit_number"] = [
            _("许可证编号不能超过{limit}个字符。").format(limit=PERMIT_NUMBER_LIMIT)
        ]
    if isinstance(valid_to, str):
        errors["compliance.permit_valid_to"] = [
            _("有效期至“{value}”无法识别，请按“年-月-日”填写，例如 2028-06-30。").format(value=valid_to)
        ]
    elif permit == PermitStatus.VALID:
        if not number:
            errors["compliance.permit_number"] = [_("持有排污许可证的，请填写许可证编号。")]
        if valid_to is None:
            errors["compliance.permit_valid_to"] = [_("持有排污许可证的，请填写有效期截止日期。")]
        elif not dt.date(year, 1, 1) <= valid_to <= LATEST_PERMIT_DATE:
            errors["compliance.permit_valid_to"] = [
                _("有效期至{value}早于{year}年，许可证在本年度已不在有效期内；请改选实际情况。").format(
                    value=valid_to, year=year
                )
                if valid_to < dt.date(year, 1, 1)
                else _("有效期截止日期应不晚于{latest}。").format(latest=LATEST_PERMIT_DATE)
            ]
    elif permit == PermitStatus.ABSENT and (number or valid_to is not None):
        errors["compliance.permit_number"] = [_("选择了“未取得排污许可证”，请清空许可证编号和有效期。")]
    cleaned["permit"] = permit
    cleaned["permit_number"] = number if permit != PermitStatus.ABSENT else ""
    cleaned["permit_valid_to"] = valid_to.isoformat() if isinstance(valid_to, dt.date) else None
    return ({} if errors else cleaned), errors


# --- evidence on the declarations -------------------------------------------------------------------


def _declared_changes(major_changes: Any) -> list[str]:
    changes = major_changes if isinstance(major_changes, Mapping) else {}
    return [
        kind
        for kind in CHANGE_KINDS
        if isinstance(changes.get(kind), Mapping) and changes[kind].get("changed") is True
    ]


def _permit(compliance: Any) -> Any:
    return compliance.get("permit") if isinstance(compliance, Mapping) else None


def evidence_keys(major_changes: Any, compliance: Any) -> list[str]:
    """The declaration evidence fields a file may be attached to now: each declared change, and the permit
    once a permit or a registration is declared."""
    keys = [f"major_change.{kind}" for kind in _declared_changes(major_changes)]
    if _permit(compliance) in (PermitStatus.VALID, PermitStatus.REGISTRATION):
        keys.append(PERMIT_EVIDENCE)
    return keys


def required_evidence_keys(major_changes: Any, compliance: Any) -> list[str]:
    """The declaration evidence fields that need a file before submission: each declared change, and the
    permit when a valid permit is declared."""
    keys = [f"major_change.{kind}" for kind in _declared_changes(major_changes)]
    if _permit(compliance) == PermitStatus.VALID:
        keys.append(PERMIT_EVIDENCE)
    return keys


def undeclared_message(key: str) -> str:
    """Why a file cannot be attached to a declaration that the draft does not (yet) declare."""
    if key == PERMIT_EVIDENCE:
        return _(
            "尚未声明持有排污许可证或实行排污登记，不能上传排污许可证明文件：请先在“合规性自我声明”中"
            "选择排污许可情况并保存草稿，再上传。"
        )
    return _(
        "“{label}”尚未声明为“有变更”，不能上传其证明文件：请先在“重大事项变更”中选择“有变更”，"
        "填写变更日期和内容并保存草稿，再上传。"
    ).format(label=EVIDENCE_FIELDS[key])


# --- words (pages, exports, the audit trail) ----------------------------------------------------------


def change_words(entry: Any) -> str:
    """One declared change in words: 「2025-03-01：…」, 「无变更」, or 「未声明」 when not answered."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("changed"), bool):
        return _("未声明")
    if not entry["changed"]:
        return _("无变更")
    return f"{entry.get('changed_on') or '—'}：{entry.get('description') or ''}"


def answer_words(value: Any) -> str:
    """A yes/no statement as declared: 是 / 否 / 未声明."""
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    return _("未声明")


def permit_words(compliance: Mapping[str, Any]) -> str:
    """The permit answer with its number and end date, e.g. 「持有有效排污许可证（编号…，有效期至…）」."""
    permit = compliance.get("permit")
    if permit not in PermitStatus.values:
        return _("未声明")
    words = str(PermitStatus(permit).label)
    details = []
    if compliance.get("permit_number"):
        details.append(_("编号{number}").format(number=compliance["permit_number"]))
    if compliance.get("permit_valid_to"):
        details.append(_("有效期至{day}").format(day=compliance["permit_valid_to"]))
    return f"{words}（{'，'.join(details)}）" if details else words


def major_changes_summary(value: Any, changes: Any = None) -> str:
    """All four kinds in one line (the audit trail's value words)."""
    data = value if isinstance(value, Mapping) else {}
    return "；".join(f"{ChangeKind(k).label}：{change_words(data.get(k))}" for k in CHANGE_KINDS)


def compliance_summary(value: Any, changes: Any = None) -> str:
    """The three statements in one line (the audit trail's value words)."""
    data = value if isinstance(value, Mapping) else {}
    parts = [
        f"{STATEMENTS['no_major_accident']}：{answer_words(data.get('no_major_accident'))}",
        f"{_('排污许可')}：{permit_words(data)}",
        f"{STATEMENTS['no_serious_credit_record']}：{answer_words(data.get('no_serious_credit_record'))}",
    ]
    return "；".join(parts)


def is_complete(major_changes: Any, compliance: Any) -> bool:
    """Every change kind and every statement answered."""
    changes = major_changes if isinstance(major_changes, Mapping) else {}
    declared = compliance if isinstance(compliance, Mapping) else {}
    return all(isinstance((changes.get(k) or {}).get("changed"), bool) for k in CHANGE_KINDS) and all(
        declared.get(k) is not None for k in ("no_major_accident", "permit", "no_serious_credit_record")
    )


def display(major_changes: Any, compliance: Any) -> dict[str, Any]:
    """The declarations as the submission pages show them: one row per change kind and per statement."""
    changes = major_changes if isinstance(major_changes, Mapping) else {}
    declared = compliance if isinstance(compliance, Mapping) else {}
    change_rows = []
    for kind in CHANGE_KINDS:
        entry = changes.get(kind) or {}
        answered = isinstance(entry.get("changed"), bool)
        change_rows.append(
            {
                "label": ChangeKind(kind).label,
                "state": (_("有变更") if entry["changed"] else _("无变更")) if answered else _("未声明"),
                "changed": bool(entry.get("changed")),
                "answered": answered,
                "on": entry.get("changed_on") or "",
                "description": entry.get("description") or "",
                "evidence_field": f"major_change.{kind}",
                "evidence_examples": EVIDENCE_EXAMPLES[f"major_change.{kind}"],
            }
        )
    statements = [
        {
            "label": STATEMENTS["no_major_accident"],
            "answer": answer_words(declared.get("no_major_accident")),
            "answered": declared.get("no_major_accident") is not None,
            "flag": declared.get("no_major_accident") is False,
            "note": declared.get("accident_note") or "",
        },
        {
            "label": _("排污许可"),
            "evidence_field": PERMIT_EVIDENCE,
            "evidence_examples": EVIDENCE_EXAMPLES[PERMIT_EVIDENCE],
            "answer": permit_words(declared),
            "answered": declared.get("permit") is not None,
            "flag": declared.get("permit") == PermitStatus.ABSENT,
            "note": "",
        },
        {
            "label": STATEMENTS["no_serious_credit_record"],
            "answer": answer_words(declared.get("no_serious_credit_record")),
            "answered": declared.get("no_serious_credit_record") is not None,
            "flag": declared.get("no_serious_credit_record") is False,
            "note": declared.get("credit_note") or "",
        },
    ]
    return {"changes": change_rows, "statements": statements, "complete": is_complete(changes, declared)}
