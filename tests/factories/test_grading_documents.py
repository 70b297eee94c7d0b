"""The Word documents of a grading: the city's 公示 notice of a run and each factory's 评价结果通知书, opened
with python-docx as a clerk's Word would open them."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from docx import Document

from factories.grading import services
from factories.models import Grade, GradingResult, GradingRun, Industry, Tier
from tests.helpers import notice
from tests.model_factories import UserFactory, final_run

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Values the platform stores that must never reach a reader: statuses, tiers, rule codes, peer-group keys.
INTERNAL_CODES = re.compile(
    r"\b(published|final|succeeded|superseded|city|national|BAND|FIRST_YEAR|NO_DATA\w*|INCIDENT_\w+|ALL|None)\b"
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
def final(graded, city_user):  # type: ignore[no-untyped-def]
    return final_run(graded, city_user)


@pytest.fixture
def factory_user(graded_world):  # type: ignore[no-untyped-def]
    return UserFactory(username="gina", role="enterprise", enterprise=graded_world[0])


def download(client, user, url):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(url)


def opened(response):  # type: ignore[no-untyped-def]
    """The answer as python-docx reads it, after checking it is an attachment with a readable name."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == DOCX
    assert response["Cache-Control"] == "private, no-store"
    return Document(io.BytesIO(response.content))


def filename(response) -> str:  # type: ignore[no-untyped-def]
    return unquote(response["Content-Disposition"].split("filename*=UTF-8''", 1)[1])


def text_of(document) -> str:  # type: ignore[no-untyped-def]
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def table_rows(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[cell.text for cell in row.cells] for row in table.rows]


def notice_url(run: GradingRun) -> str:
    return reverse("factories:run_notice_document", args=[run.pk])


def letter_url(result: GradingResult) -> str:
    return reverse("factories:result_notice_document", args=[result.pk])


# --- the 公示 notice -------------------------------------------------------------------------------


def test_the_city_downloads_the_notice_of_a_published_run_with_every_factory_its_tier_and_grade(
    client, city_user, published
):
    response = download(client, city_user, notice_url(published))
    document = opened(response)
    assert re.fullmatch(r"2025年度绿色工厂分级评价结果公示-\d{8}\.docx", filename(response))
    body = text_of(document)
    assert document.paragraphs[0].text == "关于2025年度绿色工厂分级评价结果的公示"
    start, end = published.notice_from, published.notice_to
    assert (
        f"公示期为{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日。" in body
    )
    assert "请以书面形式向重庆市经济和信息化委员会提出" in body
    assert "重庆市经济和信息化委员会" in [p.text for p in document.paragraphs]

    # The attachment lists each result of the run once: its name, unit, tier and grade in words.
    (listing,) = document.tables
    rows = table_rows(listing)
    assert rows[0] == ["序号", "企业名称", "管理单位", "级别", "评价等级"]
    results = {r.enterprise.name: r for r in published.results.select_related("enterprise", "district")}
    assert sorted(row[1] for row in rows[1:]) == sorted(results)
    for _number, name, unit, tier, grade in rows[1:]:
        result = results[name]
        assert unit == result.district.name
        assert tier == str(Tier(result.tier).label) == "市级"
        assert grade == f"{result.grade}级（{Grade.label_of(result.grade)}）"
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, len(results) + 1)]
    # Counted as the run page counts them.
    total = published.results.count()
    assert f"共评价绿色工厂{total}家" in body
    assert not INTERNAL_CODES.search(body), INTERNAL_CODES.findall(body)


def test_the_notice_of_a_run_still_in_draft_or_of_a_simulation_answers_404(
    client, city_user, graded, graded_world, django_capture_on_commit_callbacks
):
    assert download(client, city_user, notice_url(graded)).status_code == 404
    GradingRun.objects.filter(pk=graded.pk).update(is_simulation=True, status="published")
    assert download(client, city_user, notice_url(graded)).status_code == 404


def test_only_the_city_downloads_the_notice_and_the_run_page_offers_it_only_then(
    client, city_user, auditor, district_user, published, graded
):
    for user in (auditor, district_user):
        assert download(client, user, notice_url(published)).status_code == 403
    client.force_login(city_user)
    assert (
        notice_url(published)
        in client.get(reverse("factories:run_detail", args=[published.pk])).content.decode()
    )
    client.force_login(auditor)
    assert (
        "notice-document"
        not in client.get(reverse("factories:run_detail", args=[published.pk])).content.decode()
    )


def test_the_notice_of_a_final_run_is_still_offered_and_a_superseded_one_is_not(
    client, city_user, final, graded_world, django_capture_on_commit_callbacks
):
    assert download(client, city_user, notice_url(final)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        rerun = services.grading_run_start(actor=city_user, year=2025)
    rerun.refresh_from_db()
    services.grading_run_publish(actor=city_user, run=rerun, **notice())
    assert download(client, city_user, notice_url(final)).status_code == 404
    assert download(client, city_user, notice_url(rerun)).status_code == 200


# --- a factory's 评价结果通知书 ----------------------------------------------------------------------


def test_an_enterprise_downloads_its_result_letter_with_the_scores_of_its_explanation_card(
    client, factory_user, final
):
    result = final.results.select_related("enterprise").get(enterprise=factory_user.enterprise)
    card = download(client, factory_user, reverse("factories:explanation", args=[result.pk]))
    assert letter_url(result) in card.content.decode()
    response = download(client, factory_user, letter_url(result))
    document = opened(response)
    assert filename(response).startswith(f"{result.enterprise.name}2025年度绿色工厂分级评价结果通知书-")
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "2025年度绿色工厂分级评价结果通知书"
    assert f"{result.enterprise.name}：" in paragraphs
    body = text_of(document)
    assert f"为市级绿色工厂，2025年度评价等级为{result.grade}级（" in body
    assert result.enterprise.credit_code in body

    # The score table and the dimension table carry the card's figures, rounded as the card rounds them.
    context = card.context
    scores, dimensions = document.tables
    assert table_rows(scores)[1:4] == [
        ["绿色化水平得分 L", context["L"]],
        ["绿色化提升得分 S", context["S"]],
        ["综合得分 C", context["C"]],
    ]
    rows = table_rows(dimensions)
    assert rows[0] == ["维度", "权重", "得分 D", "平均提升率"]
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [
        (str(d["name"]), d["score"], d["improvement"] or "—") for d in context["dimensions"]
    ]
    assert str(context["rule_text"]) in body
    assert "重庆市经济和信息化委员会" in paragraphs
    finalized = final.finalized_at.astimezone().date()
    assert f"{finalized.year}年{finalized.month}月{finalized.day}日" in paragraphs
    assert not INTERNAL_CODES.search(body), INTERNAL_CODES.findall(body)


def test_the_result_letter_is_for_the_city_the_factorys_district_and_the_enterprise_only(
    client, city_user, district_user, other_district_user, auditor, factory_user, final, graded_world
):
    own = final.results.get(enterprise=graded_world[0])  # 渝中
    jiangjin = final.results.get(enterprise=graded_world[6])  # 江津
    assert download(client, city_user, letter_url(jiangjin)).status_code == 200
    assert download(client, district_user, letter_url(own)).status_code == 200
    assert download(client, district_user, letter_url(jiangjin)).status_code == 404
    assert download(client, other_district_user, letter_url(own)).status_code == 404
    assert download(client, factory_user, letter_url(jiangjin)).status_code == 404
    assert download(client, auditor, letter_url(own)).status_code == 403


def test_no_result_letter_while_the_run_is_still_in_notice(client, factory_user, published):
    result = published.results.get(enterprise=factory_user.enterprise)
    assert download(client, factory_user, letter_url(result)).status_code == 404
    card = download(client, factory_user, reverse("factories:explanation", args=[result.pk]))
    assert letter_url(result) not in card.content.decode()


def test_a_recommended_factory_is_told_so_in_its_letter(client, city_user, final):
    result = final.results.select_related("enterprise").first()
    GradingResult.objects.filter(pk=result.pk).update(grade="AA", tier="city")
    body = text_of(opened(download(client, city_user, letter_url(result))))
    assert "AA级（较好）" in body
    assert "已列入2025年度推荐名单" in body
    GradingResult.objects.filter(pk=result.pk).update(grade="A")
    body = text_of(opened(download(client, city_user, letter_url(result))))
    assert "推荐名单" not in body


def test_the_result_letter_is_in_english_when_english_is_chosen(client, factory_user, final):
    result = final.results.get(enterprise=factory_user.enterprise)
    client.force_login(factory_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = text_of(opened(client.get(letter_url(result))))
    # Names kept as the register and the standard spell them; everything the document says is English.
    for name in (
        result.enterprise.name,
        result.district.name,
        final.standard.name,
        *Industry.objects.values_list("name", flat=True),
    ):
        body = body.replace(name, "")
    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
    leftovers = cjk.findall(body)
    assert not leftovers, body
    assert "Notice of the 2025 green-factory grading result" in body
