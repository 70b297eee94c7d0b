"""Grading-run benchmark (issues 4, 19): the real run beside its physical floor, on the same data.

    python -m bench.grading                      # generate 10k and 100k factories, print the comparison
    python -m bench.grading --quick              # 2k and 10k, for a smoke run
    python -m bench.grading --repeat 2 --naive   # each size measured twice; the per-factory ORM version too

Each phase runs in its own process against a dedicated PostgreSQL database (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/greenfactory_bench), so peak memory is per phase: the run's
peak RSS is that of the process doing the grading. Per size: the real run (``execute_run``: wall and CPU
seconds, peak RSS, statements sent, COPYs included), then its physical floor on the same data (COPY out
the population and both years' verified indicators, COPY in the run's own rows into a copy of the
results table with its indexes), and at the largest size every stored row compared with the row the
in-memory engine (``gather`` + ``grade_year``) gives.
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


class _Sink:
    """Where a COPY … TO STDOUT goes when only its cost counts: the bytes are counted and dropped."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.bytes += len(data)
        return len(data)


def floor(run_id: int) -> dict[str, Any]:
    """The physical floor of a run's work: COPY out the population and both years' verified indicators,
    COPY in the run's own result rows into a copy of the results table with its indexes. Nothing else."""
    import datetime as dt
    import tempfile

    from django.db import connection

    from factories.models import GradingResult, GreenFactory
    from reporting.models import AnnualSubmission

    population_sql, population_params = (
        GreenFactory.objects.active_on(dt.date(YEAR, 12, 31))
        .order_by()
        .values_list(
            "enterprise_id", "enterprise__industry_id", "enterprise__district_id", "tier", "recognized_year"
        )
        .query.sql_with_params()
    )
    submissions_sql, submissions_params = (
        AnnualSubmission.objects.filter(status="city_verified", year__in=(YEAR - 1, YEAR))
        .order_by()
        .values_list("enterprise_id", "year", "indicators", "catalogue_version")
        .query.sql_with_params()
    )
    table_name = GradingResult._meta.db_table
    with connection.cursor() as cursor, tempfile.TemporaryFile() as rows:
        out_statements = [
            f"COPY ({cursor.mogrify(population_sql, population_params).decode()}) TO STDOUT",
            f"COPY ({cursor.mogrify(submissions_sql, submissions_params).decode()}) TO STDOUT",
        ]
        # The run's rows as they are stored, to write again (not timed).
        cursor.copy_expert(
            cursor.mogrify(
                f"COPY (SELECT * FROM {table_name} WHERE run_id = %s) TO STDOUT", [run_id]
            ).decode(),
            rows,
        )
        result_bytes = rows.tell()
        cursor.execute("DROP TABLE IF EXISTS bench_floor_results")
        cursor.execute(f"CREATE TABLE bench_floor_results (LIKE {table_name} INCLUDING ALL)")
        sink = _Sink()
        started = time.perf_counter()
        for statement in out_statements:
            cursor.copy_expert(statement, sink)
        read = time.perf_counter() - started
        rows.seek(0)
        started = time.perf_counter()
        cursor.copy_expert("COPY bench_floor_results FROM STDIN", rows)
        write = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_floor_results")
        (written,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_floor_results")
    return {
        "seconds": round(read + write, 3),
        "read_seconds": round(read, 3),
        "write_seconds": round(write, 3),
        "read_mb": round(sink.bytes / 1e6, 1),
        "write_mb": round(result_bytes / 1e6, 1),
        "rows": written,
    }


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


def compare(run_id: int) -> dict[str, Any]:
    """Every stored row of run ``run_id`` against the row the in-memory path (``gather`` + ``grade_year``,
    the engine before streaming) gives on the same data: all columns, JSON values as stored."""
    from factories.grading import engine
    from factories.grading.inputs import gather
    from factories.grading.services import DETAIL_KEYS, RESULT_COLUMNS
    from factories.grading.standard import standard_from_dict
    from factories.models import GradingResult, GradingRun

    run = GradingRun.objects.select_related("standard").get(pk=run_id)
    standard = standard_from_dict(run.standard.parameters)
    inputs = gather(run.year, run.standard.parameters)
    results = engine.grade_year(run.year, inputs.factories, standard)
    inputs.factories.clear()
    stored = (
        GradingResult.objects.filter(run_id=run_id)
        .order_by("enterprise_id")
        .values_list(*(c for c in RESULT_COLUMNS if c not in ("run_id", "year")))
        .iterator(chunk_size=5000)
    )
    compared = different = 0
    first_difference = None
    for result, row in zip(results, stored, strict=True):
        district, industry, tier = inputs.enterprise_meta[result.enterprise_id]
        details = engine.result_to_dict(result)
        old = [
            result.enterprise_id,
            district,
            industry,
            tier,
            result.grade,
            result.computed_grade or "",
            result.decided_by,
            details["level_score"],
            details["improvement_score"],
            details["composite"],
            details["q"],
            result.peer_group or "",
            result.peer_count,
            result.revocation_proposed,
            list(result.flags),
            details["reasons"],
            {k: details[k] for k in DETAIL_KEYS},
        ]
        # Both sides in one canonical JSON spelling: equal texts are equal stored values.
        if json.dumps(old, sort_keys=True) != json.dumps(list(row), sort_keys=True):
            different += 1
            first_difference = first_difference or result.enterprise_id
        compared += 1
    return {"compared": compared, "different": different, "first_difference": first_difference}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=["all", "generate", "run", "floor", "compare", "naive"],
    )
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--run-id", type=int, default=0)
    parser.add_argument("--sizes", default="", help="comma-separated population sizes (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=1, help="run and floor measured this many times each")
    parser.add_argument("--naive", action="store_true", help="also time the per-factory ORM version")
    args = parser.parse_args()
    if args.command != "all":
        setup_django()
        result = {
            "generate": lambda: generate(args.n, args.seed),
            "run": real_run,
            "floor": lambda: floor(args.run_id),
            "compare": lambda: compare(args.run_id),
            "naive": lambda: naive(args.n),
        }[args.command]()
        print(json.dumps(result))
        return
    ensure_database()
    if args.sizes:
        sizes = tuple(int(x) for x in args.sizes.split(","))
    else:
        sizes = (2000, 10000) if args.quick else (10000, 100000)
    rows = []
    checks = []
    naive_figures = None
    for n in sizes:
        print(f"generating {n} green factories with two years of verified data …", file=sys.stderr)
        phase("bench.grading", "generate", "--n", str(n))
        for attempt in range(args.repeat):
            print(f"grading run at {n} ({attempt + 1}/{args.repeat}) and its floor …", file=sys.stderr)
            run = phase("bench.grading", "run")
            base = phase("bench.grading", "floor", "--run-id", str(run["run_id"]))
            rows.append(
                [
                    n,
                    run["seconds"],
                    run["cpu_seconds"],
                    base["seconds"],
                    f"{base['read_seconds']} + {base['write_seconds']}",
                    f"{base['read_mb']} + {base['write_mb']}",
                    round(run["seconds"] / base["seconds"], 2),
                    run["peak_mib"],
                    run["queries"],
                    run["status"],
                    run["results"],
                ]
            )
        if n == max(sizes):
            print(f"comparing every row with the in-memory engine at {n} …", file=sys.stderr)
            checks.append((n, phase("bench.grading", "compare", "--run-id", str(run["run_id"]))))
        if args.naive and n == 10000 and naive_figures is None:
            print(f"per-factory ORM version at {n} …", file=sys.stderr)
            naive_figures = phase("bench.grading", "naive", "--n", str(n))
            naive_figures["run_seconds"] = run["seconds"]
    print(
        "\nGrading run vs its physical floor (COPY out the population and both years' indicators + COPY in"
        " the run's own rows into a copy of the results table with its indexes), PostgreSQL, same data"
    )
    print(
        table(
            rows,
            [
                "N",
                "run s",
                "run cpu s",
                "floor s",
                "floor read + write s",
                "floor MB",
                "run/floor",
                "run peak MiB",
                "run queries",
                "status",
                "results",
            ],
        )
    )
    for n, check in checks:
        verdict = "identical" if check["different"] == 0 else f"{check['different']} DIFFERENT"
        print(
            f"\nEvery row at N = {n} against the in-memory engine: {check['compared']} compared, {verdict}"
            + (f" (first: enterprise {check['first_difference']})" if check["different"] else "")
        )
    if naive_figures:
        speedup = naive_figures["seconds"] / naive_figures["run_seconds"]
        print(
            f"\nPer-factory ORM version at N = {naive_figures['factories']}: {naive_figures['seconds']} s, "
            f"{naive_figures['queries']} queries, {naive_figures['peak_mib']} MiB "
            f"→ the streamed run is {speedup:.0f}× faster"
        )


if __name__ == "__main__":
    main()
