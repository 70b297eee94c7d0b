"""The district's annual report (Art. 12): figures drafted from the data, submission, the city's decision,
and the list of units that have not reported."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from cultivation import selectors, services
from cultivation.models import BCertification, DistrictReport, LevelDecision, PoolMembership
from tests.cultivation.conftest import approved_submission, compute, excellent_raw, join, poor_raw, supervise

pytestmark = pytest.mark.django_db
END_2025 = dt.date(2025, 12, 31)


@pytest.fixture
def yuzhong_pool(
    benchmark,
    district_user,
    other_district_user,
    city_user,
    yuzhong,
    jiangjin_member,
    django_capture_on_commit_callbacks,
):  # type: ignore[no-untyped-def]
    """渝中's pool over 2024–2025: an upgrade, a downgrade, an entry, an exit, a graduation, a newcomer of 2026."""
    from factories.services import green_factory_recognize
    from tests.model_factories import EnterpriseFactory

    def member(name, joined, year_raw):  # type: ignore[no-untyped-def]
        enterprise = EnterpriseFactory(name=name, district=yuzhong)
        membership = join(enterprise, district_user, district_user)
        PoolMembership.objects.filter(pk=membership.pk).update(joined_on=joined)
        for year, raw in year_raw.items():
            approved_submission(enterprise, year, raw)
        return membership

    rising = member("上升企业", dt.date(2024, 3, 1), {2024: poor_raw(), 2025: excellent_raw()})
    falling = member("下降企业", dt.date(2024, 5, 1), {2024: excellent_raw(), 2025: poor_raw()})
    for membership in (rising, falling):
        supervise(membership, district_user, on=dt.date(2024, 2, 1))
    leaving = member("退出企业", dt.date(2024, 1, 10), {})
    graduating = member("晋级企业", dt.date(2024, 2, 1), {})
    compute(district_user, 2024, django_capture_on_commit_callbacks)

    services.membership_exit(actor=district_user, membership=leaving, reason="企业停产")
    PoolMembership.objects.filter(pk=leaving.pk).update(exited_on=dt.date(2025, 6, 30))
    green_factory_recognize(
        actor=city_user, enterprise=graduating.enterprise, tier="city", recognized_year=2025
    )
    PoolMembership.objects.filter(pk=graduating.pk).update(exited_on=dt.date(2025, 9, 1))
    member("新入库企业", dt.date(2025, 4, 1), {})
    member("2026年入库企业", dt.date(2026, 1, 5), {})
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    certification = services.b_certification_apply(
        actor=district_user, enterprise=rising.enterprise, year=2025
    )
    certification = services.b_certification_certify(actor=district_user, certification=certification)
    BCertification.objects.filter(pk=certification.pk).update(
        certified_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    )
    return {"rising": rising, "falling": falling, "certification": certification}


def test_the_report_figures_match_the_pool(yuzhong_pool, district_user, yuzhong):
    report, created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    assert created and report.status == "draft" and report.generated_by == district_user
    figures = report.figures

    # Counted independently, row by row, from the pool's own records.
    in_unit = [
        m for m in PoolMembership.objects.select_related("enterprise") if m.enterprise.district_id == "500103"
    ]
    at_year_end = [
        m for m in in_unit if m.joined_on <= END_2025 and (m.exited_on is None or m.exited_on > END_2025)
    ]
    levels = Counter(
        d.level for d in LevelDecision.objects.all() if d.year == 2025 and d.membership in at_year_end
    )
    assert figures["pool_size"] == len(at_year_end) == 3
    assert figures["levels"] == {"B_eligible": levels["B_eligible"], "C": levels["C"], "D": levels["D"]}
    # The 2026 newcomer has a 2025 level (levels are computed for the current pool) but was not in it yet.
    assert figures["levels"] == {"B_eligible": 1, "C": 1, "D": 1} and figures["levels_not_computed"] == 0
    assert LevelDecision.objects.filter(year=2025, enterprise__district_id="500103").count() == 4
    assert figures["entries"] == sum(1 for m in in_unit if m.joined_on.year == 2025) == 1
    assert figures["exits"] == 1 and figures["graduations"] == 1
    assert figures["upgrades"] == 1 and figures["upgraded"][0]["name"] == "上升企业"
    assert figures["upgraded"][0]["from"] == "C" and figures["upgraded"][0]["to"] == "B_eligible"
    assert figures["downgrades"] == 1 and figures["downgraded"][0]["name"] == "下降企业"
    assert figures["certifications"] == 1 and figures["certified_b_total"] == 1
    assert figures["certified_b"] == 1
    assert figures["recommended"] == [
        {
            "enterprise": yuzhong_pool["rising"].enterprise_id,
            "name": "上升企业",
            "certificate_no": yuzhong_pool["certification"].certificate_no,
        }
    ]
    assert figures["standard_versions"] == [1] and figures["standard_in_force"] == 1


def test_a_certification_granted_after_the_year_is_not_held_at_its_end_in_either_row(
    yuzhong_pool, district_user, yuzhong
):
    """The B certification for the 2025 level granted in 2026 said 年末持有B级认定 1 beside 年末有效的区县级
    绿色工厂 0 in the 2025 report."""
    BCertification.objects.filter(pk=yuzhong_pool["certification"].pk).update(
        certified_at=dt.datetime(2026, 1, 10, tzinfo=dt.UTC)
    )
    report, _created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    assert report.figures["certified_b"] == report.figures["certified_b_total"] == 0
    assert report.figures["recommended"] == []


def test_the_other_districts_pool_is_not_in_the_report(
    yuzhong_pool, other_district_user, jiangjin, django_capture_on_commit_callbacks
):
    compute(other_district_user, 2025, django_capture_on_commit_callbacks)
    report, _created = services.district_report_generate(
        actor=other_district_user, district=jiangjin, year=2025
    )
    PoolMembership.objects.filter(enterprise__district=jiangjin).update(joined_on=dt.date(2025, 2, 1))
    report, _created = services.district_report_generate(
        actor=other_district_user, district=jiangjin, year=2025
    )
    assert report.figures["pool_size"] == 1
    assert report.figures["levels"] == {"B_eligible": 0, "C": 0, "D": 1}
    assert report.figures["certified_b_total"] == 0 and report.figures["upgrades"] == 0


def test_submit_return_and_acknowledge(member, district_user, city_user, yuzhong):
    report, _created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    with pytest.raises(InvalidInput) as caught:
        services.district_report_submit(actor=district_user, report=report)
    assert "narrative" in caught.value.field_errors
    report = services.district_report_save_narrative(
        actor=district_user, report=report, narrative="全年新增入库企业1家，开展节能诊断3次。"
    )
    report = services.district_report_submit(actor=district_user, report=report)
    assert report.status == "submitted" and report.submitted_by == district_user
    with pytest.raises(StateConflict):
        services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    with pytest.raises(StateConflict):
        services.district_report_save_narrative(actor=district_user, report=report, narrative="改")
    with pytest.raises(InvalidInput):
        services.district_report_return(actor=city_user, report=report, reason="")
    report = services.district_report_return(actor=city_user, report=report, reason="请补充B级认定情况。")
    assert report.status == "returned" and report.return_reason.startswith("请补充")
    report, created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    assert not created and report.status == "returned"
    report = services.district_report_submit(actor=district_user, report=report)
    report = services.district_report_acknowledge(actor=city_user, report=report, comment="已阅")
    assert report.status == "acknowledged" and report.decided_by == city_user
    with pytest.raises(StateConflict):
        services.district_report_return(actor=city_user, report=report, reason="再退")


@pytest.mark.parametrize("persona", ["city_user", "auditor", "enterprise_user", "other_district_user"])
def test_only_the_district_drafts_its_report(persona, request, yuzhong):
    with pytest.raises(NotAllowed):
        services.district_report_generate(actor=request.getfixturevalue(persona), district=yuzhong, year=2025)
    assert not DistrictReport.objects.exists()


@pytest.mark.parametrize("persona", ["district_user", "auditor", "other_district_user"])
def test_only_the_city_decides_on_a_report(persona, request, district_user, yuzhong):
    report, _created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    services.district_report_save_narrative(actor=district_user, report=report, narrative="情况")
    report = services.district_report_submit(actor=district_user, report=report)
    with pytest.raises(NotAllowed):
        services.district_report_acknowledge(actor=request.getfixturevalue(persona), report=report)
    report.refresh_from_db()
    assert report.status == "submitted"


def test_reports_start_with_the_measures(district_user, yuzhong):
    with pytest.raises(InvalidInput):
        services.district_report_generate(actor=district_user, district=yuzhong, year=2023)


def test_the_city_sees_which_units_have_not_reported(city_user, district_user, yuzhong):
    def missing(year: int) -> dict[str, str | None]:
        return {d.code: d.report_status for d in selectors.districts_missing_report(city_user, year)}

    before = missing(2025)
    assert before["500103"] is None and "500116" in before
    assert "500105" in before  # 江北区 still stood on 31 December 2025
    assert "500105" not in missing(2026) and "LJXQ" in missing(2026)
    report, _created = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    assert missing(2025)["500103"] == "draft"
    services.district_report_save_narrative(actor=district_user, report=report, narrative="情况")
    services.district_report_submit(actor=district_user, report=report)
    after = missing(2025)
    assert "500103" not in after and len(after) == len(before) - 1
    assert list(selectors.districts_missing_report(district_user, 2025)) == []
