"""Reporting's audit actions in words, and the pages its objects open at (accounts/audit.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import audit, exports

audit.register_actions(
    {
        "reporting_year.open": pgettext_lazy("audit", "开放年度填报"),
        "reporting_year.update": pgettext_lazy("audit", "调整填报窗口"),
        "submission.create": pgettext_lazy("audit", "新建年度数据"),
        "submission.save": pgettext_lazy("audit", "保存年度数据"),
        "submission.import": pgettext_lazy("audit", "导入年度数据"),
        "submission.submit": pgettext_lazy("audit", "提交"),
        "submission.approve": pgettext_lazy("audit", "审核通过"),
        "submission.verify": pgettext_lazy("audit", "核定"),
        "submission.return": pgettext_lazy("audit", "退回"),
        "submission.correct": pgettext_lazy("audit", "更正年度数据"),
        "correction.request": pgettext_lazy("audit", "申请更正"),
        "correction.approve": pgettext_lazy("audit", "同意更正申请"),
        "correction.reject": pgettext_lazy("audit", "驳回更正申请"),
        "import.upload": pgettext_lazy("audit", "上传导入文件"),
        "import.dry_run": pgettext_lazy("audit", "试导入"),
        "import.commit": pgettext_lazy("audit", "正式导入"),
        "import.refused": pgettext_lazy("audit", "拒收导入文件"),
        "reminder.send": pgettext_lazy("audit", "发送催报"),
        "anomaly.dismiss": pgettext_lazy("audit", "排除异常提示"),
        "anomaly.scan": pgettext_lazy("audit", "检查年度数据异常"),
        "anomaly.configure": pgettext_lazy("audit", "调整异常提示阈值"),
        "evidence.add": pgettext_lazy("audit", "上传佐证材料"),
        "evidence.remove": pgettext_lazy("audit", "删除佐证材料"),
        "submission.note": pgettext_lazy("audit", "留下修订备注"),
    }
)


def _exporter(changes: dict[str, Any]) -> Any:
    kind = changes.get("kind")
    kind = kind[-1] if isinstance(kind, list) else kind
    return exports.REGISTRY.get(str(kind))


def _kind_words(kind: Any, changes: dict[str, Any]) -> str:
    exporter = exports.REGISTRY.get(str(kind))
    return str(exporter.title) if exporter is not None else str(kind)


def _filter_words(filters: Any, changes: dict[str, Any]) -> str:
    if not isinstance(filters, dict):
        return str(filters)
    return "；".join(exports.filter_parts(_exporter(changes), filters)) or str(_("全部"))


def _export_name(entry: Any) -> str:
    exporter = _exporter(entry.changes or {})
    title = exporter.title if exporter is not None else _("导出文件")
    return str(_("{title}（导出 #{pk}）")).format(title=title, pk=entry.object_id)


audit.register_values("reporting.exportjob", "kind", _kind_words)
audit.register_values("reporting.exportjob", "filters", _filter_words)
audit.register_name("reporting.exportjob", _export_name)
audit.register_link("reporting.annualsubmission", "reporting:submission_detail", "submission.view")
audit.register_fields("reporting.annualsubmission", {"evidence": _("佐证材料"), "field_note": _("修订备注")})


def _raw_field_labels() -> None:
    """The figures of a submission's changes (stored by their field names) under their form labels."""
    from django.utils.functional import lazy

    from accounts.i18n import localized
    from factories.catalogues.bridge import from_data
    from factories.catalogues.shipped import shipped

    label = lazy(localized, str)
    for catalogue in (from_data(data) for data in shipped()):
        audit.register_fields(
            "reporting.annualsubmission",
            {f.name: label(f.label_zh, f.label_en) for f in catalogue.raw_fields},
        )


_raw_field_labels()


def _declaration_words() -> None:
    """The declarations (JSON objects) read in the trail as sentences, not as their stored keys."""
    from reporting import declarations

    audit.register_values("reporting.annualsubmission", "major_changes", declarations.major_changes_summary)
    audit.register_values("reporting.annualsubmission", "compliance", declarations.compliance_summary)


_declaration_words()


def _evidence_requested_words(keys: Any, changes: dict[str, Any]) -> str:
    """The figures a reviewer asked evidence for, by their labels (any catalogue that knows them)."""
    from accounts.i18n import localized
    from factories.catalogues.bridge import from_data
    from factories.catalogues.shipped import shipped
    from reporting import declarations

    labels: dict[str, str] = {}
    for catalogue in (from_data(data) for data in shipped()):
        labels.update({f.name: localized(f.label_zh, f.label_en) for f in catalogue.raw_fields})
        labels.update({i.code: f"{i.code} {localized(i.name_zh, i.name_en)}" for i in catalogue.indicators})
    labels.update({key: str(label) for key, label in declarations.EVIDENCE_FIELDS.items()})
    return localized("、", ", ").join(labels.get(str(key), str(key)) for key in keys or []) or "—"


audit.register_values("reporting.annualsubmission", "evidence_requested", _evidence_requested_words)
