"""The audit trail as an Excel file: the same entries, filters and words as the audit page
(accounts/audit_trail.py), one row per entry with its sentence. Registered when accounts is ready."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, audit_trail
from accounts.errors import NotAllowed
from accounts.exports import FILTER_LABELS, Column, Exporter, register
from accounts.permissions import can

BATCH = 500

FILTER_LABELS.update(
    {
        "object_type": gettext_lazy("对象类型"),
        "object_id": gettext_lazy("对象编号"),
        "object": gettext_lazy("对象"),
        "actor": gettext_lazy("操作人"),
        "unit": gettext_lazy("单位"),
        "action": gettext_lazy("操作"),
        "since": gettext_lazy("起始日期"),
        "until": gettext_lazy("截止日期"),
        "demo": gettext_lazy("含演示数据的操作"),
    }
)


def _queryset(user: Any, filters: dict[str, Any]) -> QuerySet:
    """The trail as the audit page shows it; whoever may not open that page may not export it either."""
    if not can(user, "audit.view"):
        raise NotAllowed(_("审计记录只供市经济信息委和审计人员查看与导出。"))
    return audit_trail.filter_trail(audit_trail.trail(user), filters)


def _row(line: audit_trail.Line) -> list[Any]:
    return [
        timezone.localtime(line.entry.at).replace(tzinfo=None, microsecond=0),
        line.unit,
        line.actor,
        line.action,
        line.object_type,
        line.object,
        line.changes_text,
        line.entry.reason,
        line.sentence,
    ]


def _word(key: str, value: Any) -> Any:
    if key == "action":
        return audit.action_label(str(value))
    if key == "object_type":
        return audit_trail.object_type_label(str(value))
    if key == "demo":
        return _("是")
    return value


class AuditExporter(Exporter):
    """Rows in batches, so that the names the changes refer to are fetched once per batch, not per row."""

    def rows(self, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for entry in self.queryset(user, filters).iterator(chunk_size=2000):
            batch.append(entry)
            if len(batch) >= BATCH:
                yield from (_row(line) for line in audit_trail.lines(batch))
                batch = []
        if batch:
            yield from (_row(line) for line in audit_trail.lines(batch))


register(
    AuditExporter(
        kind="audit",
        title=gettext_lazy("审计记录"),
        columns=lambda: [
            Column(_("时间（北京时间）"), "datetime", 18),
            Column(_("操作单位"), width=18),
            Column(_("操作人"), width=14),
            Column(_("操作"), width=16),
            Column(_("对象类型"), width=14),
            Column(_("对象"), width=32),
            Column(_("变更内容"), width=48),
            Column(_("原因"), width=30),
            Column(_("记录"), width=80),
        ],
        queryset=_queryset,
        word=_word,
        filters=audit_trail.FILTER_KEYS,
    )
)
