"""manage.py scan_anomalies YEAR: check a year's submitted data for anomalies (reporting.anomalies) now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import DomainError
from accounts.permissions import Operator
from reporting import services
from reporting.models import AnomalyScan


class Command(BaseCommand):
    help = "检查一个年度已提交数据的异常（Check a year's submitted data for anomalies)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            job = services.anomaly_scan_request(
                actor=Operator("manage.py scan_anomalies"), year=options["year"]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        # Run it here as well: a worker that already took it leaves nothing to claim.
        status = services.anomaly_scan_execute(job.pk)
        job = AnomalyScan.objects.get(pk=job.pk)
        if job.error:
            raise CommandError(job.error)
        self.stdout.write(
            f"{options['year']}: {job.done} 项数据已检查，{job.flagged} 项有异常提示（{status}）。"
        )
