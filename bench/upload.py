"""Upload benchmark (issue 13, finding 3): a workbook of 1,000,000 data rows that passes the quick checks
(under the 10 MB upload limit and the zip-bomb limits) is uploaded through the API, as a district clerk's
browser or script would. The web process must answer in under 2 s and stay under 300 MiB: it stores the
file and queues the dry run. The dry run then runs as the worker runs it, in its own process, while this
script polls the job's row for progress; it must stop at IMPORT_MAX_ROWS with the clear message.

    python -m bench.upload            # 1,000,000 rows
    python -m bench.upload --quick    # 200,000 rows

Each phase runs in a fresh process (its peak RSS is its own), on a PostgreSQL database of its own
(`BENCH_IMPORTS_DATABASE_URL`, default greenfactory_bench_imports) and a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_URL, ROOT, bench_env, ensure_database, measure, phase, setup_django, table

URL = os.environ.get("BENCH_IMPORTS_DATABASE_URL", DEFAULT_URL + "_imports")
FLOOR_MIB = 300
FLOOR_SECONDS = 2.0
YEAR = 2026
SHEET = "xl/worksheets/sheet1.xml"


def _text_cell(ref: str, text: str) -> str:
    from xml.sax.saxutils import escape

    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def build(path: Path, n: int) -> dict[str, Any]:
    """The platform's own template with its data sheet replaced by n rows (credit code, two figures),
    written as a stream: the header rows are the template's, so the file reads like a real upload."""
    from openpyxl.utils import get_column_letter

    from factories.catalogues.bridge import reporting_catalogue
    from reporting import imports

    catalogue = reporting_catalogue("GBT36132-2018")
    template = imports.build_template(year=YEAR, enterprises=[], catalogue_version=catalogue.version)
    titles = [title for _key, title in imports.headers(catalogue)]
    last = get_column_letter(len(titles))
    source = zipfile.ZipFile(io.BytesIO(template))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            if item.filename != SHEET:
                target.writestr(item, source.read(item.filename))
        with target.open(SHEET, "w", force_zip64=True) as sheet:
            head = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:{last}{n + imports.HEADER_ROW}"/><sheetData>'
                f'<row r="1">{_text_cell("A1", f"{YEAR}年度绿色制造数据导入模板")}</row>'
                '<row r="2">'
                + "".join(_text_cell(f"{get_column_letter(i)}2", t) for i, t in enumerate(titles, 1))
                + "</row>"
            )
            sheet.write(head.encode())
            batch: list[str] = []
            for offset in range(n):
                r = imports.FIRST_DATA_ROW + offset
                batch.append(
                    # cells without references (they are optional): A code, B empty name, C and D figures
                    f'<row r="{r}"><c t="inlineStr"><is><t>91500103MA{offset % 1000:08d}</t></is></c>'
                    f"<c/><c><v>{20000 + offset % 7}</v></c><c><v>{offset % 5}</v></c></row>"
                )
                if len(batch) == 10000:
                    sheet.write("".join(batch).encode())
                    batch = []
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
        return {
            "rows": n,
            "file_mib": round(path.stat().st_size / 1024 / 1024, 2),
            "sheet_mib": round(info.file_size / 1024 / 1024, 1),
            "ratio": round(info.file_size / info.compress_size, 1),
        }


def upload(path: str) -> dict[str, Any]:
    """POST the file to /api/v1/imports/ in this (web) process; the queue is an in-memory broker, so the
    dry run is only queued here, as on a real web server."""
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from accounts.models import User
    from factories.models import District
    from reporting.models import ReportingYear

    district = District.objects.get(code="500103")
    user, _created = User.objects.get_or_create(
        username="bench_imports_district", defaults={"role": "district", "district": district}
    )
    ReportingYear.objects.update_or_create(
        year=YEAR, defaults={"opens_on": dt.date(YEAR, 1, 1), "closes_on": dt.date(YEAR, 12, 31)}
    )
    client = APIClient()
    client.force_authenticate(user=user)
    data = Path(path).read_bytes()
    holder: dict[str, Any] = {}

    def go() -> None:
        holder["response"] = client.post(
            "/api/v1/imports/",
            {"year": YEAR, "file": SimpleUploadedFile("一百万行.xlsx", data)},
            format="multipart",
            HTTP_HOST="localhost",
        )

    out = measure(go)
    response = holder["response"]
    body = response.json()
    return {**out, "status_code": response.status_code, "job": body.get("id"), "status": body.get("status")}


def validate(job_id: int) -> dict[str, Any]:
    """The worker's part: the dry run of the stored file, through the job runner."""
    from reporting import services
    from reporting.models import ImportJob

    out = measure(lambda: services.import_validate(job_id))
    job = ImportJob.objects.get(pk=job_id)
    return {
        **out,
        "status": job.status,
        "message": (job.errors[0]["message"] if job.errors else job.error),
        "done": job.done,
        "total": job.total,
    }


def _poll(job_id: int, process: subprocess.Popen[str]) -> list[tuple[float, str, int, int]]:
    """Read the job's row every half second while the worker runs: (seconds, status, done, total)."""
    import psycopg2

    samples: list[tuple[float, str, int, int]] = []
    started = time.perf_counter()
    connection = psycopg2.connect(URL)
    connection.autocommit = True
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT status, done, total FROM reporting_importjob WHERE id = %s", [job_id])
            status, done, total = cursor.fetchone()
            samples.append((round(time.perf_counter() - started, 1), status, done, total))
            if process.poll() is not None:
                break
            time.sleep(0.5)
    connection.close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="all", choices=["all", "upload", "validate"])
    parser.add_argument("arg", nargs="?")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.command != "all":
        setup_django()
        result = upload(args.arg) if args.command == "upload" else validate(int(args.arg))
        print(json.dumps(result, ensure_ascii=False))
        return
    n = 200_000 if args.quick else 1_000_000
    ensure_database(URL)
    with tempfile.TemporaryDirectory() as media:
        path = Path(media) / "upload.xlsx"
        started = time.perf_counter()
        setup = {"MEDIA_ROOT": media}
        os.environ.update({**bench_env(URL), **setup})
        setup_django()  # the template's header rows come from the platform's own code
        file = build(path, n)
        print(
            f"\nWorkbook: {file['rows']:,} data rows, {file['file_mib']} MiB xlsx "
            f"(sheet {file['sheet_mib']} MiB unpacked, ratio {file['ratio']}); built in "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
        sent = phase("bench.upload", "upload", str(path), url=URL, extra=setup)
        print("\nUpload request (web process: quick checks, store, queue)")
        print(
            table(
                [
                    [
                        "answer time",
                        f"{sent['seconds']:.2f} s",
                        f"< {FLOOR_SECONDS:.0f} s",
                        _verdict(sent["seconds"] < FLOOR_SECONDS),
                    ],
                    [
                        "peak RSS of the process",
                        f"{sent['peak_mib']:.0f} MiB",
                        f"< {FLOOR_MIB} MiB",
                        _verdict(sent["peak_mib"] < FLOOR_MIB),
                    ],
                ],
                ["figure", "measured", "floor", ""],
            )
        )
        print(f"HTTP {sent['status_code']}, job {sent['job']} {sent['status']}")
        env = {**bench_env(URL), **setup}
        worker = subprocess.Popen(
            [sys.executable, "-m", "bench.upload", "validate", str(sent["job"])],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        samples = _poll(sent["job"], worker)
        output, _ignored = worker.communicate()
        checked = json.loads(output.strip().splitlines()[-1])
        print("\nBackground dry run (worker process), progress read from the job's row")
        shown = samples if len(samples) <= 12 else samples[:: max(len(samples) // 10, 1)] + samples[-1:]
        print(
            table(
                [[s, st, f"{d:,}", f"{t:,}"] for s, st, d, t in shown],
                ["seconds", "status", "rows read", "estimated"],
            )
        )
        print(
            f"ended {checked['status']} after {checked['seconds']:.1f} s, worker peak {checked['peak_mib']:.0f} MiB; "
            f"message: {checked['message']}"
        )
        from django.conf import settings

        limit = settings.IMPORT_MAX_ROWS
        expected = f"文件超过 {limit} 行的上限，请拆分后分批导入。"
        print(f"row-limit message as expected: {_verdict(checked['message'] == expected)}")
        print(f"(benchmark wall time {time.perf_counter() - started:.0f} s)", file=sys.stderr)


def _verdict(ok: bool) -> str:
    return "ok" if ok else "ABOVE FLOOR"


if __name__ == "__main__":
    main()
