"""Gathering a district's pool-level inputs for year Y in a few streamed queries (DOMAIN §7).

Kept apart from the pure engine (`cultivation.levels`): this module reads; the engine computes. The
number of queries does not depend on the number of members or green factories.

- Members: the district's active pool members (enterprises currently in the unit).
- Member data: the submission for Y in status ``district_approved`` or ``city_verified``; indicators
  are computed from its raw values, so district-approved data count before the city locks them.
- Supervision flags: a record of the flag's kinds dated on or before 31 December of Y.
- Benchmark: the green factories active on 31 December of Y (the §6 population) with city-verified
  data for Y (stored indicators), compared within their two-digit division.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from cultivation.levels import BenchmarkFactory, PoolMemberInput
from cultivation.models import (
    GUIDED_KINDS,
    PLAN_KINDS,
    SUPERVISED_KINDS,
    IrregularReview,
    MembershipStatus,
    PoolMembership,
    SupervisionRecord,
)
from factories.models import GreenFactory
from reporting.models import AnnualSubmission, SubmissionStatus
from reporting.values import compute_indicators, indicators_from_storage

CHUNK = 2000
MEMBER_DATA_STATUSES = (SubmissionStatus.DISTRICT_APPROVED, SubmissionStatus.CITY_VERIFIED)


@dataclass(frozen=True)
class Flags:
    supervised: bool = False
    guided: bool = False
    has_plan: bool = False


@dataclass(frozen=True)
class LevelInputs:
    members: list[PoolMemberInput]
    membership_of: dict[int, int]  # enterprise id → active membership id
    data_status: dict[int, str]  # enterprise id → status of the submission used
    downgrades: dict[int, int]  # enterprise id → falsification findings that lowered its level of Y
    benchmark: list[BenchmarkFactory]


def supervision_flags(membership_ids: Iterable[int], on: dt.date) -> dict[int, Flags]:
    """Supervised / guided / has-plan of each membership on a day, from the records dated up to it."""
    kinds: dict[int, set[str]] = defaultdict(set)
    rows = (
        SupervisionRecord.objects.filter(membership_id__in=list(membership_ids), date__lte=on)
        .values_list("membership_id", "kind")
        .distinct()
    )
    for membership_id, kind in rows:
        kinds[membership_id].add(kind)
    return {
        membership_id: Flags(
            supervised=bool(found & set(SUPERVISED_KINDS)),
            guided=bool(found & set(GUIDED_KINDS)),
            has_plan=bool(found & set(PLAN_KINDS)),
        )
        for membership_id, found in kinds.items()
    }


def gather(district_id: str, year: int) -> LevelInputs:
    """Members, their data and flags for Y, review downgrades of Y and the city's benchmark for Y."""
    year_end = dt.date(year, 12, 31)
    rows = list(
        PoolMembership.objects.filter(status=MembershipStatus.ACTIVE, enterprise__district_id=district_id)
        .order_by("enterprise_id")
        .values_list("pk", "enterprise_id", "enterprise__industry_id")
    )
    membership_of = {enterprise_id: pk for pk, enterprise_id, _industry in rows}
    flags = supervision_flags(membership_of.values(), year_end)
    data: dict[int, tuple[str, dict]] = {}
    submissions = (
        AnnualSubmission.objects.filter(
            enterprise_id__in=list(membership_of), year=year, status__in=MEMBER_DATA_STATUSES
        )
        .values_list("enterprise_id", "status", "raw_values", "catalogue_version")
        .iterator(chunk_size=CHUNK)
    )
    for enterprise_id, status, raw_values, catalogue_version in submissions:
        data[enterprise_id] = (status, compute_indicators(raw_values, catalogue_version))
    members = []
    for pk, enterprise_id, industry_id in rows:
        own = flags.get(pk, Flags())
        status_and_values = data.get(enterprise_id)
        members.append(
            PoolMemberInput(
                enterprise_id=enterprise_id,
                division=industry_id,
                indicators=status_and_values[1] if status_and_values else None,
                supervised=own.supervised,
                guided=own.guided,
                has_plan=own.has_plan,
            )
        )
    downgrades = dict(
        IrregularReview.objects.filter(
            membership_id__in=list(membership_of.values()), falsification=True, downgraded_year=year
        )
        .values("membership__enterprise_id")
        .annotate(n=Count("pk"))
        .values_list("membership__enterprise_id", "n")
    )
    population = GreenFactory.objects.active_on(year_end).values("enterprise_id")
    benchmark = [
        BenchmarkFactory(
            enterprise_id=enterprise_id, division=industry_id, indicators=indicators_from_storage(indicators)
        )
        for enterprise_id, industry_id, indicators in (
            AnnualSubmission.objects.filter(
                year=year, status=SubmissionStatus.CITY_VERIFIED, enterprise_id__in=population
            )
            .order_by("enterprise_id")
            .values_list("enterprise_id", "enterprise__industry_id", "indicators")
            .iterator(chunk_size=CHUNK)
        )
    ]
    return LevelInputs(
        members=members,
        membership_of=membership_of,
        data_status={enterprise_id: status for enterprise_id, (status, _values) in data.items()},
        downgrades=downgrades,
        benchmark=benchmark,
    )
