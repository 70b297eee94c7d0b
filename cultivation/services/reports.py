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
from accounts.permissions import ensure_in_scope
from accounts.transitions import claim
from cultivation import selectors
from cultivation.models import DISTRICT_REPORT_TRANSITIONS, DistrictReport, ReportStatus
from cultivation.services.common import ensure_own_district, ensure_year, required_text
from factories.models import District

FIRST_REPORT_YEAR = 2024  # the measures are in force from 2024-06-20 (Art. 15)


@transaction.atomic
def district_report_generate(*, actor: Any, district: District, year: int) -> tuple[DistrictReport, bool]:
    """Draft (or redraft) the district's report for year Y from the data; returns (report, created)."""
    DISTRICT_REPORT_TRANSITIONS.ensure_can(actor, "edit")
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
    before = report.figures
    report = claim(
        DISTRICT_REPORT_TRANSITIONS,
        "edit",
        actor=actor,
        obj=report,
        fields={"figures": figures, "generated_by": actor, "generated_at": now, "updated_at": now},
    )
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
    DISTRICT_REPORT_TRANSITIONS.ensure_can(actor, "edit")
    ensure_in_scope(actor, report)
    before = report.narrative
    report = claim(
        DISTRICT_REPORT_TRANSITIONS,
        "edit",
        actor=actor,
        obj=report,
        fields={"narrative": (narrative or "").strip(), "updated_at": timezone.now()},
    )
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
    DISTRICT_REPORT_TRANSITIONS.ensure_can(actor, "submit")
    ensure_in_scope(actor, report)
    report = DistrictReport.objects.get(pk=report.pk)
    if not report.narrative.strip():
        raise InvalidInput(field_errors={"narrative": [_("报送前请填写本年度培育工作情况。")]})
    now = timezone.now()
    before = report.status
    report = claim(
        DISTRICT_REPORT_TRANSITIONS,
        "submit",
        actor=actor,
        obj=report,
        fields={"submitted_by": actor, "submitted_at": now, "updated_at": now},
    )
    audit.record(
        actor=actor,
        action="district_report.submit",
        obj=report,
        changes={"status": [before, ReportStatus.SUBMITTED]},
    )
    return report


def _decide(
    *, actor: Any, report: DistrictReport, transition: str, reason: str, **fields: Any
) -> DistrictReport:
    DISTRICT_REPORT_TRANSITIONS.ensure_can(actor, transition)
    ensure_in_scope(actor, report)
    now = timezone.now()
    report = claim(
        DISTRICT_REPORT_TRANSITIONS,
        transition,
        actor=actor,
        obj=report,
        fields={"decided_by": actor, "decided_at": now, "updated_at": now, **fields},
    )
    audit.record(
        actor=actor,
        action=f"district_report.{transition}",
        obj=report,
        changes={"status": [ReportStatus.SUBMITTED, report.status]},
        reason=reason,
    )
    return report


@transaction.atomic
def district_report_acknowledge(*, actor: Any, report: DistrictReport, comment: str = "") -> DistrictReport:
    """The city acknowledges a submitted report."""
    comment = (comment or "").strip()
    return _decide(
        actor=actor,
        report=report,
        transition="acknowledge",
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
        transition="return",
        reason=reason,
        return_reason=reason,
    )
