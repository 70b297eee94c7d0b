"""Excel benchmark (issues 6 and 19): export 100,000 rows × 20 columns through the platform's writer beside
its two peers on the same values — bare openpyxl write-only and bare XlsxWriter ``constant_memory`` — and
import 10,000 rows (dry run + commit) through the services. Each phase runs in its own process (its own
peak memory); each export is run ``--runs`` times (default 3) and the median printed, wall clock and CPU
time (the machine's other load disturbs CPU time less). The platform's writer runs inside Django (about
70 MiB before it starts): its own memory is the growth while writing.

    python -m bench.excel           # full sizes
    python -m bench.excel --quick   # 10,000-row export, 2,000-row import
    python -m bench.excel exports   # only the three writers side by side (no database needed)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any

from bench.common import ensure_database, measure, phase, setup_django, table

COLUMNS = 20


def _values(n: int):  # type: ignore[no-untyped-def]
    """The same 20 values per row for both writers: text, codes, ints, decimals, floats, dates."""
    day = dt.date(2025, 1, 1)
    for i in range(n):
        yield [
            f"重庆基准制造有限公司{i:06d}",
            f"91500000{i:08d}X",
            "渝中区",
            "36",
            "city",
            "AA",
            "A",
            "BAND",
            61.2345 + i % 7,
            55.5,
            58.1 + i % 3,
            0.25,
            "36",
            312,
            Decimal("12345.678900"),
            Decimal(i),
            i,
            day,
            73.2,
            "" if i % 5 else "=1+1",
        ]


def bare(n: int) -> dict[str, Any]:
    from openpyxl import Workbook

    def go() -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("data")
        for row in _values(n):
            sheet.append(row)
        with tempfile.TemporaryFile() as handle:
            workbook.save(handle)

    return measure(go)


def xlsxwriter_bare(n: int) -> dict[str, Any]:
    """The peer a user would pick: XlsxWriter in constant-memory mode, ``write_row`` per row, no styling."""
    import xlsxwriter

    def go() -> None:
        with tempfile.TemporaryFile() as handle:
            workbook = xlsxwriter.Workbook(handle, {"constant_memory": True, "in_memory": False})
            sheet = workbook.add_worksheet("data")
            for index, row in enumerate(_values(n)):
                sheet.write_row(index, 0, row)
            workbook.close()

    return measure(go)


def ours(n: int) -> dict[str, Any]:
    """The platform's writer (title row, styled header, number formats, neutralisation, autofilter)."""
    from accounts.exports import Column, Exporter, write_xlsx

    kinds = (
        ["text"] * 8 + ["float2"] * 4 + ["text", "int", "decimal", "decimal", "int", "date", "float2", "text"]
    )
    exporter = Exporter(
        kind="bench",
        title="基准导出",
        columns=lambda: [Column(f"列{i}", k) for i, k in enumerate(kinds)],
        queryset=lambda user, filters: None,
    )  # type: ignore[arg-type,return-value]
    exporter.rows = lambda user, filters: _values(n)  # type: ignore[method-assign]

    def go() -> None:
        with tempfile.TemporaryFile() as handle:
            write_xlsx(exporter, None, {}, handle)

    return measure(go)


def full_export() -> dict[str, Any]:
    """The real `grades` export (21 columns) of every published result in the benchmark database."""
    from accounts import exports
    from accounts.models import User

    user = User.objects.filter(role="city").first()
    exporter = exports.get("grades")
    holder = {}

    def go() -> None:
        with tempfile.TemporaryFile() as handle:
            holder["rows"] = exports.write_xlsx(exporter, user, {}, handle)

    out = measure(go)
    out["rows"] = holder["rows"]
    return out


def publish_bench_run() -> dict[str, Any]:
    from factories.models import GradingRun

    run = (
        GradingRun.objects.filter(year=2025, status="succeeded", is_simulation=False).order_by("-pk").first()
    )
    if run is None:
        return {"published": 0}
    GradingRun.objects.filter(pk=run.pk).update(
        status="final", notice_from=dt.date(2026, 1, 1), notice_to=dt.date(2026, 1, 10)
    )
    return {"published": run.results.count()}


def import_rows(n: int) -> dict[str, Any]:
    """Fill the template for n enterprises and time the dry run and the commit."""
    import io

    from openpyxl import load_workbook

    from accounts.models import User
    from factories.indicators import GBT36132_2018
    from factories.models import Enterprise
    from reporting import imports, services
    from reporting.models import AnnualSubmission, ReportingYear
    from tests.model_factories import plausible_raw

    user = User.objects.filter(role="city").first() or User.objects.create(username="bench_city", role="city")
    ReportingYear.objects.update_or_create(
        year=2026, defaults={"opens_on": dt.date(2026, 1, 1), "closes_on": dt.date(2026, 12, 31)}
    )
    AnnualSubmission.objects.filter(year=2026).delete()
    enterprises = list(Enterprise.objects.order_by("pk").values_list("credit_code", "name")[:n])
    template = imports.build_template(year=2026, enterprises=enterprises, catalogue_version="GBT36132-2018")
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[imports.DATA_SHEET]
    names = [f.name for f in GBT36132_2018.raw_fields]
    for offset in range(len(enterprises)):
        raw = plausible_raw(offset % 400, 2026)
        for column, name in enumerate(names, 3):
            sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=column, value=float(raw[name]))
        sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=len(names) + 3, value="基准导入")
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    holder: dict[str, Any] = {}

    def dry() -> None:
        holder["job"] = services.import_upload(actor=user, year=2026, name="bench.xlsx", data=data)

    dry_run = measure(dry)
    job = holder["job"]

    def commit() -> None:
        holder["job"] = services.import_commit(actor=user, job=job)

    committed = measure(commit)
    return {
        "rows": n,
        "file_mib": round(len(data) / 1024 / 1024, 2),
        "dry_run": dry_run,
        "commit": committed,
        "status": holder["job"].status,
        "errors": len(holder["job"].errors),
        "written": AnnualSubmission.objects.filter(year=2026).count(),
    }


def _median_of(command: str, n: int, runs: int) -> dict[str, Any]:
    """``runs`` fresh processes of one export writer: the median time, the highest peak RSS and growth."""
    results = [phase("bench.excel", command, "--n", str(n)) for _ in range(runs)]
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
        "peak_mib": max(r["peak_mib"] for r in results),
        "growth_mib": max(r["growth_mib"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "command",
        nargs="?",
        default="all",
        choices=["all", "exports", "bare", "xlsxwriter", "ours", "full", "publish", "import"],
        help="all (default), or exports: only the writers side by side (no database)",
    )
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=0, help="runs per export writer (median printed)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.command not in ("all", "exports"):
        if args.command not in ("bare", "xlsxwriter"):  # the bare peers run without Django: their own RSS
            setup_django()
        result = {
            "bare": lambda: bare(args.n),
            "xlsxwriter": lambda: xlsxwriter_bare(args.n),
            "ours": lambda: ours(args.n),
            "full": full_export,
            "publish": publish_bench_run,
            "import": lambda: import_rows(args.n),
        }[args.command]()
        print(json.dumps(result))
        return
    n_export, n_import = (10000, 2000) if args.quick else (100000, 10000)
    started = time.perf_counter()
    runs = args.runs or 3
    writers = [
        ("platform writer (title, styled header, formats, neutralising)", "ours"),
        ("bare openpyxl write-only", "bare"),
        ("bare XlsxWriter constant_memory (write_row)", "xlsxwriter"),
    ]
    figures = {command: _median_of(command, n_export, runs) for _, command in writers}
    peer = figures["xlsxwriter"]["cpu_seconds"]
    print(
        f"\nExport {n_export} rows × {COLUMNS} columns (xlsx), median of {runs} run(s), each in its own process"
    )
    print(
        table(
            [
                [
                    label,
                    figures[command]["seconds"],
                    figures[command]["cpu_seconds"],
                    f"{figures[command]['cpu_seconds'] / peer:.2f}",
                    figures[command]["peak_mib"],
                    figures[command]["growth_mib"],
                ]
                for label, command in writers
            ],
            ["writer", "seconds", "CPU s", "CPU / XlsxWriter", "peak RSS MiB", "growth while writing MiB"],
        )
    )
    if args.command == "exports":
        return
    ensure_database()
    published = phase("bench.excel", "publish")
    if published.get("published"):
        full = phase("bench.excel", "full")
        print(
            f"Real `grades` export from PostgreSQL: {full['rows']} rows × 21 columns in {full['seconds']} s, "
            f"{full['queries']} queries, peak {full['peak_mib']} MiB"
        )
    result = phase("bench.excel", "import", "--n", str(n_import))
    print(f"\nImport {result['rows']} rows ({result['file_mib']} MiB xlsx) through the services")
    print(
        table(
            [
                [
                    "dry run (parse + validate)",
                    result["dry_run"]["seconds"],
                    result["dry_run"]["queries"],
                    result["dry_run"]["peak_mib"],
                ],
                [
                    "commit (re-check + write)",
                    result["commit"]["seconds"],
                    result["commit"]["queries"],
                    result["commit"]["peak_mib"],
                ],
            ],
            ["phase", "seconds", "queries", "peak MiB"],
        )
    )
    print(
        f"total {result['dry_run']['seconds'] + result['commit']['seconds']:.1f} s; status {result['status']}, "
        f"{result['errors']} errors, {result['written']} submissions written"
    )
    print(f"(benchmark wall time {time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
