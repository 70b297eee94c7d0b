"""A small pool world: six green factories in 汽车制造业 (36) with verified 2024 and 2025 data as the
benchmark, and helpers to bring enterprises into the 渝中 or 江津 pool through the services."""

from __future__ import annotations

import datetime as dt

import pytest

from cultivation import services


def excellent_raw(output: float = 50000.0) -> dict[str, str]:
    """Figures better than any plausible_raw green factory on every indicator."""
    site = output / 3000 * 666.67
    electricity = output * 20
    treated = output * 0.05

    def q(x: float) -> str:
        return f"{x:.2f}"

    return {
        "site_area": q(site),
        "floor_area": q(site * 3),
        "footprint_area": q(site * 0.8),
        "output_value": q(output),
        "main_material": q(output * 0.02),
        "green_material": q(output * 0.018),
        "cod": q(output * 0.003),
        "ammonia_nitrogen": q(output * 0.0005),
        "so2": q(output * 0.0005),
        "nox": q(output * 0.0005),
        "waste_gas": q(output * 0.001),
        "wastewater": q(treated),
        "wastewater_treated": q(treated),
        "wastewater_reused": q(treated * 0.95),
        "solid_waste": q(output * 0.005),
        "solid_waste_utilized": q(output * 0.005),
        "electricity": q(electricity),
        "natural_gas": "0",
        "coal": "0",
        "oil_products": "0",
        "purchased_heat": "0",
        "renewable_electricity": q(electricity * 0.9),
        "co2": q(output * 0.005),
    }


def poor_raw(output: float = 50000.0) -> dict[str, str]:
    """Figures worse than any plausible_raw green factory on every indicator."""
    site = output / 100 * 666.67
    electricity = output * 3000
    treated = output * 3

    def q(x: float) -> str:
        return f"{x:.2f}"

    return {
        "site_area": q(site),
        "floor_area": q(site * 0.3),
        "footprint_area": q(site * 0.1),
        "output_value": q(output),
        "main_material": q(output * 2),
        "green_material": "0",
        "cod": q(output * 1),
        "ammonia_nitrogen": q(output * 0.1),
        "so2": q(output * 0.2),
        "nox": q(output * 0.2),
        "waste_gas": q(output * 0.5),
        "wastewater": q(treated * 1.2),
        "wastewater_treated": q(treated),
        "wastewater_reused": "0",
        "solid_waste": q(output * 0.3),
        "solid_waste_utilized": q(output * 0.03),
        "electricity": q(electricity),
        "natural_gas": q(output * 100),
        "coal": "0",
        "oil_products": q(output * 0.01),
        "purchased_heat": q(output),
        "renewable_electricity": "0",
        "co2": q(output * 3),
    }


def approved_submission(enterprise, year, raw, status="district_approved"):  # type: ignore[no-untyped-def]
    """Data the district has approved (not yet locked by the city)."""
    from reporting.models import AnnualSubmission

    return AnnualSubmission.objects.create(
        enterprise=enterprise, year=year, district_id=enterprise.district_id, status=status, raw_values=raw
    )


@pytest.fixture
def benchmark(yuzhong, jiangjin):  # type: ignore[no-untyped-def]
    """Six active city-level green factories of division 36 with verified data for 2024 and 2025."""
    from factories.creditcode import make_credit_code
    from tests.model_factories import (
        EnterpriseFactory,
        GreenFactoryFactory,
        plausible_raw,
        verified_submission,
    )

    factories = []
    for n in range(6):
        district = yuzhong if n < 3 else jiangjin
        enterprise = EnterpriseFactory(
            name=f"重庆汽车标杆{n}厂",
            district=district,
            credit_code=make_credit_code("91", district.code, f"{n + 40000000:08d}"),
        )
        GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2021)
        for year in (2024, 2025):
            verified_submission(enterprise, year, plausible_raw(n, year))
        factories.append(enterprise)
    return factories


def join(enterprise, applicant, district_user):  # type: ignore[no-untyped-def]
    """Apply and accept: the enterprise is a pool member."""
    application = services.pool_application_submit(
        actor=applicant,
        enterprise=enterprise,
        intention="愿意参与绿色工厂梯度培育。",
        plan="2026年完成能源管理体系建设，2027年申报市级绿色工厂。",
        lawful_declaration=True,
    )
    services.pool_application_accept(actor=district_user, application=application)
    application.refresh_from_db()
    return application.membership


def supervise(
    membership,
    district_user,
    kinds=("energy_inspection", "assessment", "improvement_path"),  # type: ignore[no-untyped-def]
    on=dt.date(2025, 3, 1),
):
    for kind in kinds:
        services.supervision_record_add(actor=district_user, membership=membership, kind=kind, date=on)


def compute(district_user, year, capture):  # type: ignore[no-untyped-def]
    """Start and (eagerly) run the district's level job for `year`; returns the finished job."""
    with capture(execute=True):
        job = services.level_job_start(actor=district_user, district=district_user.district, year=year)
    job.refresh_from_db()
    return job


@pytest.fixture
def member(enterprise, enterprise_user, district_user):  # type: ignore[no-untyped-def]
    """渝中's pool member (the enterprise user's own company), not yet supervised."""
    return join(enterprise, enterprise_user, district_user)


@pytest.fixture
def b_member(benchmark, member, district_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """A supervised, guided member with excellent 2025 data: B-eligible for 2025."""
    supervise(member, district_user)
    approved_submission(member.enterprise, 2025, excellent_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    return member


@pytest.fixture
def certified(b_member, enterprise_user, district_user):  # type: ignore[no-untyped-def]
    """The B-eligible member applied and was certified by 渝中."""
    certification = services.b_certification_apply(
        actor=enterprise_user, enterprise=b_member.enterprise, year=2025
    )
    return services.b_certification_certify(actor=district_user, certification=certification, note="材料齐全")


@pytest.fixture
def jiangjin_member(jiangjin_enterprise, other_district_user):  # type: ignore[no-untyped-def]
    return join(jiangjin_enterprise, other_district_user, other_district_user)
