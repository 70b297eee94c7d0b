"""Gathering a grading run's inputs from the database (§6).

Kept apart from the pure engine: this module reads; `factories.grading` computes. The number of
queries does not depend on the number of factories. A run reads through ``StreamedInputs`` (one COPY,
one division at a time); ``gather`` holds the whole population at once, for ``engine.grade_year``: it is
the reference the streamed run is checked against (tests, ``bench.grading``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from factories.grading.engine import FactoryInput, IncidentInput
from factories.indicators import IndicatorValue, Status
from factories.models import GradingResult, GreenFactory, Incident

CHUNK = 5000


@dataclass(frozen=True)
class RunInputs:
    factories: list[FactoryInput]
    enterprise_meta: dict[int, tuple[str, str, str]]  # enterprise id → (district, industry, tier)
    input_hash: str


def _indicators(stored: dict[str, Any]) -> dict[str, IndicatorValue]:
    return {
        code: IndicatorValue(
            code, Status(item["status"]), None if item["value"] is None else Decimal(item["value"])
        )
        for code, item in stored.items()
    }


def gather(year: int, standard_parameters: dict[str, Any]) -> RunInputs:
    """Population active on 31 Dec of Y, verified data for Y and Y−1, last year's published grades, incidents in Y.

    The population and the verified submissions are both streamed in enterprise order and merged,
    so the raw JSON of all submissions is never held at once; each row is hashed as it passes.
    """
    from reporting.models import AnnualSubmission, SubmissionStatus

    year_end = dt.date(year, 12, 31)
    previous: dict[int, tuple[str, bool]] = {}
    for enterprise_id, grade, flags in (
        GradingResult.objects.published()
        .filter(year=year - 1)
        .values_list("enterprise_id", "grade", "flags")
        .iterator(chunk_size=CHUNK)
    ):
        previous[enterprise_id] = (grade, "no_data" in (flags or []))
    incidents: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for incident_id, enterprise_id, kind, severity in (
        Incident.objects.filter(occurred_on__year=year)
        .order_by("id")
        .values_list("id", "enterprise_id", "kind", "severity")
    ):
        incidents[enterprise_id].append((incident_id, kind, severity))

    population = (
        GreenFactory.objects.active_on(year_end)
        .order_by("enterprise_id")
        .values_list(
            "enterprise_id", "enterprise__industry_id", "enterprise__district_id", "tier", "recognized_year"
        )
        .iterator(chunk_size=CHUNK)
    )
    submissions = iter(
        AnnualSubmission.objects.filter(
            status=SubmissionStatus.CITY_VERIFIED,
            year__in=(year, year - 1),
            enterprise__green_factory__isnull=False,
        )
        .order_by("enterprise_id", "year")
        .values_list("enterprise_id", "year", "indicators", "catalogue_version")
        .iterator(chunk_size=CHUNK)
    )
    pending = next(submissions, None)

    catalogue = standard_parameters.get("catalogue_version")
    factories: list[FactoryInput] = []
    meta: dict[int, tuple[str, str, str]] = {}
    digest = hashlib.sha256()
    digest.update(json.dumps({"year": year, "standard": standard_parameters}, sort_keys=True).encode())
    for enterprise_id, industry, district, tier, recognized_year in population:
        own: dict[int, dict[str, Any]] = {}
        catalogues: dict[int, str] = {}
        while pending is not None and pending[0] <= enterprise_id:
            if pending[0] == enterprise_id:
                own[pending[1]] = pending[2]
                catalogues[pending[1]] = pending[3]
            pending = next(submissions, None)
        current, last = own.get(year), own.get(year - 1)
        # Y−1 reported on another catalogue (§4b): its indicators are compared through same_as.
        last_catalogue = catalogues.get(year - 1)
        previous_catalogue = last_catalogue if last is not None and last_catalogue != catalogue else None
        prev_grade, prev_no_data = previous.get(enterprise_id, (None, False))
        own_incidents = incidents.get(enterprise_id, [])
        digest.update(
            json.dumps(
                [
                    enterprise_id,
                    industry,
                    district,
                    tier,
                    recognized_year,
                    current,
                    last,
                    prev_grade,
                    prev_no_data,
                    own_incidents,
                    # Only when it differs, so the hash of every run on one catalogue stays as it was.
                    *([previous_catalogue] if previous_catalogue else []),
                ],
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
        )
        factories.append(
            FactoryInput(
                enterprise_id=enterprise_id,
                division=industry,
                tier=tier,
                recognized_year=recognized_year,
                indicators=_indicators(current) if current is not None else None,
                previous_indicators=_indicators(last) if last is not None else None,
                previous_grade=prev_grade,
                previous_no_data=prev_no_data,
                previous_catalogue=previous_catalogue,
                incidents=tuple(
                    IncidentInput(kind, severity, incident_id)
                    for incident_id, kind, severity in own_incidents
                ),
            )
        )
        meta[enterprise_id] = (district, industry, tier)
    return RunInputs(
        factories=factories,
        enterprise_meta=meta,
        input_hash=digest.hexdigest(),
    )


# --- the streamed inputs of a run ---------------------------------------------------------------------

_STATUS = {status.value: status for status in Status}


def _readings(text: str) -> dict[str, IndicatorValue]:
    """``_indicators`` of the stored JSON text (the same values, without an enum call per reading)."""
    status_of = _STATUS
    return {
        code: IndicatorValue(
            code, status_of[item["status"]], None if item["value"] is None else Decimal(item["value"])
        )
        for code, item in json.loads(text).items()
    }


class StreamedInputs:
    """A run's inputs read with one COPY into a temporary file, then given out one division at a time.

    The file holds one CSV line per member of the population (active on 31 Dec of Y), with its verified
    indicators of Y and Y−1 as stored (JSON text), its last published grade and no-data flag, ordered by
    division, then enterprise, the divisions with fewer than ``min_peer`` members with data first (what
    ``engine.grade_stream`` expects). Memory holds one division's inputs; the file is on disk.
    ``input_hash`` fingerprints the year, the standard, those bytes and the incidents of Y.
    """

    def __init__(self, year: int, standard_parameters: dict[str, Any], min_peer: int) -> None:
        self.year = year
        self.catalogue = standard_parameters.get("catalogue_version")
        digest = hashlib.sha256()
        digest.update(json.dumps({"year": year, "standard": standard_parameters}, sort_keys=True).encode())
        self.incidents: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for incident_id, enterprise_id, kind, severity in (
            Incident.objects.filter(occurred_on__year=year)
            .order_by("id")
            .values_list("id", "enterprise_id", "kind", "severity")
        ):
            self.incidents[enterprise_id].append((incident_id, kind, severity))
        digest.update(json.dumps(sorted(self.incidents.items())).encode())
        # (unit, division, tier) of each member read and not yet written (the caller pops it).
        self.meta: dict[int, tuple[str, str, str]] = {}
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close(), which the run calls)
        sink = _HashingSink(self.file, digest)
        try:
            with connection.cursor() as cursor:
                cursor.copy_expert(_copy_sql(cursor, year, min_peer), sink)
        except BaseException:
            self.file.close()
            raise
        self.total = sink.lines
        self.input_hash = digest.hexdigest()

    def close(self) -> None:
        self.file.close()

    def divisions(self) -> Iterator[list[FactoryInput]]:
        """The population, one division at a time, in the file's order."""
        self.file.seek(0)
        text = io.TextIOWrapper(self.file, encoding="utf-8", newline="")
        group: list[FactoryInput] = []
        division = None
        catalogue, incidents, meta = self.catalogue, self.incidents, self.meta
        try:
            for row in csv.reader(text):
                (
                    enterprise_id_text,
                    industry,
                    district,
                    tier,
                    recognized_year,
                    current,
                    last,
                    last_catalogue,
                    prev_grade,
                    prev_no_data,
                ) = row
                if industry != division:
                    if group:
                        yield group
                    group, division = [], industry
                enterprise_id = int(enterprise_id_text)
                meta[enterprise_id] = (district, industry, tier)
                own_incidents = incidents.get(enterprise_id)
                group.append(
                    FactoryInput(
                        enterprise_id=enterprise_id,
                        division=industry,
                        tier=tier,
                        recognized_year=int(recognized_year),
                        indicators=_readings(current) if current else None,
                        previous_indicators=_readings(last) if last else None,
                        previous_grade=prev_grade or None,
                        previous_no_data=prev_no_data == "t",
                        # Y−1 reported on another catalogue (§4b): its indicators are compared through same_as.
                        previous_catalogue=last_catalogue if last and last_catalogue != catalogue else None,
                        incidents=tuple(
                            IncidentInput(kind, severity, incident_id)
                            for incident_id, kind, severity in own_incidents
                        )
                        if own_incidents
                        else (),
                    )
                )
            if group:
                yield group
        finally:
            text.detach()


class GatheredInputs:
    """``StreamedInputs`` on a database without COPY (SQLite: ``make run`` and the test suite without
    services): the population read by ``gather`` at once, then given out one division at a time in the
    order ``engine.grade_stream`` expects (the divisions with fewer than ``min_peer`` members with data
    first, each in enterprise order). Memory holds the whole population, which such a database is only
    used for at demonstration size."""

    def __init__(self, year: int, standard_parameters: dict[str, Any], min_peer: int) -> None:
        gathered = gather(year, standard_parameters)
        self.total = len(gathered.factories)
        self.input_hash = gathered.input_hash
        self.meta = dict(gathered.enterprise_meta)
        groups: dict[str, list[FactoryInput]] = defaultdict(list)
        for factory in gathered.factories:
            groups[factory.division].append(factory)

        def order(division: str) -> tuple[bool, str]:
            with_data = sum(1 for f in groups[division] if f.indicators is not None)
            return with_data >= min_peer, division

        self._groups = [sorted(groups[d], key=lambda f: f.enterprise_id) for d in sorted(groups, key=order)]

    def close(self) -> None:
        self._groups = []

    def divisions(self) -> Iterator[list[FactoryInput]]:
        yield from self._groups


def copy_available() -> bool:
    """Whether the database reads and writes with COPY (PostgreSQL), or the run falls back to the ORM."""
    return connection.vendor == "postgresql"


def run_inputs(
    year: int, standard_parameters: dict[str, Any], min_peer: int
) -> StreamedInputs | GatheredInputs:
    """The inputs of a run: streamed with COPY on PostgreSQL, gathered at once elsewhere."""
    if copy_available():
        return StreamedInputs(year, standard_parameters, min_peer)
    return GatheredInputs(year, standard_parameters, min_peer)


class _HashingSink:
    """What COPY … TO STDOUT writes into: the file, the digest, and a count of lines."""

    def __init__(self, file: Any, digest: Any) -> None:
        self.file, self.digest, self.lines = file, digest, 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.lines += data.count(b"\n")
        return self.file.write(data)


def _copy_sql(cursor: Any, year: int, min_peer: int) -> str:
    """The one statement reading a run's inputs (CSV: a NULL is an empty field, and no field read here
    is an empty string when not NULL)."""
    from reporting.models import SubmissionStatus

    population, population_params = (
        GreenFactory.objects.active_on(dt.date(year, 12, 31))
        .order_by()
        .values_list(
            "enterprise_id", "enterprise__industry_id", "enterprise__district_id", "tier", "recognized_year"
        )
        .query.sql_with_params()
    )
    previous, previous_params = (
        GradingResult.objects.published()
        .filter(year=year - 1)
        .order_by("enterprise_id", "-run_id")
        .distinct("enterprise_id")
        .values_list("enterprise_id", "grade", "flags")
        .query.sql_with_params()
    )
    sql = f"""
        SELECT enterprise_id, industry_id, district_id, tier, recognized_year,
               current, last, last_catalogue, previous_grade, previous_no_data
        FROM (
            SELECT pop.enterprise_id, pop.industry_id, pop.district_id, pop.tier, pop.recognized_year,
                   cur.indicators::text AS current, last.indicators::text AS last,
                   last.catalogue_version AS last_catalogue,
                   prev.grade AS previous_grade, prev.flags @> '["no_data"]'::jsonb AS previous_no_data,
                   count(cur.id) OVER (PARTITION BY pop.industry_id) AS with_data
            FROM ({population}) AS pop (enterprise_id, industry_id, district_id, tier, recognized_year)
            LEFT JOIN reporting_annualsubmission cur
                ON cur.enterprise_id = pop.enterprise_id AND cur.year = %s AND cur.status = %s
            LEFT JOIN reporting_annualsubmission last
                ON last.enterprise_id = pop.enterprise_id AND last.year = %s AND last.status = %s
            LEFT JOIN ({previous}) AS prev (enterprise_id, grade, flags)
                ON prev.enterprise_id = pop.enterprise_id
        ) AS inputs
        ORDER BY with_data >= %s, industry_id, enterprise_id
    """
    verified = SubmissionStatus.CITY_VERIFIED.value
    params = [*population_params, year, verified, year - 1, verified, *previous_params, min_peer]
    statement = cursor.mogrify(sql, params).decode()
    return f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)"
