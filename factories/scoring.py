"""Scoring math shared by green-factory grading (DOMAIN §6) and the cultivation-pool levels (§7).

Pure: no Django, no ORM, no I/O. Both engines rank an indicator's value among peers (§6.3, §7), average
the percentiles per dimension (§6.4) and weight the dimensions into a level score (§6.5); this module
holds those steps, the indicator specs they read and the ``Reason`` both explain themselves with. It
sits on the registry floor so that ``factories.grading`` and ``cultivation`` can both use it without
reading each other.

Numbers (§6.7). Indicator values come in as ``Decimal`` (rounded to 6 dp by ``factories.indicators``) and
are compared as ``Decimal``, so ties are exact. Everything derived from them — percentiles p, D_k, L and,
in the grading engine, r, G_k, S, C and q — is a ``Fraction``: every step is a ratio, a mean, a weighted
sum or a clip of rationals, so the arithmetic is exact, two scores that are equal compare equal however
they were reached, and a floor compares the exact value. A float parameter of a standard (a weight, α, a
floor, a quota) means the decimal it prints as: ``exact(0.7)`` is 7/10, never the binary 0.69999….
Numbers are rendered only for storage and display (``render``): scores (D_k, L, S, C, gaps) rounded
half-up to ``SCORE_DIGITS`` = 9 decimal places, the ratios p, q, r, G_k as the nearest float — the same
figures as the float engine of issue 4 stored, now taken from the exact value. Means and weighted sums
add integer numerators and reduce once at the end (``_sum``), which keeps the exact path affordable.

A code in the indicator specs that is missing from a factory's mapping counts as *not reported*; a
reading with status ``ok`` but no value likewise. A peer that did not report an applicable indicator is
one of the n applicable peers, counts as worse than every reporter (so it adds to their W) and gets
p = 0 itself — also when n = 1 (a lone non-reporter is not "50").
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from itertools import chain
from typing import Any

from factories.indicators import GBT36132_2018, Catalogue, Direction, IndicatorValue, Status

SCORE_DIGITS = 9
PEER_GROUP_ALL = "ALL"

ZERO = Fraction(0)
FIFTY = Fraction(50)
HUNDRED = Fraction(100)
_SCALE = 10**SCORE_DIGITS


def exact(x: float | int | Decimal | Fraction | str) -> Fraction:
    """The rational a number stands for; a float (a standard's parameter) is the decimal it prints as."""
    if isinstance(x, float):
        return _exact_float(x)
    return x if isinstance(x, Fraction) else Fraction(x)


@lru_cache(maxsize=1024)
def _exact_float(x: float) -> Fraction:
    # repr() is the shortest decimal that reads back as x: the figure that was written (0.7, not 0.6999…).
    return Fraction(repr(x))


def render(x: Fraction | float) -> float:
    """A score as stored and shown: rounded half-up (away from zero) to ``SCORE_DIGITS`` decimal places."""
    n, d = x.as_integer_ratio()
    scaled = (2 * abs(n) * _SCALE + d) // (2 * d)
    # int / int is correctly rounded: the float nearest the 9-dp decimal, which prints as that decimal.
    return (scaled if n >= 0 else -scaled) / _SCALE


def render_ratio(x: Fraction | None) -> float | None:
    """A ratio (p, q, r, G_k) as stored and shown: the nearest float; None stays None."""
    if x is None:
        return None
    n, d = x.as_integer_ratio()
    return n / d  # correctly rounded, like float(x), without its detour through numbers.Rational


def _sum(terms: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """Σ n/d over (n, d) pairs (d > 0) as (numerator, denominator), not reduced: one gcd at the end
    (the caller's ``Fraction``) instead of one per term, which is most of the cost of exact sums."""
    num, den = 0, 1
    for n, d in terms:
        if d == den:
            num += n
        else:
            num, den = num * d + n * den, den * d
    return num, den


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """The little the engines need of a catalogue indicator; the caller builds these from the catalogue."""

    code: str
    dimension: str
    direction: Direction
    is_percent: bool
    same_as: str = ""
    """"CATALOGUE/CODE" of the indicator of an earlier catalogue this one continues (§4b), or ""."""


def specs_from_catalogue(catalogue: Catalogue) -> tuple[IndicatorSpec, ...]:
    """The specs of every indicator of ``catalogue``, in catalogue order."""
    return tuple(IndicatorSpec(i.code, i.dimension, i.direction, i.is_percent) for i in catalogue.indicators)


def spec_to_dict(spec: IndicatorSpec) -> dict[str, Any]:
    """JSON-safe form of a spec, as stored with a standard; ``same_as`` only when there is one, so the
    stored parameters of standards on a catalogue without continuations stay as they were."""
    data: dict[str, Any] = {
        "code": spec.code,
        "dimension": spec.dimension,
        "direction": str(spec.direction),
        "is_percent": spec.is_percent,
    }
    if spec.same_as:
        data["same_as"] = spec.same_as
    return data


def spec_from_dict(data: Mapping[str, Any]) -> IndicatorSpec:
    """The spec stored by ``spec_to_dict``."""
    return IndicatorSpec(
        str(data["code"]),
        str(data["dimension"]),
        Direction(data["direction"]),
        bool(data["is_percent"]),
        str(data.get("same_as") or ""),
    )


# The dimension weights and indicators of the city standard CQ-GF-2024 (§6.5); the pool's CQ-CULT-2024
# template starts from the same ones (§7).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "energy": 30.0,
    "waste": 30.0,
    "clean": 20.0,
    "land": 10.0,
    "materials": 10.0,
}
DEFAULT_INDICATORS: tuple[IndicatorSpec, ...] = specs_from_catalogue(GBT36132_2018)


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that shaped a result, with the numbers the explanation card shows."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}


# --- percentiles --------------------------------------------------------------------------------------


def _worse_and_ties(lo: int, hi: int, total: int, direction: Direction) -> tuple[int, int]:
    """(W, T) of a value occupying ``[lo, hi)`` of an ascending list of ``total`` values."""
    return (lo if direction == Direction.UP else total - hi), hi - lo


def percentile_counts(sorted_values: Sequence[Decimal], x: Decimal, direction: Direction) -> tuple[int, int]:
    """(W, T): how many of ``sorted_values`` (ascending) are strictly worse than ``x``, and equal to it.

    "Worse" follows the direction: smaller for ↑, larger for ↓. ``x`` itself is counted in T if present.
    """
    lo = bisect.bisect_left(sorted_values, x)
    hi = bisect.bisect_right(sorted_values, x, lo)
    return _worse_and_ties(lo, hi, len(sorted_values), direction)


def reported_value(reading: IndicatorValue | None) -> Decimal | None:
    """The value of an applicable, reported reading; None when not reported (or missing)."""
    if reading is None or reading.status != Status.OK:
        return None
    return reading.value


def is_applicable(reading: IndicatorValue | None) -> bool:
    """A missing reading is applicable (and not reported); only an explicit status says otherwise."""
    return reading is None or reading.status != Status.NOT_APPLICABLE


@dataclass(frozen=True, slots=True)
class PeerColumn:
    """One indicator across a group: the reporters' values ascending and the number of non-reporters.

    Peers for which the indicator is not applicable are not in the column; ``n`` counts the others.
    """

    direction: Direction
    values: Sequence[Decimal]
    non_reporters: int

    @property
    def n(self) -> int:
        return len(self.values) + self.non_reporters

    def counts(self, x: Decimal) -> tuple[int, int]:
        """(W, T) of value ``x`` in the column; non-reporters are worse than any reported value."""
        worse, ties = percentile_counts(self.values, x, self.direction)
        return worse + self.non_reporters, ties


def build_column(readings: Iterable[IndicatorValue | None], direction: Direction) -> PeerColumn:
    """The column of a group's readings of one indicator; not-applicable readings are left out."""
    values: list[Decimal] = []
    non_reporters = 0
    for reading in readings:
        if not is_applicable(reading):
            continue
        value = reported_value(reading)
        if value is None:
            non_reporters += 1
        else:
            values.append(value)
    values.sort()
    return PeerColumn(direction, values, non_reporters)


def merge_columns(columns: Sequence[PeerColumn]) -> PeerColumn:
    """The column of the union of disjoint groups (sorting concatenated sorted runs is a merge)."""
    values = sorted(chain.from_iterable(c.values for c in columns))
    return PeerColumn(columns[0].direction, values, sum(c.non_reporters for c in columns))


@lru_cache(maxsize=1 << 16)
def _peer_p(worse: int, ties: int, n: int) -> Fraction:
    """§6.3 for a reporter; ``worse`` includes the non-reporters, ``ties`` includes the factory itself.

    Cached: the indicators of one peer group share n, so they share their few hundred distinct p.
    """
    if n == 1:
        return FIFTY
    return Fraction(100 * (2 * worse + ties - 1), 2 * (n - 1))


def peer_percentile(column: PeerColumn, reading: IndicatorValue | None) -> Fraction | None:
    """§6.3 percentile of a member of ``column``: ``100·(W + T/2)/(n − 1)``; None when not applicable."""
    if not is_applicable(reading):
        return None
    value = reported_value(reading)
    if value is None:
        return ZERO
    worse, ties = column.counts(value)
    return _peer_p(worse, ties, column.n)


def group_percentiles(
    readings: Sequence[IndicatorValue | None], direction: Direction
) -> tuple[list[Fraction | None], PeerColumn]:
    """§6.3 percentiles of every member of a group for one indicator (input order), and the column.

    Same numbers as ``peer_percentile`` for each member, in one sort and one scan of the group.
    """
    percentiles: list[Fraction | None] = [None] * len(readings)
    values: list[Decimal] = []
    owners: list[int] = []
    non_reporters = 0
    for index, reading in enumerate(readings):
        # is_applicable() and reported_value() inlined: this loop runs for every factory-indicator.
        if reading is not None and reading.status == Status.OK and reading.value is not None:
            values.append(reading.value)
            owners.append(index)
        elif reading is None or reading.status != Status.NOT_APPLICABLE:
            percentiles[index] = ZERO
            non_reporters += 1
    order = sorted(range(len(values)), key=values.__getitem__)
    ascending = [values[k] for k in order]
    owners = [owners[k] for k in order]
    total = len(ascending)
    n = total + non_reporters
    lo = 0
    while lo < total:
        value = ascending[lo]
        hi = lo + 1
        while hi < total and ascending[hi] == value:
            hi += 1
        worse, ties = _worse_and_ties(lo, hi, total, direction)
        p = _peer_p(worse + non_reporters, ties, n)
        for owner in owners[lo:hi]:
            percentiles[owner] = p
        lo = hi
    return percentiles, PeerColumn(direction, ascending, non_reporters)


# --- aggregation --------------------------------------------------------------------------------------


DimensionLayout = tuple[tuple[str, tuple[str, ...]], ...]


def dimension_layout(specs: Sequence[IndicatorSpec]) -> DimensionLayout:
    """The dimensions in catalogue order, each with its indicator codes."""
    codes: dict[str, list[str]] = {}
    for spec in specs:
        codes.setdefault(spec.dimension, []).append(spec.code)
    return tuple((dim, tuple(members)) for dim, members in codes.items())


def dimension_means(
    per_indicator: Mapping[str, Fraction | None], layout: DimensionLayout
) -> dict[str, Fraction]:
    """Mean per dimension over the indicators with a number; a dimension without one is left out."""
    means: dict[str, Fraction] = {}
    for dim, codes in layout:
        # _sum() inlined: this runs for every dimension of every factory, twice in grading.
        num, den, count = 0, 1, 0
        for code in codes:
            x = per_indicator.get(code)
            if x is not None:
                n, d = x.as_integer_ratio()
                if d == den:
                    num += n
                else:
                    num, den = num * d + n * den, den * d
                count += 1
        if count:
            means[dim] = Fraction(num, den * count)
    return means


def weighted_mean(by_dimension: Mapping[str, Fraction], weights: Mapping[str, float]) -> Fraction | None:
    """``Σ w_k·x_k / Σ w_k`` over the dimensions present (weights renormalise); None when none is."""
    ws, terms = [], []
    for dim, x in by_dimension.items():
        wn, wd = exact(weights[dim]).as_integer_ratio()
        xn, xd = x.as_integer_ratio()
        ws.append((wn, wd))
        terms.append((wn * xn, wd * xd))
    weight_num, weight_den = _sum(ws)
    if weight_num <= 0:
        return None
    num, den = _sum(terms)
    return Fraction(num * weight_den, den * weight_num)


def dimension_floor_failures(dimension_scores: Mapping[str, Fraction], minimum: float) -> tuple[str, ...]:
    """The dimensions scoring below ``minimum`` (a dimension left out cannot fail a floor)."""
    fn, fd = exact(minimum).as_integer_ratio()
    # score < fn/fd, compared on integers (denominators are positive): it runs for every graded factory.
    return tuple(
        dim for dim, score in dimension_scores.items() if score.numerator * fd < fn * score.denominator
    )
