"""Gathering a grading run's inputs from the database in a few streamed queries (§6).

Kept apart from the pure engine: this module reads; `factories.grading` computes. The number of
queries does not depend on the number of factories.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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
