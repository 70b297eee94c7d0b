"""Copy-detector benchmark (issue 18): 10,000 submitted submissions of one year on PostgreSQL, among them
one planted exact copy and one near copy (two of 22 non-zero figures changed). The detector
(`reporting.anomalies.find_copies`: an md5 of the canonical raw JSON grouped in SQL, and a self-join of
the (field, value) cells) must find both pairs, and nothing else, in well under a second; the check of a
single submission at submit time is timed too.

    python -m bench.copies            # 10,000 submissions
    python -m bench.copies --n 50000  # more

Runs on a PostgreSQL database of its own (`BENCH_COPIES_DATABASE_URL`, default greenfactory_bench_copies).
A fifth of the factories report round site areas (whole thousands of m²), as real forms often do, so
the self-join meets the large groups of equal values it would meet in practice.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

from bench.common import DEFAULT_URL, ensure_database, measure, phase, setup_django, table

URL = os.environ.get("BENCH_COPIES_DATABASE_URL", DEFAULT_URL + "_copies")
YEAR = 2025
PREFIX = "查重基准企业"
FLOOR_SECONDS = 1.0


def generate(n: int, seed: int) -> dict[str, Any]:
    """n enterprises with one submitted submission each; the last two copy the first two (exact, near)."""
    from django.db import connection, transaction

    from factories.creditcode import make_credit_code
    from factories.models import District, Enterprise, Industry
    from reporting.models import AnnualSubmission
    from tests.model_factories import plausible_raw

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in (
            "DELETE FROM reporting_submissiontransition",
            "DELETE FROM reporting_submissionversion",
            "DELETE FROM reporting_correctionrequest",
            "DELETE FROM reporting_reminder",
            "DELETE FROM reporting_annualsubmission",
            "DELETE FROM factories_districttransfer",
            "DELETE FROM factories_greenfactory",
            "DELETE FROM accounts_user WHERE enterprise_id IS NOT NULL",
            "DELETE FROM factories_enterprise",
        ):
            cursor.execute(statement)
    rng = random.Random(seed)
    units = list(District.objects.filter(valid_to__isnull=True).values_list("code", flat=True))
    divisions = list(Industry.objects.values_list("code", flat=True))
    raws = []
    for k in range(n - 2):
        raw = plausible_raw(k, YEAR)
        if rng.random() < 0.2:
            raw["site_area"] = str(round(float(raw["site_area"]), -3) or 1000)
            raw["footprint_area"] = str(min(float(raw["footprint_area"]), float(raw["site_area"])))
        raws.append(raw)
    raws.append(dict(raws[0]))  # the exact copy
    raws.append({**raws[1], "cod": "1.11", "nox": "2.22"})  # the near copy: 20 of 22 the same
    with transaction.atomic():
        enterprises = Enterprise.objects.bulk_create(
            [
                Enterprise(
                    name=f"{PREFIX}{i:06d}",
                    credit_code=make_credit_code("91", "500000", f"{i:08d}"),
                    district_id=rng.choice(units),
                    industry_id=rng.choice(divisions),
                    legal_form="legal_person",
                )
                for i in range(n)
            ],
            batch_size=5000,
        )
        AnnualSubmission.objects.bulk_create(
            [
                AnnualSubmission(
                    enterprise=e, year=YEAR, district_id=e.district_id, status="submitted", raw_values=raw
                )
                for e, raw in zip(enterprises, raws, strict=True)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"generated": n, "seconds": round(time.perf_counter() - started, 1)}


def detect() -> dict[str, Any]:
    """The year-wide detector, timed (best of three, after one warm-up), and the planted pairs it found."""
    from reporting import anomalies
    from reporting.models import AnnualSubmission

    ids = list(
        AnnualSubmission.objects.filter(year=YEAR).order_by("enterprise__name").values_list("pk", flat=True)
    )
    expected = {(ids[0], ids[-2], True), (ids[1], ids[-1], False)}
    found: list[Any] = []

    def run() -> None:
        found[:] = anomalies.find_copies(YEAR)

    run()
    timings = [measure(run) for _ in range(3)]
    best = min(timings, key=lambda t: t["seconds"])
    pairs = {(c.first, c.second, c.exact) for c in found}
    one = measure(lambda: anomalies.find_copies(YEAR, only=ids[-1]))
    return {
        **best,
        "pairs": len(pairs),
        "planted_found": expected <= pairs,
        "others": len(pairs - expected),
        "single_seconds": one["seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="all", choices=["all", "generate", "detect"])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--quick", action="store_true", help="the same 10,000 (kept for `make bench`)")
    args = parser.parse_args()
    if args.command != "all":
        setup_django()
        result = generate(args.n, args.seed) if args.command == "generate" else detect()
        print(json.dumps(result))
        return
    ensure_database(URL)
    print(f"generating {args.n} submitted submissions with one exact and one near copy …", file=sys.stderr)
    phase("bench.copies", "generate", "--n", str(args.n), url=URL)
    result = phase("bench.copies", "detect", url=URL)
    print(
        table(
            [
                [
                    args.n,
                    result["seconds"],
                    result["single_seconds"],
                    result["queries"],
                    result["pairs"],
                    "yes" if result["planted_found"] else "NO",
                    result["others"],
                ]
            ],
            [
                "submissions",
                "year-wide s",
                "one submission s",
                "queries",
                "pairs",
                "planted found",
                "other pairs",
            ],
        )
    )
    ok = result["planted_found"] and result["others"] == 0 and result["seconds"] < FLOOR_SECONDS
    print(
        f"\nfloor: both planted pairs found, nothing else, in under {FLOOR_SECONDS} s: {'PASS' if ok else 'FAIL'}"
    )
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
