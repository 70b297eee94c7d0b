"""Percentiles computed by the database, on PostgreSQL and on SQLite alike.

PostgreSQL has the ordered-set aggregate `percentile_cont(f) WITHIN GROUP (ORDER BY x)`; SQLite has no
percentile at all, so every new SQLite connection gets an aggregate of the same name and the same
answer (linear interpolation between the two nearest ranks, NULLs ignored). `make run` uses SQLite and
production PostgreSQL, so a figure on a page is the same figure on both.
"""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Aggregate, FloatField


def interpolated(values: list[float], fraction: float) -> float | None:
    """The `fraction` percentile of `values` as PostgreSQL's percentile_cont computes it (None: no values)."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _PercentileCont:
    """SQLite's stand-in for percentile_cont: `percentile_cont(fraction, value)` as an aggregate."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, fraction: Any, value: Any) -> None:
        self.fraction = float(fraction)
        if value is not None:
            self.values.append(float(value))

    def finalize(self) -> float | None:
        return interpolated(self.values, self.fraction)


def install(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """`connection_created` receiver: give each SQLite connection the percentile aggregate."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_aggregate("percentile_cont", 2, _PercentileCont)


class Percentile(Aggregate):
    """The continuous percentile `fraction` (0…1) of an expression; NULLs are left out."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("a percentile's fraction lies between 0 and 1")
        # A float literal, never a parameter: PostgreSQL wants the fraction as a constant of the call.
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="%(function)s(%(fraction)s, %(expressions)s)", **extra_context
        )


def Median(expression: Any, **extra: Any) -> Percentile:
    """The median: the 50th percentile."""
    return Percentile(expression, 0.5, **extra)
