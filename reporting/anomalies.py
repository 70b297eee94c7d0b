"""Anomaly flags for reviewers (issue 18; Art. 9 and 12 punish falsified data): checks of a submission
against its industry peers, its own history, the other submissions of its year and itself.

A flag is a dict `{kind, field_or_indicator, message, figures, dismissed}` stored in
`AnnualSubmission.anomaly_flags`; `message` is kept in Chinese and shown in the reader's language by
`describe`, `figures` holds the numbers that triggered it, `dismissed` is None or `{by, at, reason}`.

- `peer_outlier`: robust z = 0.6745·(x − median)/MAD of an indicator within the two-digit division of the
  year's submitted data (all divisions when the division has fewer than `MIN_PEERS` values), flagged above
  the city's threshold (`thresholds()`: the latest `AnomalySettings`, else `settings.ANOMALY_Z_THRESHOLD`);
  no flag when MAD = 0. LI-03 (output per land) is checked as
  `inconsistent` per m² instead, so it is not flagged twice.
- `yoy_jump`: the ×3 rule of DOMAIN §4 (`factories.indicators.year_on_year_flags`).
- `unchanged`: a raw value identical to the last digit for three consecutive years (zeros and land
  areas, which rightly stay the same, excepted).
- `copied`: two enterprises of the same year whose raw data are identical, or identical in at least
  `NEAR_COPY_SHARE` of their non-zero fields (found in SQL on PostgreSQL, with an inverted index elsewhere).
- `inconsistent`: CO₂ that the reported energy cannot explain; renewable electricity equal to a large
  electricity consumption (from the city's `full_renewable_kwh`); output value per m² of land far outside the division's range.

Expected CO₂ is Σ tce of each carrier × `settings.ANOMALY_CO2_PER_TCE` (tCO₂ per tce, 1 tce = 29.3076 GJ):
coal 2.77 (IPCC 2006 Guidelines vol. 2 table 1.4, other bituminous coal 94 600 kg CO₂/TJ); oil products
2.17 (ibid., gas/diesel oil 74 100 kg/TJ); natural gas 1.64 (ibid., 56 100 kg/TJ); electricity 4.64 (the
2022 national grid average of 0.5703 tCO₂/MWh, 生态环境部 国家统计局公告2024年第12号, ÷ 0.1229 tce/MWh of
GB/T 2589-2020); purchased heat 3.22 (0.11 tCO₂/GJ, 《工业其他行业企业温室气体排放核算方法与报告指南（试行）》,
÷ 0.03412 tce/GJ). Renewable electricity counts as zero. Reported CO₂ outside `ANOMALY_CO2_BAND` × expected
is flagged; in the divisions with process emissions (`ANOMALY_PROCESS_EMISSION_DIVISIONS`: coking and
refining, chemicals, non-metallic minerals, ferrous and non-ferrous metals) only the lower bound applies.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from statistics import median
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from factories.catalogues.bridge import ReportingCatalogue as Catalogue
from factories.catalogues.bridge import derive_indicators, year_on_year_flags
from factories.catalogues.bridge import reporting_catalogue as get_catalogue
from factories.indicators import Status
from reporting.models import AnnualSubmission, AnomalySettings, SubmissionStatus
from reporting.values import from_storage

KINDS = {
    "peer_outlier": gettext_lazy("偏离同行业"),
    "yoy_jump": gettext_lazy("同比变化超过3倍"),
    "unchanged": gettext_lazy("连续三年数值不变"),
    "copied": gettext_lazy("疑似复制他企数据"),
    "inconsistent": gettext_lazy("数据内部不一致"),
}
"""Each kind of flag in words, for pages and exports."""

UNNAMED_OTHER = gettext_lazy("另一区县的一家企业")
"""How a copied flag names an enterprise outside the reader's scope."""

MIN_PEERS = 5
NEAR_COPY_SHARE = Decimal("0.9")
NEAR_COPY_MIN_FIELDS = 5
"""A near copy needs at least this many non-zero fields: two sparse submissions alike in 3 fields prove nothing."""
ROBUST_Z = 0.6745
OUTPUT_PER_M2 = "LI-03"
"""Output value per m² of land in GBT36132-2018; a later catalogue's indicator that continues it (same_as,
e.g. LA-01 of GBT36132-2025) is checked the same way under its own code (`output_per_m2_code`)."""
UNCHANGED_SKIPPED_DIMENSIONS = ("land",)
WHOLE_RECORD = "raw_values"


Z_RANGE = (Decimal("2"), Decimal("10"))
"""The |z| thresholds the city may set: below 2 every tenth figure is flagged, above 10 hardly any."""
KWH_RANGE = (10_000, 1_000_000_000)
"""The consumptions (kWh) from which the city may flag all-renewable electricity."""


@dataclass(frozen=True)
class Thresholds:
    """The thresholds in force and the change that set them (None: the defaults of the settings)."""

    z: Decimal
    full_renewable_kwh: int
    change: AnomalySettings | None = None


def thresholds() -> Thresholds:
    """The city's latest thresholds, else the settings' defaults: one query, read once per check."""
    change = AnomalySettings.objects.select_related("changed_by").first()
    if change is None:
        return Thresholds(
            z=Decimal(str(settings.ANOMALY_Z_THRESHOLD)),
            full_renewable_kwh=int(settings.ANOMALY_FULL_RENEWABLE_KWH),
        )
    return Thresholds(z=change.z_threshold, full_renewable_kwh=change.full_renewable_kwh, change=change)


# --- statistics ---------------------------------------------------------------------------------------


def _centre(values: list[float]) -> tuple[float, float]:
    """(median, MAD) of `values`."""
    middle = median(values)
    return middle, median(abs(v - middle) for v in values)


def robust_z(value: float, values: Iterable[float]) -> tuple[float, float, float] | None:
    """(z, median, MAD) of `value` among `values`; None when MAD = 0 (half the peers share one value)."""
    return _z(value, *_centre(list(values)))


def _z(value: float, middle: float, mad: float) -> tuple[float, float, float] | None:
    if mad == 0:
        return None
    return ROBUST_Z * (value - middle) / mad, middle, mad


def _shown(value: float | Decimal) -> str:
    """A figure for reading: at most 2 decimals (4 significant below 1), no trailing zeros."""
    number = float(value)
    text = f"{number:.2f}" if abs(number) >= 1 else f"{number:.4g}"
    if "e" in text:
        text = f"{number:.6f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the year's peers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One non-draft submission as the checks read it."""

    id: int
    enterprise_id: int
    enterprise_name: str
    district_id: str
    division: str
    catalogue_version: str
    raw: Mapping[str, str | None]


def _rows(year: int, **filters: Any) -> list[Row]:
    query = (
        AnnualSubmission.objects.filter(year=year, **filters)
        .exclude(status=SubmissionStatus.DRAFT)
        .values_list(
            "pk",
            "enterprise_id",
            "enterprise__name",
            "district_id",
            "enterprise__industry_id",
            "catalogue_version",
            "raw_values",
        )
    )
    return [Row(*values) for values in query.iterator(chunk_size=2000)]


def output_per_m2_code(catalogue: Catalogue) -> str:
    """The code of the catalogue's output-per-land indicator: LI-03, or the one that continues it."""
    for indicator in catalogue.indicators:
        same_as = getattr(indicator, "same_as", "")
        if indicator.code == OUTPUT_PER_M2 or same_as.split("/")[-1] == OUTPUT_PER_M2:
            return indicator.code
    return OUTPUT_PER_M2


def _metrics(row: Row) -> dict[str, float]:
    """The indicators of a row that have a value, and its output value per m² (元/m²) under the code of the
    catalogue's output-per-land indicator (`output_per_m2_code`: LI-03, LA-01 on GBT36132-2025)."""
    catalogue = get_catalogue(row.catalogue_version)
    own = output_per_m2_code(catalogue)
    raw = from_storage(row.raw, catalogue)
    values = {
        code: float(item.value)
        for code, item in derive_indicators(raw, catalogue).items()
        if item.status == Status.OK and item.value is not None and code != own
    }
    output, site = raw.get("output_value"), raw.get("site_area")
    if isinstance(output, Decimal) and isinstance(site, Decimal) and site:
        values[own] = float(output) * 10000 / float(site)
    return values


@dataclass(frozen=True)
class Spread:
    """What a robust z needs of one group of peer values: where it was taken (the division, "" for the
    whole city), how many values, their median and MAD."""

    group: str
    n: int
    middle: float
    mad: float


@dataclass
class Peers:
    """Metric values of the year's submissions by division and city-wide, for one catalogue version."""

    by_division: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    citywide: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    complete: bool = True
    # Each group's median and MAD, worked out once however many submissions are checked against it.
    _spreads: dict[tuple[str, str], Spread | None] = field(default_factory=dict, repr=False, compare=False)

    def add(self, row: Row, metrics: Mapping[str, float]) -> None:
        self._spreads.clear()
        for code, value in metrics.items():
            self.by_division[(row.division, code)].append(value)
            self.citywide[code].append(value)

    def group(self, division: str, code: str) -> tuple[str, list[float]] | None:
        """The division's values, or the whole city's when the division has fewer than MIN_PEERS."""
        own = self.by_division.get((division, code), [])
        if len(own) >= MIN_PEERS:
            return division, own
        everyone = self.citywide.get(code, [])
        return ("", everyone) if len(everyone) >= MIN_PEERS else None

    def count(self, division: str, code: str) -> int:
        return len(self.by_division.get((division, code), []))

    def spread(self, division: str, code: str) -> Spread | None:
        """The spread of `group(division, code)`; None when there are too few values."""
        if (division, code) not in self._spreads:
            found = self.group(division, code)
            self._spreads[(division, code)] = (
                None if found is None else Spread(found[0], len(found[1]), *_centre(found[1]))
            )
        return self._spreads[(division, code)]

    def spreads(self) -> PeerSpreads:
        """The spread of every group, which is all the checks read: what is kept in the cache."""
        return PeerSpreads(
            by_division={
                key: Spread(key[0], len(values), *_centre(values)) for key, values in self.by_division.items()
            },
            citywide={
                code: Spread("", len(values), *_centre(values)) for code, values in self.citywide.items()
            },
        )


@dataclass(frozen=True)
class PeerSpreads:
    """`Peers` reduced to the spread of each group: the same answers from a few numbers per indicator instead
    of thousands of values (a cached set is read on every submission)."""

    by_division: dict[tuple[str, str], Spread] = field(default_factory=dict)
    citywide: dict[str, Spread] = field(default_factory=dict)

    def count(self, division: str, code: str) -> int:
        own = self.by_division.get((division, code))
        return own.n if own is not None else 0

    def spread(self, division: str, code: str) -> Spread | None:
        """As `Peers.spread`: the division's, or the whole city's when the division has fewer than MIN_PEERS."""
        own = self.by_division.get((division, code))
        if own is not None and own.n >= MIN_PEERS:
            return own
        everyone = self.citywide.get(code)
        return everyone if everyone is not None and everyone.n >= MIN_PEERS else None


def _peers(rows: Iterable[Row], metrics: Mapping[int, Mapping[str, float]]) -> dict[str, Peers]:
    tables: dict[str, Peers] = defaultdict(Peers)
    for row in rows:
        tables[row.catalogue_version].add(row, metrics[row.id])
    return tables


# A division with this many submitted submissions of the year has its peers kept in the cache between
# submissions, refreshed each time the count grows by a hundredth: deriving them again for every submission
# costs seconds of CPU per submission at national scale (bench.season: 2.6 s at 4,785 peers). A smaller group
# is derived afresh each time, so its figures are exact; the figures of a large one may miss the last
# hundredth of its peers, which moves a median and MAD of thousands of values very little, and the scan of
# the whole year once its data are complete (`flags_for_year`) computes every flag afresh anyway. What is
# kept is each group's spread (`PeerSpreads`): reading and sorting thousands of values on every submission
# cost tens of ms. The whole year's peers, which a submission is compared with when its division has too
# few values of an indicator, are kept the same way.
PEER_CACHE_FROM = 1000
PEER_CACHE_SECONDS = 6 * 3600


def peer_bucket(count: int) -> int:
    """The count a kept set of peer values stands for: a new one every hundredth of growth."""
    return count - count % max(1, count // 100)


Tables = Mapping[str, Peers | PeerSpreads]
"""Catalogue version → its peers (an empty set for a version nobody has submitted on)."""


def _kept_peers(year: int, division: str | None) -> Tables:
    """The year's submitted data by catalogue version, of one division or (None) of every division."""
    from django.core.cache import cache

    where: dict[str, Any] = {} if division is None else {"enterprise__industry_id": division}
    count = AnnualSubmission.objects.filter(year=year, **where).exclude(status=SubmissionStatus.DRAFT).count()
    if count < PEER_CACHE_FROM:
        rows = _rows(year, **where)
        return _peers(rows, {row.id: _metrics(row) for row in rows})
    key = f"anomalies:spreads:{year}:{'*' if division is None else division}:{peer_bucket(count)}"
    tables: dict[str, PeerSpreads] | None = cache.get(key)
    if tables is None:
        rows = _rows(year, **where)
        tables = {
            version: peers.spreads()
            for version, peers in _peers(rows, {row.id: _metrics(row) for row in rows}).items()
        }
        cache.set(key, tables, PEER_CACHE_SECONDS)
    return defaultdict(PeerSpreads, tables)


def _division_peers(year: int, division: str) -> Tables:
    """The peers of the year's submitted data in one division, by catalogue version."""
    return _kept_peers(year, division)


# --- copies ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    """Two submissions of one year with identical raw data (`shared` = `fields` = every field) or nearly so."""

    first: int
    second: int
    exact: bool
    shared: int
    fields: int


# `raw_cells` (migration 0012, PostgreSQL only) is a column the database keeps itself: the sorted 64-bit
# hashes of a record's non-empty, non-zero (field, value) cells. Comparing integers from it is several
# times faster than taking the JSON apart on every check; cells nobody else shares cannot make a pair.
_PAIRS_SQL = """
WITH cells AS MATERIALIZED (
    SELECT s.id, cardinality(s.raw_cells) AS n, c.h
    FROM reporting_annualsubmission s CROSS JOIN LATERAL unnest(s.raw_cells) AS c(h)
    WHERE s.year = %(year)s AND s.status <> %(draft)s AND cardinality(s.raw_cells) >= %(min_fields)s
),
shared AS (
    SELECT id, n, h FROM cells WHERE h IN (SELECT h FROM cells GROUP BY h HAVING count(*) > 1)
)
SELECT a.id, b.id, count(*), greatest(a.n, b.n), a.n = b.n AND count(*) = a.n
FROM shared a JOIN shared b ON b.h = a.h AND a.id < b.id
GROUP BY a.id, b.id, a.n, b.n
HAVING count(*) >= %(share)s * greatest(a.n, b.n)
"""

_CANDIDATES_SQL = """
WITH own AS (SELECT raw_cells FROM reporting_annualsubmission WHERE id = %(only)s)
SELECT s.id, s.raw_values FROM reporting_annualsubmission s, own
WHERE s.year = %(year)s AND s.status <> %(draft)s AND s.id <> %(only)s AND s.raw_cells && own.raw_cells[1:%(probes)s]
"""


def _cells(raw: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The non-empty, non-zero (field, value) cells of a raw record."""
    return {(k, str(v)) for k, v in raw.items() if v is not None and not _is_zero(v)}


def _stripped(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if v is not None}


def _compare(
    own_id: int, own: Mapping[str, Any], others: Iterable[tuple[int, Mapping[str, Any]]]
) -> list[Copy]:
    """Copies of one record among candidate records: identical, or sharing NEAR_COPY_SHARE of the cells."""
    mine = _cells(own)
    found: list[Copy] = []
    if len(mine) < NEAR_COPY_MIN_FIELDS:
        return found
    for other_id, raw in others:
        theirs = _cells(raw)
        if len(theirs) < NEAR_COPY_MIN_FIELDS:
            continue
        key = (min(own_id, other_id), max(own_id, other_id))
        fields, shared = max(len(mine), len(theirs)), len(mine & theirs)
        if _stripped(raw) == _stripped(own):
            found.append(Copy(*key, exact=True, shared=shared, fields=fields))
        elif shared >= NEAR_COPY_SHARE * fields:
            found.append(Copy(*key, exact=False, shared=shared, fields=fields))
    return found


def _sql_params(year: int, **extra: Any) -> dict[str, Any]:
    return {
        "year": year,
        "draft": SubmissionStatus.DRAFT.value,
        "min_fields": NEAR_COPY_MIN_FIELDS,
        "share": NEAR_COPY_SHARE,
        **extra,
    }


def _copies_of_one_sql(year: int, only: int) -> list[Copy]:
    """The copies of one submission through the GIN index on `raw_cells`: a record sharing at least
    NEAR_COPY_SHARE of this one's n cells shares at least one of any n − ⌈0.9·n⌉ + 1 of them, so an
    overlap probe with that many cells finds every candidate, which is then compared."""
    own = AnnualSubmission.objects.filter(pk=only).values_list("raw_values", flat=True).first()
    if own is None or len(_cells(own)) < NEAR_COPY_MIN_FIELDS:
        return []
    n = len(_cells(own))
    probes = n - math.ceil(NEAR_COPY_SHARE * n) + 1
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL, _sql_params(year, only=only, probes=probes))
        rows = [(pk, raw if isinstance(raw, dict) else json.loads(raw)) for pk, raw in cursor.fetchall()]
    return _compare(only, own, rows)


def _copies_sql(year: int) -> list[Copy]:
    """Every pair of the year in one query; pairs sharing every non-zero cell are then told exact (the
    whole record, zeros and all, identical) from near by their stored JSON."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Compiling this short query costs more than running it; the aggregate fits in memory at 32 MB.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(_PAIRS_SQL, _sql_params(year))
        pairs = cursor.fetchall()
    alike = {pk for first, second, *_rest, full in pairs if full for pk in (first, second)}
    raws = (
        dict(AnnualSubmission.objects.filter(pk__in=alike).values_list("pk", "raw_values")) if alike else {}
    )
    return [
        Copy(
            first,
            second,
            exact=bool(full) and _stripped(raws[first]) == _stripped(raws[second]),
            shared=shared,
            fields=fields,
        )
        for first, second, shared, fields, full in pairs
    ]


def _is_zero(text: Any) -> bool:
    try:
        return Decimal(str(text)) == 0
    except (InvalidOperation, ValueError):
        return False


def _copies_python(year: int, only: int | None) -> list[Copy]:
    """The same answer as the SQL, for SQLite (`make run`): an inverted index of (field, value) → rows."""
    rows = {row.id: row.raw for row in _rows(year)}
    cells = {pk: _cells(raw) for pk, raw in rows.items()}
    cells = {pk: items for pk, items in cells.items() if len(items) >= NEAR_COPY_MIN_FIELDS}
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, items in cells.items():
        for item in items:
            postings[item].append(pk)
    found: list[Copy] = []
    for pk in [only] if only is not None else sorted(cells):
        if pk not in cells:
            continue
        shared = Counter(other for item in cells[pk] for other in postings[item] if other != pk)
        candidates = [other for other in shared if only is not None or other > pk]
        found += _compare(pk, rows[pk], [(other, rows[other]) for other in candidates])
    return found


def find_copies(year: int, *, only: int | None = None) -> list[Copy]:
    """Pairs of the year's submitted data that are identical or nearly so; with `only`, those of one submission."""
    if connection.vendor != "postgresql":
        return _copies_python(year, only)
    return _copies_sql(year) if only is None else _copies_of_one_sql(year, only)


# --- the checks -----------------------------------------------------------------------------------------


def _flag(kind: str, subject: str, figures: dict[str, Any]) -> dict[str, Any]:
    flag = {"kind": kind, "field_or_indicator": subject, "figures": figures, "dismissed": None}
    with override(settings.LANGUAGE_CODE):
        flag["message"] = describe(flag)
    return flag


def _peer_flags(
    row: Row, metrics: Mapping[str, float], peers: Peers | PeerSpreads, threshold: float
) -> list[dict[str, Any]]:
    flags = []
    output_per_m2 = output_per_m2_code(get_catalogue(row.catalogue_version))
    for code, value in metrics.items():
        spread = peers.spread(row.division, code)
        if spread is None:
            continue
        result = _z(value, spread.middle, spread.mad)
        if result is None or abs(result[0]) <= threshold:
            continue
        z, middle, mad = result
        figures = {
            "value": _shown(value),
            "median": _shown(middle),
            "mad": _shown(mad),
            "z": _shown(z),
            "peers": spread.n,
            "division": spread.group,
            "threshold": _shown(threshold),
        }
        kind = "inconsistent" if code == output_per_m2 else "peer_outlier"
        flags.append(_flag(kind, code, figures))
    return flags


def _history_flags(
    row: Row, catalogue: Catalogue, history: Mapping[int, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """×3 jumps against last year, and values unchanged over this and the two previous years."""
    flags = []
    raw = from_storage(row.raw, catalogue)
    last = history.get(1)
    if last is not None:
        before = from_storage(last, catalogue)
        for name in year_on_year_flags(raw, before, catalogue=catalogue):
            figures = {"value": row.raw.get(name), "previous": last.get(name)}
            flags.append(_flag("yoy_jump", name, figures))
    earlier = history.get(2)
    if last is not None and earlier is not None:
        before, oldest = from_storage(last, catalogue), from_storage(earlier, catalogue)
        for raw_field in catalogue.raw_fields:
            if raw_field.dimension in UNCHANGED_SKIPPED_DIMENSIONS:
                continue
            value = raw.get(raw_field.name)
            if (
                not isinstance(value, Decimal)  # not reported, or a choice set (not a figure)
                or value == 0
                or value != before.get(raw_field.name)
                or value != oldest.get(raw_field.name)
            ):
                continue
            flags.append(
                _flag("unchanged", raw_field.name, {"value": row.raw.get(raw_field.name), "years": 3})
            )
    return flags


def _co2_flag(row: Row, catalogue: Catalogue) -> dict[str, Any] | None:
    raw = from_storage(row.raw, catalogue)
    co2 = raw.get("co2")
    factors = {name: Decimal(value) for name, value in settings.ANOMALY_CO2_PER_TCE.items()}
    coefficients = {c.field: c.tce_per_raw_unit for c in catalogue.energy_coefficients}
    if co2 is None or any(raw.get(name) is None for name in factors if name in coefficients):
        return None
    expected = Decimal(0)
    for name, factor in factors.items():
        if name not in coefficients:
            continue
        amount = raw[name] or Decimal(0)
        if name == "electricity":
            amount = max(amount - (raw.get("renewable_electricity") or Decimal(0)), Decimal(0))
        expected += amount * coefficients[name] * factor
    if expected <= 0:
        return None
    low, high = (Decimal(bound) for bound in settings.ANOMALY_CO2_BAND)
    process = row.division in settings.ANOMALY_PROCESS_EMISSION_DIVISIONS
    if co2 >= expected * low and (process or co2 <= expected * high):
        return None
    tce = sum((raw[c.field] or Decimal(0)) * c.tce_per_raw_unit for c in catalogue.energy_coefficients)
    figures = {
        "co2": _shown(co2),
        "tce": _shown(tce),
        "co2_per_tce": _shown(co2 / tce) if tce else None,
        "expected": _shown(expected),
        "low": _shown(expected * low),
        "high": None if process else _shown(expected * high),
    }
    return _flag("inconsistent", "co2", figures)


def _renewable_flag(row: Row, catalogue: Catalogue, full_renewable_kwh: int) -> dict[str, Any] | None:
    raw = from_storage(row.raw, catalogue)
    electricity, renewable = raw.get("electricity"), raw.get("renewable_electricity")
    threshold = Decimal(full_renewable_kwh)
    if electricity is None or renewable is None or electricity < threshold or renewable < electricity:
        return None
    figures = {
        "electricity": _shown(electricity),
        "renewable": _shown(renewable),
        "threshold": _shown(threshold),
    }
    return _flag("inconsistent", "renewable_electricity", figures)


def _copy_flag(copy: Copy, own: int, others: Mapping[int, Row]) -> dict[str, Any] | None:
    other = others.get(copy.second if copy.first == own else copy.first)
    if other is None:
        return None
    figures = {
        "match": "exact" if copy.exact else "near",
        "other_submission": other.id,
        "other_enterprise": other.enterprise_name,
        "other_district": other.district_id,
        "shared": copy.shared,
        "fields": copy.fields,
    }
    return _flag("copied", f"{WHOLE_RECORD}:{other.id}", figures)


def _check(
    row: Row,
    metrics: Mapping[str, float],
    peers: Peers | PeerSpreads,
    history: Mapping[int, Mapping[str, Any]],
    copies: Iterable[Copy],
    others: Mapping[int, Row],
    limits: Thresholds,
) -> list[dict[str, Any]]:
    catalogue = get_catalogue(row.catalogue_version)
    flags = _peer_flags(row, metrics, peers, float(limits.z))
    flags += _history_flags(row, catalogue, history)
    checks = (_co2_flag(row, catalogue), _renewable_flag(row, catalogue, limits.full_renewable_kwh))
    flags += [flag for flag in checks if flag]
    flags += [flag for copy in copies if (flag := _copy_flag(copy, row.id, others))]
    return flags


def _history(enterprise_ids: Iterable[int], year: int) -> dict[int, dict[int, Mapping[str, Any]]]:
    """enterprise → {1: last year's raw data, 2: the year before's}, from any of their submissions."""
    found: dict[int, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    query = AnnualSubmission.objects.filter(
        enterprise_id__in=list(enterprise_ids), year__in=(year - 1, year - 2)
    ).values_list("enterprise_id", "year", "raw_values")
    for enterprise_id, other_year, raw in query.iterator(chunk_size=2000):
        found[enterprise_id][year - other_year] = raw
    return found


def keep_dismissals(new: list[dict[str, Any]], old: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A dismissal survives a new check when the same flag comes back with the same figures of its own."""
    dismissed = {(flag["kind"], flag["field_or_indicator"]): flag for flag in old if flag.get("dismissed")}
    for flag in new:
        before = dismissed.get((flag["kind"], flag["field_or_indicator"]))
        if before is not None and _own_figures(before) == _own_figures(flag):
            flag["dismissed"] = before["dismissed"]
    return new


def _own_figures(flag: Mapping[str, Any]) -> tuple[Any, ...]:
    """The figures of the submission itself (not of its peers, which move as others submit)."""
    figures = flag.get("figures") or {}
    return tuple(
        figures.get(name) for name in ("value", "previous", "co2", "tce", "electricity", "renewable", "match")
    )


def flags_for_submission(submission: AnnualSubmission) -> list[dict[str, Any]]:
    """The flags of one submission now submitted, against the year's other submitted data."""
    own = next(iter(_rows(submission.year, pk=submission.pk)), None)
    if own is None:
        return []
    own_metrics = _metrics(own)
    peers = _division_peers(submission.year, own.division)[own.catalogue_version]
    if any(peers.count(own.division, code) < MIN_PEERS for code in own_metrics):
        # Some of the division's indicators have too few values: compare those with the whole city.
        peers = _kept_peers(submission.year, None)[own.catalogue_version]
    copies = find_copies(submission.year, only=submission.pk)
    other_ids = {copy.first for copy in copies} | {copy.second for copy in copies}
    others = {row.id: row for row in _rows(submission.year, pk__in=other_ids)} if other_ids else {}
    history = _history([own.enterprise_id], submission.year).get(own.enterprise_id, {})
    flags = _check(own, own_metrics, peers, history, copies, others, thresholds())
    return keep_dismissals(flags, submission.anomaly_flags or [])


def flags_for_year(
    year: int, progress: Callable[[int, int], None] | None = None
) -> dict[int, list[dict[str, Any]]]:
    """Submission id → its flags, for every submitted submission of the year (dismissals not yet kept)."""
    rows = _rows(year)
    metrics = {row.id: _metrics(row) for row in rows}
    tables = _peers(rows, metrics)
    by_id = {row.id: row for row in rows}
    copies: dict[int, list[Copy]] = defaultdict(list)
    for copy in find_copies(year):
        copies[copy.first].append(copy)
        copies[copy.second].append(copy)
    history = _history({row.enterprise_id for row in rows}, year)
    limits = thresholds()
    flags = {}
    for done, row in enumerate(rows, start=1):
        flags[row.id] = _check(
            row,
            metrics[row.id],
            tables[row.catalogue_version],
            history.get(row.enterprise_id, {}),
            copies[row.id],
            by_id,
            limits,
        )
        if progress is not None and done % 500 == 0:
            progress(done, len(rows))
    return flags


# --- in words -------------------------------------------------------------------------------------------


def _field_words(name: str, catalogue: Catalogue) -> tuple[str, str]:
    try:
        raw_field = catalogue.raw_field(name)
    except StopIteration:
        return name, ""
    english = (get_language_code() or "").startswith("en")
    return (raw_field.label_en if english else raw_field.label_zh), (
        raw_field.unit_en if english else raw_field.unit
    )


def get_language_code() -> str:
    from django.utils.translation import get_language

    return (get_language() or "").lower()


def subject_words(flag: Mapping[str, Any], catalogue: Catalogue | None = None) -> str:
    """What a flag is about, in words: an indicator's or a field's name, or the whole record."""
    catalogue = catalogue or get_catalogue()
    subject = str(flag.get("field_or_indicator") or "")
    english = get_language_code().startswith("en")
    if subject.startswith(WHOLE_RECORD):
        return _("全部原始数据")
    if subject in (OUTPUT_PER_M2, output_per_m2_code(catalogue)):
        return _("单位用地面积产值")
    try:
        indicator = catalogue.indicator(subject)
    except StopIteration:
        return _field_words(subject, catalogue)[0]
    return indicator.name_en if english else indicator.name_zh


def describe(
    flag: Mapping[str, Any], *, other_name: str | None = None, catalogue: Catalogue | None = None
) -> str:
    """The reason of a flag in words, in the active language, with the figures that triggered it."""
    catalogue = catalogue or get_catalogue()
    kind, f = flag["kind"], flag.get("figures") or {}
    subject = str(flag.get("field_or_indicator") or "")
    group = (
        _("同行业（{division}大类，{n}家）").format(division=f.get("division"), n=f.get("peers"))
        if f.get("division")
        else _("全市（同行业不足{min}家，{n}家）").format(min=MIN_PEERS, n=f.get("peers"))
    )
    if kind == "peer_outlier":
        unit = ""
        try:
            indicator = catalogue.indicator(subject)
            unit = indicator.unit_en if get_language_code().startswith("en") else indicator.unit
        except StopIteration:
            pass
        return _(
            "{name}为 {value}{unit}，{group}中位数为 {median}{unit}，稳健z值 {z}（绝对值超过 {threshold}），明显偏离同行业水平。"
        ).format(
            name=subject_words(flag, catalogue),
            unit=f" {unit}" if unit else "",
            group=group,
            **_pick(f, "value", "median", "z", "threshold"),
        )
    if kind == "yoy_jump":
        label, unit = _field_words(subject, catalogue)
        return _("{label}由上年的 {previous} {unit} 变为 {value} {unit}，变化超过3倍。").format(
            label=label, unit=unit, **_pick(f, "previous", "value")
        )
    if kind == "unchanged":
        label, unit = _field_words(subject, catalogue)
        return _("{label}连续三年均为 {value} {unit}，一位不差。").format(
            label=label, unit=unit, value=f.get("value")
        )
    if kind == "copied":
        other = other_name if other_name is not None else f.get("other_enterprise", "")
        if f.get("match") == "exact":
            return _("与{other}同年度的原始数据完全相同。").format(other=other)
        share = round(100 * int(f.get("shared") or 0) / max(int(f.get("fields") or 1), 1))
        return _(
            "与{other}同年度的原始数据在 {fields} 项非零数据中有 {shared} 项完全相同（{share}%）。"
        ).format(other=other, share=share, **_pick(f, "fields", "shared"))
    if subject == "co2":
        if f.get("high") is None:
            return _(
                "二氧化碳排放量 {co2} t 低于所报能源消费（{tce} tce）按排放因子估算的 {expected} t 的下限 {low} t。"
            ).format(**_pick(f, "co2", "tce", "expected", "low"))
        return _(
            "二氧化碳排放量 {co2} t 与所报能源消费（{tce} tce）不匹配：按排放因子估算约 {expected} t，合理范围 {low}–{high} t。"
        ).format(**_pick(f, "co2", "tce", "expected", "low", "high"))
    if subject == "renewable_electricity":
        return _(
            "可再生能源电力（{renewable} kWh）等于全部电力消费量（{electricity} kWh），用电量超过 {threshold} kWh，请核实绿电交易或自发电凭证。"
        ).format(**_pick(f, "renewable", "electricity", "threshold"))
    return _(
        "单位用地面积产值为 {value} 元/m²，{group}中位数为 {median} 元/m²，稳健z值 {z}（绝对值超过 {threshold}），明显偏离同行业水平。"
    ).format(group=group, **_pick(f, "value", "median", "z", "threshold"))


def _pick(figures: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: figures.get(name, "") for name in names}
