"""The audit trail reads as sentences: actions in words, objects by name with links, actors with their unit,
Beijing time (also inside the changes), changes as 「label：old → new」; filters; demo entries hidden; an
Excel export with the same words; constant queries per page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts import audit, audit_trail
from accounts.models import AuditEntry
from reporting import jobs
from reporting.models import SubmissionStatus

pytestmark = pytest.mark.django_db

INTERNAL = re.compile(
    r"district_approved|city_verified|\bsubmitted\b|submission\.approve|reporting\.annualsubmission|"
    r"\{'|\[None|True|False|None|\+00:00|T\d\d:\d\d"
)


def _page(user, **params) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get("/accounts/audit/", params)
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_an_approval_reads_as_a_sentence_with_the_unit_beijing_time_and_status_words(
    approved, city_user, district_user
):
    district_user.first_name = "张三"
    district_user.save()
    entry = AuditEntry.objects.get(action="submission.approve")
    (line,) = audit_trail.lines([entry], viewer=city_user)
    local = dt.datetime.fromisoformat(str(entry.at)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert line.sentence.startswith(
        f"{local:%Y-%m-%d %H:%M} 渝中区经信委 张三 审核通过了 重庆渝中绿色汽车部件有限公司 2025年度数据（"
    )
    assert "状态：已提交，待区县审核 → 区县已审核，待市级复核" in line.sentence
    assert line.url == f"/reporting/submissions/{approved.pk}/"
    # the approval's own field, its time in Beijing time
    assert f"区县审核时间：空 → {local:%Y-%m-%d %H:}" in line.changes_text, line.changes_text
    assert not INTERNAL.search(line.sentence), line.sentence

    text = _text(_page(city_user))
    assert (
        f"{local:%Y-%m-%d %H:%M} 渝中区经信委 张三 审核通过了 重庆渝中绿色汽车部件有限公司 2025年度数据"
        in text
    )
    assert "状态：已提交，待区县审核 → 区县已审核，待市级复核" in text
    assert not INTERNAL.search(text.split("筛选")[-1])


def test_change_values_in_words_booleans_nothing_times_and_nested_filters(
    city_user, district_user, enterprise, jiangjin
):
    at = dt.datetime(2026, 12, 1, 7, 20, tzinfo=dt.UTC)
    audit.record(
        actor=city_user,
        action="enterprise.update",
        obj=enterprise,
        changes={
            "legal_form": ["legal_person", "accounting_unit"],
            "contact_name": [None, "李四"],
            "district_id": [enterprise.district_id, jiangjin.pk],
            "updated_at": [None, at.isoformat()],
            "contact_phone": [None, ""],
        },
    )
    audit.record(
        actor=city_user, action="user.update", obj=district_user, changes={"is_active": [True, False]}
    )
    lines = audit_trail.lines(audit_trail.trail(city_user), viewer=city_user)
    changes = {line.entry.action: line.changes_text for line in lines}
    text = changes["enterprise.update"]
    assert "法人类型：独立法人 → 视同法人的独立核算单位" in text  # a choice by its label
    assert "联系人：空 → 李四" in text
    assert "管理单位：渝中区 → 江津区" in text  # a foreign key by the name of what it points at
    assert "更新时间：空 → 2026-12-01 15:20" in text  # inside the changes too, Beijing time
    assert "联系电话" not in text  # nothing → empty text: no change in words
    assert changes["user.update"] == "有效：是 → 否"
    assert {line.unit for line in lines} == {"市经济信息委"} and {line.actor for line in lines} == {
        "市经信委 Alice"
    }
    for line in lines:
        assert not INTERNAL.search(line.sentence), line.sentence


def test_an_export_request_names_the_export_and_its_filters_in_words(city_user, yuzhong):
    jobs.export_request(actor=city_user, kind="non_filers", filters={"year": 2025, "q": "汽车"})
    (line,) = audit_trail.lines(AuditEntry.objects.filter(action="export.request"), viewer=city_user)
    assert "导出了" in line.sentence
    assert "导出内容：空 → 未填报企业名单" in line.changes_text, line.changes_text
    assert "年度：2025" in line.changes_text and "关键词：汽车" in line.changes_text
    assert "non_filers" not in line.sentence


def test_filters_by_object_actor_unit_date_and_action(approved, city_user, district_user, enterprise):
    def shown(**params) -> set[str]:  # type: ignore[no-untyped-def]
        return set(
            audit_trail.filter_trail(audit_trail.trail(city_user), params).values_list("action", flat=True)
        )

    assert shown(action="submission.approve") == {"submission.approve"}
    assert shown(unit="渝中") >= {"submission.approve", "submission.submit"}
    assert "reporting_year.open" not in shown(unit="渝中")
    assert shown(actor="bob") == {"submission.approve"}
    assert shown(object_type="reporting.annualsubmission", object=str(approved.pk)) >= {
        "submission.approve",
        "submission.submit",
    }
    assert "reporting_year.open" not in shown(object="重庆渝中绿色")
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert "submission.approve" in shown(since=today.isoformat(), until=today.isoformat())
    assert not shown(until=(today - dt.timedelta(days=1)).isoformat())
    html = _page(city_user, unit="渝中", action="submission.approve")
    assert "审核通过了" in html and "开放年度填报" not in _text(html).split("筛选")[-1]


def test_demo_only_actions_are_hidden_unless_asked_for(city_user, enterprise):
    audit.record(actor="seed_demo", action="user.create", obj=city_user, reason="演示数据：区县经信部门账号")
    audit.record(actor=city_user, action="enterprise.update", obj=enterprise, reason="演示数据：恢复历史日期")
    audit.record(actor=city_user, action="demo.backdate", obj=enterprise)
    audit.record(actor=city_user, action="enterprise.create", obj=enterprise)
    assert list(
        audit_trail.filter_trail(audit_trail.trail(city_user), {}).values_list("action", flat=True)
    ) == ["enterprise.create"]
    assert audit_trail.filter_trail(audit_trail.trail(city_user), {"demo": "1"}).count() == 4
    listed = _page(city_user).split("</form>")[-1]
    assert "演示数据" not in listed and "恢复演示数据的历史日期" not in _page(city_user)
    assert "演示数据：恢复历史日期" in _page(city_user, demo="1").split("</form>")[-1]


def test_links_only_where_the_viewer_may_open_the_object(city_user, auditor, district_user, enterprise):
    audit.record(actor=city_user, action="enterprise.update", obj=enterprise)
    audit.record(actor=city_user, action="user.update", obj=district_user)
    entries = list(audit_trail.trail(city_user))
    by_city = {line.entry.action: line.url for line in audit_trail.lines(entries, viewer=city_user)}
    by_auditor = {line.entry.action: line.url for line in audit_trail.lines(entries, viewer=auditor)}
    assert by_city == {
        "enterprise.update": f"/factories/enterprises/{enterprise.pk}/",
        "user.update": f"/accounts/users/{district_user.pk}/",
    }
    # the auditor may not manage accounts: no link to an account's page
    assert by_auditor == {"enterprise.update": f"/factories/enterprises/{enterprise.pk}/", "user.update": ""}
    assert f'href="/accounts/users/{district_user.pk}/"' not in _page(auditor)


def test_the_page_takes_the_same_number_of_queries_for_few_and_many_entries(city_user, yuzhong):
    from tests.model_factories import EnterpriseFactory, UserFactory

    def queries() -> int:
        client = Client()
        client.force_login(city_user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/audit/").status_code == 200
        return len(captured)

    def write(n: int) -> None:
        for i in range(n):
            clerk = UserFactory(role="district", district=yuzhong)
            enterprise = EnterpriseFactory(district=yuzhong)
            audit.record(
                actor=clerk,
                action="enterprise.update",
                obj=enterprise,
                changes={"district_id": [yuzhong.pk, yuzhong.pk], "name": ["甲", f"乙{i}"]},
            )

    write(2)
    queries()  # the first page of a session also counts the unread notifications (then cached)
    few = queries()
    write(20)
    assert queries() == few


def test_the_excel_export_has_the_same_sentences_and_no_internal_codes(approved, city_user, district_user):
    job, _queued = jobs.export_request(
        actor=city_user, kind="audit", filters={"action": "submission.approve", "unit": "渝中"}
    )
    assert job.status == "succeeded" and job.total == 1
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "操作：审核通过" in rows[0][0] and "单位：渝中" in rows[0][0]
    assert list(rows[1]) == [
        "时间（北京时间）",
        "操作单位",
        "操作人",
        "操作",
        "对象类型",
        "对象",
        "变更内容",
        "原因",
        "记录",
    ]
    (row,) = rows[2:]
    (line,) = audit_trail.lines(AuditEntry.objects.filter(action="submission.approve"), viewer=city_user)
    assert (
        row[1] == "渝中区经信委"
        and row[3] == "审核通过"
        and row[5] == "重庆渝中绿色汽车部件有限公司 2025年度数据"
    )
    assert row[8] == line.sentence
    for value in row:
        if isinstance(value, str):
            assert not INTERNAL.search(value), value
    assert SubmissionStatus.DISTRICT_APPROVED.value not in " ".join(str(v) for v in row)


def test_the_page_offers_the_export_with_its_filters(city_user):
    html = _page(city_user, unit="渝中", action="submission.approve")
    assert 'name="kind" value="audit"' in html
    assert 'name="unit" value="渝中"' in html and 'name="action" value="submission.approve"' in html


def test_only_who_may_read_the_trail_may_export_it(api, district_user, enterprise_user, auditor):
    from accounts.errors import NotAllowed

    for user in (district_user, enterprise_user):
        with pytest.raises(NotAllowed):
            jobs.export_request(actor=user, kind="audit")
        response = api.as_user(user).post("/api/v1/exports/", {"kind": "audit"}, format="json")
        assert response.status_code == 403
    response = api.as_user(auditor).post(
        "/api/v1/exports/", {"kind": "audit", "filters": {"since": "2026-13-01"}}, format="json"
    )
    assert response.status_code == 400
    job, _queued = jobs.export_request(actor=auditor, kind="audit", filters={"since": "2020-01-01"})
    assert job.status == "succeeded"


def test_the_api_names_the_action_and_the_object_type_in_words(api, approved, city_user):
    rows = api.as_user(city_user).get("/api/v1/audit/", {"action": "submission.approve"}).json()["results"]
    assert [(r["action"], r["action_label"], r["object_type_label"]) for r in rows] == [
        ("submission.approve", "审核通过", "年度数据")
    ]
