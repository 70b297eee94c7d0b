"""The district's annual cultivation report to the city (Art. 12; DOMAIN §7).

The platform drafts the figures from the data (`selectors.report_figures`); the district adds its
narrative and submits; the city acknowledges it or returns it with a reason. A draft or returned report
can be regenerated and edited; a submitted or acknowledged one is frozen.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import InvalidInput, StateConflict
from accounts.permissions import ensure_can, ensure_in_scope
from cultivation import selectors
from cultivation.models import EDITABLE_REPORT_STATUSES, DistrictReport, ReportStatus
from cultivation.services.common import ensure_own_district, ensure_year, required_text
from factories.models import District

FIRST_REPORT_YEAR = 2024  # the measures are in force from 2024-06-20 (Art. 15)


def _conflict(report: DistrictReport) -> StateConflict:
    current = DistrictReport.objects.filter(pk=report.pk).values_list("status", flat=True).first()
    return StateConflict(
        _("该报告当前状态为“{status}”，不能执行此操作，请刷新页面后查看。").format(
            status=ReportStatus(current).label if current else ""
        )
    )


@transaction.atomic
def district_report_generate(*, actor: Any, district: District, year: int) -> tuple[DistrictReport, bool]:
    """Draft (or redraft) the district's report for year Y from the data; returns (report, created)."""
    ensure_can(actor, "district_report.submit")
    ensure_own_district(actor, district)
    year = ensure_year(year, first=FIRST_REPORT_YEAR)
    figures = selectors.report_figures(district=district, year=year)
    now = timezone.now()
    report = DistrictReport.objects.filter(district=district, year=year).first()
    if report is None:
        try:
            with transaction.atomic():
                report = DistrictReport.objects.create(
                    district=district, year=year, figures=figures, generated_by=actor, generated_at=now
                )
        except IntegrityError as exc:
            raise StateConflict(_("该年度报告已由他人生成，请刷新页面。")) from exc
        audit.record(
            actor=actor, action="district_report.generate", obj=report, changes={"status": [None, "draft"]}
        )
        return report, True
    claimed = DistrictReport.objects.filter(pk=report.pk, status__in=EDITABLE_REPORT_STATUSES).update(
        figures=figures, generated_by=actor, generated_at=now, updated_at=now
    )
    if not claimed:
        raise _conflict(report)
    before = report.figures
    report.refresh_from_db()
    audit.record(
        actor=actor,
        action="district_report.regenerate",
        obj=report,
        changes=audit.diff(before, report.figures),
    )
    return report, False


@transaction.atomic
def district_report_save_narrative(*, actor: Any, report: DistrictReport, narrative: str) -> DistrictReport:
    """The district writes the narrative of a draft or returned report."""
    ensure_can(actor, "district_report.submit")
    ensure_in_scope(actor, report)
    before = report.narrative
    claimed = DistrictReport.objects.filter(pk=report.pk, status__in=EDITABLE_REPORT_STATUSES).update(
        narrative=(narrative or "").strip(), updated_at=timezone.now()
    )
    if not claimed:
        raise _conflict(report)
    report.refresh_from_db()
    if before != report.narrative:
        audit.record(
            actor=actor,
            action="district_report.edit",
            obj=report,
            changes={"narrative": [before, report.narrative]},
        )
    return report


@transaction.atomic
def district_report_submit(*, actor: Any, report: DistrictReport) -> DistrictReport:
    """The district submits its report to the city (Art. 12); the narrative is required."""
    ensure_can(actor, "district_report.submit")
    ensure_in_scope(actor, report)
    report = DistrictReport.objects.get(pk=report.pk)
    if not report.narrative.strip():
        raise InvalidInput(field_errors={"narrative": [_("报送前请填写本年度培育工作情况。")]})
    now = timezone.now()
    claimed = DistrictReport.objects.filter(pk=report.pk, status__in=EDITABLE_REPORT_STATUSES).update(
        status=ReportStatus.SUBMITTED, submitted_by=actor, submitted_at=now, updated_at=now
    )
    if not claimed:
        raise _conflict(report)
    audit.record(
        actor=actor,
        action="district_report.submit",
        obj=report,
        changes={"status": [report.status, ReportStatus.SUBMITTED]},
    )
    report.refresh_from_db()
    return report


def _decide(
    *, actor: Any, report: DistrictReport, to: str, action: str, reason: str, **fields: Any
) -> DistrictReport:
    ensure_can(actor, "district_report.decide")
    ensure_in_scope(actor, report)
    now = timezone.now()
    claimed = DistrictReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
        status=to, decided_by=actor, decided_at=now, updated_at=now, **fields
    )
    if not claimed:
        raise _conflict(report)
    audit.record(
        actor=actor,
        action=action,
        obj=report,
        changes={"status": [ReportStatus.SUBMITTED, to]},
        reason=reason,
    )
    report.refresh_from_db()
    return report


@transaction.atomic
def district_report_acknowledge(*, actor: Any, report: DistrictReport, comment: str = "") -> DistrictReport:
    """The city acknowledges a submitted report."""
    comment = (comment or "").strip()
    return _decide(
        actor=actor,
        report=report,
        to=ReportStatus.ACKNOWLEDGED,
        action="district_report.acknowledge",
        reason=comment,
        decision_comment=comment,
        return_reason="",
    )


@transaction.atomic
def district_report_return(*, actor: Any, report: DistrictReport, reason: str) -> DistrictReport:
    """The city returns a submitted report to the district, always with a reason."""
    reason = required_text(reason, "reason", _("退回报告时必须填写原因。"))
    return _decide(
        actor=actor,
        report=report,
        to=ReportStatus.RETURNED,
        action="district_report.return",
        reason=reason,
        return_reason=reason,
    )
