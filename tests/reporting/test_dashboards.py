"""统计看板: one URL whose content follows the role — the city and auditors see the whole city, a district
only its own unit, an enterprise only its own grades — with a year selector, empty states, a data table
under every chart, and a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from factories.creditcode import make_credit_code
from factories.grading import services as grading_services
from factories.models import GradingResult
from reporting.models import AnnualSubmission, ReportingYear
from tests.helpers import cold_cache, notice
from tests.model_factories import (
    EnterpriseFactory,
    GreenFactoryFactory,
    district,
    plausible_raw,
    verified_submission,
)
from tests.model_factories import (
    industry as industry_of,
)

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard")
YUZHONG_FACTORIES = 5
JIANGJIN_FACTORIES = 3


# --- data -----------------------------------------------------------------------------------------


def make_factory(name: str, district_code: str, seed: int, *, industry: str = "36", years=(2023, 2024)):  # type: ignore[no-untyped-def]
    enterprise = EnterpriseFactory(
        name=name,
        district=district(district_code),
        industry=industry_of(industry),
        credit_code=make_credit_code("91", district_code, f"{seed + 40000000:08d}"),
    )
    GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2021)
    for year in years:
        verified_submission(enterprise, year, plausible_raw(seed, year))
    return enterprise


def publish(city_user, year: int, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        run = grading_services.grading_run_start(actor=city_user, year=year)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return grading_services.grading_run_publish(actor=city_user, run=run, **notice())


@pytest.fixture
def years(db):  # type: ignore[no-untyped-def]
    for year in (2024, 2025):
        ReportingYear.objects.get_or_create(
            year=year, defaults={"opens_on": dt.date(year + 1, 1, 1), "closes_on": dt.date(year + 1, 3, 31)}
        )


@pytest.fixture
def world(years, enterprise, other_enterprise):  # type: ignore[no-untyped-def]
    """Five green factories in 渝中 (two of them the personas' enterprises) and three in 江津, with
    verified data for 2023 and 2024."""
    yuzhong = [enterprise, other_enterprise]
    for n, own in enumerate(yuzhong):
        GreenFactoryFactory(enterprise=own, tier="city", recognized_year=2021)
        for year in (2023, 2024):
            verified_submission(own, year, plausible_raw(100 + n, year))
    yuzhong += [make_factory(f"重庆渝中汽车部件{n}厂", "500103", n) for n in range(YUZHONG_FACTORIES - 2)]
    jiangjin = [
        make_factory(f"重庆江津机械{n}厂", "500116", 10 + n, industry="34") for n in range(JIANGJIN_FACTORIES)
    ]
    return {"yuzhong": yuzhong, "jiangjin": jiangjin}


@pytest.fixture
def published(world, city_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    return publish(city_user, 2024, django_capture_on_commit_callbacks)


def get(client, user, **params):  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(DASHBOARD, params)
    assert response.status_code == 200
    return response


def kpis(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {str(k.label): str(k.value) for k in response.context["dashboard"].kpis}


def card(response, title_part: str):  # type: ignore[no-untyped-def]
    found = [c for c in response.context["dashboard"].cards if title_part in str(c.title)]
    assert len(found) == 1, [str(c.title) for c in response.context["dashboard"].cards]
    return found[0]


def table(response, title_part: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """A chart's data table as {first cell: other cells}, as the page prints it."""
    return {str(row[0]): [str(v) for v in row[1:]] for row in card(response, title_part).table.rows}


# --- city and auditor -----------------------------------------------------------------------------


def test_the_city_sees_the_whole_city_for_the_latest_published_year(client, city_user, published):
    response = get(client, city_user)
    html = response.content.decode()
    assert response.context["year"] == 2024
    figures = kpis(response)
    assert figures["登记企业"] == str(YUZHONG_FACTORIES + JIANGJIN_FACTORIES)
    assert figures["有效绿色工厂"] == str(YUZHONG_FACTORIES + JIANGJIN_FACTORIES)
    assert figures["2024年度已评等级"] == str(YUZHONG_FACTORIES + JIANGJIN_FACTORIES)
    assert figures["填报完成率"] == "100.0%"
    by_district = table(response, "各管理单位等级分布")
    assert by_district["渝中区"][-1] == str(YUZHONG_FACTORIES)
    assert by_district["江津区"][-1] == str(JIANGJIN_FACTORIES)
    assert table(response, "历年等级分布")["2024"][-1] == str(YUZHONG_FACTORIES + JIANGJIN_FACTORIES)
    industries = table(response, "主要行业等级分布")
    assert industries["36 汽车制造业"][-1] == str(YUZHONG_FACTORIES)
    assert industries["34 通用设备制造业"][-1] == str(JIANGJIN_FACTORIES)
    assert "渝中区" in html and "江津区" in html


def test_grade_counts_per_district_match_the_published_results(client, city_user, published):
    response = get(client, city_user)
    rows = table(response, "各管理单位等级分布")
    for code, name in (("500103", "渝中区"), ("500116", "江津区")):
        results = GradingResult.objects.filter(run=published, district_id=code)
        assert rows[name] == [str(results.filter(grade=g).count()) for g in ("AAAA", "AAA", "AA", "A")] + [
            str(results.count())
        ]


def test_the_auditor_sees_the_same_numbers_as_the_city(client, city_user, auditor, published):
    city = get(client, city_user)
    audit = get(client, auditor)
    assert kpis(audit) == kpis(city)
    assert [c.table.rows if c.table else None for c in audit.context["dashboard"].cards] == [
        c.table.rows if c.table else None for c in city.context["dashboard"].cards
    ]


def test_completeness_counts_data_submitted_or_further_along_over_registered_enterprises(
    client, city_user, published, world
):
    yuzhong, jiangjin = world["yuzhong"], world["jiangjin"]
    for enterprise, status in (
        (yuzhong[0], "draft"),
        (yuzhong[1], "submitted"),
        (yuzhong[2], "district_approved"),
        (jiangjin[0], "city_verified"),
    ):
        AnnualSubmission.objects.create(
            enterprise=enterprise, year=2025, district_id=enterprise.district_id, status=status, raw_values={}
        )
    response = get(client, city_user, year="2025")
    assert response.context["year"] == 2025
    rows = table(response, "填报完成率")
    # columns: registered, missing, draft, submitted, district_approved, city_verified, reported, rate
    assert rows["渝中区"] == ["5", "2", "1", "1", "1", "0", "2", "40.0%"]
    assert rows["江津区"] == ["3", "2", "0", "0", "0", "1", "1", "33.3%"]
    assert kpis(response)["填报完成率"] == "37.5%"  # 3 of 8
    html = response.content.decode()
    assert "2025年度尚无已发布的评价结果" in html and "市经济信息委发布公示后" in html


def test_every_chart_has_a_data_table_for_screen_readers_and_printing(client, city_user, published):
    response = get(client, city_user)
    html = response.content.decode()
    cards = response.context["dashboard"].cards
    with_data = [c for c in cards if not c.empty]
    assert len(with_data) >= 4
    assert all(c.table is not None for c in with_data)
    assert html.count("<details>") == html.count("<table") == len(with_data)
    assert len(re.findall(r"<svg\b", html)) == len(cards)


# --- districts ------------------------------------------------------------------------------------


def test_a_district_sees_only_its_own_unit(client, district_user, published, world):
    response = get(client, district_user)
    html = response.content.decode()
    figures = kpis(response)
    assert figures["登记企业"] == str(YUZHONG_FACTORIES)
    assert figures["有效绿色工厂"] == str(YUZHONG_FACTORIES)
    assert figures["2024年度已评等级"] == str(YUZHONG_FACTORIES)
    assert table(response, "历年等级分布")["2024"][-1] == str(YUZHONG_FACTORIES)
    assert list(table(response, "主要行业等级分布")) == ["36 汽车制造业"]
    assert table(response, "填报进度")["已复核"] == [str(YUZHONG_FACTORIES)]
    assert "江津" not in html
    assert "通用设备" not in html  # the only industry of the 江津 factories
    for enterprise in world["jiangjin"]:
        assert enterprise.name not in html
    city_total = str(YUZHONG_FACTORIES + JIANGJIN_FACTORIES)
    shown = [
        *kpis(response).values(),
        *(
            str(cell)
            for c in response.context["dashboard"].cards
            if c.table
            for row in c.table.rows
            for cell in row
        ),
    ]
    assert city_total not in shown
    assert f'class="kpi-value">{city_total}<' not in html


def test_the_other_district_sees_its_own_numbers_and_nothing_of_yuzhong(
    client, other_district_user, published
):
    response = get(client, other_district_user)
    html = response.content.decode()
    assert kpis(response)["登记企业"] == str(JIANGJIN_FACTORIES)
    assert table(response, "历年等级分布")["2024"][-1] == str(JIANGJIN_FACTORIES)
    assert "渝中" not in html


# --- enterprises ----------------------------------------------------------------------------------


def test_an_enterprise_sees_its_own_grades_and_dimension_scores_only(
    client, enterprise_user, enterprise, other_enterprise, published
):
    own = GradingResult.objects.get(run=published, enterprise=enterprise)
    response = get(client, enterprise_user)
    html = response.content.decode()
    assert kpis(response)["2024年度等级"] == own.grade
    assert kpis(response)["综合得分 C"] == f"{own.composite_score:.2f}"
    assert enterprise.name in html
    assert other_enterprise.name not in html and "江津" not in html
    radar = table(response, "各维度百分位得分")
    scores = own.details["dimension_scores"]
    assert sorted(v[0] for v in radar.values()) == sorted(f"{v:.1f}" for v in scores.values())
    assert all(v[1] == "50" for v in radar.values())
    history = card(response, "历年等级")
    assert [row[0] for row in history.table.rows] == [2024]
    assert reverse("factories:explanation", args=[own.pk]) in html


def test_an_enterprise_without_published_grades_gets_a_helpful_sentence(client, enterprise_user, years):
    from tests.model_factories import GreenFactoryFactory

    GreenFactoryFactory(enterprise=enterprise_user.enterprise, tier="city")
    html = get(client, enterprise_user).content.decode()
    assert "暂无已发布的等级" in html and "本企业的等级和得分将显示在这里" in html
    assert "这里将显示本企业五个维度的百分位得分" in html


# --- years and empty states -----------------------------------------------------------------------


def test_the_year_defaults_to_the_latest_published_year_and_ignores_unknown_years(
    client, city_user, published
):
    assert get(client, city_user).context["year"] == 2024
    assert get(client, city_user, year="1999").context["year"] == 2024
    assert get(client, city_user, year="abc").context["year"] == 2024
    response = get(client, city_user, year="2025")
    assert response.context["year"] == 2025
    assert response.context["years"] == [2025, 2024]


def test_without_published_grades_the_latest_reporting_year_is_shown(client, city_user, years):
    response = get(client, city_user)
    assert response.context["year"] == 2025
    assert "尚无已发布的评价结果" in response.content.decode()


def test_a_fresh_platform_explains_what_will_appear(client, city_user):
    html = get(client, city_user).content.decode()
    assert "暂无可统计的年度" in html


def test_the_dashboard_needs_a_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and "login" in response.url


# --- cultivation pool -----------------------------------------------------------------------------


@pytest.fixture
def pool(years, city_user, district_user, yuzhong, jiangjin):  # type: ignore[no-untyped-def]
    """渝中: four members (D, C, B-eligible, B-eligible and certified); 江津: one at D, one not yet levelled."""
    from cultivation.models import BCertification, DistrictStandard, LevelDecision, PoolMembership

    def member(name: str, unit, seed: int, level: str | None, certified: bool = False):  # type: ignore[no-untyped-def]
        enterprise = EnterpriseFactory(
            name=name, district=unit, credit_code=make_credit_code("91", unit.code, f"{seed + 50000000:08d}")
        )
        membership = PoolMembership.objects.create(
            enterprise=enterprise, district=unit, joined_on=dt.date(2024, 3, 1)
        )
        if level:
            standard, _ = DistrictStandard.objects.get_or_create(
                district=unit, version=1, defaults={"parameters": {}}
            )
            LevelDecision.objects.create(
                enterprise=enterprise,
                membership=membership,
                year=2024,
                level=level,
                computed_level=level,
                standard=standard,
                certified_b=certified,
            )
        if certified:
            BCertification.objects.create(
                membership=membership,
                district=unit,
                year=2024,
                status="certified",
                applied_by=district_user,
                certificate_no=f"YZ-{seed}",
            )
        return membership

    member("重庆渝中培育甲厂", yuzhong, 1, "D")
    member("重庆渝中培育乙厂", yuzhong, 2, "C")
    member("重庆渝中培育丙厂", yuzhong, 3, "B_eligible")
    member("重庆渝中培育丁厂", yuzhong, 4, "B_eligible", certified=True)
    member("重庆江津培育甲厂", jiangjin, 5, "D")
    member("重庆江津培育乙厂", jiangjin, 6, None)


def test_the_city_sees_the_pool_funnel_and_each_district_in_it(client, city_user, pool):
    response = get(client, city_user, year="2024")
    funnel = table(response, "培育库梯度")
    assert [v[0] for v in funnel.values()] == ["6", "3", "2", "1"]
    by_district = table(response, "各管理单位培育库构成")
    assert by_district["渝中区"][:4] == ["4", "3", "2", "1"]
    assert by_district["江津区"][:4] == ["2", "0", "0", "0"]


def test_each_funnel_stage_is_part_of_the_one_before_for_a_past_year(client, city_user, pool):
    """A certification in force today for a member whose 2024 level was C made the 2024 funnel go 0 → 1."""
    from cultivation.models import LevelDecision

    LevelDecision.objects.filter(enterprise__name="重庆渝中培育丁厂").update(
        level="C", computed_level="C", certified_b=False
    )
    funnel = table(get(client, city_user, year="2024"), "培育库梯度")
    counts = [int(v[0]) for v in funnel.values()]
    assert counts == [6, 3, 1, 0]
    assert counts == sorted(counts, reverse=True)


def test_a_district_sees_only_its_own_pool_funnel(client, district_user, pool):
    response = get(client, district_user, year="2024")
    funnel = table(response, "培育库梯度")
    assert [v[0] for v in funnel.values()] == ["4", "3", "2", "1"]
    html = response.content.decode()
    assert "江津" not in html
    assert not [c for c in response.context["dashboard"].cards if "各管理单位培育库构成" in str(c.title)]


# --- performance ----------------------------------------------------------------------------------


def grow(city_user, capture, start: int, stop: int) -> None:  # type: ignore[no-untyped-def]
    units = ("500103", "500116", "500101", "500102", "500104", "500106")
    trades = ("36", "38", "26", "34", "13")
    for n in range(start, stop):
        make_factory(
            f"重庆规模测试{n:02d}厂",
            units[n % len(units)],
            200 + n,
            industry=trades[n % len(trades)],
            years=(2024,),
        )
    publish(city_user, 2024, capture)


def measured(client, city_user) -> int:  # type: ignore[no-untyped-def]
    cold_cache()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(DASHBOARD)
    assert response.status_code == 200
    return len(queries)


def test_the_city_dashboard_needs_the_same_number_of_queries_for_3_and_30_enterprises(
    client, city_user, years, django_capture_on_commit_callbacks
):
    client.force_login(city_user)
    grow(city_user, django_capture_on_commit_callbacks, 0, 3)
    small = measured(client, city_user)
    grow(city_user, django_capture_on_commit_callbacks, 3, 30)
    large = measured(client, city_user)
    cold_cache()  # `response.context` exists only on a computed page
    assert kpis(client.get(DASHBOARD))["2024年度已评等级"] == "30"
    assert small == large, (small, large)
    assert large <= 15, large


def test_dashboard_aggregates_are_cached_per_scope_for_a_short_while(
    client, city_user, district_user, settings
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    client.force_login(city_user)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/reporting/dashboard/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert client.get("/reporting/dashboard/").status_code == 200
    assert len(second.captured_queries) < len(first.captured_queries)
    client.force_login(district_user)
    html = client.get("/reporting/dashboard/").content.decode()
    assert "渝中区" in html  # another scope is never served from the city's cached figures
    cache.clear()


def test_an_enterprise_that_is_not_a_green_factory_is_not_promised_a_grade(client, enterprise_user, years):
    """Only recognised green factories are graded AAAA–A; a pool enterprise was told its grade would come."""
    html = get(client, enterprise_user).content.decode()
    assert "本企业不参加AAAA–A分级评价" in html and "本企业的等级和得分将显示在这里" not in html
