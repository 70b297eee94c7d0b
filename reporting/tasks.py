"""Reporting tasks: reminders run by beat, the export and import-validation jobs and their watchdogs.

Tasks import the services; the services enqueue by task name through the job runner (accounts.jobs).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.notifications import notify
from reporting import jobs, services
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus

REMINDER_DAYS = (7, 1)


def send_reporting_reminders(today: dt.date) -> int:
    """Remind enterprise users whose enterprise has not submitted, 7 days and 1 day before the close date.

    An enterprise that has submitted (whatever the review state since) gets no reminder; one with
    only a draft does. Each reminder is sent once per user, year and lead time.
    """
    from accounts.models import User

    sent = 0
    for days in REMINDER_DAYS:
        for reporting_year in ReportingYear.objects.filter(
            closes_on=today + dt.timedelta(days=days), opens_on__lte=today
        ):
            submitted = (
                AnnualSubmission.objects.filter(year=reporting_year.year)
                .exclude(status=SubmissionStatus.DRAFT)
                .values("enterprise_id")
            )
            users = User.objects.filter(role="enterprise", is_active=True, enterprise__isnull=False).exclude(
                enterprise_id__in=submitted
            )
            sent += notify(
                users.iterator(),
                kind="reminder",
                key=f"reminder:{reporting_year.year}:{days}",
                title=_("{year}年度数据填报将于{days}天后截止（{date}）").format(
                    year=reporting_year.year, days=days, date=reporting_year.closes_on
                ),
                body=_(
                    "贵企业尚未提交{year}年度绿色制造数据，请在截止日期前完成填报。逾期提交将被标记为逾期。"
                ).format(year=reporting_year.year),
                url=reverse("reporting:submission_list"),
            )
    return sent


@shared_task(name="reporting.send_reminders")
def send_reminders() -> int:
    """Daily beat entry point."""
    from django.utils import timezone

    return send_reporting_reminders(timezone.localdate())


@shared_task(name="reporting.run_export", acks_late=True)
def run_export(job_id: int) -> str:
    """Build one export's file (idempotent; a redelivery finds nothing to claim)."""
    return jobs.export_execute(job_id)


@shared_task(name="reporting.requeue_waiting_exports")
def requeue_waiting_exports() -> int:
    """The exports' watchdog: send again exports whose worker died or whose message never left or was lost."""
    return jobs.requeue_waiting_exports()


@shared_task(name="reporting.validate_import", acks_late=True)
def validate_import(job_id: int) -> str:
    """Dry-run one stored upload (idempotent; a redelivery finds nothing to claim)."""
    return services.import_validate(job_id)


@shared_task(name="reporting.requeue_waiting_imports")
def requeue_waiting_imports() -> int:
    """The imports' watchdog: send again validations whose worker died or whose message never left."""
    return services.requeue_waiting_imports()


@shared_task(name="reporting.send_overdue_and_review_reminders")
def send_overdue_and_review_reminders() -> dict[str, int]:
    """Daily beat entry point: overdue notices to non-filers after the close date, and reminders to
    reviewers whose queues hold items waiting longer than REVIEW_REMINDER_DAYS. Both record what they
    sent, so running twice sends nothing twice."""
    from django.utils import timezone

    today = timezone.localdate()
    return {
        "overdue": services.overdue_notices_send(today=today),
        "review": services.review_reminders_send(today=today),
    }


@shared_task(name="reporting.anomaly_scan", acks_late=True)
def anomaly_scan(job_id: int) -> str:
    """Check one year's submitted data for anomalies (idempotent; a redelivery finds nothing to claim)."""
    return services.anomaly_scan_execute(job_id)


@shared_task(name="reporting.requeue_waiting_anomaly_scans")
def requeue_waiting_anomaly_scans() -> int:
    """The anomaly checks' watchdog: send again checks whose worker died or whose message never left."""
    return services.requeue_waiting_anomaly_scans()


@shared_task(name="reporting.anomaly_scans_when_complete")
def anomaly_scans_when_complete() -> list[int]:
    """Daily: check each year's data as a whole once its window has closed, and again after resubmissions."""
    return services.anomaly_scans_when_complete()
