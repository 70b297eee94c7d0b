"""The city grading standard (DOMAIN §6): its parameters, the default CQ-GF-2024 and its JSON form.

Pure: no Django, no ORM, no I/O. A standard is a versioned record owned by the city; a grading run stores
it as JSON (``standard_to_dict``) so any published grade can be reproduced with the same parameters
(``standard_from_dict``). A standard that could not grade consistently is refused when it is built.

The engine does not read the catalogue object: it takes ``IndicatorSpec`` (code, dimension, direction,
is_percent, same_as) in the standard, copied from the catalogue version the standard names
(``catalogue_version``): ``specs_from_catalogue_data`` builds them from catalogue data, the service from the
stored catalogue, so a standard on GBT36132-2025 grades that catalogue's dimensions and indicators.
An incident's effect is looked up by kind first (falsification → revoke, whatever the severity), then by
severity (Art. 9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from factories.grading.bands import Band
from factories.indicators import GBT36132_2018, Direction
from factories.scoring import (
    DEFAULT_INDICATORS,
    DEFAULT_WEIGHTS,
    IndicatorSpec,
    spec_from_dict,
    spec_to_dict,
)

INCIDENT_KINDS = ("environmental", "safety", "quality", "falsification")
INCIDENT_SEVERITIES = ("general", "large", "major", "especially_major")
DEFAULT_NOTICE_DAYS = 7
MAX_NOTICE_DAYS = 90


class IncidentEffect(StrEnum):
    """What an incident in year Y does to the grade (Art. 9)."""

    REVOKE = "revoke"
    CAP_AT_LOWEST = "cap_at_lowest"
    ONE_BAND_DOWN = "one_band_down"


@dataclass(frozen=True)
class GradingStandard:
    """A versioned city grading standard (§6); stored as JSON with its run."""

    code: str
    version: int
    catalogue_version: str
    weights: Mapping[str, float]
    alpha: float
    improvement_clip: float
    improvement_base: float
    improvement_multiplier: float
    bands: tuple[Band, ...]
    min_peer: int
    kind_effects: Mapping[str, IncidentEffect]
    severity_effects: Mapping[str, IncidentEffect]
    indicators: tuple[IndicatorSpec, ...]
    # The shortest public notice (公示) of a run's grades, in calendar days counting the first and last day.
    notice_days: int = DEFAULT_NOTICE_DAYS

    def __post_init__(self) -> None:
        problems = []
        if not self.bands:
            problems.append("at least one band is needed")
        else:
            last = self.bands[-1]
            if (last.q_below, last.c_min, last.dimension_min) != (None, None, None):
                problems.append("the lowest band must have no condition")
            if len({b.grade for b in self.bands}) != len(self.bands):
                problems.append("band grades must be distinct")
            if any(b.q_below is not None and not 0 < b.q_below <= 1 for b in self.bands):
                problems.append("q_below must lie in (0, 1]")
        if not 0 <= self.alpha <= 1:
            problems.append("alpha must lie in [0, 1]")
        if not 1 <= self.notice_days <= MAX_NOTICE_DAYS:
            problems.append(f"notice_days must lie in [1, {MAX_NOTICE_DAYS}]")
        if self.min_peer < 1:
            problems.append("min_peer must be at least 1")
        for spec in self.indicators:
            if self.weights.get(spec.dimension, 0) <= 0:
                problems.append(f"{spec.code}: dimension {spec.dimension!r} needs a positive weight")
        if len({s.code for s in self.indicators}) != len(self.indicators):
            problems.append("indicator codes must be distinct")
        if set(self.severity_effects) != set(INCIDENT_SEVERITIES):
            problems.append(f"severity_effects must cover {', '.join(INCIDENT_SEVERITIES)}")
        if not set(self.kind_effects) <= set(INCIDENT_KINDS):
            problems.append(f"kind_effects keys must be among {', '.join(INCIDENT_KINDS)}")
        if problems:
            raise ValueError(f"invalid grading standard {self.code} v{self.version}: " + "; ".join(problems))

    @property
    def grades(self) -> tuple[str, ...]:
        return tuple(b.grade for b in self.bands)

    @property
    def lowest_grade(self) -> str:
        return self.bands[-1].grade

    def one_band_down(self, grade: str) -> str:
        """The band below ``grade``; the lowest band stays where it is."""
        grades = self.grades
        return grades[min(grades.index(grade) + 1, len(grades) - 1)]

    def incident_effect(self, kind: str, severity: str) -> IncidentEffect:
        """The effect of an incident of this kind and severity: by kind first, then by severity."""
        return self.kind_effects.get(kind) or self.severity_effects[severity]


DEFAULT_STANDARD = GradingStandard(
    code="CQ-GF-2024",
    version=1,
    catalogue_version=GBT36132_2018.version,
    weights=dict(DEFAULT_WEIGHTS),
    alpha=0.7,
    improvement_clip=0.5,
    improvement_base=50.0,
    improvement_multiplier=500.0,
    bands=(
        Band("AAAA", q_below=0.10, c_min=80.0, dimension_min=50.0),
        Band("AAA", q_below=0.30, c_min=70.0),
        Band("AA", q_below=0.60, c_min=55.0),
        Band("A"),
    ),
    min_peer=5,
    kind_effects={"falsification": IncidentEffect.REVOKE},
    severity_effects={
        "general": IncidentEffect.ONE_BAND_DOWN,
        "large": IncidentEffect.CAP_AT_LOWEST,
        "major": IncidentEffect.REVOKE,
        "especially_major": IncidentEffect.REVOKE,
    },
    indicators=DEFAULT_INDICATORS,
)


# The draft CQ-GF-2026 on the draft catalogue GBT36132-2025: the dimension weights of DOMAIN §4b; every
# other parameter as in CQ-GF-2024.
DRAFT_2026_CODE = "CQ-GF-2026"
DRAFT_2026_CATALOGUE = "GBT36132-2025"
DRAFT_2026_WEIGHTS: Mapping[str, float] = {
    "energy": 30.0,
    "resources": 30.0,
    "clean": 16.0,
    "products": 16.0,
    "land": 8.0,
}


def specs_from_catalogue_data(indicators: Sequence[Mapping[str, Any]]) -> tuple[IndicatorSpec, ...]:
    """The engine's specs of a catalogue's indicators, given as in factories/data/catalogues/*.json."""
    return tuple(
        IndicatorSpec(
            str(i["code"]),
            str(i["dimension"]),
            Direction(i["direction"]),
            bool(i.get("is_percent")),
            str(i.get("same_as") or ""),
        )
        for i in indicators
    )


def standard_on_catalogue(
    base: GradingStandard,
    *,
    code: str,
    version: int,
    catalogue_version: str,
    weights: Mapping[str, float],
    indicators: tuple[IndicatorSpec, ...],
) -> GradingStandard:
    """``base`` moved to another catalogue: its dimension weights and indicators, the rest unchanged."""
    return replace(
        base,
        code=code,
        version=version,
        catalogue_version=catalogue_version,
        weights=dict(weights),
        indicators=indicators,
    )


def _optional_float(x: Any) -> float | None:
    return None if x is None else float(x)


def standard_to_dict(standard: GradingStandard) -> dict[str, Any]:
    """JSON-safe parameters of a standard; ``standard_from_dict`` reads them back unchanged."""
    return {
        "code": standard.code,
        "version": standard.version,
        "catalogue_version": standard.catalogue_version,
        "weights": dict(standard.weights),
        "alpha": standard.alpha,
        "improvement_clip": standard.improvement_clip,
        "improvement_base": standard.improvement_base,
        "improvement_multiplier": standard.improvement_multiplier,
        "bands": [
            {"grade": b.grade, "q_below": b.q_below, "c_min": b.c_min, "dimension_min": b.dimension_min}
            for b in standard.bands
        ],
        "min_peer": standard.min_peer,
        "incident_effects": {
            "by_kind": {k: str(v) for k, v in standard.kind_effects.items()},
            "by_severity": {k: str(v) for k, v in standard.severity_effects.items()},
        },
        "indicators": [spec_to_dict(s) for s in standard.indicators],
        "notice_days": standard.notice_days,
    }


def standard_from_dict(data: Mapping[str, Any]) -> GradingStandard:
    """Build a standard from stored JSON; raises ValueError naming what is missing or wrong."""
    try:
        effects = data["incident_effects"]
        return GradingStandard(
            code=str(data["code"]),
            version=int(data["version"]),
            catalogue_version=str(data["catalogue_version"]),
            weights={str(k): float(v) for k, v in data["weights"].items()},
            alpha=float(data["alpha"]),
            improvement_clip=float(data["improvement_clip"]),
            improvement_base=float(data["improvement_base"]),
            improvement_multiplier=float(data["improvement_multiplier"]),
            bands=tuple(
                Band(
                    str(b["grade"]),
                    _optional_float(b.get("q_below")),
                    _optional_float(b.get("c_min")),
                    _optional_float(b.get("dimension_min")),
                )
                for b in data["bands"]
            ),
            min_peer=int(data["min_peer"]),
            kind_effects={str(k): IncidentEffect(v) for k, v in effects["by_kind"].items()},
            severity_effects={str(k): IncidentEffect(v) for k, v in effects["by_severity"].items()},
            indicators=tuple(spec_from_dict(s) for s in data["indicators"]),
            # Versions stored before the parameter existed keep the policy's default notice.
            notice_days=int(data.get("notice_days", DEFAULT_NOTICE_DAYS)),
        )
    except KeyError as missing:
        raise ValueError(f"grading standard parameters lack {missing}") from None
    except (TypeError, AttributeError) as wrong:
        raise ValueError(f"grading standard parameters are malformed: {wrong}") from None
