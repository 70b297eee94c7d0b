"""Notifications on review steps, and the reminder rule (7 and 1 days before the close date)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from accounts.models import Notification
from reporting import services
from reporting.tasks import send_reporting_reminders

pytestmark = pytest.mark.django_db


def test_the_enterprise_is_told_when_its_data_is_returned_with_the_reason(
    submitted, district_user, enterprise_user, django_capture_on_commit_callbacks
):
    enterprise_user.email = "dora@example.cn"
    enterprise_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.submission_return(actor=district_user, submission=submitted, reason="缺少能源数据")
    note = Notification.objects.get(user=enterprise_user, kind="submission_returned")
    assert "退回" in note.title and "缺少能源数据" in note.body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["dora@example.cn"]


def test_the_enterprise_is_told_on_approval_and_verification(verified, enterprise_user):
    kinds = set(Notification.objects.filter(user=enterprise_user).values_list("kind", flat=True))
    assert {"submission_approved", "submission_verified"} <= kinds


def test_the_district_is_told_when_data_arrives_for_review(district_user, other_district_user, submitted):
    assert Notification.objects.filter(user=district_user, kind="submission_submitted").exists()
    assert not Notification.objects.filter(user=other_district_user).exists()


@pytest.fixture
def closing_year(city_user):  # type: ignore[no-untyped-def]
    return services.reporting_year_open(
        actor=city_user, year=2025, opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 5, 31)
    )


def test_reminders_go_7_and_1_days_before_closing_to_enterprises_without_a_submission(
    closing_year, enterprise_user, other_enterprise_user
):
    assert send_reporting_reminders(dt.date(2026, 5, 24)) == 2
    assert send_reporting_reminders(dt.date(2026, 5, 30)) == 2
    assert Notification.objects.filter(kind="reminder", user=enterprise_user).count() == 2


@pytest.mark.parametrize(
    "day", [dt.date(2026, 5, 23), dt.date(2026, 5, 25), dt.date(2026, 5, 31), dt.date(2026, 6, 1)]
)
def test_no_reminders_on_other_days(closing_year, enterprise_user, day):
    assert send_reporting_reminders(day) == 0


def test_no_reminder_to_an_enterprise_that_has_submitted(
    closing_year, enterprise_user, other_enterprise_user, good_values, time_machine
):
    time_machine.move_to(dt.datetime(2026, 5, 20, 10, 0))
    draft = services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise_user.enterprise, year=2025, values=good_values
    )
    services.submission_submit(actor=enterprise_user, submission=draft)
    send_reporting_reminders(dt.date(2026, 5, 24))
    assert not Notification.objects.filter(kind="reminder", user=enterprise_user).exists()
    assert Notification.objects.filter(kind="reminder", user=other_enterprise_user).exists()


def test_a_draft_alone_still_gets_a_reminder(closing_year, enterprise_user, good_values, time_machine):
    time_machine.move_to(dt.datetime(2026, 5, 20, 10, 0))
    services.submission_save_draft(
        actor=enterprise_user, enterprise=enterprise_user.enterprise, year=2025, values=good_values
    )
    assert send_reporting_reminders(dt.date(2026, 5, 24)) == 1


def test_running_the_reminder_twice_sends_once(closing_year, enterprise_user):
    send_reporting_reminders(dt.date(2026, 5, 24))
    assert send_reporting_reminders(dt.date(2026, 5, 24)) == 0
    assert Notification.objects.filter(kind="reminder").count() == 1


def test_reminders_are_scheduled_daily_by_beat(settings):
    assert settings.CELERY_BEAT_SCHEDULE["reporting-reminders"]["task"] == "reporting.send_reminders"
