"""The public notice pages (公示) and verifiable certificates (issue 17): anonymous visitors read runs in
notice or final, each run's factories with public fields only, the AA+ list, certificates and their status;
nothing of a draft, simulation or superseded run."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from factories.certificates import mask_credit_code
from factories.grading import services
from factories.models import Certificate, GradingResult, GradingRun, GreenFactory
from tests.helpers import notice, notice_elapsed

pytestmark = pytest.mark.django_db

INDEX = reverse("gongshi:index")


def graded(city_user, year: int = 2025, simulation: bool = False) -> GradingRun:  # type: ignore[no-untyped-def]
    run = services.grading_run_start(actor=city_user, year=year, simulation=simulation)
    assert services.execute_run(run.pk) == "succeeded"
    run.refresh_from_db()
    return run


def published(city_user, year: int = 2025) -> GradingRun:  # type: ignore[no-untyped-def]
    return services.grading_run_publish(actor=city_user, run=graded(city_user, year), **notice())


def final(city_user, year: int = 2025) -> GradingRun:  # type: ignore[no-untyped-def]
    run = notice_elapsed(published(city_user, year))
    return services.grading_run_finalize(actor=city_user, run=run)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_anonymous_visitors_read_the_notice_list_with_year_standard_and_dates(city_user, graded_world):
    run = published(city_user)
    response = Client().get(INDEX)
    assert response.status_code == 200
    page = text(response)
    assert "2025年度" in page and run.standard.label in page
    assert run.notice_from.isoformat() in page and run.notice_to.isoformat() in page
    assert reverse("gongshi:run", args=[run.pk]) in page
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert "csrfmiddlewaretoken" not in page and "sessionid" not in response.cookies


def test_a_run_page_shows_only_public_fields_with_the_credit_code_masked(city_user, graded_world):
    run = published(city_user)
    response = Client().get(reverse("gongshi:run", args=[run.pk]))
    assert response.status_code == 200
    page = text(response)
    result = run.results.select_related("enterprise", "district").first()
    assert result is not None
    assert result.enterprise.name in page and result.district.name in page and result.grade in page
    # Credit codes only masked, never in full; no indicator value, score or reason.
    for enterprise in graded_world:
        assert enterprise.credit_code not in page
        assert mask_credit_code(enterprise.credit_code) in page
    assert mask_credit_code("915001033000000012") == "9150**********0012"
    for r in run.results.all():
        for value in (r.level_score, r.improvement_score, r.composite_score):
            if value is not None:
                assert f"{value:.2f}" not in page and f"{value:.1f}" not in page
    assert "综合得分" not in page and "绿色化水平得分" not in page
    # The place where the objection link goes during the notice period is there.
    assert "如有异议" in page


def test_the_aa_plus_list_names_recommended_city_factories_only(city_user, graded_world):
    run = published(city_user)
    GradingResult.objects.filter(run=run).update(grade="A")
    top = run.results.order_by("enterprise_id").first()
    assert top is not None
    GradingResult.objects.filter(pk=top.pk).update(grade="AAA")
    page = text(Client().get(reverse("gongshi:run", args=[run.pk]) + "?list=recommended"))
    assert top.enterprise.name in page
    others = [e for e in graded_world if e.pk != top.enterprise_id]
    assert all(e.name not in page for e in others)


@pytest.mark.parametrize("kind", ["draft", "simulation", "superseded", "future"])
def test_a_run_that_is_not_public_answers_404_and_is_not_listed(kind, city_user, graded_world):
    if kind == "draft":
        run = graded(city_user)
    elif kind == "simulation":
        run = graded(city_user, simulation=True)
        GradingRun.objects.filter(pk=run.pk).update(status="published", **notice())  # even if forced
    elif kind == "superseded":
        run = published(city_user)
        published(city_user)
    else:
        run = graded(city_user)
        later = timezone.localdate() + dt.timedelta(days=3)
        run = services.grading_run_publish(
            actor=city_user, run=run, notice_from=later, notice_to=later + dt.timedelta(days=10)
        )
    client = Client()
    assert client.get(reverse("gongshi:run", args=[run.pk])).status_code == 404
    assert reverse("gongshi:run", args=[run.pk]) not in text(client.get(INDEX))


def test_finalising_issues_one_audited_certificate_per_factory(city_user, graded_world):
    run = final(city_user)
    certificates = Certificate.objects.filter(result__run=run)
    assert certificates.count() == run.results.count() == len(graded_world)
    assert len({c.code for c in certificates}) == certificates.count()
    assert all(re.fullmatch(r"[23456789A-HJKMNP-TV-Z]{12}", c.code) for c in certificates)
    entry = AuditEntry.objects.get(action="certificate.issue")
    assert entry.actor == city_user and entry.changes["issued"] == [0, len(graded_world)]
    # The run page links each factory's certificate; the certificate carries the QR code of its status page.
    certificate = certificates.select_related("enterprise").first()
    assert certificate is not None
    assert reverse("gongshi:certificate", args=[certificate.code]) in text(
        Client().get(reverse("gongshi:run", args=[run.pk]))
    )
    page = text(Client().get(reverse("gongshi:certificate", args=[certificate.code])))
    assert "<svg" in page and reverse("verify", args=[certificate.code]) in page
    assert certificate.enterprise.name in page and certificate.enterprise.credit_code not in page


def test_a_certificate_of_a_published_run_does_not_exist_yet(city_user, graded_world):
    published(city_user)
    assert not Certificate.objects.exists()
    assert Client().get(reverse("verify", args=["ABCDEFGHJKMN"])).status_code == 404


def _status(code: str) -> str:
    response = Client().get(reverse("verify", args=[code]))
    assert response.status_code == 200
    return text(response)


def test_the_status_page_says_valid_then_revoked_with_the_date(city_user, graded_world):
    run = final(city_user)
    certificate = Certificate.objects.get(result__run=run, enterprise=graded_world[0])
    page = _status(certificate.code)
    assert "有效" in page and graded_world[0].name in page and graded_world[0].credit_code not in page
    revoked_on = timezone.localdate() - dt.timedelta(days=2)
    GreenFactory.objects.filter(enterprise=graded_world[0]).update(
        status="revoked", revoked_on=revoked_on, revoke_reason="弄虚作假"
    )
    page = _status(certificate.code)
    assert "已撤销" in page and revoked_on.isoformat() in page and "弄虚作假" not in page


def test_a_newer_final_run_supersedes_or_downgrades_the_certificate(city_user, graded_world):
    first = final(city_user, 2024)
    old = {c.enterprise_id: c for c in Certificate.objects.filter(result__run=first)}
    second = graded(city_user, 2025)
    down, same = graded_world[0], graded_world[1]
    GradingResult.objects.filter(run=second, enterprise=down).update(grade="A")
    GradingResult.objects.filter(run=first, enterprise=down).update(grade="AA")
    kept = GradingResult.objects.get(run=first, enterprise=same).grade
    GradingResult.objects.filter(run=second, enterprise=same).update(grade=kept)
    second = services.grading_run_publish(actor=city_user, run=second, **notice())
    # While the newer run is in notice, the older certificate still stands.
    assert "有效" in _status(old[down.pk].code)
    second = services.grading_run_finalize(actor=city_user, run=notice_elapsed(second))
    page = _status(old[down.pk].code)
    assert "已降级" in page and "2025年度评价结果为 A 级" in page
    assert timezone.localdate().isoformat() in page
    assert "已被新的评价结果替代" in _status(old[same.pk].code)
    new = Certificate.objects.get(result__run=second, enterprise=down)
    assert "有效" in _status(new.code)


def test_the_public_pages_answer_in_english_when_chosen(city_user, graded_world):
    run = published(city_user)
    client = Client()
    response = client.get(reverse("gongshi:language", args=["en"]) + "?next=" + INDEX)
    assert response.status_code == 302 and response["Location"] == INDEX
    page = text(client.get(reverse("gongshi:run", args=[run.pk])))
    assert "Grading results" in page or "grading results" in page
    assert (
        "https://evil.example"
        not in client.get(reverse("gongshi:language", args=["en"]) + "?next=https://evil.example/")[
            "Location"
        ]
    )


def _status_in(language: str, code: str) -> str:
    client = Client()
    client.get(reverse("gongshi:language", args=[language]) + "?next=" + INDEX)
    response = client.get(reverse("verify", args=[code]))
    assert response.status_code == 200
    return text(response)


def test_the_status_page_words_each_state_in_chinese_or_english_as_chosen(city_user, graded_world):
    first = final(city_user, 2024)
    old = {c.enterprise_id: c for c in Certificate.objects.filter(result__run=first)}
    down, same, gone = graded_world[0], graded_world[1], graded_world[2]
    assert "有效" in _status_in("zh-hans", old[down.pk].code)
    page = _status_in("en", old[down.pk].code)
    assert "Valid" in page and "有效" not in page and "Active" not in page
    second = graded(city_user, 2025)
    GradingResult.objects.filter(run=second, enterprise=down).update(grade="A")
    GradingResult.objects.filter(run=first, enterprise=down).update(grade="AA")
    kept = GradingResult.objects.get(run=first, enterprise=same).grade
    GradingResult.objects.filter(run=second, enterprise=same).update(grade=kept)
    second = services.grading_run_publish(actor=city_user, run=second, **notice())
    services.grading_run_finalize(actor=city_user, run=notice_elapsed(second))
    GreenFactory.objects.filter(enterprise=gone).update(status="revoked", revoked_on=timezone.localdate())
    expected = {
        old[down.pk].code: ("已降级", "Downgraded"),
        old[same.pk].code: ("已被新的评价结果替代", "Superseded"),
        old[gone.pk].code: ("已撤销", "Revoked"),
    }
    for code, (chinese, english) in expected.items():
        assert chinese in _status_in("zh-hans", code)
        page = _status_in("en", code)
        assert english in page and chinese not in page
        assert "证书状态" not in page and "Certificate status" in page
