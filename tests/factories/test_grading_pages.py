"""HTML pages of grading: runs, publication, standards, grades, explanation cards, recommendations,
incidents and revocation decisions, per persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from factories.grading import services as services
from factories.models import (
    GradingResult,
    GradingRun,
    GradingStandard,
    GreenFactory,
    Incident,
    ProposalStatus,
    RevocationProposal,
)
from tests.helpers import cold_cache, notice, notice_elapsed
from tests.model_factories import UserFactory, final_run

pytestmark = pytest.mark.django_db

RUNS = reverse("factories:run_list")
START = reverse("factories:run_start")
GRADES = reverse("factories:grade_list")
MY_GRADES = reverse("factories:my_grades")
RECOMMENDATIONS = reverse("factories:recommendation_list")
INCIDENTS = reverse("factories:incident_list")
NEW_INCIDENT = reverse("factories:incident_create")
STANDARDS = reverse("factories:standard_list")


def run_url(run: GradingRun, name: str = "run_detail") -> str:
    return reverse(f"factories:{name}", args=[run.pk])


def explanation_url(result: GradingResult) -> str:
    return reverse("factories:explanation", args=[result.pk])


def page(client, user, url: str, **params) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def years(db):  # type: ignore[no-untyped-def]
    from reporting.models import ReportingYear

    for year in (2024, 2025):
        ReportingYear.objects.get_or_create(
            year=year, defaults={"opens_on": dt.date(year + 1, 1, 1), "closes_on": dt.date(year + 1, 3, 31)}
        )


@pytest.fixture
def graded(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    return run


@pytest.fixture
def published(graded, city_user):  # type: ignore[no-untyped-def]
    return services.grading_run_publish(actor=city_user, run=graded, **notice())


@pytest.fixture
def factory_user(graded_world):  # type: ignore[no-untyped-def]
    return UserFactory(username="gina", role="enterprise", enterprise=graded_world[0])


@pytest.fixture
def draft_standard(city_user):  # type: ignore[no-untyped-def]
    base = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    weights = {**base.parameters["weights"], "energy": 60.0}
    return services.grading_standard_new_version(
        actor=city_user,
        base=base,
        parameters={**base.parameters, "weights": weights},
        note="能源低碳化权重提高到 60",
    )


@pytest.fixture
def revoking_run(graded_world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    services.incident_record(
        actor=city_user,
        enterprise=graded_world[1],
        kind="environmental",
        severity="major",
        occurred_on=dt.date(2025, 8, 1),
        description="重大环境污染事故",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    return run


# --- runs -----------------------------------------------------------------------------------------


def test_a_city_user_starts_a_run_from_the_page_and_sees_its_results(
    client, city_user, graded_world, years, django_capture_on_commit_callbacks
):
    html = page(client, city_user, RUNS)
    assert "开始评价" in html and 'value="2025"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"year": "2025", "note": "年度评价"})
    run = GradingRun.objects.get()
    assert response.status_code == 302 and response.url == run_url(run)
    html = page(client, city_user, run_url(run))
    assert "计算完成（草稿）" in html
    assert "已提交2025年度评价" in html and "自动刷新" not in html  # the finished run promises no refresh
    assert graded_world[0].name in html and graded_world[7].name in html
    assert "首年认定评为A" in html  # graded_world[7] was recognised in 2025 (Art. 7)
    assert "<svg" in html and "各等级工厂数" in html
    assert "发布公示" in html


def test_a_simulation_without_a_draft_uses_the_adopted_standard(
    client, city_user, graded_world, years, django_capture_on_commit_callbacks
):
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"year": "2025", "simulation": "on"})
    run = GradingRun.objects.get()
    assert response.status_code == 302 and run.is_simulation
    assert run.standard == services.standard_in_force(2025)
    assert "预评价/模拟，不可发布" in page(client, city_user, run_url(run))


def test_the_progress_endpoint_answers_json_for_the_poller(client, city_user, graded):
    client.force_login(city_user)
    data = client.get(run_url(graded, "run_progress")).json()
    assert data == {"status": "succeeded", "progress": 100, "done": 8, "total": 8, "message": "计算完成。"}
    html = page(client, city_user, run_url(graded))
    assert "data-progress-url" not in html  # a finished run has nothing to poll


def test_a_running_run_shows_a_polling_progress_bar(client, city_user, graded_world):
    run = GradingRun.objects.create(
        year=2025,
        standard=GradingStandard.objects.get(code="CQ-GF-2024", version=1),
        status="running",
        total=8,
        done=3,
        phase="writing",
        started_by=city_user,
    )
    html = page(client, city_user, run_url(run))
    assert f'data-progress-url="{run_url(run, "run_progress")}"' in html
    assert 'class="progress"' in html and "37%" in html and "正在保存每家工厂的结果" in html
    assert "没有提出撤销建议" not in html and "评价计算完成后，这里将列出" in html
    data = client.get(run_url(run, "run_progress")).json()
    assert data["status"] == "running" and data["progress"] == 37 and (data["done"], data["total"]) == (3, 8)


def test_a_failed_run_shows_why_and_the_city_reruns_it(
    client, city_user, graded_world, django_capture_on_commit_callbacks
):
    run = GradingRun.objects.create(
        year=2025,
        standard=GradingStandard.objects.get(code="CQ-GF-2024", version=1),
        status="failed",
        error="ValueError: 参数错误",
        started_by=city_user,
    )
    html = page(client, city_user, run_url(run))
    assert "ValueError: 参数错误" in html and "重新运行" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(run_url(run, "run_retry"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "succeeded" and run.results.count() == 8


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user", "factory_user"])
def test_district_and_enterprise_users_get_403_on_run_pages(client, persona, request, graded):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(RUNS).status_code == 403
    assert client.get(run_url(graded)).status_code == 403
    assert client.get(run_url(graded, "run_progress")).status_code == 403
    assert client.post(START, {"year": "2025"}).status_code == 403
    assert client.post(run_url(graded, "run_publish"), notice()).status_code == 403
    assert client.get(INCIDENTS).status_code == 403


def test_auditors_read_runs_but_see_no_buttons_and_cannot_publish(client, auditor, graded):
    html = page(client, auditor, run_url(graded))
    assert "评价结果" in html and "发布公示" not in html and "开始评价" not in page(client, auditor, RUNS)
    response = client.post(run_url(graded, "run_publish"), notice())
    assert response.status_code == 403


def test_results_filter_by_district_and_sort_by_composite(client, city_user, graded, jiangjin):
    html = page(client, city_user, run_url(graded), district=jiangjin.code)
    names = [r.enterprise.name for r in graded.results.select_related("enterprise")]
    assert sum(name in html for name in names) == 3
    page(client, city_user, run_url(graded), sort="c")
    ordered = client.get(run_url(graded), {"sort": "-c"}).context["results"]
    scores = [r.composite_score for r in ordered]
    assert scores == sorted(scores, reverse=True)


def test_the_city_publishes_and_finalizes_from_the_page(
    client, city_user, graded, graded_world, factory_user
):
    client.force_login(city_user)
    response = client.post(run_url(graded, "run_publish"), notice(), follow=True)
    graded.refresh_from_db()
    assert graded.status == "published" and graded.notice_to == notice()["notice_to"]
    assert any("已发布公示" in t for t in texts(response))
    html = response.content.decode()
    # While the notice runs, the page offers no finalisation and a forced POST is refused.
    assert run_url(graded, "run_finalize") not in html and run_url(graded, "run_publish") not in html
    assert "（含当日）结束" in html
    response = client.post(run_url(graded, "run_finalize"), follow=True)
    graded.refresh_from_db()
    assert graded.status == "published" and any("公示期满后" in t for t in texts(response))
    notice_elapsed(graded)
    html = page(client, city_user, run_url(graded))
    assert run_url(graded, "run_finalize") in html
    response = client.post(run_url(graded, "run_finalize"), follow=True)
    graded.refresh_from_db()
    assert graded.status == "final"
    assert "已正式发布" in response.content.decode()


def test_publishing_with_the_end_before_the_start_is_refused_with_the_reason(client, city_user, graded):
    client.force_login(city_user)
    period = notice()
    response = client.post(
        run_url(graded, "run_publish"),
        {"notice_from": period["notice_to"], "notice_to": period["notice_from"]},
        follow=True,
    )
    graded.refresh_from_db()
    assert graded.status == "succeeded"
    assert "公示结束日期不能早于开始日期。" in texts(response)


def test_a_rerun_shows_who_moved_and_why(
    client, city_user, published, graded_world, django_capture_on_commit_callbacks
):
    target = next(r for r in published.results.select_related("enterprise") if r.grade != "A")
    Incident.objects.create(
        enterprise_id=target.enterprise_id,
        kind="safety",
        severity="large",
        occurred_on=dt.date(2025, 5, 1),
        description="较大安全事故",
        recorded_by=city_user,
    )
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.grading_run_start(actor=city_user, year=2025)
    html = page(client, city_user, run_url(rerun))
    assert f"与已公示的评价 #{published.pk} 相比" in html
    assert "1 家工厂的等级发生变化" in html and target.enterprise.name in html
    assert "发生较大安全事故，等级由" in html


def test_a_simulation_shows_moves_by_district_and_industry_and_no_publish_button(
    client, city_user, published, draft_standard, years, django_capture_on_commit_callbacks
):
    client.force_login(city_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"year": "2025", "simulation": "on", "standard": draft_standard.pk})
    simulation = GradingRun.objects.get(is_simulation=True)
    assert response.url == run_url(simulation)
    html = page(client, city_user, run_url(simulation))
    assert "预评价/模拟，不可发布" in html
    assert "按管理单位" in html and "按行业" in html and "36 汽车制造业" in html
    assert 'action="' + run_url(simulation, "run_publish") not in html
    assert client.post(run_url(simulation, "run_publish"), notice()).status_code == 302
    simulation.refresh_from_db()
    assert simulation.status == "succeeded"


# --- revocation -------------------------------------------------------------------------------------


def test_the_recorder_of_the_incident_cannot_confirm_the_revocation(
    client, city_user, revoking_run, graded_world
):
    proposal = RevocationProposal.objects.get(run=revoking_run)
    html = page(client, city_user, run_url(revoking_run))
    assert "须由另一名市级工作人员确认" in html and graded_world[1].name in html
    response = client.post(reverse("factories:proposal_confirm", args=[proposal.pk]), follow=True)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED
    assert any("另一名市级工作人员确认" in t for t in texts(response))
    assert GreenFactory.objects.get(enterprise=graded_world[1]).status == "active"


def test_a_run_s_revocation_cannot_be_confirmed_before_the_run_is_final(
    client, second_city_user, revoking_run, graded_world
):
    proposal = RevocationProposal.objects.get(run=revoking_run)
    html = page(client, second_city_user, run_url(revoking_run))
    assert "评价结果尚未正式发布，不能确认撤销" in html
    response = client.post(
        reverse("factories:proposal_confirm", args=[proposal.pk]), {"note": "复核属实"}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED
    assert any("评价结果尚未正式发布，不能确认撤销" in t for t in texts(response))
    assert GreenFactory.objects.get(enterprise=graded_world[1]).status == "active"


def test_a_second_city_user_confirms_the_revocation_of_a_final_run(
    client, city_user, second_city_user, revoking_run, graded_world
):
    final_run(revoking_run, city_user)
    proposal = RevocationProposal.objects.get(run=revoking_run)
    client.force_login(second_city_user)
    response = client.post(
        reverse("factories:proposal_confirm", args=[proposal.pk]), {"note": "复核属实"}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.CONFIRMED and proposal.decided_by == second_city_user
    assert GreenFactory.objects.get(enterprise=graded_world[1]).status == "revoked"
    assert any("已确认撤销" in t for t in texts(response))


def test_dismissing_a_revocation_needs_a_reason(client, second_city_user, revoking_run):
    proposal = RevocationProposal.objects.get(run=revoking_run)
    client.force_login(second_city_user)
    response = client.post(
        reverse("factories:proposal_dismiss", args=[proposal.pk]), {"note": " "}, follow=True
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PROPOSED
    assert "不予撤销时必须说明理由。" in texts(response)
    client.post(reverse("factories:proposal_dismiss", args=[proposal.pk]), {"note": "事故已定性为一般"})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED


def test_district_users_cannot_decide_revocations(client, district_user, revoking_run):
    proposal = RevocationProposal.objects.get(run=revoking_run)
    client.force_login(district_user)
    assert client.post(reverse("factories:proposal_confirm", args=[proposal.pk])).status_code == 403


# --- published grades and explanation cards ----------------------------------------------------------


def test_the_explanation_card_shows_the_own_numbers_and_a_radar(
    client, factory_user, published, graded_world
):
    own = published.results.get(enterprise=graded_world[0])
    html = page(client, factory_user, explanation_url(own))
    assert f"{own.composite_score:.2f}" in html and f"{own.level_score:.2f}" in html
    assert f"{own.improvement_score:.2f}" in html
    assert "<svg" in html and "各维度得分" in html
    assert "能源低碳化" in html and "LI-01" in html and "百分位" in html
    assert "同行业：36 汽车制造业" in html and "8 家" in html
    assert (
        "CQ-GF-2024 v1" in html and reverse("factories:standard_detail", args=[published.standard_id]) in html
    )
    assert "距离上一档" in html
    others = [
        r for r in published.results.select_related("enterprise") if r.enterprise_id != graded_world[0].pk
    ]
    assert not any(r.enterprise.name in html for r in others)


def test_the_explanation_card_in_english_shows_english_units(client, factory_user, published, graded_world):
    own = published.results.get(enterprise=graded_world[0])
    client.force_login(factory_user)
    client.post("/i18n/setlang/", {"language": "en"})
    html = client.get(explanation_url(own)).content.decode()
    assert "t/10k yuan" in html and "t/万元" not in html and "万元" not in html


def test_another_factorys_card_is_404_for_an_enterprise_user(client, factory_user, published, graded_world):
    other = published.results.get(enterprise=graded_world[1])
    client.force_login(factory_user)
    assert client.get(explanation_url(other)).status_code == 404


def test_a_district_user_sees_cards_of_its_own_unit_only(client, district_user, published, graded_world):
    client.force_login(district_user)
    assert client.get(explanation_url(published.results.get(enterprise=graded_world[0]))).status_code == 200
    assert client.get(explanation_url(published.results.get(enterprise=graded_world[6]))).status_code == 404


def test_draft_results_have_no_explanation_card(client, city_user, graded, graded_world):
    client.force_login(city_user)
    assert client.get(explanation_url(graded.results.get(enterprise=graded_world[0]))).status_code == 404


def test_published_grades_are_scoped_and_filterable(
    client, city_user, district_user, published, graded_world, jiangjin
):
    html = page(client, city_user, GRADES)
    assert all(e.name in html for e in graded_world) and "等级分布" in html
    html = page(client, city_user, GRADES, district=jiangjin.code)
    assert sum(e.name in html for e in graded_world) == 3
    html = page(client, district_user, GRADES)
    assert sum(e.name in html for e in graded_world) == 5


def test_an_enterprise_user_sees_its_own_grades_under_my_grades(
    client, factory_user, published, graded_world
):
    html = page(client, factory_user, MY_GRADES)
    own = published.results.get(enterprise=graded_world[0])
    assert "我的等级" in html and f"grade-{own.grade}" in html and explanation_url(own) in html
    assert graded_world[1].name not in html
    assert "我的等级" in page(client, factory_user, GRADES)


def test_my_grades_sends_staff_to_the_grade_list(client, city_user, published):
    client.force_login(city_user)
    assert client.get(MY_GRADES).url == GRADES


def test_nothing_is_shown_before_publication(client, factory_user, graded):
    assert "暂无已发布的等级" in page(client, factory_user, MY_GRADES)


# --- recommendations ---------------------------------------------------------------------------------


def test_recommendations_list_city_factories_graded_aa_or_above(
    client, city_user, district_user, published, graded_world
):
    expected = set(
        published.results.filter(tier="city", grade__in=["AA", "AAA", "AAAA"]).values_list(
            "enterprise__name", flat=True
        )
    )
    assert expected
    html = page(client, city_user, RECOMMENDATIONS)
    assert {e.name for e in graded_world if e.name in html} == expected
    html = page(client, district_user, RECOMMENDATIONS)
    assert {e.name for e in graded_world if e.name in html} == {e.name for e in graded_world[:5]} & expected


def test_enterprise_users_have_no_recommendation_list(client, factory_user, published):
    client.force_login(factory_user)
    assert client.get(RECOMMENDATIONS).status_code == 403


# --- standards ---------------------------------------------------------------------------------------


def test_the_methodology_is_public_to_every_signed_in_user(client, factory_user):
    html = page(client, factory_user, STANDARDS)
    assert "CQ-GF-2024 v1" in html and "能源低碳化" in html and "AAAA" in html
    assert "基于此版本创建新版本" not in html
    standard = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    html = page(client, factory_user, reverse("factories:standard_detail", args=[standard.pk]))
    assert "0.7" in html and "领军" in html and "建议撤销称号" in html


def test_the_city_creates_edits_and_adopts_a_new_version(client, city_user):
    base = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    form = page(client, city_user, reverse("factories:standard_new_version", args=[base.pk]))
    assert 'name="weight_energy"' in form and 'name="q_below_AAAA"' in form
    data = {
        "name": base.name,
        "note": "提高 α",
        "alpha": "0.6",
        "min_peer": "5",
        "notice_days": "7",
        "weight_land": "10",
        "weight_materials": "10",
        "weight_clean": "20",
        "weight_waste": "30",
        "weight_energy": "30",
        "q_below_AAAA": "0.1",
        "c_min_AAAA": "80",
        "dimension_min_AAAA": "50",
        "q_below_AAA": "0.3",
        "c_min_AAA": "70",
        "dimension_min_AAA": "",
        "q_below_AA": "0.6",
        "c_min_AA": "55",
        "dimension_min_AA": "",
    }
    response = client.post(reverse("factories:standard_new_version", args=[base.pk]), data)
    draft = GradingStandard.objects.get(version=2)
    assert response.url == reverse("factories:standard_detail", args=[draft.pk])
    assert draft.status == "draft" and draft.parameters["alpha"] == 0.6
    client.post(reverse("factories:standard_edit", args=[draft.pk]), {**data, "weight_energy": "0"})
    draft.refresh_from_db()
    assert draft.parameters["weights"]["energy"] == 30.0  # refused: every weight must be positive
    client.post(reverse("factories:standard_edit", args=[draft.pk]), {**data, "min_peer": "4"})
    draft.refresh_from_db()
    assert draft.parameters["min_peer"] == 4
    client.post(reverse("factories:standard_edit", args=[draft.pk]), {**data, "notice_days": "10"})
    draft.refresh_from_db()
    assert draft.parameters["notice_days"] == 10
    assert "不少于 10 天（含首尾两日）" in page(
        client, city_user, reverse("factories:standard_detail", args=[draft.pk])
    )
    client.post(reverse("factories:standard_adopt", args=[draft.pk]), {"valid_from": "2027-01-01"})
    draft.refresh_from_db()
    assert draft.status == "adopted" and draft.valid_from == dt.date(2027, 1, 1)
    response = client.get(reverse("factories:standard_edit", args=[draft.pk]))
    assert response.status_code == 302


def test_only_the_city_changes_standards(client, auditor):
    base = GradingStandard.objects.get(code="CQ-GF-2024", version=1)
    client.force_login(auditor)
    assert client.get(reverse("factories:standard_new_version", args=[base.pk])).status_code == 403
    assert client.post(reverse("factories:standard_adopt", args=[base.pk]), {}).status_code == 403


# --- incidents ---------------------------------------------------------------------------------------


def incident_form(enterprise, **overrides):  # type: ignore[no-untyped-def]
    data = {
        "credit_code": enterprise.credit_code,
        "kind": "safety",
        "severity": "general",
        "occurred_on": "2025-06-01",
        "description": "车间一般安全事故，已整改",
    }
    data.update(overrides)
    return data


def test_the_city_records_an_incident_with_evidence(client, city_user, graded_world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(city_user)
    evidence = SimpleUploadedFile("调查报告.pdf", b"%PDF-1.7\n...", content_type="application/pdf")
    response = client.post(NEW_INCIDENT, incident_form(graded_world[2], evidence=evidence))
    assert response.status_code == 302 and response.url == INCIDENTS
    incident = Incident.objects.get()
    assert incident.enterprise == graded_world[2] and incident.evidence.name.endswith(".pdf")
    html = page(client, city_user, INCIDENTS)
    assert graded_world[2].name in html and "等级降一档" in html and "尚未评价" in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.exe", b"MZ\x90\x00", "证明材料只能是 PDF、JPG 或 PNG 文件"),
        ("report.docx", b"PK\x03\x04", "证明材料只能是 PDF、JPG 或 PNG 文件"),
        ("fake.pdf", b"<html>not a pdf</html>", "文件内容与扩展名不符"),
    ],
)
def test_evidence_of_another_file_type_is_refused(client, city_user, graded_world, name, content, message):
    client.force_login(city_user)
    upload = SimpleUploadedFile(name, content)
    response = client.post(NEW_INCIDENT, incident_form(graded_world[2], evidence=upload))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Incident.objects.exists()


def test_evidence_over_10_mb_is_refused(client, city_user, graded_world):
    client.force_login(city_user)
    upload = SimpleUploadedFile(
        "big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )
    response = client.post(NEW_INCIDENT, incident_form(graded_world[2], evidence=upload))
    assert "不能超过 10 MB" in response.content.decode()
    assert not Incident.objects.exists()


def test_an_incident_of_an_enterprise_that_is_no_green_factory_is_refused(client, city_user, enterprise):
    client.force_login(city_user)
    response = client.post(NEW_INCIDENT, incident_form(enterprise))
    assert "不是已认定的绿色工厂" in response.content.decode()


def test_the_incident_list_shows_the_revocation_it_led_to(client, auditor, revoking_run, graded_world):
    html = page(client, auditor, INCIDENTS)
    assert graded_world[1].name in html and "待确认" in html and "建议撤销称号" in html
    client.force_login(auditor)
    assert client.get(NEW_INCIDENT).status_code == 403


# --- home --------------------------------------------------------------------------------------------


def test_the_city_home_page_points_at_runs_and_pending_revocations(client, city_user, revoking_run):
    html = page(client, city_user, reverse("home"))
    assert "1 个评价结果待审核发布公示" in html and "撤销建议待确认" in html


def test_the_enterprise_home_page_shows_its_latest_grade(client, factory_user, published, graded_world):
    own = published.results.get(enterprise=graded_world[0])
    html = page(client, factory_user, reverse("home"))
    assert f"2025年度等级：{own.grade}（公示中）" in html and MY_GRADES in html


def test_the_run_page_reads_a_fixed_number_of_queries(
    client, city_user, published, django_assert_max_num_queries
):
    client.force_login(city_user)
    cold_cache()
    with django_assert_max_num_queries(15):
        assert client.get(run_url(published)).status_code == 200


def test_an_enterprise_that_is_not_a_green_factory_is_not_promised_a_grade(client, enterprise_user):
    """Only recognised green factories are graded AAAA–A; a pool enterprise was told its grade would come."""
    client.force_login(enterprise_user)
    html = client.get(reverse("factories:my_grades")).content.decode()
    assert "本企业不参加AAAA–A分级评价" in html and "发布公示后" not in html


def test_a_green_factory_without_a_published_grade_is_told_when_it_comes(client, enterprise_user):
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise_user.enterprise, tier="city")
    client.force_login(enterprise_user)
    html = client.get(reverse("factories:my_grades")).content.decode()
    assert "市经济信息委发布公示后" in html and "不参加AAAA–A分级评价" not in html
