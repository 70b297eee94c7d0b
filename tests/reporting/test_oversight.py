"""Reviewer consistency (审核一致性, Art. 12): every figure checked against a small dataset counted by hand.

渝中 (bob's unit) reviewed three submissions of 2025 with four decisions:

    A  submitted day 0 09:00, approved day 1 09:00 without a comment      1 day   (×3 flag on cod)
    B  submitted day 0, returned day 2 ("请核实")                          2 days
       submitted again day 4, approved day 5 with a comment               1 day   (×3 flag on coal)
    C  submitted day 0 (late), approved day 2                             2 days

    → 4 decisions, 1 return = 25 %; days 1, 1, 2, 2 → median 1.5; flagged approvals 2, 1 silent = 50 %;
      3 submitted, 1 late.

江津 (charlie's unit): D submitted day 0, approved day 4 → 1 decision, 0 returns, median 4.
The city: 5 decisions, 1 return = 20 %; days 1, 1, 2, 2, 4 → median 2; 4 submitted, 1 late.

Distributions of EL-03 over city-verified data: 渝中 1, 2, 3, 4, 5 → P10 1.4, Q1 2, median 3, Q3 4, P90 4.6;
江津 10, 20, 30, 40 (four: no box); the city's nine values → P10 1.8, Q1 3, median 5, Q3 20, P90 32.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reporting import oversight
from reporting.models import AnnualSubmission, ReportingYear, SubmissionStatus, SubmissionTransition
from tests.model_factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

YEAR = 2025
DAY0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _at(days: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=days)


def _step(submission, action, frm, to, days, reason=""):  # type: ignore[no-untyped-def]
    step = SubmissionTransition.objects.create(
        submission=submission, action=action, from_status=frm, to_status=to, reason=reason
    )
    SubmissionTransition.objects.filter(pk=step.pk).update(at=_at(days))


def _submission(district, *, flags=(), late=False, status=SubmissionStatus.DISTRICT_APPROVED, value=None):  # type: ignore[no-untyped-def]
    enterprise = EnterpriseFactory(district=district)
    indicators = {} if value is None else {"EL-03": {"status": "ok", "value": str(value)}}
    return AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=YEAR,
        district=district,
        status=status,
        late=late,
        yoy_flags=list(flags),
        submitted_at=_at(0),
        indicators=indicators,
    )


SUBMITTED, APPROVED, DRAFT = "submitted", "district_approved", "draft"


@pytest.fixture
def year_2025(db):  # type: ignore[no-untyped-def]
    return ReportingYear.objects.create(
        year=YEAR, opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 3, 1)
    )


@pytest.fixture
def reviews(yuzhong, jiangjin, year_2025):  # type: ignore[no-untyped-def]
    a = _submission(yuzhong, flags=["cod"])
    _step(a, "submit", DRAFT, SUBMITTED, 0)
    _step(a, "approve", SUBMITTED, APPROVED, 1)
    b = _submission(yuzhong, flags=["coal"])
    _step(b, "submit", DRAFT, SUBMITTED, 0)
    _step(b, "return", SUBMITTED, DRAFT, 2, "请核实煤炭消费量")
    _step(b, "submit", DRAFT, SUBMITTED, 4)
    _step(b, "approve", SUBMITTED, APPROVED, 5, "已核实：新增燃煤锅炉")
    c = _submission(yuzhong, late=True)
    _step(c, "submit", DRAFT, SUBMITTED, 0)
    _step(c, "approve", SUBMITTED, APPROVED, 2)
    d = _submission(jiangjin)
    _step(d, "submit", DRAFT, SUBMITTED, 0)
    _step(d, "approve", SUBMITTED, APPROVED, 4)


@pytest.fixture
def spread(yuzhong, jiangjin, year_2025):  # type: ignore[no-untyped-def]
    for value in (1, 2, 3, 4, 5):
        _submission(yuzhong, status=SubmissionStatus.CITY_VERIFIED, value=value)
    for value in (10, 20, 30, 40):
        _submission(jiangjin, status=SubmissionStatus.CITY_VERIFIED, value=value)
    # Approved but not yet verified: its indicators are not stored yet, so it never counts.
    _submission(yuzhong, status=SubmissionStatus.DISTRICT_APPROVED, value=1000)


def test_city_staff_read_every_unit_and_the_whole_city_counted_by_hand(reviews, city_user):
    rows, city = oversight.reviewer_figures(city_user, YEAR)
    yuzhong, jiangjin = rows  # ordered by unit code: 渝中 500103, 江津 500116
    assert (yuzhong.name, yuzhong.decisions, yuzhong.returns) == ("渝中区", 4, 1)
    assert yuzhong.return_rate == pytest.approx(0.25)
    assert yuzhong.median_days == pytest.approx(1.5)
    assert (yuzhong.flagged_approvals, yuzhong.flagged_silent) == (2, 1)
    assert yuzhong.flagged_silent_share == pytest.approx(0.5)
    assert (yuzhong.submitted, yuzhong.late) == (3, 1)
    assert (jiangjin.name, jiangjin.decisions, jiangjin.returns) == ("江津区", 1, 0)
    assert jiangjin.median_days == pytest.approx(4)
    assert city is not None
    assert (city.decisions, city.returns, city.submitted, city.late) == (5, 1, 4, 1)
    assert city.return_rate == pytest.approx(0.2)
    assert city.median_days == pytest.approx(2)


def test_a_district_user_reads_only_its_own_unit_against_the_city(
    reviews, district_user, other_district_user
):
    rows, city = oversight.reviewer_figures(district_user, YEAR)
    assert [r.name for r in rows] == ["渝中区"]
    assert city is not None and city.median_days == pytest.approx(2)
    rows, _ = oversight.reviewer_figures(other_district_user, YEAR)
    assert [(r.name, r.decisions) for r in rows] == [("江津区", 1)]


def test_an_enterprise_user_reads_no_reviewer_figures(reviews, enterprise_user):
    assert oversight.reviewer_figures(enterprise_user, YEAR) == ([], None)


def test_the_distribution_of_one_to_five_is_the_hand_counted_box(spread, city_user):
    rows, city = oversight.distributions(city_user, YEAR, "EL-03")
    yuzhong, jiangjin = rows
    assert yuzhong.count == 5 and yuzhong.shown
    assert (yuzhong.p10, yuzhong.q1, yuzhong.median, yuzhong.q3, yuzhong.p90) == pytest.approx(
        (1.4, 2, 3, 4, 4.6)
    )
    assert jiangjin.count == 4 and not jiangjin.shown
    assert jiangjin.median is None  # four enterprises: no figure of theirs is handed out
    assert city is not None and city.count == 9
    assert (city.p10, city.q1, city.median, city.q3, city.p90) == pytest.approx((1.8, 3, 5, 20, 32))


def test_a_district_user_gets_only_its_own_distribution(spread, other_district_user):
    rows, city = oversight.distributions(other_district_user, YEAR, "EL-03")
    assert [(r.name, r.count, r.median) for r in rows] == [("江津区", 4, None)]
    assert city is not None and city.median == pytest.approx(5)


def test_the_percentile_aggregate_matches_the_python_reference():
    from accounts.aggregates import interpolated

    assert interpolated([5, 1, 4, 2, 3], 0.1) == pytest.approx(1.4)
    assert interpolated([], 0.5) is None
    assert interpolated([7], 0.9) == 7


def test_the_consistency_page_shows_the_hand_counted_figures_to_the_city(reviews, spread, client, city_user):
    client.force_login(city_user)
    page = client.get(reverse("reporting:oversight"), {"year": YEAR, "indicator": "EL-03"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "审核一致性" in text
    assert "25.0%" in text and "1.5" in text and "50.0%" in text
    assert "江津区" in text and "<svg" in text
    assert "少于5家" in text  # 江津's four values: a sentence instead of a box


def test_the_district_page_never_names_another_unit(reviews, spread, client, district_user):
    client.force_login(district_user)
    page = client.get(reverse("reporting:oversight"), {"year": YEAR, "indicator": "EL-03"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "渝中区" in text and "全市" in text
    assert "江津区" not in text


def test_an_enterprise_is_refused_the_consistency_page_and_api(reviews, client, api, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get(reverse("reporting:oversight")).status_code == 403
    client = api.as_user(enterprise_user)
    assert client.get("/api/v1/oversight/reviewers/", {"year": YEAR}).status_code == 403
    assert (
        client.get("/api/v1/oversight/distributions/", {"year": YEAR, "indicator": "EL-03"}).status_code
        == 403
    )


def test_the_reviewer_api_gives_a_district_its_own_row_and_the_city(reviews, api, district_user):
    answer = api.as_user(district_user).get("/api/v1/oversight/reviewers/", {"year": YEAR})
    assert answer.status_code == 200
    body = answer.json()
    assert [u["unit"]["name"] for u in body["units"]] == ["渝中区"]
    own = body["units"][0]
    assert own["return_rate"] == pytest.approx(0.25)
    assert own["median_days_to_review"] == pytest.approx(1.5)
    assert own["flagged_approved_without_comment_share"] == pytest.approx(0.5)
    assert own["late_submissions"] == 1
    assert body["city"]["median_days_to_review"] == pytest.approx(2)


def test_the_distribution_api_withholds_units_under_five(spread, api, city_user):
    answer = api.as_user(city_user).get(
        "/api/v1/oversight/distributions/", {"year": YEAR, "indicator": "EL-03"}
    )
    assert answer.status_code == 200
    units = {u["unit"]["name"]: u for u in answer.json()["units"]}
    assert units["渝中区"]["median"] == pytest.approx(3)
    assert units["江津区"] == {**units["江津区"], "count": 4, "median": None, "p10": None, "p90": None}


def test_an_unknown_indicator_is_a_clear_error(spread, api, city_user):
    answer = api.as_user(city_user).get(
        "/api/v1/oversight/distributions/", {"year": YEAR, "indicator": "XX-99"}
    )
    assert answer.status_code == 400
    assert "指标" in answer.content.decode()


def test_the_reviewer_consistency_export_has_chinese_headers_and_the_figures(reviews, city_user):
    from accounts import exports

    exporter = exports.get("reviewer_consistency")
    headers = [c.title for c in exporter.columns()]
    assert headers[:3] == ["年度", "管理单位", "审核决定数"]
    rows = list(exporter.rows(city_user, {"year": YEAR}))
    assert rows[0][:4] == [YEAR, "渝中区", 4, 1]
    assert rows[-1][1] == "全市"
    assert exporter.count(city_user, {"year": YEAR}) == len(rows)


def test_the_export_gives_an_enterprise_nothing(reviews, enterprise_user):
    from accounts import exports

    assert list(exports.get("reviewer_consistency").rows(enterprise_user, {"year": YEAR})) == []


def test_a_district_downloads_its_row_and_the_city_as_a_workbook_with_chinese_headers(reviews, district_user):
    import io

    from openpyxl import load_workbook

    from reporting import jobs

    job, queued = jobs.export_request(
        actor=district_user, kind="reviewer_consistency", filters={"year": YEAR}
    )
    assert queued and job.status == "succeeded"
    with job.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert "审核一致性" in sheet["A1"].value and "年度：2025" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:5] == ["年度", "管理单位", "审核决定数", "退回数", "退回率（%）"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["渝中区", "全市"]
    assert rows[0][2:6] == (4, 1, 25, 1.5)
