"""factory_boy factories for tests (named so as not to collide with the `factories` app)."""

from __future__ import annotations

import datetime as dt

import factory

from accounts.models import Role, User
from factories.creditcode import make_credit_code
from factories.models import District, Enterprise, GreenFactory, Industry, LegalForm, Tier


def district(code: str) -> District:
    return District.objects.get(code=code)


def industry(code: str) -> Industry:
    return Industry.objects.get(code=code)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"重庆测试制造有限公司{n:04d}")
    credit_code = factory.Sequence(lambda n: make_credit_code("91", "500103", f"{n + 10000000:08d}"))
    district = factory.LazyFunction(lambda: district("500103"))
    industry = factory.LazyFunction(lambda: industry("36"))
    industry_code = factory.LazyAttribute(lambda o: o.industry.code)
    legal_form = LegalForm.LEGAL_PERSON
    address = "重庆市渝中区解放碑"
    contact_name = "张伟"
    contact_phone = "023-63000000"


class GreenFactoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GreenFactory

    enterprise = factory.SubFactory(EnterpriseFactory)
    tier = Tier.CITY
    recognized_year = 2021


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AUDITOR
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


def verified_submission(enterprise: Enterprise, year: int, raw: dict[str, str | None]):  # type: ignore[no-untyped-def]
    """A city-verified submission with its indicators stored, as verification would leave it."""
    from reporting.models import AnnualSubmission, SubmissionVersion
    from reporting.values import compute_indicators, indicators_to_storage

    submission = AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=year,
        district_id=enterprise.district_id,
        status="city_verified",
        raw_values=raw,
        indicators=indicators_to_storage(compute_indicators(raw, "GBT36132-2018")),
    )
    SubmissionVersion.objects.create(
        submission=submission,
        version=1,
        raw_values=raw,
        indicators=submission.indicators,
        catalogue_version="GBT36132-2018",
    )
    return submission


def plausible_raw(seed: int, year: int) -> dict[str, str]:
    """Deterministic, valid raw figures that differ between factories."""
    import random

    rng = random.Random(seed * 1000 + year)
    output = rng.uniform(5000, 90000)
    site = output / rng.uniform(200, 1500) * 666.67
    electricity = output * rng.uniform(100, 1200)
    treated = output * rng.uniform(0.2, 1.5)
    solid = output * rng.uniform(0.01, 0.1)
    main = output * rng.uniform(0.05, 0.5)

    def q(x: float) -> str:
        return f"{x:.2f}"

    return {
        "site_area": q(site),
        "floor_area": q(site * rng.uniform(0.6, 2)),
        "footprint_area": q(site * rng.uniform(0.3, 0.7)),
        "output_value": q(output),
        "main_material": q(main),
        "green_material": q(main * rng.uniform(0, 0.6)),
        "cod": q(output * rng.uniform(0.01, 0.3)),
        "ammonia_nitrogen": q(output * 0.01),
        "so2": q(output * rng.uniform(0.001, 0.05)),
        "nox": q(output * rng.uniform(0.001, 0.05)),
        "waste_gas": q(output * rng.uniform(0.005, 0.1)),
        "wastewater": q(treated * 1.1),
        "wastewater_treated": q(treated),
        "wastewater_reused": q(treated * rng.uniform(0, 0.6)),
        "solid_waste": q(solid),
        "solid_waste_utilized": q(solid * rng.uniform(0.5, 1)),
        "electricity": q(electricity),
        "natural_gas": q(output * rng.uniform(0, 40)),
        "coal": "0",
        "oil_products": q(output * 0.001),
        "purchased_heat": q(output * rng.uniform(0, 0.3)),
        "renewable_electricity": q(electricity * rng.uniform(0, 0.4)),
        "co2": q(electricity * 0.00057),
    }


def revoked_title(
    green_factory: GreenFactory,
    *,
    proposer: User,
    revoked_on: dt.date,
    reason: str,
    confirmer: User | None = None,
) -> GreenFactory:
    """Revoke a title the way the register does (Art. 9, four eyes): `proposer` proposes it with a date and
    a reason, a second city user (`confirmer`, or a fresh one) confirms it. Returns the factory as stored."""
    from factories.grading.services import revocation_confirm
    from factories.services import revocation_propose

    proposal = revocation_propose(actor=proposer, factory=green_factory, revoked_on=revoked_on, reason=reason)
    if confirmer is None:
        confirmer = User.objects.filter(role=Role.CITY).exclude(pk=proposer.pk).first() or UserFactory(
            username="revocation-confirmer", role=Role.CITY
        )
    revocation_confirm(actor=confirmer, proposal=proposal, note="复核属实")
    green_factory.refresh_from_db()
    return green_factory


def final_run(run, actor):  # type: ignore[no-untyped-def]
    """A succeeded run taken through its notice period (公示, published from today, then let run its course)
    to final (正式发布) by `actor`."""
    from factories.grading import services
    from tests.helpers import notice, notice_elapsed

    run = services.grading_run_publish(actor=actor, run=run, **notice())
    run = notice_elapsed(run)
    return services.grading_run_finalize(actor=actor, run=run)
