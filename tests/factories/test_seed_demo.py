"""`make run` seeds the demo with `seed_demo --if-empty`: the command must run through on an empty database,
leave the demo logins usable, and run the year the way the rules now allow (2024 final, 2025 pre-graded
only, since its reporting window is still open)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO_PASSWORD = "lvse-demo-2026"


def test_the_demo_seeds_on_an_empty_database_and_its_logins_work() -> None:
    from factories.models import GradingRun, RunStatus

    out = StringIO()
    call_command("seed_demo", "--if-empty", "--enterprises", "40", stdout=out)
    assert "演示数据已生成" in out.getvalue()
    for username in ("city", "district", "district_jj", "enterprise", "enterprise2", "auditor"):
        client = Client()
        assert (
            client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD}).status_code
            == 302
        )
        home = client.get("/")
        assert home.status_code == 200, (username, home.get("Location"))  # not sent to change the password
    runs = {(run.year, run.is_simulation, run.status) for run in GradingRun.objects.all()}
    assert (2024, False, RunStatus.FINAL) in runs
    assert not any(year == 2025 and not simulation for year, simulation, _status in runs)

    # GB/T 36132-2025 adopted and 2026 open on it: the enterprise sees the 2025 catalogue's form
    from accounts.models import User
    from reporting.models import ReportingYear

    assert ReportingYear.objects.get(year=2026).catalogue_version == "GBT36132-2025"
    clerk = User.objects.get(username="enterprise")
    client = Client()
    client.force_login(clerk)
    form = client.get(f"/reporting/submissions/{clerk.enterprise_id}/2026/edit/")
    assert form.status_code == 200 and "能碳管理平台具备的功能" in form.content.decode()

    again = StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert "跳过" in again.getvalue()
