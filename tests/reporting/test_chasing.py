"""Chasing non-filers (催报): the list per year and unit, reminders by clerks (recorded, throttled, scoped),
the automatic overdue notices and the reminders to reviewers, exports of the list, and the dashboard's links."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.errors import NotAllowed, StateConflict
from accounts.models import AuditEntry, Notification
from reporting import selectors, services
from reporting.models import Reminder, ReminderKind, ReportingYear
from tests.model_factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(submitted, district_user):  # type: ignore[no-untyped-def]
    return services.submission_return(actor=district_user, submission=submitted, reason="缺少能源数据")


def _states(user, year=2025):  # type: ignore[no-untyped-def]
    return {e.name: e.filing_state for e in selectors.non_filers(user, year)}


# --- the list -------------------------------------------------------------------------------------------


def test_non_filers_are_the_enterprises_without_submitted_data_in_the_users_scope(
    open_year, district_user, city_user, enterprise, other_enterprise, jiangjin_enterprise, draft
):
    assert _states(district_user) == {enterprise.name: "draft", other_enterprise.name: "missing"}
    assert _states(city_user) == {
        enterprise.name: "draft",
        other_enterprise.name: "missing",
        jiangjin_enterprise.name: "missing",
    }


def test_returned_data_not_yet_resubmitted_is_a_non_filer_and_submitted_data_is_not(
    district_user, enterprise, other_enterprise, returned
):
    assert _states(district_user) == {enterprise.name: "returned", other_enterprise.name: "missing"}
    services.submission_submit(actor=district_user, submission=returned)
    assert _states(district_user) == {other_enterprise.name: "missing"}


def test_the_page_lists_a_districts_own_non_filers_with_states_and_last_reminder(
    client,
    open_year,
    district_user,
    enterprise,
    enterprise_user,
    other_enterprise,
    jiangjin_enterprise,
    draft,
):
    services.reminder_send(actor=district_user, enterprise=enterprise, year=2025)
    client.force_login(district_user)
    page = client.get(reverse("reporting:non_filers")).content.decode()
    assert enterprise.name in page and other_enterprise.name in page
    assert jiangjin_enterprise.name not in page
    assert "草稿未提交" in page and "未填报" in page
    assert "上次催报：" in page and "bob" in page
    assert ">发送催报</button>" in page and "导出Excel" in page


def test_the_page_filters_by_state_and_the_city_by_unit(
    client, open_year, city_user, enterprise, other_enterprise, jiangjin_enterprise, draft
):
    client.force_login(city_user)
    url = reverse("reporting:non_filers")
    page = client.get(url, {"year": 2025, "district": "500116"}).content.decode()
    assert jiangjin_enterprise.name in page and enterprise.name not in page
    page = client.get(url, {"year": 2025, "state": "draft"}).content.decode()
    assert enterprise.name in page and other_enterprise.name not in page


def test_an_auditor_reads_the_list_but_cannot_remind_and_an_enterprise_cannot_open_it(
    client, open_year, auditor, enterprise_user, enterprise
):
    client.force_login(auditor)
    page = client.get(reverse("reporting:non_filers")).content.decode()
    assert enterprise.name in page and ">发送催报</button>" not in page
    assert (
        client.post(reverse("reporting:non_filer_remind"), {"year": 2025, "ids": [enterprise.pk]}).status_code
        == 403
    )
    client.force_login(enterprise_user)
    assert client.get(reverse("reporting:non_filers")).status_code == 403


def test_the_not_filed_filter_of_the_submission_list_opens_the_non_filer_list(
    client, open_year, district_user
):
    client.force_login(district_user)
    response = client.get(reverse("reporting:submission_list"), {"status": "not_filed", "year": 2025})
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:non_filers") + "?year=2025"
    page = client.get(reverse("reporting:submission_list")).content.decode()
    assert 'value="not_filed"' in page


# --- reminders by a clerk -------------------------------------------------------------------------------


def test_a_reminder_reaches_the_fillers_in_app_and_by_mail_and_is_recorded_and_audited(
    open_year, district_user, enterprise, enterprise_user, django_capture_on_commit_callbacks
):
    enterprise_user.email = "dora@example.cn"
    enterprise_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        reminder = services.reminder_send(actor=district_user, enterprise=enterprise, year=2025)
    note = Notification.objects.get(user=enterprise_user, kind="reminder_manual")
    assert "2025" in note.title
    assert note.url == reverse("reporting:submission_edit", args=[enterprise.pk, 2025])
    assert [m.to for m in mail.outbox] == [["dora@example.cn"]]
    assert (reminder.sent_by, reminder.kind, reminder.channel, reminder.recipients) == (
        district_user,
        ReminderKind.MANUAL,
        "in_app_email",
        1,
    )
    assert AuditEntry.objects.filter(action="reminder.send", actor=district_user).count() == 1


def test_the_same_enterprise_is_not_reminded_twice_within_a_day(
    open_year, district_user, city_user, enterprise, enterprise_user
):
    services.reminder_send(actor=district_user, enterprise=enterprise, year=2025)
    with pytest.raises(StateConflict, match="24小时内只催报一次"):
        services.reminder_send(actor=city_user, enterprise=enterprise, year=2025)
    Reminder.objects.update(sent_at=timezone.now() - dt.timedelta(hours=25))
    services.reminder_send(actor=city_user, enterprise=enterprise, year=2025)
    assert Reminder.objects.filter(kind="manual").count() == 2


def test_a_reminder_is_refused_for_submitted_data_or_an_enterprise_without_an_account(
    submitted, district_user, enterprise, other_enterprise
):
    with pytest.raises(StateConflict, match="无需催报"):
        services.reminder_send(actor=district_user, enterprise=enterprise, year=2025)
    with pytest.raises(StateConflict, match="没有可用的填报账户"):
        services.reminder_send(actor=district_user, enterprise=other_enterprise, year=2025)
    assert not Reminder.objects.exists()


def test_a_district_cannot_remind_another_districts_enterprise(open_year, district_user, jiangjin_enterprise):
    UserFactory(username="jj-filler", role="enterprise", enterprise=jiangjin_enterprise)
    with pytest.raises(NotAllowed):
        services.reminder_send(actor=district_user, enterprise=jiangjin_enterprise, year=2025)
    assert not Reminder.objects.exists()


def test_reminding_many_reports_each_one_and_never_touches_another_districts(
    api,
    open_year,
    district_user,
    enterprise,
    enterprise_user,
    other_enterprise,
    jiangjin_enterprise,
    submitted,
):
    UserFactory(username="jj-filler", role="enterprise", enterprise=jiangjin_enterprise)
    UserFactory(username="erin", role="enterprise", enterprise=other_enterprise)
    response = api.as_user(district_user).post(
        reverse("api:non-filer-remind"),
        {"year": 2025, "enterprises": [other_enterprise.pk, enterprise.pk, jiangjin_enterprise.pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (other_enterprise.pk, "done"),
        (enterprise.pk, "refused"),
        (jiangjin_enterprise.pk, "not_found"),
    ]
    assert "无需催报" in body["results"][1]["message"]
    assert (body["done"], body["refused"], body["not_found"]) == (1, 1, 1)
    assert list(Reminder.objects.values_list("enterprise_id", flat=True)) == [other_enterprise.pk]
    assert not Notification.objects.filter(user__username="jj-filler").exists()


def test_the_remind_page_reminds_the_selected_and_lists_each_result(
    client, open_year, district_user, enterprise, enterprise_user, other_enterprise
):
    client.force_login(district_user)
    response = client.post(
        reverse("reporting:non_filer_remind"),
        {"year": 2025, "ids": [enterprise.pk, other_enterprise.pk], "back": "year=2025&state=missing"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "催报结果" in page and "已催报" in page and "没有可用的填报账户" in page
    assert reverse("reporting:non_filers") + "?year=2025&amp;state=missing" in page
    assert Reminder.objects.filter(enterprise=enterprise, sent_by=district_user).exists()


def test_the_non_filer_api_lists_the_scope_of_a_year_and_unit(
    api, open_year, city_user, district_user, enterprise, jiangjin_enterprise
):
    rows = api.as_user(city_user).get(reverse("api:non-filer-list"), {"year": 2025, "unit": "500116"}).json()
    assert [r["id"] for r in rows["results"]] == [jiangjin_enterprise.pk]
    assert rows["results"][0]["filing_state_label"] == "未填报"
    rows = (
        api.as_user(district_user).get(reverse("api:non-filer-list"), {"year": 2025, "unit": "500116"}).json()
    )
    assert jiangjin_enterprise.pk not in [r["id"] for r in rows["results"]]


# --- the automatic overdue notice ------------------------------------------------------------------------


@pytest.fixture
def closed_year(city_user):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return ReportingYear.objects.create(
        year=2025, opens_on=today - dt.timedelta(days=60), closes_on=today - dt.timedelta(days=1)
    )


def test_the_overdue_notice_goes_once_to_each_non_filer_after_the_close_date(
    closed_year, enterprise, enterprise_user, other_enterprise, other_enterprise_user, district_user
):
    from tests.model_factories import verified_submission

    verified_submission(other_enterprise, 2025, {"site_area": "1", "output_value": "1"})
    today = timezone.localdate()
    assert (
        services.overdue_notices_send(today=today - dt.timedelta(days=1)) == 0
    )  # on the close date: not yet
    assert services.overdue_notices_send(today=today) == 1
    assert services.overdue_notices_send(today=today) == 0  # idempotent
    assert services.overdue_notices_send(today=today + dt.timedelta(days=1)) == 0
    notes = Notification.objects.filter(kind="reminder_overdue")
    assert [n.user for n in notes] == [enterprise_user]
    assert "截止" in notes[0].title
    assert Reminder.objects.get(kind="overdue").enterprise == enterprise


def test_no_overdue_notice_for_a_year_closed_long_ago(closed_year, enterprise, enterprise_user, settings):
    settings.OVERDUE_NOTICE_DAYS = 30
    assert services.overdue_notices_send(today=timezone.localdate() + dt.timedelta(days=40)) == 0
    assert not Notification.objects.exists()


def test_the_daily_task_runs_both_and_a_second_run_sends_nothing(closed_year, enterprise, enterprise_user):
    from reporting.tasks import send_overdue_and_review_reminders

    assert send_overdue_and_review_reminders() == {"overdue": 1, "review": 0}
    assert send_overdue_and_review_reminders() == {"overdue": 0, "review": 0}
    assert Notification.objects.filter(kind="reminder_overdue").count() == 1


def test_the_beat_schedule_runs_the_task_daily(settings):
    entries = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "reporting.send_overdue_and_review_reminders"
    ]
    assert len(entries) == 1


# --- reminders to reviewers ------------------------------------------------------------------------------


def _age(submission, days, field="submitted_at"):  # type: ignore[no-untyped-def]
    type(submission).objects.filter(pk=submission.pk).update(
        **{field: timezone.now() - dt.timedelta(days=days)}
    )


def test_reviewers_are_reminded_once_of_items_waiting_longer_than_the_setting(
    submitted, district_user, other_district_user, settings
):
    settings.REVIEW_REMINDER_DAYS = 5
    today = timezone.localdate()
    _age(submitted, 4)
    assert services.review_reminders_send(today=today) == 0
    _age(submitted, 6)
    assert services.review_reminders_send(today=today) == 1
    assert services.review_reminders_send(today=today + dt.timedelta(days=1)) == 0
    notes = Notification.objects.filter(kind="reminder_review")
    assert [n.user for n in notes] == [district_user]
    assert "1份年度数据已等待超过5天" in notes[0].title
    assert notes[0].url == reverse("reporting:district_queue")


def test_data_back_in_a_queue_after_a_return_is_reminded_of_again(submitted, district_user, enterprise_user):
    _age(submitted, 10)
    today = timezone.localdate()
    assert services.review_reminders_send(today=today) == 1
    returned = services.submission_return(actor=district_user, submission=submitted, reason="补充数据")
    again = services.submission_submit(actor=enterprise_user, submission=returned)
    _age(again, 10)
    assert services.review_reminders_send(today=today + dt.timedelta(days=1)) == 1


def test_the_city_is_reminded_of_district_approved_data_waiting(approved, city_user, settings):
    settings.REVIEW_REMINDER_DAYS = 3
    _age(approved, 4, "approved_at")
    assert services.review_reminders_send(today=timezone.localdate()) == 1
    note = Notification.objects.get(kind="reminder_review", user=city_user)
    assert "复核队列" in note.title


# --- export and dashboard ---------------------------------------------------------------------------------


def test_the_non_filer_export_has_the_pages_filters_and_words_not_codes(
    open_year, district_user, enterprise, other_enterprise, jiangjin_enterprise, draft
):
    from openpyxl import load_workbook

    from reporting import jobs

    job, _queued = jobs.export_request(
        actor=district_user, kind="non_filers", filters={"year": 2025, "q": "电子", "state": "missing"}
    )
    assert job.status == "succeeded"
    sheet = load_workbook(io.BytesIO(job.file.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[0] for r in rows] == [other_enterprise.name]
    assert rows[0][3] == "未填报"
    values = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
    assert not values & {"missing", "draft", "returned"}
    assert "填报状态：未填报" in sheet["A1"].value and "missing" not in sheet["A1"].value
    assert "未填报企业名单" in job.download_name


def test_the_export_button_of_the_list_posts_the_current_filters(
    client, open_year, district_user, enterprise, other_enterprise
):
    client.force_login(district_user)
    page = client.get(reverse("reporting:non_filers"), {"year": 2025, "state": "missing"}).content.decode()
    assert 'name="kind" value="non_filers"' in page and 'name="state" value="missing"' in page
    response = client.post(
        reverse("reporting:export_list"), {"kind": "non_filers", "year": 2025, "state": "missing"}
    )
    assert response.status_code == 302 and "/download/" in response["Location"]


def test_the_district_dashboard_links_its_figures_to_the_lists_behind_them(
    client, open_year, district_user, enterprise, submitted
):
    client.force_login(district_user)
    page = client.get(reverse("reporting:dashboard"), {"year": 2025}).content.decode()
    assert reverse("reporting:non_filers") + "?year=2025" in page
    assert reverse("reporting:district_queue") + "?year=2025" in page
    assert reverse("reporting:submission_list") + "?year=2025" in page


def test_the_city_dashboards_missing_counts_link_to_each_units_non_filers(
    client, open_year, city_user, enterprise, jiangjin_enterprise
):
    EnterpriseFactory(district=jiangjin_enterprise.district)
    client.force_login(city_user)
    page = client.get(reverse("reporting:dashboard"), {"year": 2025}).content.decode()
    assert reverse("reporting:non_filers") + "?year=2025&amp;district=500116&amp;state=missing" in page
    assert reverse("reporting:city_queue") + "?year=2025" in page


def test_every_figure_of_a_district_dashboard_opens_the_list_behind_it(
    client, open_year, district_user, enterprise, other_enterprise, submitted
):
    client.force_login(district_user)
    response = client.get(reverse("reporting:dashboard"), {"year": 2025})
    dashboard = response.context["dashboard"]
    unlinked = [str(k.label) for k in dashboard.kpis if not k.url and k.value != "—"]
    assert not unlinked
    progress = next(c for c in dashboard.cards if "填报进度" in str(c.title))
    cells = {str(row[0]): row[1] for row in progress.table.rows}
    assert cells["未填报"].link == reverse("reporting:non_filers") + "?year=2025&state=missing"
    assert cells["待区县审核"].link == reverse("reporting:submission_list") + "?year=2025&status=submitted"
