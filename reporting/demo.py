"""Demo annual data: 2023 and 2024 verified, 2025 in every state of the review chain.

Everything goes through the reporting services, so the demo data obeys the same rules as real
data. The windows of past years are opened around today while seeding and moved to their
historical dates afterwards (the move is audited like any other window change).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

from accounts import audit
from accounts.models import Role, User
from factories.models import District, Enterprise
from reporting import services

CURRENT_YEAR = 2025
HISTORY = {
    2023: (dt.date(2024, 3, 1), dt.date(2024, 5, 31)),
    2024: (dt.date(2025, 3, 1), dt.date(2025, 5, 31)),
}
CURRENT_WINDOW = (dt.date(2026, 11, 1), dt.date(2026, 12, 31))


def _q(value: float) -> str:
    return str(Decimal(repr(max(value, 0.0))).quantize(Decimal("0.01")))


def profile(rng: random.Random) -> dict[str, float]:
    """A plausible factory: intensities per 万元 of output, drawn once per enterprise.

    A latent greenness g pulls every intensity the same way (a well-run plant tends to be good at
    most things), so the demo population spreads over all four grades instead of clustering at A.
    """
    g = rng.betavariate(2.2, 2.2)

    def pick(low: float, high: float, *, higher_is_better: bool) -> float:
        position = 0.75 * (g if higher_is_better else 1 - g) + 0.25 * rng.random()
        return low + (high - low) * position

    return {
        "output": math.exp(rng.uniform(math.log(3000), math.log(400000))),
        "per_mu": pick(150, 2200, higher_is_better=True),
        "plot": pick(0.6, 2.2, higher_is_better=True),
        "density": pick(0.30, 0.72, higher_is_better=True),
        "material": pick(0.05, 0.6, higher_is_better=False),
        "green": pick(0.0, 0.6, higher_is_better=True),
        "pollutant": pick(0.01, 0.6, higher_is_better=False),
        "gas": pick(0.004, 0.12, higher_is_better=False),
        "water": pick(0.1, 2.5, higher_is_better=False),
        "treated": pick(0.7, 1.0, higher_is_better=True),
        "reuse": pick(0.0, 0.65, higher_is_better=True),
        "solid": pick(0.005, 0.12, higher_is_better=False),
        "utilised": pick(0.5, 1.05, higher_is_better=True),
        "kwh": pick(90, 1600, higher_is_better=False),
        "gas_m3": pick(0, 60, higher_is_better=False) if rng.random() < 0.8 else 0.0,
        "coal": pick(0, 0.05, higher_is_better=False) if rng.random() < 0.25 else 0.0,
        "oil": pick(0, 0.006, higher_is_better=False),
        "heat": pick(0, 0.6, higher_is_better=False) if rng.random() < 0.5 else 0.0,
        "renewable": pick(0.0, 0.45, higher_is_better=True),
        # Greener plants also improve faster year on year.
        "trend": 0.99 - 0.06 * g,
    }


def raw_values(rng: random.Random, p: dict[str, float], year: int) -> dict[str, str | None]:
    """One year's raw figures; later years improve a little, with noise well inside the ×3 rule."""
    trend = p["trend"] ** (year - 2023)
    noise = lambda: rng.uniform(0.9, 1.1)  # noqa: E731
    output = p["output"] * (1.04 ** (year - 2023)) * noise()
    site = output / p["per_mu"] * 666.67
    electricity = output * p["kwh"] * trend * noise()
    gas, coal, oil = output * p["gas_m3"] * trend, output * p["coal"] * trend, output * p["oil"] * trend
    co2 = electricity * 0.0005703 + gas * 0.00216 + coal * 1.9 + oil * 3.1
    treated = output * p["water"] * trend * p["treated"]
    solid = output * p["solid"] * trend
    main = output * p["material"] * trend
    values: dict[str, str | None] = {
        "site_area": _q(site),
        "floor_area": _q(site * p["plot"]),
        "footprint_area": _q(site * p["density"]),
        "output_value": _q(output),
        "main_material": _q(main),
        "green_material": _q(main * min(1.0, p["green"] / trend)),
        "cod": _q(output * p["pollutant"] * 0.55 * trend),
        "ammonia_nitrogen": _q(output * p["pollutant"] * 0.05 * trend),
        "so2": _q(output * p["pollutant"] * 0.15 * trend),
        "nox": _q(output * p["pollutant"] * 0.25 * trend),
        "waste_gas": _q(output * p["gas"] * trend),
        "wastewater": _q(output * p["water"] * trend),
        "wastewater_treated": _q(treated),
        "wastewater_reused": _q(treated * min(1.0, p["reuse"] / trend)),
        "solid_waste": _q(solid),
        "solid_waste_utilized": _q(solid * p["utilised"]),
        "electricity": _q(electricity),
        "natural_gas": _q(gas),
        "coal": _q(coal),
        "oil_products": _q(oil),
        "purchased_heat": _q(output * p["heat"] * trend),
        "renewable_electricity": _q(electricity * min(1.0, p["renewable"] / trend)),
        "co2": _q(co2),
    }
    if rng.random() < 0.05:
        values["wastewater_treated"] = values["wastewater_reused"] = "0.00"
    if rng.random() < 0.04:
        values[rng.choice(["green_material", "waste_gas", "purchased_heat", "co2"])] = None
    return values


def _clerks() -> dict[str, Any]:
    """A bureau clerk for every management unit that has enterprises (historical units included)."""
    clerks: dict[str, Any] = {}
    for unit in District.objects.filter(enterprises__isnull=False).distinct():
        user = User.objects.filter(role=Role.DISTRICT, district=unit).order_by("pk").first()
        if user is None:
            user = User(
                username=f"qx_{unit.code.lower()}",
                role=Role.DISTRICT,
                district=unit,
                first_name=f"{unit.name}经信部门",
            )
            user.set_unusable_password()
            user.save()
            audit.record(
                actor="seed_demo", action="user.create", obj=user, reason="演示数据：区县经信部门账号"
            )
        clerks[unit.code] = user
    return clerks


def _open_year(city: Any, year: int) -> None:
    today = dt.date.today()
    services.reporting_year_open(
        actor=city,
        year=year,
        opens_on=min(today, dt.date(year + 1, 1, 1)),
        closes_on=today + dt.timedelta(days=60),
    )


def _close_window(city: Any, year: int, window: tuple[dt.date, dt.date]) -> None:
    reporting_year = services.ReportingYear.objects.get(year=year)
    services.reporting_year_update(
        actor=city,
        reporting_year=reporting_year,
        opens_on=window[0],
        closes_on=window[1],
        reason="演示数据：恢复历史填报窗口",
    )


def seed_submissions(rng: random.Random, *, skip: set[int]) -> dict[str, int]:
    """Years 2023–2025 for every enterprise; returns counts by status for the seeding log."""
    city = User.objects.get(username="city")
    clerks = _clerks()
    enterprises = list(Enterprise.objects.select_related("district").order_by("pk"))
    profiles = {e.pk: profile(rng) for e in enterprises}
    counts: dict[str, int] = {}
    for year in (2023, 2024, CURRENT_YEAR):
        if year == CURRENT_YEAR:
            # 江北区 and 渝北区 were merged into 两江新区 on 2026-01-25, before 2025 data were filed.
            from factories.demo import apply_2025_merger

            apply_2025_merger()
            clerks = _clerks()
            enterprises = list(Enterprise.objects.select_related("district").order_by("pk"))
        _open_year(city, year)
        for enterprise in enterprises:
            if year == CURRENT_YEAR and enterprise.pk in skip:
                continue
            roll = rng.random()
            if year == CURRENT_YEAR and roll < 0.12:
                continue  # not started yet
            if year < CURRENT_YEAR and roll < 0.03:
                continue  # did not report that year
            clerk = clerks[enterprise.district_id]
            submission = services.submission_save_draft(
                actor=clerk,
                enterprise=enterprise,
                year=year,
                values=raw_values(rng, profiles[enterprise.pk], year),
            )
            state = (
                "verified"
                if year < CURRENT_YEAR
                else rng.choices(["draft", "submitted", "approved", "verified"], [0.12, 0.18, 0.2, 0.5])[0]
            )
            if submission.yoy_flags:
                submission = services.submission_save_draft(
                    actor=clerk,
                    enterprise=enterprise,
                    year=year,
                    values={},
                    explanation="产线调整，数据波动较大，已附说明材料。",
                )
            if state != "draft":
                try:
                    submission = services.submission_submit(actor=clerk, submission=submission)
                except services.InvalidInput as exc:
                    raise RuntimeError(f"{enterprise} {year}: {exc.field_errors}") from exc
            if state in ("approved", "verified"):
                submission = services.submission_approve(actor=clerk, submission=submission)
            if state == "verified":
                submission = services.submission_verify(actor=city, submission=submission)
            counts[f"{year}:{submission.status}"] = counts.get(f"{year}:{submission.status}", 0) + 1
        if year in HISTORY:
            _close_window(city, year, HISTORY[year])
    _close_window(city, CURRENT_YEAR, CURRENT_WINDOW)
    return counts


def _step(state: dict[str, Any]) -> None:
    # The demo enterprise user's company keeps 2025 open, so a newcomer can fill it in.
    skip = {state["enterprises"][0].pk}
    counts = seed_submissions(state["rng"], skip=skip)
    state["stdout"].write("    " + "，".join(f"{k} {v}" for k, v in sorted(counts.items())))


NEW_CATALOGUE = "GBT36132-2025"
NEW_CATALOGUE_YEAR = 2026


def seed_new_catalogue() -> bool:
    """The city adopts GB/T 36132-2025 (shipped as a draft) and opens 2026 on it, as it would through the
    catalogue and year pages, so the demo shows the 2025 catalogue's form; False before 2026 (a year is
    opened only once it has begun)."""
    from factories.catalogues import services as catalogue_services
    from factories.models import CatalogueStatus, CatalogueVersion

    if dt.date.today().year < NEW_CATALOGUE_YEAR:
        return False
    city = User.objects.get(username="city")
    catalogue = CatalogueVersion.objects.get(code=NEW_CATALOGUE)
    if catalogue.status != CatalogueStatus.ADOPTED:
        catalogue_services.catalogue_adopt(actor=city, catalogue=catalogue)
    if not services.ReportingYear.objects.filter(year=NEW_CATALOGUE_YEAR).exists():
        today = dt.date.today()
        services.reporting_year_open(
            actor=city,
            year=NEW_CATALOGUE_YEAR,
            opens_on=min(today, dt.date(NEW_CATALOGUE_YEAR + 1, 1, 1)),
            closes_on=max(today, dt.date(NEW_CATALOGUE_YEAR + 1, 1, 1)) + dt.timedelta(days=120),
            catalogue=NEW_CATALOGUE,
        )
    return True


def _step_new_catalogue(state: dict[str, Any]) -> None:
    opened = seed_new_catalogue()
    state["stdout"].write(
        "    " + ("已采用 GBT36132-2025，2026年度已开放填报" if opened else "尚未到2026年，跳过")
    )


def register() -> None:
    from factories import demo

    if _step not in [step for _label, step in demo.EXTRA_STEPS]:
        demo.EXTRA_STEPS.append(("年度数据（2023–2025）", _step))
    if _step_new_catalogue not in [step for _label, step in demo.EXTRA_STEPS]:
        demo.EXTRA_STEPS.append(("指标目录 GBT36132-2025（2026年度）", _step_new_catalogue))
