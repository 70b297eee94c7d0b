"""Grading-run benchmark (issue 4): the real run beside the I/O floor and a per-factory ORM version.

    python -m bench.grading            # generate 10k and 100k factories, print the comparison
    python -m bench.grading --quick    # 2k and 10k, for a smoke run

Each phase runs in its own process against a dedicated PostgreSQL database (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/greenfactory_bench), so peak memory is per phase.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from fractions import Fraction
from typing import Any

from bench.common import ensure_database, measure, phase, setup_django, table

YEAR = 2025
PREFIX = "基准工厂"


def generate(n: int, seed: int) -> dict[str, Any]:
    """N green factories over all divisions and units, with verified data for Y−1 and Y."""
    from django.db import connection, transaction

    from factories.creditcode import make_credit_code
    from factories.models import District, Enterprise, GradingRun, GreenFactory, Industry
    from reporting.models import AnnualSubmission
    from reporting.values import compute_indicators, indicators_to_storage
    from tests.model_factories import plausible_raw

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Plain DELETEs in dependency order: TRUNCATE … CASCADE would follow user foreign keys into
        # the grading standards and the audit trail.
        for statement in (
            "DELETE FROM factories_gradingresult",
            "DELETE FROM factories_revocationproposal",
            "DELETE FROM factories_gradingrun",
            "DELETE FROM factories_incident",
            "DELETE FROM reporting_submissiontransition",
            "DELETE FROM reporting_submissionversion",
            "DELETE FROM reporting_correctionrequest",
            "DELETE FROM reporting_annualsubmission",
            "DELETE FROM factories_districttransfer",
            "DELETE FROM factories_greenfactory",
            "DELETE FROM accounts_user WHERE enterprise_id IS NOT NULL",
            "DELETE FROM factories_enterprise",
        ):
            cursor.execute(statement)
    del GradingRun
    rng = random.Random(seed)
    units = list(District.objects.filter(valid_to__isnull=True).values_list("code", flat=True))
    divisions = list(Industry.objects.values_list("code", flat=True))
    # A few distinct raw profiles reused across factories keep generation fast; values still differ
    # between factories of a division because each factory draws its own profile pair.
    profiles = {year: [plausible_raw(k, year) for k in range(400)] for year in (YEAR - 1, YEAR)}
    indicators = {
        year: [indicators_to_storage(compute_indicators(raw, "GBT36132-2018")) for raw in profiles[year]]
        for year in profiles
    }
    batch = 5000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        with transaction.atomic():
            enterprises = Enterprise.objects.bulk_create(
                [
                    Enterprise(
                        name=f"{PREFIX}{start + i:06d}",
                        credit_code=make_credit_code("91", "500000", f"{start + i:08d}"),
                        district_id=rng.choice(units),
                        industry_id=rng.choice(divisions),
                        legal_form="legal_person",
                    )
                    for i in range(size)
                ]
            )
            GreenFactory.objects.bulk_create(
                [
                    GreenFactory(
                        enterprise=e,
                        tier="city" if rng.random() < 0.85 else "national",
                        recognized_year=rng.choice([2019, 2020, 2021, 2022, 2023, 2024, 2025]),
                    )
                    for e in enterprises
                ]
            )
            rows = []
            for e in enterprises:
                k = rng.randrange(400)
                for year in (YEAR - 1, YEAR):
                    rows.append(
                        AnnualSubmission(
                            enterprise=e,
                            year=year,
                            district_id=e.district_id,
                            status="city_verified",
                            raw_values=profiles[year][k],
                            indicators=indicators[year][k],
                        )
                    )
            AnnualSubmission.objects.bulk_create(rows, batch_size=5000)
    # What autovacuum does in production: statistics, and the visibility map that index-only scans need.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"generated": n, "seconds": round(time.perf_counter() - started, 1)}


def real_run() -> dict[str, Any]:
    from accounts.models import User
    from factories.grading.services import execute_run, grading_run_start
    from factories.models import GradingRun

    actor = User.objects.filter(role="city").first() or User.objects.create(
        username="bench_city", role="city"
    )
    holder: dict[str, Any] = {}

    def go() -> None:
        run = GradingRun.objects.create(year=YEAR, standard_id=_standard_id(), started_by=actor)
        execute_run(run.pk)
        holder["run"] = GradingRun.objects.get(pk=run.pk)

    del grading_run_start
    out = measure(go)
    run = holder["run"]
    out.update({"status": run.status, "results": run.results.count(), "run_id": run.pk})
    return out


def _standard_id() -> int:
    import datetime as dt

    from factories.grading.standard import DEFAULT_STANDARD, standard_to_dict
    from factories.models import GradingStandard

    standard, _created = GradingStandard.objects.get_or_create(
        code="CQ-GF-2024",
        version=1,
        defaults={
            "name": "CQ-GF-2024",
            "status": "adopted",
            "parameters": standard_to_dict(DEFAULT_STANDARD),
            "valid_from": dt.date(2024, 6, 20),
        },
    )
    return standard.pk


def floor() -> dict[str, Any]:
    """Stream the rows a run reads, and bulk-write as many result rows of the same size, nothing else."""
    from django.db import transaction

    from factories.models import GradingResult, GradingRun, GreenFactory, Incident
    from reporting.models import AnnualSubmission

    template = GradingResult.objects.exclude(details={}).order_by("pk").first()
    run = GradingRun.objects.create(year=YEAR, standard_id=_standard_id(), status="succeeded", note="floor")

    def go() -> None:
        population = list(
            GreenFactory.objects.values_list(
                "enterprise_id",
                "enterprise__industry_id",
                "enterprise__district_id",
                "tier",
                "recognized_year",
            ).iterator(chunk_size=5000)
        )
        for _row in (
            AnnualSubmission.objects.filter(status="city_verified", year__in=(YEAR - 1, YEAR))
            .values_list("enterprise_id", "year", "indicators")
            .iterator(chunk_size=5000)
        ):
            pass
        list(
            GradingResult.objects.filter(year=YEAR - 1, run__status__in=["published", "final"]).values_list(
                "enterprise_id", "grade", "flags"
            )
        )
        list(
            Incident.objects.filter(occurred_on__year=YEAR).values_list(
                "id", "enterprise_id", "kind", "severity"
            )
        )
        for start in range(0, len(population), 2000):
            rows = [
                GradingResult(
                    run=run,
                    enterprise_id=p[0],
                    year=YEAR,
                    district_id=p[2],
                    industry_id=p[1],
                    tier=p[3],
                    grade=template.grade,
                    computed_grade=template.computed_grade,
                    decided_by=template.decided_by,
                    level_score=template.level_score,
                    improvement_score=template.improvement_score,
                    composite_score=template.composite_score,
                    q=template.q,
                    peer_group=template.peer_group,
                    peer_count=template.peer_count,
                    flags=template.flags,
                    reasons=template.reasons,
                    details=template.details,
                )
                for p in population[start : start + 2000]
            ]
            with transaction.atomic():
                GradingResult.objects.bulk_create(rows, ignore_conflicts=True)

    out = measure(go)
    GradingResult.objects.filter(run=run).delete()
    run.delete()
    return out


def naive(limit: int) -> dict[str, Any]:
    """A straightforward per-factory ORM implementation: for each factory, fetch its data and its peers'
    data, compute its percentiles and scores, save its row. Same formulas (the engine's helpers)."""
    from factories import scoring
    from factories.grading import engine
    from factories.grading.standard import DEFAULT_STANDARD
    from factories.indicators import Status
    from factories.models import GradingResult, GradingRun, GreenFactory
    from reporting.models import AnnualSubmission
    from reporting.values import indicators_from_storage

    standard = DEFAULT_STANDARD
    layout = scoring.dimension_layout(standard.indicators)
    run = GradingRun.objects.create(year=YEAR, standard_id=_standard_id(), status="running", note="naive")

    def go() -> None:
        for factory in GreenFactory.objects.select_related("enterprise").order_by("enterprise_id")[:limit]:
            enterprise = factory.enterprise
            own = AnnualSubmission.objects.filter(
                enterprise=enterprise, year=YEAR, status="city_verified"
            ).first()
            last = AnnualSubmission.objects.filter(
                enterprise=enterprise, year=YEAR - 1, status="city_verified"
            ).first()
            if own is None:
                continue
            peers = [
                indicators_from_storage(s.indicators)
                for s in AnnualSubmission.objects.filter(
                    year=YEAR,
                    status="city_verified",
                    enterprise__industry_id=enterprise.industry_id,
                    enterprise__green_factory__status="active",
                )
            ]
            mine = indicators_from_storage(own.indicators)
            percentiles: dict[str, Fraction | None] = {}
            for spec in standard.indicators:
                column = scoring.build_column([p.get(spec.code) for p in peers], spec.direction)
                percentiles[spec.code] = scoring.peer_percentile(column, mine.get(spec.code))
            dims = scoring.dimension_means(percentiles, layout)
            level = scoring.weighted_mean(dims, standard.weights)
            rates: dict[str, Fraction] = {}
            if last is not None:
                previous = indicators_from_storage(last.indicators)
                for spec in standard.indicators:
                    a, b = mine.get(spec.code), previous.get(spec.code)
                    if (
                        a
                        and b
                        and a.status == Status.OK
                        and b.status == Status.OK
                        and a.value is not None
                        and b.value is not None
                    ):
                        r = engine.improvement_rate(spec, a.value, b.value, standard.improvement_clip)
                        if r is not None:
                            rates[spec.code] = r
            GradingResult.objects.create(
                run=run,
                enterprise=enterprise,
                year=YEAR,
                district_id=enterprise.district_id,
                industry_id=enterprise.industry_id,
                tier=factory.tier,
                grade="A",
                decided_by="BAND",
                level_score=None if level is None else scoring.render(level),
                details={
                    "percentiles": {code: scoring.render_ratio(p) for code, p in percentiles.items()},
                    "dimension_scores": {dim: scoring.render(d) for dim, d in dims.items()},
                    "improvement_rates": {code: float(r) for code, r in rates.items()},
                },
            )

    out = measure(go)
    GradingResult.objects.filter(run=run).delete()
    run.delete()
    out["factories"] = limit
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command", nargs="?", default="all", choices=["all", "generate", "run", "floor", "naive"]
    )
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.command != "all":
        setup_django()
        result = {
            "generate": lambda: generate(args.n, args.seed),
            "run": real_run,
            "floor": floor,
            "naive": lambda: naive(args.n),
        }[args.command]()
        print(json.dumps(result))
        return
    ensure_database()
    sizes = (2000, 10000) if args.quick else (10000, 100000)
    rows = []
    naive_figures = None
    for n in sizes:
        print(f"generating {n} green factories with two years of verified data …", file=sys.stderr)
        phase("bench.grading", "generate", "--n", str(n))
        run = phase("bench.grading", "run")
        base = phase("bench.grading", "floor")
        rows.append(
            [
                n,
                run["seconds"],
                base["seconds"],
                round(run["seconds"] / base["seconds"], 2),
                run["queries"],
                base["queries"],
                run["peak_mib"],
                base["peak_mib"],
                run["status"],
                run["results"],
            ]
        )
        if n == 10000 and naive_figures is None:
            print(f"per-factory ORM version at {n} …", file=sys.stderr)
            naive_figures = phase("bench.grading", "naive", "--n", str(n))
            naive_figures["run_seconds"] = run["seconds"]
    print("\nGrading run vs floor (stream the same rows + bulk-write as many results), PostgreSQL")
    print(
        table(
            rows,
            [
                "N",
                "run s",
                "floor s",
                "run/floor",
                "run queries",
                "floor queries",
                "run MiB",
                "floor MiB",
                "status",
                "results",
            ],
        )
    )
    if naive_figures:
        speedup = naive_figures["seconds"] / naive_figures["run_seconds"]
        print(
            f"\nPer-factory ORM version at N = {naive_figures['factories']}: {naive_figures['seconds']} s, "
            f"{naive_figures['queries']} queries, {naive_figures['peak_mib']} MiB "
            f"→ the batched run is {speedup:.0f}× faster"
        )


if __name__ == "__main__":
    main()
