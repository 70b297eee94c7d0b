"""The reporting pages as people use them: dora of the enterprise fills the form, bob of 渝中 reviews,
alice of the city verifies and runs the years, charlie of 江津 sees nothing of 渝中 (DOMAIN §5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting import services
from reporting.models import AnnualSubmission, CorrectionRequest, ReportingYear, SubmissionStatus
from tests.helpers import cold_cache
from tests.model_factories import verified_submission

pytestmark = pytest.mark.django_db


def edit_url(enterprise, year=2025):  # type: ignore[no-untyped-def]
    return reverse("reporting:submission_edit", args=[enterprise.pk, year])


def action_url(submission, action):  # type: ignore[no-untyped-def]
    return reverse("reporting:submission_action", args=[submission.pk, action])


def detail_url(submission):  # type: ignore[no-untyped-def]
    return reverse("reporting:submission_detail", args=[submission.pk])


def page_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def jiangjin_submitted(open_year, other_district_user, jiangjin_enterprise, good_values):  # type: ignore[no-untyped-def]
    draft = services.submission_save_draft(
        actor=other_district_user, enterprise=jiangjin_enterprise, year=2025, values=good_values
    )
    return services.submission_submit(actor=other_district_user, submission=draft)


# --- the data-entry form ---------------------------------------------------------------------------


def test_enterprise_sees_a_button_to_fill_the_open_year_with_its_window(client, enterprise_user, open_year):
    client.force_login(enterprise_user)
    response = client.get(reverse("reporting:submission_list"))
    html = response.content.decode()
    assert "填报 2025 年度数据" in html
    assert edit_url(enterprise_user.enterprise) in html
    assert open_year.closes_on.strftime("%Y-%m-%d") in html


def test_form_is_grouped_by_dimension_with_units_and_live_indicators(client, enterprise_user, open_year):
    client.force_login(enterprise_user)
    html = client.get(edit_url(enterprise_user.enterprise)).content.decode()
    for legend in (
        "基本情况",
        "用地集约化",
        "原料无害化",
        "生产洁净化",
        "废物资源化",
        "能源低碳化",
        "情况说明",
    ):
        assert f"<legend>{legend}</legend>" in html
    assert '<span class="unit">万Nm³</span>' in html
    assert f'data-live-indicators="{reverse("reporting:indicator_preview")}"' in html
    assert 'id="live-indicators"' in html


def test_enterprise_saves_a_draft_through_the_form_and_values_are_stored_as_strings(
    client, enterprise_user, enterprise, open_year, good_values
):
    client.force_login(enterprise_user)
    response = client.post(
        edit_url(enterprise), {**good_values, "site_area": "20,000.50", "action": "save"}, follow=True
    )
    submission = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)
    assert submission.status == SubmissionStatus.DRAFT
    assert submission.raw_values["site_area"] == "20000.50"
    assert submission.raw_values["coal"] == "0"
    assert "草稿已保存。提交前可随时修改。" in page_messages(response)
    assert 'value="20000.50"' in response.content.decode()


def test_footprint_larger_than_site_area_is_shown_next_to_the_field_and_the_input_is_kept(
    client, enterprise_user, enterprise, open_year, good_values
):
    client.force_login(enterprise_user)
    response = client.post(edit_url(enterprise), {**good_values, "footprint_area": "25000", "action": "save"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "不能大于用地面积" in form.errors["footprint_area"][0]
    html = response.content.decode()
    assert 'value="25000"' in html
    assert 'name="footprint_area"' in html and 'aria-invalid="true"' in html
    assert not AnnualSubmission.objects.filter(enterprise=enterprise).exists()


def test_save_and_submit_sends_the_data_for_district_review(
    client, enterprise_user, enterprise, open_year, good_values
):
    client.force_login(enterprise_user)
    response = client.post(edit_url(enterprise), {**good_values, "action": "submit"})
    submission = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)
    assert response.status_code == 302 and response.url == detail_url(submission)
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.late is False


def test_submitting_without_output_value_keeps_the_draft_and_names_the_missing_field(
    client, enterprise_user, enterprise, open_year, good_values
):
    client.force_login(enterprise_user)
    response = client.post(edit_url(enterprise), {**good_values, "output_value": "", "action": "submit"})
    assert response.status_code == 200
    assert response.context["form"].errors["output_value"] == ["提交前请填写工业总产值（当年价）。"]
    assert AnnualSubmission.objects.get(enterprise=enterprise).status == SubmissionStatus.DRAFT


def test_submitting_after_the_close_date_warns_and_marks_late(
    client, enterprise_user, enterprise, city_user, good_values
):
    today = timezone.localdate()
    services.reporting_year_open(
        actor=city_user,
        year=2025,
        opens_on=today - dt.timedelta(days=60),
        closes_on=today - dt.timedelta(days=1),
    )
    client.force_login(enterprise_user)
    assert "逾期提交将被标记" in client.get(edit_url(enterprise)).content.decode()
    client.post(edit_url(enterprise), {**good_values, "action": "submit"})
    assert AnnualSubmission.objects.get(enterprise=enterprise).late is True


def test_a_refused_save_shows_the_preview_of_what_was_typed(client, enterprise_user, enterprise, open_year):
    client.force_login(enterprise_user)
    typed = {"site_area": "20000", "floor_area": "24000", "wastewater": "-5", "action": "save"}
    response = client.post(edit_url(enterprise), typed)
    assert response.status_code == 200 and response.context["form"].errors
    preview = response.content.decode().split('id="live-indicators"', 1)[1].split("</section>", 1)[0]
    assert "LI-01" in preview and "1.200000" in preview  # computed from the refused values, at once
    assert not AnnualSubmission.objects.exists()


def test_live_preview_returns_an_indicator_table_and_writes_nothing(client, enterprise_user, open_year):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("reporting:indicator_preview"),
        {"site_area": "20000", "floor_area": "24000", "wastewater_treated": "0"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<table" in html and "<html" not in html
    assert "LI-01" in html and "1.200000" in html
    assert "不适用" in html  # WR-03: nothing treated
    assert "未填报" in html
    assert not AnnualSubmission.objects.exists()


def _preview_row(html: str, code: str) -> str:
    return html.split(f"<code>{code}</code>", 1)[1].split("</tr>", 1)[0]


def test_live_preview_never_calls_a_figure_the_save_refuses_normal(
    client, enterprise_user, open_year, good_values
):
    """WR-03 = 200 % (reused > treated) and a negative raw figure read as ✓ 正常 while the save refused them."""
    client.force_login(enterprise_user)
    typed = {**good_values, "wastewater_reused": "56000", "main_material": "-1"}
    html = client.post(reverse("reporting:indicator_preview"), typed).content.decode()
    for code in ("WR-03", "WR-01"):
        row = _preview_row(html, code)
        assert "数据有误" in row and "正常" not in row
    assert "200.000000" not in html
    assert "正常" in _preview_row(html, "LI-01")  # a figure built only on valid inputs is still shown


def test_live_preview_flags_a_threefold_jump_before_anything_is_saved(
    client, enterprise_user, enterprise, open_year, good_values
):
    verified_submission(enterprise, 2024, good_values)
    client.force_login(enterprise_user)
    typed = {**good_values, "cod": str(int(good_values["cod"]) * 4)}
    context = {"preview_enterprise": enterprise.pk, "preview_year": 2025}
    html = client.post(reverse("reporting:indicator_preview"), {**typed, **context}).content.decode()
    assert "以下数据与上年相比变化超过3倍" in html and "化学需氧量" in html
    calm = client.post(reverse("reporting:indicator_preview"), {**good_values, **context}).content.decode()
    assert "以下数据与上年相比变化超过3倍" not in calm
    assert not AnnualSubmission.objects.filter(year=2025).exists()


def test_live_preview_gives_no_hint_about_an_enterprise_out_of_scope(
    client, other_enterprise_user, enterprise, open_year, good_values
):
    verified_submission(enterprise, 2024, good_values)
    client.force_login(other_enterprise_user)
    typed = {**good_values, "cod": str(int(good_values["cod"]) * 4)}
    html = client.post(
        reverse("reporting:indicator_preview"),
        {**typed, "preview_enterprise": enterprise.pk, "preview_year": 2025},
    ).content.decode()
    assert "以下数据与上年相比变化超过3倍" not in html


def test_a_refused_save_says_that_nothing_was_saved(client, enterprise_user, enterprise, open_year):
    client.force_login(enterprise_user)
    response = client.post(edit_url(enterprise), {"site_area": "20000", "wastewater": "-5", "action": "save"})
    assert "尚未保存" in response.content.decode()
    assert "都已保留" not in response.content.decode()


def test_live_preview_is_post_only_and_needs_a_login(client):
    assert client.post(reverse("reporting:indicator_preview"), {"site_area": "1"}).status_code == 403


# --- the review chain through the detail page ------------------------------------------------------


def test_full_chain_from_form_to_lock_through_the_pages(
    client, enterprise_user, district_user, city_user, enterprise, open_year, good_values
):
    client.force_login(enterprise_user)
    client.post(edit_url(enterprise), {**good_values, "action": "submit"})
    submission = AnnualSubmission.objects.get(enterprise=enterprise, year=2025)

    client.force_login(district_user)
    assert "审核通过" in client.get(detail_url(submission)).content.decode()
    response = client.post(action_url(submission, "approve"), follow=True)
    assert "已审核通过，已转市经济信息委复核。" in page_messages(response)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.DISTRICT_APPROVED

    client.force_login(city_user)
    assert "复核通过" in client.get(detail_url(submission)).content.decode()
    client.post(action_url(submission, "verify"))
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.CITY_VERIFIED

    client.force_login(enterprise_user)
    response = client.get(edit_url(enterprise))
    html = response.content.decode()
    assert "已锁定" in html
    assert "数据已经市级复核并锁定。如需修改，请提交更正申请。" in html
    assert response.context["form"] is None
    assert "data-live-indicators" not in html and "保存草稿" not in html
    assert reverse("reporting:correction_create", args=[submission.pk]) in html


def test_detail_shows_timeline_indicators_and_field_history_for_reviewers(client, district_user, submitted):
    client.force_login(district_user)
    response = client.get(detail_url(submitted))
    html = response.content.decode()
    assert 'class="timeline"' in html and "提交" in html
    assert "LI-01" in html
    assert "逐项修改记录" in html


def test_enterprise_detail_has_no_review_buttons_and_no_field_history(client, enterprise_user, submitted):
    client.force_login(enterprise_user)
    html = client.get(detail_url(submitted)).content.decode()
    assert action_url(submitted, "approve") not in html
    assert action_url(submitted, "return") not in html
    assert "逐项修改记录" not in html


def test_return_without_reason_is_refused_with_a_message(client, district_user, submitted):
    client.force_login(district_user)
    response = client.post(action_url(submitted, "return"), {"reason": "  "}, follow=True)
    assert "退回时必须填写退回原因，以便企业修改。" in page_messages(response)
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.SUBMITTED


def test_return_with_reason_sends_the_data_back_to_draft_and_shows_the_reason(
    client, district_user, enterprise_user, submitted, enterprise
):
    client.force_login(district_user)
    client.post(action_url(submitted, "return"), {"reason": "用地面积与土地证不符"})
    submitted.refresh_from_db()
    assert submitted.status == SubmissionStatus.DRAFT
    client.force_login(enterprise_user)
    html = client.get(edit_url(enterprise)).content.decode()
    assert "用地面积与土地证不符" in html and "保存草稿" in html


def test_a_second_reviewer_gets_a_message_not_an_error_page(client, district_user, submitted):
    services.submission_approve(actor=district_user, submission=submitted)
    client.force_login(district_user)
    stale = AnnualSubmission.objects.get(pk=submitted.pk)
    response = client.post(action_url(stale, "approve"), follow=True)
    assert response.status_code == 200
    assert any("无法区县审核通过" in m for m in page_messages(response))


def test_enterprise_cannot_approve_its_own_data(client, enterprise_user, submitted):
    client.force_login(enterprise_user)
    assert client.post(action_url(submitted, "approve")).status_code == 403


def test_workflow_actions_are_post_only(client, district_user, submitted):
    client.force_login(district_user)
    assert client.get(action_url(submitted, "approve")).status_code == 405


# --- scope ---------------------------------------------------------------------------------------


def test_other_district_user_gets_404_on_detail_and_edit_pages(
    client, other_district_user, submitted, enterprise
):
    client.force_login(other_district_user)
    assert client.get(detail_url(submitted)).status_code == 404
    assert client.get(edit_url(enterprise)).status_code == 404
    assert client.post(action_url(submitted, "return"), {"reason": "x"}).status_code == 404


def test_other_enterprise_user_gets_404_on_the_detail_page(client, other_enterprise_user, submitted):
    client.force_login(other_enterprise_user)
    assert client.get(detail_url(submitted)).status_code == 404


def test_submission_list_shows_each_role_only_its_rows(
    client, submitted, jiangjin_submitted, district_user, other_district_user, enterprise_user, auditor
):
    url = reverse("reporting:submission_list")
    seen = {}
    for persona in (district_user, other_district_user, enterprise_user, auditor):
        client.force_login(persona)
        seen[persona.username] = {s.pk for s in client.get(url).context["object_list"]}
    assert seen["bob"] == {submitted.pk}
    assert seen["charlie"] == {jiangjin_submitted.pk}
    assert seen["dora"] == {submitted.pk}
    assert seen["frank"] == {submitted.pk, jiangjin_submitted.pk}


def test_submission_list_filters_by_district_and_name(client, auditor, submitted, jiangjin_submitted):
    client.force_login(auditor)
    url = reverse("reporting:submission_list")
    assert [s.pk for s in client.get(url, {"district": "500116"}).context["object_list"]] == [
        jiangjin_submitted.pk
    ]
    assert [s.pk for s in client.get(url, {"q": "渝中绿色"}).context["object_list"]] == [submitted.pk]
    assert "没有符合条件的年度数据" in client.get(url, {"status": "city_verified"}).content.decode()


# --- review queues -------------------------------------------------------------------------------


def test_district_queue_lists_submitted_data_of_its_own_district_only(
    client, district_user, other_district_user, submitted, jiangjin_submitted
):
    url = reverse("reporting:district_queue")
    client.force_login(district_user)
    response = client.get(url)
    assert [s.pk for s in response.context["object_list"]] == [submitted.pk]
    assert response.context["counts"]["total"] == 1
    client.force_login(other_district_user)
    assert [s.pk for s in client.get(url).context["object_list"]] == [jiangjin_submitted.pk]


def test_city_queue_lists_district_approved_data(client, city_user, approved, jiangjin_submitted):
    client.force_login(city_user)
    response = client.get(reverse("reporting:city_queue"))
    assert [s.pk for s in response.context["object_list"]] == [approved.pk]


@pytest.mark.parametrize(
    ("url_name", "persona"),
    [
        ("reporting:district_queue", "city_user"),
        ("reporting:district_queue", "enterprise_user"),
        ("reporting:city_queue", "district_user"),
        ("reporting:city_queue", "auditor"),
    ],
)
def test_queues_refuse_other_roles(client, url_name, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(url_name)).status_code == 403


# --- corrections ---------------------------------------------------------------------------------


def test_correction_sends_only_changed_fields_and_city_approval_makes_a_new_version(
    client, enterprise_user, city_user, verified
):
    client.force_login(enterprise_user)
    url = reverse("reporting:correction_create", args=[verified.pk])
    form_data = {**verified.raw_values, "co2": "4300", "reason": "碳排放量核算口径更正"}
    response = client.post(url, form_data)
    assert response.status_code == 302
    correction = CorrectionRequest.objects.get(submission=verified)
    assert correction.new_values == {"co2": "4300"}

    client.force_login(city_user)
    assert "碳排放量核算口径更正" in client.get(reverse("reporting:correction_list")).content.decode()
    client.post(reverse("reporting:correction_decide", args=[correction.pk]), {"decision": "approve"})
    verified.refresh_from_db()
    assert verified.version == 2 and verified.raw_values["co2"] == "4300"
    assert "与上一版本相比" in client.get(detail_url(verified)).content.decode()


def test_rejecting_a_correction_needs_a_reason(client, enterprise_user, city_user, verified):
    correction = services.correction_request(
        actor=enterprise_user, submission=verified, reason="更正", new_values={"co2": "1"}
    )
    client.force_login(city_user)
    url = reverse("reporting:correction_decide", args=[correction.pk])
    response = client.post(url, {"decision": "reject"}, follow=True)
    assert "驳回更正申请时必须填写理由。" in page_messages(response)
    assert CorrectionRequest.objects.get(pk=correction.pk).status == "pending"


def test_enterprise_cannot_decide_corrections(client, enterprise_user, verified):
    correction = services.correction_request(
        actor=enterprise_user, submission=verified, reason="更正", new_values={"co2": "1"}
    )
    client.force_login(enterprise_user)
    url = reverse("reporting:correction_decide", args=[correction.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403


# --- notifications -------------------------------------------------------------------------------


def test_notification_list_shows_the_approval_and_marks_all_read(client, enterprise_user, approved):
    client.force_login(enterprise_user)
    url = reverse("reporting:notification_list")
    response = client.get(url)
    assert "2025年度数据已通过区县审核" in response.content.decode()
    assert response.context["unread_count"] == 1
    client.post(reverse("reporting:notification_mark_read"))
    assert client.get(url).context["unread_count"] == 0


def test_home_page_lists_the_reporting_steps(client, enterprise_user, district_user, open_year, submitted):
    client.force_login(district_user)
    titles = [str(step.title) for step in client.get(reverse("home")).context["steps"]]
    assert "区县审核" in titles
    client.force_login(enterprise_user)
    titles = [str(step.title) for step in client.get(reverse("home")).context["steps"]]
    assert "填报2025年度数据" not in titles  # already submitted


def test_home_page_tells_the_enterprise_to_fill_the_open_year(client, enterprise_user, open_year):
    client.force_login(enterprise_user)
    steps = client.get(reverse("home")).context["steps"]
    step = next(s for s in steps if str(s.title) == "填报2025年度数据")
    assert step.url == edit_url(enterprise_user.enterprise)
    assert str(open_year.closes_on) in step.text


# --- reporting years -----------------------------------------------------------------------------


def test_city_opens_a_year_on_the_year_page(client, city_user):
    client.force_login(city_user)
    today = timezone.localdate()
    response = client.post(
        reverse("reporting:year_list"),
        {
            "form": "open",
            "year": today.year - 1,
            "opens_on": today.isoformat(),
            "closes_on": (today + dt.timedelta(days=60)).isoformat(),
        },
        follow=True,
    )
    assert ReportingYear.objects.filter(year=today.year - 1).exists()
    assert f"{today.year - 1}年度已开放填报。" in page_messages(response)


def test_opening_a_year_twice_shows_the_error_next_to_the_year(client, city_user, open_year):
    client.force_login(city_user)
    today = timezone.localdate()
    response = client.post(
        reverse("reporting:year_list"),
        {
            "form": "open",
            "year": 2025,
            "opens_on": today.isoformat(),
            "closes_on": today.isoformat(),
        },
    )
    assert response.context["open_form"].errors["year"] == ["2025年度已开放填报。"]


def test_the_window_form_shows_the_current_dates_in_the_form_a_date_picker_accepts(
    client, city_user, open_year
):
    """`<input type="date">` takes only ISO dates; zh-hans' own `2026/11/01` left both fields empty."""
    client.force_login(city_user)
    html = client.get(reverse("reporting:year_list")).content.decode()
    assert f'type="date" name="opens_on" value="{open_year.opens_on.isoformat()}"' in html
    assert f'type="date" name="closes_on" value="{open_year.closes_on.isoformat()}"' in html
    assert open_year.closes_on.strftime("%Y/%m/%d") not in html


def test_city_extends_a_window(client, city_user, open_year):
    client.force_login(city_user)
    new_close = open_year.closes_on + dt.timedelta(days=10)
    client.post(
        reverse("reporting:year_list"),
        {
            "form": "window",
            "year": 2025,
            "opens_on": open_year.opens_on.isoformat(),
            "closes_on": new_close.isoformat(),
            "reason": "延期",
        },
    )
    open_year.refresh_from_db()
    assert open_year.closes_on == new_close


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user", "auditor"])
def test_only_the_city_may_open_a_year(client, persona, request, open_year):
    client.force_login(request.getfixturevalue(persona))
    today = timezone.localdate()
    url = reverse("reporting:year_list")
    response = client.get(url)
    assert response.status_code == 200 and "2025" in response.content.decode()
    assert "开放新的填报年度" not in response.content.decode()
    posted = client.post(
        url, {"form": "open", "year": 2024, "opens_on": today.isoformat(), "closes_on": today.isoformat()}
    )
    assert posted.status_code == 403
    assert not ReportingYear.objects.filter(year=2024).exists()


def test_list_and_queue_pages_do_not_query_per_row(
    client, auditor, district_user, open_year, good_values, yuzhong
):
    from tests.model_factories import EnterpriseFactory

    def make(n):  # type: ignore[no-untyped-def]
        for _ in range(n):
            enterprise = EnterpriseFactory(district=yuzhong)
            draft = services.submission_save_draft(
                actor=district_user, enterprise=enterprise, year=2025, values=good_values
            )
            services.submission_submit(actor=district_user, submission=draft)

    def queries(user, url):  # type: ignore[no-untyped-def]
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(user)
        cold_cache()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make(1)
    few = [
        queries(auditor, reverse("reporting:submission_list")),
        queries(district_user, reverse("reporting:district_queue")),
    ]
    make(4)
    many = [
        queries(auditor, reverse("reporting:submission_list")),
        queries(district_user, reverse("reporting:district_queue")),
    ]
    assert many == few


def test_district_user_fills_the_form_for_an_enterprise_of_its_unit(
    client, district_user, enterprise, open_year, good_values
):
    client.force_login(district_user)
    client.post(edit_url(enterprise), {**good_values, "action": "save"})
    assert AnnualSubmission.objects.get(enterprise=enterprise).raw_values["site_area"] == "20000"


def test_auditor_sees_why_the_form_is_read_only_and_cannot_save(
    client, auditor, enterprise, open_year, good_values
):
    client.force_login(auditor)
    response = client.get(edit_url(enterprise))
    assert "您的角色只能查看和审核年度数据，不能填报。" in response.content.decode()
    assert response.context["form"] is None
    response = client.post(edit_url(enterprise), {**good_values, "action": "save"}, follow=True)
    assert "您的角色只能查看和审核年度数据，不能填报。" in page_messages(response)
    assert not AnnualSubmission.objects.exists()


def test_a_second_correction_waits_for_the_first(client, enterprise_user, verified):
    services.correction_request(
        actor=enterprise_user, submission=verified, reason="更正", new_values={"co2": "1"}
    )
    client.force_login(enterprise_user)
    response = client.get(reverse("reporting:correction_create", args=[verified.pk]), follow=True)
    assert "该年度数据已有一项待审批的更正申请，请等待市级审批后再提交。" in page_messages(response)


def test_the_data_entry_form_is_the_same_page_whichever_renderer_draws_its_inputs(
    enterprise_user, draft, settings
):  # type: ignore[no-untyped-def]
    """accounts.widgets.FormRenderer writes the plain inputs in Python: the page a clerk gets after each save
    must be byte for byte the one Django's own widget templates give (the CSRF tokens aside, new each time)."""
    import re

    from django.test import Client

    client = Client()
    client.force_login(enterprise_user)
    url = f"/reporting/submissions/{draft.enterprise_id}/2025/edit/"
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    def page() -> str:
        html = client.get(url).content.decode()
        assert 'inputmode="decimal"' in html and "<textarea" in html
        return token.sub("", html)

    written = page()
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    assert page() == written
