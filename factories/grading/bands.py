"""Grade bands by rank in the peer group (DOMAIN §6.8) and the smallest rise in C to the next band.

Pure: no Django, no ORM, no I/O. A band is a grade with up to three conditions — q below a quota, C at
least a floor, every D_k at least a minimum — and the grade is the highest band whose every condition
holds. AAAA's "every D_k ≥ 50" is over the dimensions the factory has (a dimension left out does not
block). ``next_band`` refers to the band above the *computed* grade (the overrides are shown separately
on the explanation card).

q, C and D_k are exact (``Fraction``) and each band's float quota and floors are read as the decimals they
print as (``factories.scoring.exact``), so "q below 0.30" and "C at least 55" are decided exactly: a C of
55 − 10⁻¹⁰ is below the floor and q = 3/10 is not below 0.30. Reasons carry rendered figures.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from factories.scoring import Reason, dimension_floor_failures, exact, render


@dataclass(frozen=True, slots=True)
class Band:
    """One grade and its conditions; ``None`` means "no such condition" (the lowest band has none)."""

    grade: str
    q_below: float | None = None
    c_min: float | None = None
    dimension_min: float | None = None


@dataclass(frozen=True, slots=True)
class NextBand:
    """The smallest rise in C reaching the band above the computed grade, others held fixed.

    ``blocked_by`` is ``"TOP_BAND"`` (already the highest band) or ``"DIMENSION_MIN"`` (a dimension is
    below the band's floor, which no rise in C fixes; see ``blocking_dimensions``); C figures are then None.
    """

    grade: str | None
    c_needed: Fraction | None
    c_gap: Fraction | None
    blocked_by: str | None = None
    blocking_dimensions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Limits:
    """A band's quota and C floor as (numerator, denominator) of the decimals they print as."""

    q_below: tuple[int, int] | None
    c_min: tuple[int, int] | None


@lru_cache(maxsize=256)
def _limits(band: Band) -> _Limits:
    return _Limits(
        None if band.q_below is None else exact(band.q_below).as_integer_ratio(),
        None if band.c_min is None else exact(band.c_min).as_integer_ratio(),
    )


def select_band(
    q: Fraction, composite: Fraction, dimension_scores: Mapping[str, Fraction], bands: Sequence[Band]
) -> tuple[int, list[Reason]]:
    """Index of the highest band whose every condition holds, and why each higher band it could reach by
    rank was refused (``FLOOR_BLOCK``, ``AAAA_DIMENSION_BLOCK``)."""
    blocks: list[Reason] = []
    # The exact comparisons on integers (denominators are positive): this runs for every graded factory.
    qn, qd = q.numerator, q.denominator
    cn, cd = composite.numerator, composite.denominator
    for index, band in enumerate(bands):
        limits = _limits(band)
        quota_ok = limits.q_below is None or qn * limits.q_below[1] < limits.q_below[0] * qd
        floor_ok = limits.c_min is None or cn * limits.c_min[1] >= limits.c_min[0] * cd
        below = (
            ()
            if band.dimension_min is None
            else dimension_floor_failures(dimension_scores, band.dimension_min)
        )
        if quota_ok and floor_ok and not below:
            return index, blocks
        if quota_ok and not floor_ok:
            blocks.append(
                Reason("FLOOR_BLOCK", {"grade": band.grade, "c_min": band.c_min, "C": render(composite)})
            )
        if quota_ok and below:
            blocks.append(
                Reason(
                    "AAAA_DIMENSION_BLOCK",
                    {
                        "grade": band.grade,
                        "dimension_min": band.dimension_min,
                        "dimensions": {dim: render(dimension_scores[dim]) for dim in below},
                    },
                )
            )
    raise ValueError("the lowest band must have no condition")


def _largest_count_within_quota(q_below: float, n: int) -> int:
    """Largest k with ``k / n < q_below`` (q_below read exactly, as the band rule reads it)."""
    return math.ceil(exact(q_below) * n) - 1


def next_band(
    band_index: int,
    composite: Fraction,
    dimension_scores: Mapping[str, Fraction],
    group_composites: Sequence[Fraction],
    peer_count: int,
    bands: Sequence[Band],
    *,
    higher: int | None = None,
) -> NextBand:
    """Smallest C reaching ``bands[band_index − 1]`` with every other factory's C held fixed.

    ``group_composites`` are the C values of the peer group, ascending, this factory's included;
    ``higher``, how many of them are above ``composite``, is counted here unless the caller has it.
    Rank: at most k_max others may stay strictly above, so C must reach the (k_max+1)-th highest other C.
    """
    if band_index == 0:
        return NextBand(None, None, None, blocked_by="TOP_BAND")
    target = bands[band_index - 1]
    if target.dimension_min is not None:
        below = dimension_floor_failures(dimension_scores, target.dimension_min)
        if below:
            return NextBand(target.grade, None, None, blocked_by="DIMENSION_MIN", blocking_dimensions=below)
    needed: Fraction | None = None
    if target.c_min is not None:
        needed = exact(target.c_min)
    if target.q_below is not None:
        k_max = _largest_count_within_quota(target.q_below, peer_count)
        total = len(group_composites)
        first_own_desc = (
            total - bisect.bisect_right(group_composites, composite) if higher is None else higher
        )
        index = total - 1 - k_max if k_max < first_own_desc else total - 2 - k_max
        if index >= 0 and (needed is None or group_composites[index] > needed):
            needed = group_composites[index]
    if needed is None:
        # Neither a floor nor a rival above stands in the way (a band with only a D_k floor, met): no rise.
        needed = composite
    return NextBand(target.grade, needed, needed - composite)
