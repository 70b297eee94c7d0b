"""Objections (异议) during the notice period and their handling (issue 17 items 2 and 3): filing inside and
outside the period, scoping by role, accept → correction → re-run → diff linked, and no finalisation while
an objection is open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.errors import StateConflict
from accounts.models import AuditEntry, Notification
from factories.grading import services
from factories.models import GradingRun, Objection
from tests.helpers import notice, notice_elapsed
from tests.model_factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/objections/"


@pytest.fixture(autouse=True)
def _fresh_throttle():  # type: ignore[no-untyped-def]
    """The throttle counts live in the shared cache for a day: each test starts with none."""
    from factories.grading.views.objections import reset_throttle

    for address in ("127.0.0.1", "10.1.1.1"):
        reset_throttle(address)
    yield
    for address in ("127.0.0.1", "10.1.1.1"):
        reset_throttle(address)


def pdf(name: str = "证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.7\n%test\n", content_type="application/pdf")


@pytest.fixture
def published(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return services.grading_run_publish(actor=city_user, run=run, **notice())


@pytest.fixture
def gina(graded_world):  # type: ignore[no-untyped-def]
    """A user of graded_world[0] (渝中)."""
    return UserFactory(
        username="gina", role="enterprise", enterprise=graded_world[0], email="gina@example.cn"
    )


def result_of(run, enterprise):  # type: ignore[no-untyped-def]
    return run.results.get(enterprise=enterprise)


def public_objection(run, enterprise, **extra):  # type: ignore[no-untyped-def]
    return services.objection_file(
        actor=None,
        result=result_of(run, enterprise),
        name="张伟",
        email="zhangwei@example.cn",
        statement="该厂去年曾发生环境污染事件。",
        **extra,
    )


# --- filing inside and outside the period ---------------------------------------------------------------


def test_the_public_files_an_objection_during_the_notice_and_gets_a_receipt(
    published, graded_world, city_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        objection = public_objection(published, graded_world[0], evidence=[pdf()])
    assert objection.objector_kind == "public" and objection.status == "pending"
    assert objection.evidence.count() == 1 and objection.filed_by is None
    assert AuditEntry.objects.filter(action="objection.file", object_id=str(objection.pk)).exists()
    assert any("zhangwei@example.cn" in m.to for m in mail.outbox)
    assert Notification.objects.filter(user=city_user, kind="objection_filed").exists()


def test_filing_after_notice_to_is_refused_with_a_clear_message(published, graded_world):
    notice_elapsed(published)
    with pytest.raises(StateConflict) as refused:
        public_objection(published, graded_world[0])
    assert "公示期已于" in str(refused.value) and "不再受理异议" in str(refused.value)
    assert not Objection.objects.exists()


def test_filing_before_the_notice_starts_is_refused(published, graded_world):
    start = timezone.localdate() + dt.timedelta(days=3)
    GradingRun.objects.filter(pk=published.pk).update(
        notice_from=start, notice_to=start + dt.timedelta(days=7)
    )
    published.refresh_from_db()
    with pytest.raises(StateConflict) as refused:
        public_objection(published, graded_world[0])
    assert "开始" in str(refused.value)


def test_an_evidence_file_whose_content_does_not_match_is_refused(published, graded_world):
    from accounts.errors import InvalidInput

    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(InvalidInput) as refused:
        public_objection(published, graded_world[0], evidence=[fake])
    assert "evidence" in refused.value.field_errors


def test_an_enterprise_files_about_its_own_grade_naming_indicators(api, gina, published, graded_world):
    own = result_of(published, graded_world[0])
    response = api.as_user(gina).post(
        API,
        {
            "result": own.pk,
            "name": "王芳",
            "statement": "单位产值能耗计算有误。",
            "indicators": ["energy_intensity"],
            "evidence": [pdf()],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "indicators" in response.json()  # not a catalogue code
    from factories.indicators import get_catalogue

    code = get_catalogue().indicators[0].code
    response = api.post(
        API,
        {
            "result": own.pk,
            "name": "王芳",
            "statement": "单位产值能耗计算有误。",
            "indicators": [code],
            "evidence": [pdf()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["objector_kind"] == "enterprise" and body["indicators"] == [code] and body["evidence_count"] == 1
    )
    # Another enterprise's result is not in its choices (400), and nothing is filed after the notice.
    other = result_of(published, graded_world[1])
    response = api.post(API, {"result": other.pk, "name": "王芳", "statement": "x"}, format="multipart")
    assert response.status_code == 400
    notice_elapsed(published)
    response = api.post(API, {"result": own.pk, "name": "王芳", "statement": "再次异议"}, format="multipart")
    assert response.status_code == 409 and "不再受理异议" in response.content.decode()


# --- scoping by role ---------------------------------------------------------------------------------


def test_objections_are_scoped_by_role(api, published, graded_world, city_user, auditor, district_user, gina):
    yuzhong_own = public_objection(published, graded_world[0])
    yuzhong_other = public_objection(published, graded_world[1])
    jiangjin = public_objection(published, graded_world[6])
    other_gina = UserFactory(username="hugo", role="enterprise", enterprise=graded_world[1])

    def ids(user):  # type: ignore[no-untyped-def]
        return {o["id"] for o in api.as_user(user).get(API).json()["results"]}

    everyone = {yuzhong_own.pk, yuzhong_other.pk, jiangjin.pk}
    assert ids(city_user) == everyone and ids(auditor) == everyone
    assert ids(district_user) == {yuzhong_own.pk, yuzhong_other.pk}
    assert ids(gina) == {yuzhong_own.pk}
    assert ids(other_gina) == {yuzhong_other.pk}
    assert api.as_user(district_user).get(f"{API}{jiangjin.pk}/").status_code == 404
    assert api.as_user(gina).get(f"{API}{yuzhong_other.pk}/").status_code == 404
    # Only the city decides.
    for user in (district_user, gina, auditor):
        response = api.as_user(user).post(
            f"{API}{yuzhong_own.pk}/reject/", {"reason": "无依据"}, format="json"
        )
        assert response.status_code == 403


# --- handling ------------------------------------------------------------------------------------------


def test_finalising_is_refused_while_an_objection_is_open(api, published, graded_world, city_user):
    objection = public_objection(published, graded_world[0])
    notice_elapsed(published)
    response = api.as_user(city_user).post(f"/api/v1/grading-runs/{published.pk}/finalize/")
    assert response.status_code == 409 and "异议未处理" in response.content.decode()
    published.refresh_from_db()
    assert published.status == "published"
    response = api.post(f"{API}{objection.pk}/reject/", {"reason": ""}, format="json")
    assert response.status_code == 400  # a reason is required
    response = api.post(f"{API}{objection.pk}/reject/", {"reason": "经核查，该事件不属实。"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert api.post(f"/api/v1/grading-runs/{published.pk}/finalize/").json()["status"] == "final"


def test_a_rejection_is_mailed_to_the_public_objector(
    published, graded_world, city_user, django_capture_on_commit_callbacks
):
    objection = public_objection(published, graded_world[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_reject(actor=city_user, objection=objection, reason="经核查，该事件不属实。")
    assert [m.to for m in mail.outbox] == [["zhangwei@example.cn"]]
    assert "不予采纳" in mail.outbox[0].subject and "该事件不属实" in mail.outbox[0].body
    with pytest.raises(StateConflict):
        services.objection_reject(actor=city_user, objection=objection, reason="再次处理")


def test_accept_correction_rerun_and_the_diff_is_linked(
    api, published, graded_world, city_user, gina, django_capture_on_commit_callbacks
):
    from reporting import services as reporting
    from reporting.models import AnnualSubmission

    own = result_of(published, graded_world[0])
    objection = services.objection_file(
        actor=gina, result=own, name="王芳", statement="2025年用电量填报有误。", indicators=[]
    )
    submission = AnnualSubmission.objects.get(enterprise=graded_world[0], year=2025)
    correction = reporting.correction_request(
        actor=gina, submission=submission, reason="用电量统计口径错误", new_values={"cod": "1400"}
    )
    api.as_user(city_user)
    # The remedy must be a correction of this enterprise's data of the graded year.
    response = api.post(
        f"{API}{objection.pk}/accept/",
        {"reason": "企业数据确有错误。", "remedy_kind": "correction"},
        format="json",
    )
    assert response.status_code == 400 and "correction" in response.json()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"{API}{objection.pk}/accept/",
            {"reason": "企业数据确有错误。", "remedy_kind": "correction", "correction": correction.pk},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert (
        response.json()["status"] == "accepted" and response.json()["remedy_correction_id"] == correction.pk
    )
    notification = Notification.objects.get(user=gina, kind="objection_decided")
    assert "已被采纳" in notification.title and "企业数据确有错误" in notification.body
    reporting.correction_decide(actor=city_user, correction=correction, approve=True, reason="同意更正")
    # A run that is not newer than the objected one is refused; the new run of the year is linked with its diff.
    response = api.post(f"{API}{objection.pk}/link-run/", {"run": published.pk}, format="json")
    assert response.status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.grading_run_start(actor=city_user, year=2025)
    response = api.post(f"{API}{objection.pk}/link-run/", {"run": rerun.pk}, format="json")
    assert response.status_code == 200, response.json()
    linked = response.json()
    assert linked["new_run"] == rerun.pk and linked["new_run_diff"]["base_run"] == published.pk
    expected = api.get(f"/api/v1/grading-runs/{rerun.pk}/diff/").json()
    assert [(m["enterprise"], m["from"], m["to"]) for m in linked["new_run_diff"]["moves"]] == [
        (m["enterprise"], m["from"], m["to"]) for m in expected["moves"]
    ]
    assert AuditEntry.objects.filter(action="objection.link_run", object_id=str(objection.pk)).exists()
    # Nothing is open any more: the new run is published over the old one and finalised after its notice.
    services.grading_run_publish(actor=city_user, run=rerun, **notice())
    final = services.grading_run_finalize(actor=city_user, run=notice_elapsed(rerun))
    assert final.status == "final"


def test_an_incident_or_a_method_note_can_be_the_remedy(published, graded_world, city_user, second_city_user):
    from factories.models import Incident

    first = public_objection(published, graded_world[0])
    incident = Incident.objects.create(
        enterprise=graded_world[0],
        kind="environmental",
        severity="general",
        occurred_on=dt.date(2025, 6, 1),
        description="超标排放",
        recorded_by=second_city_user,
    )
    accepted = services.objection_accept(
        actor=city_user, objection=first, reason="情况属实。", remedy_kind="incident", incident=incident
    )
    assert accepted.remedy_incident == incident
    second = public_objection(published, graded_world[1])
    accepted = services.objection_accept(
        actor=city_user,
        objection=second,
        reason="口径说明。",
        remedy_kind="method_note",
        note="补充说明计算口径",
    )
    assert accepted.remedy_note == "补充说明计算口径"


# --- pages ----------------------------------------------------------------------------------------------


def public_url(run) -> str:  # type: ignore[no-untyped-def]
    return reverse("objections:public_new", args=[run.pk])


def test_anyone_files_on_the_public_form_without_signing_in(client, published, graded_world):
    target = result_of(published, graded_world[2])
    page = client.get(public_url(published) + f"?result={target.pk}")
    assert page.status_code == 200 and "提交异议" in page.content.decode()
    assert graded_world[2].name in page.content.decode()
    response = client.post(
        public_url(published),
        {
            "result": target.pk,
            "name": "李明",
            "email": "liming@example.cn",
            "statement": "排放数据存疑。",
            "evidence": [pdf("a.pdf"), pdf("b.pdf")],
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert (
        objection.result == target and objection.objector_kind == "public" and objection.evidence.count() == 2
    )
    assert "异议已提交" in client.get(response["Location"]).content.decode()


def test_the_public_form_is_csrf_protected(published, graded_world):
    from django.test import Client

    target = result_of(published, graded_world[2])
    response = Client(enforce_csrf_checks=True).post(
        public_url(published), {"result": target.pk, "name": "李明", "email": "a@b.cn", "statement": "x"}
    )
    assert response.status_code == 403 and not Objection.objects.exists()


def test_the_public_form_and_its_receipt_are_never_kept_by_a_cache(client, published, graded_world):
    """Unlike the notice pages (public, max-age), the form carries the visitor's CSRF token and, once filed,
    the receipt with their e-mail address: no browser or shared cache may keep or replay it."""
    target = result_of(published, graded_world[2])
    form = client.get(public_url(published))
    assert "no-store" in form["Cache-Control"] and "private" in form["Cache-Control"]
    assert "public" not in form["Cache-Control"]
    filed = client.post(
        public_url(published),
        {"result": target.pk, "name": "李明", "email": "liming@example.cn", "statement": "排放数据存疑。"},
    )
    receipt = client.get(filed["Location"])
    assert "liming@example.cn" in receipt.content.decode() and "no-store" in receipt["Cache-Control"]


def test_the_public_form_refuses_after_notice_to_and_hides_non_public_runs(
    client, published, graded_world, city_user, django_capture_on_commit_callbacks
):
    notice_elapsed(published)
    page = client.get(public_url(published))
    assert (
        page.status_code == 200
        and "不再受理异议" in page.content.decode()
        and '<form method="post"' not in page.content.decode()
    )
    target = result_of(published, graded_world[2])
    response = client.post(
        public_url(published), {"result": target.pk, "name": "李明", "email": "a@b.cn", "statement": "x"}
    )
    assert response.status_code == 409 and not Objection.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.grading_run_start(actor=city_user, year=2025)
        simulation = services.grading_run_start(actor=city_user, year=2025, simulation=True)
    assert client.get(public_url(draft)).status_code == 404
    assert client.get(public_url(simulation)).status_code == 404
    assert client.get(reverse("objections:public_new", args=[999999])).status_code == 404


def test_the_public_form_is_throttled_per_address_and_per_day(client, settings, published, graded_world):
    settings.OBJECTION_THROTTLE_PER_ADDRESS = 2
    target = result_of(published, graded_world[2])
    body = {"result": target.pk, "name": "李明", "email": "a@b.cn", "statement": "排放数据存疑。"}
    assert [client.post(public_url(published), body).status_code for _ in range(3)] == [302, 302, 429]
    assert Objection.objects.count() == 2
    assert AuditEntry.objects.filter(action="objection.throttled").exists()
    # Another address may still file, until the day's total is reached.
    settings.OBJECTION_THROTTLE_PER_DAY = 2
    assert client.post(public_url(published), body, REMOTE_ADDR="10.1.1.1").status_code == 429


def test_an_enterprise_objects_from_its_grades_page(client, gina, published, graded_world):
    from factories.indicators import get_catalogue

    own = result_of(published, graded_world[0])
    client.force_login(gina)
    page = client.get(reverse("factories:my_grades")).content.decode()
    assert reverse("factories:objection_create", args=[own.pk]) in page
    code = get_catalogue().indicators[0].code
    response = client.post(
        reverse("factories:objection_create", args=[own.pk]),
        {"name": "王芳", "statement": "能耗数据有误。", "indicators": [code], "evidence": [pdf()]},
    )
    assert response.status_code == 302, response.context["form"].errors
    objection = Objection.objects.get()
    assert (
        objection.objector_kind == "enterprise"
        and objection.indicators == [code]
        and objection.filed_by == gina
    )
    detail = client.get(response["Location"]).content.decode()
    assert "能耗数据有误" in detail and "处理异议" not in detail
    other = result_of(published, graded_world[1])
    assert client.get(reverse("factories:objection_create", args=[other.pk])).status_code == 404


def test_the_city_decides_on_the_detail_page_with_confirmation(client, city_user, published, graded_world):
    objection = public_objection(published, graded_world[0], evidence=[pdf()])
    client.force_login(city_user)
    listing = client.get(reverse("factories:objection_list") + "?status=pending").content.decode()
    assert f"#{objection.pk}" in listing
    detail = client.get(reverse("factories:objection_detail", args=[objection.pk])).content.decode()
    assert "提交处理决定" in detail and "data-confirm" in detail
    evidence = client.get(reverse("factories:objection_evidence", args=[objection.pk, 1]))
    assert evidence.status_code == 200
    url = reverse("factories:objection_action", args=[objection.pk, "decide"])
    client.post(url, {"decision": "reject", "reason": "不属实"})  # not confirmed: nothing happens
    objection.refresh_from_db()
    assert objection.status == "pending"
    response = client.post(url, {"decision": "reject", "reason": "经核查不属实。", "confirm": "on"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == "rejected" and objection.decision_reason == "经核查不属实。"


def test_the_city_s_home_page_names_the_open_objections(client, city_user, published, graded_world):
    public_objection(published, graded_world[0])
    client.force_login(city_user)
    page = client.get(reverse("home")).content.decode()
    assert "公示异议待处理" in page and reverse("factories:objection_list") in page


def test_the_enterprise_never_learns_who_of_the_public_objected(
    api, client, gina, district_user, published, graded_world
):
    objection = public_objection(published, graded_world[0])
    seen = api.as_user(gina).get(f"{API}{objection.pk}/").json()
    assert seen["objector_kind"] == "public" and seen["statement"]
    assert (seen["name"], seen["email"], seen["phone"]) == ("", "", "")
    client.force_login(gina)
    page = client.get(reverse("factories:objection_detail", args=[objection.pk])).content.decode()
    assert "张伟" not in page and "zhangwei@example.cn" not in page
    assert api.as_user(district_user).get(f"{API}{objection.pk}/").json()["name"] == "张伟"


def test_the_public_run_page_links_to_the_form_only_during_the_notice(client, published):
    from tests.helpers import cold_cache

    page = client.get(reverse("gongshi:run", args=[published.pk])).content.decode()
    assert public_url(published) in page and "在线提出异议" in page
    notice_elapsed(published)
    cold_cache()
    after = client.get(reverse("gongshi:run", args=[published.pk])).content.decode()
    assert public_url(published) not in after


def test_the_city_picks_the_correction_from_the_enterprise_s_own_and_the_detail_links_the_diff(
    client, city_user, gina, published, graded_world, django_capture_on_commit_callbacks
):
    from reporting import services as reporting
    from reporting.models import AnnualSubmission

    objection = public_objection(published, graded_world[0])
    own = reporting.correction_request(
        actor=gina,
        submission=AnnualSubmission.objects.get(enterprise=graded_world[0], year=2025),
        reason="用电量统计口径错误",
        new_values={"cod": "1400"},
    )
    other_user = UserFactory(username="olga", role="enterprise", enterprise=graded_world[1])
    other = reporting.correction_request(
        actor=other_user,
        submission=AnnualSubmission.objects.get(enterprise=graded_world[1], year=2025),
        reason="别家企业的更正",
        new_values={"cod": "1200"},
    )
    client.force_login(city_user)
    detail = client.get(reverse("factories:objection_detail", args=[objection.pk])).content.decode()
    picker = detail[
        detail.index('name="correction"') : detail.index("</select>", detail.index('name="correction"'))
    ]
    assert f'value="{own.pk}"' in picker and "用电量统计口径错误" in picker and "待市级审批" in picker
    assert f'value="{other.pk}"' not in picker and "别家企业的更正" not in picker
    url = reverse("factories:objection_action", args=[objection.pk, "decide"])
    accept = {"decision": "accept", "reason": "数据确有错误。", "remedy_kind": "correction", "confirm": "on"}
    client.post(url, {**accept, "correction": other.pk})  # another enterprise's correction: not a choice
    objection.refresh_from_db()
    assert objection.status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**accept, "correction": own.pk})
    objection.refresh_from_db()
    assert objection.status == "accepted" and objection.remedy_correction_id == own.pk
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.grading_run_start(actor=city_user, year=2025)
    client.post(reverse("factories:objection_action", args=[objection.pk, "link-run"]), {"run": rerun.pk})
    detail = client.get(reverse("factories:objection_detail", args=[objection.pk])).content.decode()
    assert reverse("factories:run_detail", args=[rerun.pk]) + "#diff" in detail
    assert reverse("reporting:submission_detail", args=[own.submission_id]) + "#corrections" in detail
