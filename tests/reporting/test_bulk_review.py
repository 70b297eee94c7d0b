"""Bulk review on the district and city queues: each item its own audited step, refusals per item, ids
outside the scope reported as not found and never touched; 「下一条」 after a single review; the queue's export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from reporting import services
from reporting.models import AnnualSubmission, SubmissionTransition
from tests.model_factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(open_year, district_user, yuzhong, good_values):  # type: ignore[no-untyped-def]
    """Ten submitted items of 渝中, oldest first."""
    items = []
    for n in range(10):
        enterprise = EnterpriseFactory(name=f"重庆渝中批量测试{n:02d}有限公司", district=yuzhong)
        draft = services.submission_save_draft(
            actor=district_user, enterprise=enterprise, year=2025, values=good_values
        )
        items.append(services.submission_submit(actor=district_user, submission=draft))
    return items


@pytest.fixture
def jiangjin_submitted(open_year, other_district_user, jiangjin_enterprise, good_values):  # type: ignore[no-untyped-def]
    draft = services.submission_save_draft(
        actor=other_district_user, enterprise=jiangjin_enterprise, year=2025, values=good_values
    )
    return services.submission_submit(actor=other_district_user, submission=draft)


def _statuses(items):  # type: ignore[no-untyped-def]
    return list(
        AnnualSubmission.objects.filter(pk__in=[s.pk for s in items]).values_list("status", flat=True)
    )


def test_a_district_approves_ten_in_one_call_each_its_own_audited_transition(api, queue, district_user):
    response = api.as_user(district_user).post(
        reverse("api:submission-bulk-approve"), {"ids": [s.pk for s in queue]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["done"] == 10
    assert set(_statuses(queue)) == {"district_approved"}
    assert SubmissionTransition.objects.filter(action="approve", actor=district_user).count() == 10
    assert AuditEntry.objects.filter(action="submission.approve", actor=district_user).count() == 10


def test_refusals_are_reported_per_item_in_chinese_and_the_rest_is_done(api, queue, district_user):
    services.submission_approve(actor=district_user, submission=queue[3])
    response = api.as_user(district_user).post(
        reverse("api:submission-bulk-approve"), {"ids": [s.pk for s in queue[:5]]}, format="json"
    )
    body = response.json()
    assert (body["done"], body["refused"], body["not_found"]) == (4, 1, 0)
    refused = body["results"][3]
    assert refused["id"] == queue[3].pk and refused["status"] == "refused" and not refused["ok"]
    assert "无法区县审核通过" in refused["message"] and "区县已审核，待市级复核" in refused["message"]
    assert "district_approved" not in refused["message"]
    assert AuditEntry.objects.filter(action="submission.approve").count() == 5  # one each, none twice


def test_another_districts_ids_are_not_found_and_never_acted_on(
    api, queue, district_user, jiangjin_submitted
):
    response = api.as_user(district_user).post(
        reverse("api:submission-bulk-approve"), {"ids": [jiangjin_submitted.pk, queue[0].pk]}, format="json"
    )
    body = response.json()
    assert [(r["id"], r["status"]) for r in body["results"]] == [
        (jiangjin_submitted.pk, "not_found"),
        (queue[0].pk, "done"),
    ]
    assert body["results"][0]["name"] == ""  # nothing about the other unit's item is told
    jiangjin_submitted.refresh_from_db()
    assert jiangjin_submitted.status == "submitted"
    assert not AuditEntry.objects.filter(
        action="submission.approve", object_id=str(jiangjin_submitted.pk)
    ).exists()


def test_another_districts_submission_answers_404_one_by_one(client, district_user, jiangjin_submitted):
    client.force_login(district_user)
    url = reverse("reporting:submission_detail", args=[jiangjin_submitted.pk])
    assert client.get(url + "?queue=district").status_code == 404
    action = reverse("reporting:submission_action", args=[jiangjin_submitted.pk, "approve"])
    assert client.post(action, {"queue": "district"}).status_code == 404


def test_the_city_verifies_in_bulk_and_neither_role_may_take_the_others_step(
    api, queue, district_user, city_user
):
    for s in queue[:3]:
        services.submission_approve(actor=district_user, submission=s)
    ids = [s.pk for s in queue[:3]]
    assert (
        api.as_user(district_user)
        .post(reverse("api:submission-bulk-verify"), {"ids": ids}, format="json")
        .status_code
        == 403
    )
    assert (
        api.as_user(city_user)
        .post(reverse("api:submission-bulk-approve"), {"ids": ids}, format="json")
        .status_code
        == 403
    )
    response = api.as_user(city_user).post(reverse("api:submission-bulk-verify"), {"ids": ids}, format="json")
    assert response.json()["done"] == 3
    assert set(_statuses(queue[:3])) == {"city_verified"}


@pytest.mark.parametrize("ids", [[], list(range(1, 202)), ["x"], [2**63], ["99999999999999999999"]])
def test_an_empty_too_long_or_malformed_list_is_refused_whole(api, queue, district_user, ids):
    response = api.as_user(district_user).post(
        reverse("api:submission-bulk-approve"), {"ids": ids}, format="json"
    )
    assert response.status_code == 400
    assert set(_statuses(queue)) == {"submitted"}


def test_the_queue_page_approves_the_selected_and_shows_each_result(client, queue, district_user):
    client.force_login(district_user)
    page = client.get(reverse("reporting:district_queue"), {"year": 2025}).content.decode()
    assert "批量审核通过" in page and 'data-select-all="ids"' in page and "导出Excel" in page
    response = client.post(
        reverse("reporting:bulk_review", args=["approve"]),
        {"ids": [s.pk for s in queue[:2]] + ["999999"], "back": "year=2025"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "批量审核结果" in page and page.count("✓ 已审核通过") == 2 and "未找到" in page
    assert reverse("reporting:district_queue") + "?year=2025" in page
    assert _statuses(queue[:3]) == ["district_approved", "district_approved", "submitted"]


def test_the_bulk_page_refuses_a_role_without_the_step(client, queue, city_user, auditor):
    for user in (city_user, auditor):
        client.force_login(user)
        response = client.post(reverse("reporting:bulk_review", args=["approve"]), {"ids": [queue[0].pk]})
        assert response.status_code == 403
    assert _statuses(queue[:1]) == ["submitted"]


def test_after_a_single_approval_the_next_item_of_the_same_queue_opens(client, queue, district_user):
    client.force_login(district_user)
    detail = client.get(
        reverse("reporting:submission_detail", args=[queue[0].pk]), {"queue": "district", "year": 2025}
    )
    page = detail.content.decode()
    assert "下一条" in page and 'name="queue" value="district"' in page
    response = client.post(
        reverse("reporting:submission_action", args=[queue[0].pk, "approve"]),
        {"queue": "district", "year": "2025"},
    )
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("reporting:submission_detail", args=[queue[1].pk]) + "?queue=district&year=2025"
    )


def test_after_a_return_the_next_item_opens_and_after_the_last_the_item_stays(client, queue, district_user):
    client.force_login(district_user)
    response = client.post(
        reverse("reporting:submission_action", args=[queue[4].pk, "return"]),
        {"queue": "district", "reason": "补充能源数据"},
    )
    assert (
        response["Location"] == reverse("reporting:submission_detail", args=[queue[5].pk]) + "?queue=district"
    )
    for s in queue[:9]:
        if s.pk != queue[4].pk:
            services.submission_approve(actor=district_user, submission=s)
    response = client.post(
        reverse("reporting:submission_action", args=[queue[9].pk, "approve"]), {"queue": "district"}
    )
    assert (
        response["Location"] == reverse("reporting:submission_detail", args=[queue[9].pk]) + "?queue=district"
    )
    page = client.get(response["Location"]).content.decode()
    assert "队列中已没有其他待处理的数据。" in page and "区县已审核，待市级复核" in page
    assert reverse("reporting:district_queue") in page


def test_the_next_item_keeps_the_queues_search(client, queue, district_user):
    client.force_login(district_user)
    response = client.post(
        reverse("reporting:submission_action", args=[queue[0].pk, "approve"]),
        {"queue": "district", "q": "批量测试07"},
    )
    assert response["Location"].startswith(reverse("reporting:submission_detail", args=[queue[7].pk]))


def test_without_a_queue_a_review_step_returns_to_the_item(client, queue, district_user):
    client.force_login(district_user)
    response = client.post(reverse("reporting:submission_action", args=[queue[0].pk, "approve"]))
    assert response["Location"] == reverse("reporting:submission_detail", args=[queue[0].pk])


def test_the_queue_export_has_the_queues_rows_in_words(queue, district_user, jiangjin_submitted):
    from openpyxl import load_workbook

    from reporting import jobs

    job, _queued = jobs.export_request(actor=district_user, kind="review_queue", filters={"year": 2025})
    sheet = load_workbook(io.BytesIO(job.file.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    assert [r[1] for r in rows] == [s.enterprise.name for s in queue]
    assert {r[4] for r in rows} == {"已提交，待区县审核"}
    assert "待审核年度数据" in job.download_name


def test_the_city_queue_page_verifies_the_selected_and_reports_a_refusal(
    client, queue, district_user, city_user
):
    for s in queue[:3]:
        services.submission_approve(actor=district_user, submission=s)
    services.submission_verify(actor=city_user, submission=AnnualSubmission.objects.get(pk=queue[2].pk))
    client.force_login(city_user)
    page = client.get(reverse("reporting:city_queue")).content.decode()
    assert "批量复核通过" in page and reverse("reporting:bulk_review", args=["verify"]) in page
    response = client.post(
        reverse("reporting:bulk_review", args=["verify"]), {"ids": [s.pk for s in queue[:3]]}
    )
    page = response.content.decode()
    assert "批量复核结果" in page and page.count("✓ 已复核通过") == 2
    assert "无法市级复核通过" in page and "市级已复核（锁定）" in page
    assert _statuses(queue[:3]) == ["city_verified"] * 3
    assert AuditEntry.objects.filter(action="submission.verify").count() == 3  # one each, none twice
