"""The cultivation-pool HTML pages: the role matrix, district isolation (another district's rows answer 404
and its POSTs write nothing) and the workflows a clerk walks through in the browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import (
    ApplicationStatus,
    BCertification,
    CertificationStatus,
    DistrictReport,
    DistrictStandard,
    IrregularReview,
    Level,
    LevelDecision,
    LevelJob,
    MembershipStatus,
    PoolApplication,
    PoolMembership,
    ReportStatus,
    SupervisionRecord,
)
from tests.cultivation.conftest import approved_submission, compute, poor_raw, supervise

pytestmark = pytest.mark.django_db


def login(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def yuzhong_world(certified, district_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """渝中's pool with a certified B member, its report, a pending application, a review and a level job."""
    from tests.model_factories import EnterpriseFactory

    report, _created = services.district_report_generate(
        actor=district_user, district=district_user.district, year=2025
    )
    application = services.pool_application_submit(
        actor=district_user,
        enterprise=EnterpriseFactory(district=district_user.district),
        intention="意愿",
        plan="计划",
        lawful_declaration=True,
    )
    review = services.irregular_review_open(
        actor=district_user, membership=certified.membership, scope_note="核查"
    )
    return {
        "member": certified.membership,
        "certification": certified,
        "report": report,
        "application": application,
        "review": review,
        "job": LevelJob.objects.filter(district=district_user.district).first(),
        "district": district_user.district,
    }


def detail_urls(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "member": reverse("cultivation:member_detail", args=[world["member"].pk]),
        "certification": reverse("cultivation:certification_detail", args=[world["certification"].pk]),
        "certificate": reverse("cultivation:certificate", args=[world["certification"].pk]),
        "report": reverse("cultivation:report_detail", args=[world["report"].pk]),
        "application": reverse("cultivation:application_detail", args=[world["application"].pk]),
        "review": reverse("cultivation:review_detail", args=[world["review"].pk]),
        "job": reverse("cultivation:level_job_detail", args=[world["job"].pk]),
        "job_progress": reverse("cultivation:level_job_progress", args=[world["job"].pk]),
        "standard": reverse("cultivation:standard_detail", args=[world["district"].pk]),
    }


LIST_PAGES = [
    "home",
    "application_list",
    "member_list",
    "level_list",
    "certification_list",
    "standard_home",
]
STAFF_PAGES = ["recommended", "review_list", "report_list"]


# --- role matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["city_user", "district_user", "auditor", "enterprise_user"])
@pytest.mark.parametrize("page", LIST_PAGES)
def test_every_role_opens_the_pool_pages(client, request, persona, page, member):  # type: ignore[no-untyped-def]
    login(client, request.getfixturevalue(persona))
    response = client.get(reverse(f"cultivation:{page}"), follow=True)
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["city_user", "district_user", "auditor"])
@pytest.mark.parametrize("page", STAFF_PAGES)
def test_staff_open_reviews_reports_and_recommendations(client, request, persona, page):  # type: ignore[no-untyped-def]
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse(f"cultivation:{page}")).status_code == 200


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_enterprise_cannot_open_review_files_or_district_reports(client, enterprise_user, page):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    assert client.get(reverse(f"cultivation:{page}")).status_code == 403


@pytest.mark.parametrize("persona", ["city_user", "auditor"])
def test_city_and_auditor_cannot_open_the_application_form(client, request, persona):  # type: ignore[no-untyped-def]
    login(client, request.getfixturevalue(persona))
    assert client.get(reverse("cultivation:application_create")).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("cultivation:home"))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("persona", ["district_user", "city_user", "auditor"])
def test_own_district_and_city_open_every_detail_page(client, request, persona, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, request.getfixturevalue(persona))
    for name, url in detail_urls(yuzhong_world).items():
        assert client.get(url).status_code == 200, name


def test_enterprise_sees_its_own_member_file_and_certificate_but_not_the_review(  # type: ignore[no-untyped-def]
    client, enterprise_user, yuzhong_world
):
    login(client, enterprise_user)
    urls = detail_urls(yuzhong_world)
    for name in ("member", "certification", "certificate", "standard"):
        assert client.get(urls[name]).status_code == 200, name
    assert client.get(urls["review"]).status_code == 403
    assert client.get(urls["report"]).status_code == 403
    assert client.get(urls["job"]).status_code == 404
    # The review file is not shown on the enterprise's own member page.
    assert "不定期复核" not in client.get(urls["member"]).content.decode().split("B级认定")[-1]


# --- district isolation ---------------------------------------------------------------------------


def test_other_district_gets_404_for_every_detail_page(client, other_district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, other_district_user)
    for name, url in detail_urls(yuzhong_world).items():
        assert client.get(url).status_code == 404, name


def test_other_enterprise_gets_404_for_another_enterprises_file(  # type: ignore[no-untyped-def]
    client, other_enterprise_user, yuzhong_world
):
    login(client, other_enterprise_user)
    for name in ("member", "certification", "certificate", "application"):
        assert client.get(detail_urls(yuzhong_world)[name]).status_code == 404, name


def test_other_district_lists_do_not_show_yuzhong_rows(client, other_district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, other_district_user)
    name = yuzhong_world["member"].enterprise.name
    for page in ("member_list", "level_list", "certification_list", "home", "recommended"):
        assert name not in client.get(reverse(f"cultivation:{page}")).content.decode(), page


def test_other_district_posts_are_refused_and_write_nothing(client, other_district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    world = yuzhong_world
    login(client, other_district_user)
    posts = [
        (reverse("cultivation:application_decide", args=[world["application"].pk, "accept"]), {}),
        (
            reverse("cultivation:application_decide", args=[world["application"].pk, "reject"]),
            {"reason": "x"},
        ),
        (
            reverse("cultivation:member_action", args=[world["member"].pk, "supervision"]),
            {"kind": "assessment", "date": "2025-05-01"},
        ),
        (reverse("cultivation:member_action", args=[world["member"].pk, "exit"]), {"reason": "越权"}),
        (reverse("cultivation:member_action", args=[world["member"].pk, "review"]), {"scope_note": "越权"}),
        (
            reverse("cultivation:certification_decide", args=[world["certification"].pk, "reject"]),
            {"reason": "越权"},
        ),
        (
            reverse("cultivation:review_detail", args=[world["review"].pk]),
            {"findings": "x", "falsification": "on"},
        ),
        (reverse("cultivation:report_action", args=[world["report"].pk, "submit"]), {"narrative": "越权"}),
        (reverse("cultivation:report_action", args=[world["report"].pk, "regenerate"]), {}),
        (
            reverse("cultivation:standard_detail", args=[world["district"].pk]),
            {"b_dimension_min": 40, "b_level_min": 40, "c_level_min": 0, "note": "越权"},
        ),
    ]
    audit_before = AuditEntry.objects.count()
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert AuditEntry.objects.count() == audit_before
    assert PoolApplication.objects.get(pk=world["application"].pk).status == ApplicationStatus.PENDING
    assert PoolMembership.objects.get(pk=world["member"].pk).status == MembershipStatus.ACTIVE
    assert IrregularReview.objects.get(pk=world["review"].pk).status == "open"
    assert DistrictReport.objects.get(pk=world["report"].pk).narrative == ""
    assert DistrictStandard.objects.filter(district=world["district"]).count() == 1


def test_city_cannot_write_the_districts_pool_from_the_pages(client, city_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, city_user)
    url = reverse("cultivation:certification_decide", args=[yuzhong_world["certification"].pk, "reject"])
    assert client.post(url, {"reason": "x"}).status_code == 403
    standard = reverse("cultivation:standard_detail", args=[yuzhong_world["district"].pk])
    assert (
        client.post(
            standard, {"b_dimension_min": 1, "b_level_min": 1, "c_level_min": 0, "note": "x"}
        ).status_code
        == 403
    )
    assert DistrictStandard.objects.filter(district=yuzhong_world["district"]).count() == 1


def test_workflow_steps_are_post_only(client, district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, district_user)
    url = reverse("cultivation:application_decide", args=[yuzhong_world["application"].pk, "accept"])
    assert client.get(url).status_code == 405
    assert PoolApplication.objects.get(pk=yuzhong_world["application"].pk).status == ApplicationStatus.PENDING


# --- entry (Art. 10) ------------------------------------------------------------------------------


def test_enterprise_applies_and_district_accepts_from_the_pages(  # type: ignore[no-untyped-def]
    client, enterprise, enterprise_user, district_user
):
    login(client, enterprise_user)
    home = client.get(reverse("cultivation:home")).content.decode()
    assert "申请入库" in home
    form = {"intention": "愿意参与培育", "plan": "2026年建设能源管理体系", "lawful_declaration": "on"}
    response = client.post(reverse("cultivation:application_create"), form, follow=True)
    application = PoolApplication.objects.get(enterprise=enterprise)
    assert response.redirect_chain[-1][0] == reverse("cultivation:application_detail", args=[application.pk])
    assert "入库申请已提交" in " ".join(messages_of(response))

    login(client, district_user)
    page = client.get(reverse("cultivation:application_detail", args=[application.pk])).content.decode()
    assert page.count("✓") == 4 and "同意入库" in page
    response = client.post(
        reverse("cultivation:application_decide", args=[application.pk, "accept"]),
        {"reason": ""},
        follow=True,
    )
    assert "已同意入库" in " ".join(messages_of(response))
    membership = PoolMembership.objects.get(enterprise=enterprise)
    assert membership.status == MembershipStatus.ACTIVE

    login(client, enterprise_user)
    assert "正在培育中" in client.get(reverse("cultivation:home")).content.decode()


def test_application_without_declaration_keeps_the_input_and_writes_nothing(  # type: ignore[no-untyped-def]
    client, enterprise, enterprise_user
):
    login(client, enterprise_user)
    response = client.post(
        reverse("cultivation:application_create"), {"intention": "我的意愿文字", "plan": "我的计划文字"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "请确认企业依法设立、守法经营的声明" in page
    assert "我的意愿文字" in page and "我的计划文字" in page
    assert not PoolApplication.objects.exists()


def test_district_applies_for_one_of_its_enterprises_by_credit_code(  # type: ignore[no-untyped-def]
    client, district_user, other_enterprise, jiangjin_enterprise
):
    login(client, district_user)
    form = {"intention": "意愿", "plan": "计划", "lawful_declaration": "on"}
    response = client.post(
        reverse("cultivation:application_create"), {**form, "credit_code": jiangjin_enterprise.credit_code}
    )
    assert "本区县没有登记该统一社会信用代码的企业" in response.content.decode()
    assert not PoolApplication.objects.exists()
    client.post(
        reverse("cultivation:application_create"), {**form, "credit_code": other_enterprise.credit_code}
    )
    assert PoolApplication.objects.get().enterprise == other_enterprise


def test_rejecting_an_application_needs_a_reason(client, district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, district_user)
    application = yuzhong_world["application"]
    url = reverse("cultivation:application_decide", args=[application.pk, "reject"])
    response = client.post(url, {"reason": "  "}, follow=True)
    assert "驳回入库申请时必须填写原因" in " ".join(messages_of(response))
    assert PoolApplication.objects.get(pk=application.pk).status == ApplicationStatus.PENDING
    client.post(url, {"reason": "创建计划过于笼统"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.decision_reason == "创建计划过于笼统"


# --- members --------------------------------------------------------------------------------------


def test_district_records_supervision_and_the_flags_show_the_date(client, district_user, member):  # type: ignore[no-untyped-def]
    login(client, district_user)
    url = reverse("cultivation:member_action", args=[member.pk, "supervision"])
    response = client.post(
        url, {"kind": "energy_inspection", "date": "2025-04-02", "note": "现场检查"}, follow=True
    )
    assert "已登记监管与服务记录" in " ".join(messages_of(response))
    page = response.content.decode()
    assert "自 2025-04-02" in page and "现场检查" in page
    assert SupervisionRecord.objects.filter(membership=member).count() == 1


def test_supervision_in_the_future_is_refused_with_the_input_kept(client, district_user, member):  # type: ignore[no-untyped-def]
    login(client, district_user)
    url = reverse("cultivation:member_action", args=[member.pk, "supervision"])
    response = client.post(url, {"kind": "assessment", "date": "2999-01-01", "note": "未来的记录"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "日期不能晚于今天" in page and "未来的记录" in page
    assert not SupervisionRecord.objects.exists()


def test_exit_needs_a_reason_and_then_ends_membership(client, district_user, member):  # type: ignore[no-untyped-def]
    login(client, district_user)
    url = reverse("cultivation:member_action", args=[member.pk, "exit"])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert PoolMembership.objects.get(pk=member.pk).status == MembershipStatus.ACTIVE
    client.post(url, {"reason": "企业自愿退出"})
    member.refresh_from_db()
    assert member.status == MembershipStatus.EXITED and member.exit_reason == "企业自愿退出"


def test_member_page_explains_the_level_in_chinese_with_the_standard_version(  # type: ignore[no-untyped-def]
    client, district_user, b_member
):
    login(client, district_user)
    page = client.get(reverse("cultivation:member_detail", args=[b_member.pk])).content.decode()
    assert "按标准判定为：达到B级条件" in page
    assert "渝中区 CQ-CULT-2024 v1" in page
    assert "申请B级认定" in page


def test_member_list_filters_by_level(client, district_user, b_member, other_enterprise):  # type: ignore[no-untyped-def]
    from tests.cultivation.conftest import join

    join(other_enterprise, district_user, district_user)
    login(client, district_user)
    page = client.get(reverse("cultivation:member_list"), {"level": Level.B_ELIGIBLE}).content.decode()
    assert b_member.enterprise.name in page and other_enterprise.name not in page
    page = client.get(reverse("cultivation:member_list"), {"sort": "-enterprise"}).content.decode()
    assert b_member.enterprise.name in page and other_enterprise.name in page


# --- B certification (Art. 11(1)) -----------------------------------------------------------------


def test_b_certification_from_application_to_certificate(client, enterprise_user, district_user, b_member):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    assert "申请B级认定" in client.get(reverse("cultivation:home")).content.decode()
    response = client.post(reverse("cultivation:certification_apply"), {"year": 2025}, follow=True)
    certification = BCertification.objects.get(membership=b_member)
    assert certification.status == CertificationStatus.APPLIED
    assert response.redirect_chain[-1][0] == reverse(
        "cultivation:certification_detail", args=[certification.pk]
    )

    login(client, district_user)
    page = client.get(reverse("cultivation:certification_detail", args=[certification.pk])).content.decode()
    assert "认定为区县级绿色工厂" in page and "用地集约化" in page
    client.post(
        reverse("cultivation:certification_decide", args=[certification.pk, "certify"]),
        {"reason": "材料齐全"},
    )
    certification.refresh_from_db()
    assert certification.status == CertificationStatus.CERTIFIED and certification.certificate_no

    login(client, enterprise_user)
    certificate = client.get(reverse("cultivation:certificate", args=[certification.pk])).content.decode()
    for text in (
        "区县级绿色工厂",
        certification.certificate_no,
        "认定日期",
        "依据等级年度",
        "认定单位",
        "2025年度",
    ):
        assert text in certificate
    # The print layout lives in the stylesheet the page links (no inline style under the CSP).
    assert 'class="certificate"' in certificate and "css/app.css" in certificate
    stylesheet = Path(finders.find("css/app.css")).read_text(encoding="utf-8")
    assert re.search(r"@media print\s*\{[^@]*\.certificate\s*\{", stylesheet)
    recommended = login(client, district_user).get(reverse("cultivation:recommended")).content.decode()
    assert certification.certificate_no in recommended


def test_certification_is_refused_with_the_named_gaps_when_not_b_eligible(  # type: ignore[no-untyped-def]
    client, enterprise_user, district_user, benchmark, member, django_capture_on_commit_callbacks
):
    supervise(member, district_user, kinds=("energy_inspection", "assessment", "improvement_path"))
    approved_submission(member.enterprise, 2025, poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    login(client, enterprise_user)
    page = client.get(reverse("cultivation:certification_apply")).content.decode()
    assert "尚未达到B级条件" in page and "低于50" in page
    response = client.post(reverse("cultivation:certification_apply"), {"year": 2025})
    assert response.status_code == 400
    assert "尚未达到B级条件" in " ".join(messages_of(response))
    assert not BCertification.objects.exists()


def test_certificate_page_is_only_for_a_held_certification(client, district_user, b_member, enterprise_user):  # type: ignore[no-untyped-def]
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    login(client, district_user)
    assert client.get(reverse("cultivation:certificate", args=[certification.pk])).status_code == 404


def test_district_confirms_the_loss_of_a_b_title_after_the_level_fell(  # type: ignore[no-untyped-def]
    client, district_user, certified, django_capture_on_commit_callbacks
):
    from reporting.models import AnnualSubmission

    AnnualSubmission.objects.filter(enterprise=certified.membership.enterprise, year=2025).update(
        raw_values=poor_raw()
    )
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    certified.refresh_from_db()
    assert certified.status == CertificationStatus.UNDER_REVIEW
    login(client, district_user)
    page = client.get(reverse("cultivation:certification_detail", args=[certified.pk])).content.decode()
    assert "确认取消认定" in page and "保留认定" in page
    url = reverse("cultivation:certification_decide", args=[certified.pk, "confirm_loss"])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "取消认定时必须填写原因" in " ".join(messages_of(response))
    assert BCertification.objects.get(pk=certified.pk).status == CertificationStatus.UNDER_REVIEW
    client.post(url, {"reason": "2025年度降为D级"})
    certified.refresh_from_db()
    assert certified.status == CertificationStatus.LOST and certified.end_reason == "2025年度降为D级"
    assert client.get(reverse("cultivation:certificate", args=[certified.pk])).status_code == 404


# --- irregular reviews (Art. 12) ------------------------------------------------------------------


def test_a_falsification_review_lowers_the_level_and_withdraws_b(client, city_user, certified):  # type: ignore[no-untyped-def]
    member = certified.membership
    login(client, city_user)
    client.post(
        reverse("cultivation:member_action", args=[member.pk, "review"]), {"scope_note": "核查2025年能耗数据"}
    )
    review = IrregularReview.objects.get(membership=member)
    page = client.get(reverse("cultivation:review_detail", args=[review.pk])).content.decode()
    assert "降一级" in page and "撤回" in page
    response = client.post(
        reverse("cultivation:review_detail", args=[review.pk]),
        {"findings": "能耗数据与电费单不符", "falsification": "on"},
        follow=True,
    )
    assert "由达到B级条件降为C级" in " ".join(messages_of(response))
    decision = LevelDecision.objects.get(membership=member, year=2025)
    assert decision.level == Level.C and decision.review_downgraded
    assert BCertification.objects.get(pk=certified.pk).status == CertificationStatus.WITHDRAWN
    member_page = client.get(reverse("cultivation:member_detail", args=[member.pk])).content.decode()
    assert "经不定期复核发现弄虚作假，由达到B级条件降为C级" in member_page


def test_closing_a_review_needs_findings(client, district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, district_user)
    review = yuzhong_world["review"]
    response = client.post(reverse("cultivation:review_detail", args=[review.pk]), {"findings": ""})
    assert response.status_code == 400
    assert IrregularReview.objects.get(pk=review.pk).status == "open"


# --- levels ---------------------------------------------------------------------------------------


def test_level_job_page_shows_progress_json(  # type: ignore[no-untyped-def]
    client, district_user, b_member, django_capture_on_commit_callbacks
):
    login(client, district_user)
    response = client.post(reverse("cultivation:level_job_start"), {"year": 2024})
    job = LevelJob.objects.filter(year=2024).get()
    assert response["Location"] == reverse("cultivation:level_job_detail", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert f'data-progress-url="{reverse("cultivation:level_job_progress", args=[job.pk])}"' in page
    progress = client.get(reverse("cultivation:level_job_progress", args=[job.pk]))
    assert progress["Cache-Control"] == "no-store"
    assert json.loads(progress.content)["status"] == "queued"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cultivation:level_job_start"), {"year": 2025})
    done = LevelJob.objects.filter(year=2025).order_by("-pk").first()
    data = json.loads(client.get(reverse("cultivation:level_job_progress", args=[done.pk])).content)
    assert data["status"] == "succeeded" and data["progress"] == 100
    assert data["counts"][Level.B_ELIGIBLE] == 1 and data["total"] == 1


def test_a_second_job_for_the_same_year_is_refused_with_a_message(client, district_user, member):  # type: ignore[no-untyped-def]
    login(client, district_user)
    client.post(reverse("cultivation:level_job_start"), {"year": 2025})
    response = client.post(reverse("cultivation:level_job_start"), {"year": 2025}, follow=True)
    assert "正在计算中" in " ".join(messages_of(response))
    assert LevelJob.objects.count() == 1


def test_level_list_shows_the_standard_version_of_each_decision(client, city_user, b_member):  # type: ignore[no-untyped-def]
    login(client, city_user)
    page = client.get(
        reverse("cultivation:level_list"), {"year": 2025, "level": "B_eligible"}
    ).content.decode()
    assert b_member.enterprise.name in page and "CQ-CULT-2024 v1" in page


# --- standard -------------------------------------------------------------------------------------


def test_district_creates_a_new_standard_version_with_a_note(client, district_user, yuzhong):  # type: ignore[no-untyped-def]
    login(client, district_user)
    url = reverse("cultivation:standard_detail", args=[yuzhong.pk])
    data = {"b_dimension_min": 45, "b_level_min": 55, "c_level_min": 10, "note": ""}
    assert client.post(url, data).status_code == 400
    response = client.post(url, {**data, "note": "结合本区产业结构调整"}, follow=True)
    assert "已建立分级标准第2版" in " ".join(messages_of(response))
    standard = DistrictStandard.objects.get(district=yuzhong, version=2)
    assert standard.parameters["b_level_min"] == 55
    assert "市级模板" in response.content.decode()


# --- district reports (Art. 12) -------------------------------------------------------------------


def test_report_generate_submit_return_resubmit_acknowledge(client, district_user, city_user, member):  # type: ignore[no-untyped-def]
    login(client, district_user)
    response = client.post(reverse("cultivation:report_generate"), {"year": 2025}, follow=True)
    report = DistrictReport.objects.get(district=district_user.district, year=2025)
    assert "年末在库企业数" in response.content.decode()
    submit = reverse("cultivation:report_action", args=[report.pk, "submit"])
    response = client.post(submit, {"narrative": ""}, follow=True)
    assert "报送前请填写本年度培育工作情况" in " ".join(messages_of(response))
    client.post(submit, {"narrative": "全年新增入库1家。"})
    assert DistrictReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED

    login(client, city_user)
    missing = client.get(reverse("cultivation:report_list"), {"missing_year": 2025}).content.decode()
    assert "未报送" in missing
    back = reverse("cultivation:report_action", args=[report.pk, "return"])
    response = client.post(back, {"reason": ""}, follow=True)
    assert "退回报告时必须填写原因" in " ".join(messages_of(response))
    client.post(back, {"reason": "请补充监管服务情况"})
    assert DistrictReport.objects.get(pk=report.pk).status == ReportStatus.RETURNED

    login(client, district_user)
    page = client.get(reverse("cultivation:report_detail", args=[report.pk])).content.decode()
    assert "请补充监管服务情况" in page
    client.post(submit, {"narrative": "全年新增入库1家，开展节能监察1次。"})
    assert DistrictReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED

    login(client, city_user)
    client.post(reverse("cultivation:report_action", args=[report.pk, "acknowledge"]), {"reason": "已阅"})
    report.refresh_from_db()
    assert report.status == ReportStatus.ACKNOWLEDGED and report.decision_comment == "已阅"


def test_city_sees_which_districts_have_not_reported(client, city_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, city_user)
    page = client.get(reverse("cultivation:report_list"), {"missing_year": 2025}).content.decode()
    section = page.split('id="missing"')[1].split("</section>")[0]
    assert "渝中区" in section and "（草稿）" in section


# --- cockpit and home steps -----------------------------------------------------------------------


def test_cockpit_funnel_numbers_match_the_data(  # type: ignore[no-untyped-def]
    client, district_user, city_user, certified, other_enterprise, django_capture_on_commit_callbacks
):
    from tests.cultivation.conftest import join

    # A second member with data but no supervision: D for 2025.
    second = join(other_enterprise, district_user, district_user)
    approved_submission(second.enterprise, 2025, poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    levels = dict(LevelDecision.objects.filter(year=2025).values_list("enterprise_id", "level"))
    assert sorted(levels.values()) == [Level.B_ELIGIBLE, Level.D]

    for user in (district_user, city_user):
        login(client, user)
        response = client.get(reverse("cultivation:home"))
        context = response.context
        assert context["year"] == 2025
        assert context["counts"] == {Level.B_ELIGIBLE: 1, Level.C: 0, Level.D: 1}
        assert context["certified"] == 1 and context["total"] == 2
        page = response.content.decode()
        assert 'data-kpi="D">1<' in page and 'data-kpi="certified">1<' in page
        assert "漏斗图。已评定等级（D级及以上） 2；C级及以上 1" in page
    login(client, city_user)
    other = client.get(reverse("cultivation:home"), {"district": "500116"})
    assert other.context["total"] == 0


def test_district_home_lists_pending_pool_work(client, district_user, yuzhong_world):  # type: ignore[no-untyped-def]
    login(client, district_user)
    page = client.get(reverse("home")).content.decode()
    assert "入库申请待审核" in page


def test_enterprise_home_shows_its_pool_level(client, enterprise_user, b_member):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    assert "2025年度培育等级：达到B级条件" in client.get(reverse("home")).content.decode()


# --- forms that would be refused are not offered ----------------------------------------------------


def test_a_green_factory_is_told_before_filling_in_that_it_cannot_join_the_pool(  # type: ignore[no-untyped-def]
    client, enterprise, enterprise_user
):
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise, tier="city")
    login(client, enterprise_user)
    html = client.get(reverse("cultivation:application_create")).content.decode()
    assert "暂不能申请入库" in html and "属于绿色工厂序列" in html
    assert 'name="intention"' not in html
    listing = client.get(reverse("cultivation:application_list")).content.decode()
    assert reverse("cultivation:application_create") not in listing
    home = client.get(reverse("home")).content.decode()
    assert "自愿入库" not in home


def test_a_member_is_not_offered_the_join_form(client, member, enterprise_user):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    html = client.get(reverse("cultivation:application_create")).content.decode()
    assert "该企业已在培育库中，无需再次申请。" in html and 'name="intention"' not in html


def test_an_enterprise_that_may_apply_still_gets_the_form(client, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    html = client.get(reverse("cultivation:application_create")).content.decode()
    assert 'name="intention"' in html and "暂不能申请入库" not in html


def test_a_certified_member_is_not_offered_the_b_form_again(client, certified, enterprise_user):  # type: ignore[no-untyped-def]
    login(client, enterprise_user)
    html = client.get(reverse("cultivation:certification_apply")).content.decode()
    assert "本企业已有一项B级认定" in html
    assert "提交B级认定申请" not in html


def test_cancelling_a_b_title_asks_for_confirmation_and_the_page_keeps_both_decisions(  # type: ignore[no-untyped-def]
    client, certified, district_user, django_capture_on_commit_callbacks
):
    from tests.cultivation.test_certification import _worsen_and_recompute

    _worsen_and_recompute(certified.membership, district_user, django_capture_on_commit_callbacks)
    login(client, district_user)
    url = reverse("cultivation:certification_detail", args=[certified.pk])
    html = client.get(url).content.decode()
    form = html.split("confirm_loss", 1)[1].split("</form>", 1)[0]
    assert "data-confirm=" in form
    client.post(
        reverse("cultivation:certification_decide", args=[certified.pk, "confirm_loss"]),
        {"reason": "绿色化水平明显下降"},
    )
    page = client.get(url).content.decode()
    assert "等级下降后的复核" in page and "绿色化水平明显下降" in page
    assert "材料齐全" in page  # the certification decision is still there


def test_the_level_job_offers_only_years_open_for_reporting(client, district_user, city_user):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    from reporting.services import reporting_year_open

    login(client, district_user)
    start = 'action="' + reverse("cultivation:level_job_start")
    empty = (
        client.get(reverse("cultivation:level_list")).content.decode().split(start, 1)[1].split("</form>")[0]
    )
    assert "尚未开放任何年度的数据填报" in empty and "<option" not in empty
    today = timezone.localdate()
    reporting_year_open(actor=city_user, year=2025, opens_on=today, closes_on=today + dt.timedelta(days=30))
    html = client.get(reverse("cultivation:level_list")).content.decode()
    form = html.split(start, 1)[1].split("</form>", 1)[0]
    assert re.findall(r'<option value="(\d+)"', form) == ["2025"]
