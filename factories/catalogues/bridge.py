"""The catalogue a reporting year uses, as the reporting side reads it (issue 15 item 2, DOMAIN §4, §4b).

`reporting_catalogue(code)` gives any catalogue version in the database — GBT36132-2018, GBT36132-2025, a
sector variant — as a `ReportingCatalogue`: raw fields with labels, units, help, kind and choices,
dimensions, indicators with code, name, unit, direction, dimension, evidence_required and same_as, and
`field_groups()`, `raw_field()`, `indicator()` and `dimension()` as the code catalogue
(`factories.indicators.Catalogue`) has them. Its indicators are computed by the pure engine
(`factories.catalogues.engine.evaluate`) for every definition kind; `derive_indicators`, `validate_raw` and
`year_on_year_flags` here are the catalogue-aware versions of the code catalogue's functions.

GBT36132-2018 is built from the code catalogue (`factories.catalogues.shipped.from_code`), without a query:
the shipped data version is that very dictionary (a test compares them), and the engine gives the code
catalogue's results byte for byte (tests/unit/test_catalogue_engine.py). Every other version is read from
the database.

Adopted versions do not change (the services edit drafts only), so they are kept per process; a draft is
read again each time. Any save or delete of a version, field or indicator empties the kept copy of it.

Values, as `reporting.values` parses and stores them: a decimal or count field is a Decimal (a decimal
string in storage), a yes-no field is Decimal 1 or 0 ("1" / "0" in storage, true / false in the API), a
choice set is the list of the chosen item names in catalogue order ([] = none chosen); None (absent) is
always "not reported". That is what `engine.evaluate` reads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models.signals import post_delete, post_save

from factories.catalogues.engine import (
    CatalogueSpec,
    EmptyMeans,
    FieldKind,
    evaluate,
    referenced_fields,
    spec_from_data,
)
from factories.catalogues.shipped import from_code
from factories.indicators import (
    _ENERGY_COEFFICIENTS_GBT2589_2020,
    CATALOGUES,
    DEFAULT_CATALOGUE_VERSION,
    EXACT_CONTEXT,
    GENERAL_GROUP,
    MSG_NEGATIVE,
    MSG_NEGATIVE_EN,
    MSG_NOT_POSITIVE,
    MSG_NOT_POSITIVE_EN,
    AtMost,
    Catalogue,
    DimensionDef,
    Direction,
    EnergyCoefficient,
    IndicatorValue,
    Message,
    exceeds_message,
)
from factories.models import CatalogueField, CatalogueIndicator, CatalogueStatus, CatalogueVersion

__all__ = [
    "CatalogueField",
    "FieldDef",
    "IndicatorInfo",
    "ReportingCatalogue",
    "derive_indicators",
    "reporting_catalogue",
    "validate_raw",
    "year_on_year_flags",
]

ZERO = Decimal(0)
ONE = Decimal(1)
NUMERIC_KINDS = frozenset({FieldKind.DECIMAL, FieldKind.COUNT, FieldKind.YES_NO})


@dataclass(frozen=True)
class FieldDef:
    """A raw field of a catalogue version (the code catalogue's RawField, with its kind and rules)."""

    name: str
    label_zh: str
    label_en: str
    unit: str
    unit_en: str
    dimension: str
    help_zh: str
    help_en: str
    must_be_positive: bool = False
    evidence_required: bool = False
    kind: str = FieldKind.DECIMAL
    choices: tuple[str, ...] = ()
    at_most: str = ""
    empty_means: str = EmptyMeans.NOT_REPORTED

    @property
    def is_numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    @property
    def is_choice_set(self) -> bool:
        return self.kind == FieldKind.CHOICE_SET

    @property
    def is_count(self) -> bool:
        return self.kind == FieldKind.COUNT

    @property
    def is_yes_no(self) -> bool:
        return self.kind == FieldKind.YES_NO


@dataclass(frozen=True)
class IndicatorInfo:
    """An indicator of a catalogue version (the code catalogue's IndicatorDef, definition kept as data)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    unit_en: str
    direction: Direction
    dimension: str
    formula_zh: str
    formula_en: str
    is_percent: bool
    evidence_required: bool
    same_as: str
    """"CATALOGUE/CODE" of the indicator of an earlier catalogue this one continues, or ""."""
    fields: tuple[str, ...]
    """The raw fields the definition reads, in the order written."""
    definition: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportingCatalogue:
    """One catalogue version as the reporting side reads it; see the module docs."""

    version: str
    title_zh: str
    status: str
    raw_fields: tuple[FieldDef, ...]
    dimensions: tuple[DimensionDef, ...]
    indicators: tuple[IndicatorInfo, ...]
    spec: CatalogueSpec
    energy_coefficients: tuple[EnergyCoefficient, ...] = ()

    @property
    def code(self) -> str:
        return self.version

    @property
    def at_most(self) -> tuple[AtMost, ...]:
        return tuple(AtMost(f.name, f.at_most) for f in self.raw_fields if f.at_most)

    def raw_field(self, name: str) -> FieldDef:
        return next(raw_field for raw_field in self.raw_fields if raw_field.name == name)

    def indicator(self, code: str) -> IndicatorInfo:
        return next(indicator for indicator in self.indicators if indicator.code == code)

    def dimension(self, code: str) -> DimensionDef:
        return next(dimension for dimension in (*self.dimensions, GENERAL_GROUP) if dimension.code == code)

    def field_groups(self) -> tuple[tuple[DimensionDef, tuple[FieldDef, ...]], ...]:
        """Raw fields grouped for the data-entry form: general first, then the dimensions in order; a field
        of no known dimension joins the general group, so that no field is ever left out of the form."""
        known = {d.code for d in self.dimensions}
        groups = []
        for group in (GENERAL_GROUP, *self.dimensions):
            members = tuple(
                f
                for f in self.raw_fields
                if f.dimension == group.code or (group is GENERAL_GROUP and f.dimension not in known)
            )
            if members:
                groups.append((group, members))
        return tuple(groups)


def from_data(data: Mapping[str, Any]) -> ReportingCatalogue:
    """A catalogue version from data in the shipped JSON shape (factories/data/catalogues/*.json)."""
    names = {str(f["name"]) for f in data["fields"]}
    return ReportingCatalogue(
        version=str(data["code"]),
        title_zh=str(data.get("name") or data["code"]),
        status=str(data.get("status") or CatalogueStatus.DRAFT),
        raw_fields=tuple(
            FieldDef(
                name=str(f["name"]),
                label_zh=str(f.get("label_zh") or f["name"]),
                label_en=str(f.get("label_en") or f.get("label_zh") or f["name"]),
                unit=str(f.get("unit") or ""),
                unit_en=str(f.get("unit_en") or f.get("unit") or ""),
                dimension=str(f.get("dimension") or GENERAL_GROUP.code),
                help_zh=str(f.get("help_zh") or ""),
                help_en=str(f.get("help_en") or ""),
                must_be_positive=bool(f.get("must_be_positive")),
                evidence_required=bool(f.get("evidence_required")),
                kind=str(f.get("kind") or FieldKind.DECIMAL),
                choices=tuple(str(c) for c in f.get("choices") or ()),
                at_most=str(f.get("at_most") or ""),
                empty_means=str(f.get("empty_means") or EmptyMeans.NOT_REPORTED),
            )
            for f in data["fields"]
        ),
        dimensions=tuple(
            DimensionDef(
                str(d["code"]), str(d.get("name_zh") or d["code"]), str(d.get("name_en") or d.get("name_zh"))
            )
            for d in data.get("dimensions") or []
        ),
        indicators=tuple(
            IndicatorInfo(
                code=str(i["code"]),
                name_zh=str(i["name_zh"]),
                name_en=str(i.get("name_en") or i["name_zh"]),
                unit=str(i.get("unit") or ""),
                unit_en=str(i.get("unit_en") or i.get("unit") or ""),
                direction=Direction(i.get("direction") or Direction.UP),
                dimension=str(i.get("dimension") or ""),
                formula_zh=str(i.get("formula_zh") or ""),
                formula_en=str(i.get("formula_en") or i.get("formula_zh") or ""),
                is_percent=bool(i.get("is_percent")),
                evidence_required=bool(i.get("evidence_required")),
                same_as=str(i.get("same_as") or ""),
                fields=tuple(dict.fromkeys(n for n in referenced_fields(i["definition"] or {}) if n)),
                definition=dict(i["definition"] or {}),
            )
            for i in data["indicators"]
        ),
        spec=spec_from_data(data),
        # GB/T 2589-2020 is national, not a matter of the catalogue: its coefficients for the carriers the
        # catalogue has (the CO₂ plausibility check of reporting.anomalies reads them).
        energy_coefficients=tuple(c for c in _ENERGY_COEFFICIENTS_GBT2589_2020 if c.field in names),
    )


def _data_of(version: CatalogueVersion) -> dict[str, Any]:
    """A stored version in the shipped JSON shape."""
    return {
        "code": version.code,
        "name": version.name,
        "status": version.status,
        "dimensions": list(version.dimensions or []),
        "fields": [
            {
                "name": f.name,
                "label_zh": f.label_zh,
                "label_en": f.label_en,
                "unit": f.unit,
                "unit_en": f.unit_en,
                "kind": f.kind,
                "dimension": f.dimension,
                "must_be_positive": f.must_be_positive,
                "at_most": f.at_most,
                "choices": list(f.choices or []),
                "empty_means": f.empty_means,
                "help_zh": f.help_zh,
                "help_en": f.help_en,
            }
            for f in version.fields.order_by("position", "id")
        ],
        "indicators": [
            {
                "code": i.code,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "unit": i.unit,
                "unit_en": i.unit_en,
                "direction": i.direction,
                "dimension": i.dimension,
                "definition": i.definition or {},
                "formula_zh": i.formula_zh,
                "formula_en": i.formula_en,
                "is_percent": i.is_percent,
                "evidence_required": i.evidence_required,
                "same_as": f"{i.same_as.catalogue.code}/{i.same_as.code}" if i.same_as else "",
            }
            for i in version.indicators.select_related("same_as__catalogue").order_by("position", "id")
        ],
    }


_KEPT: dict[str, ReportingCatalogue] = {}
_FROM_CODE: dict[str, tuple[Catalogue, ReportingCatalogue]] = {}
_LOCK = threading.Lock()


def _from_code_catalogue(catalogue: Catalogue) -> ReportingCatalogue:
    """A code catalogue with its evidence marks (which the shipped data shape keeps for indicators only)."""
    data = from_code(catalogue)
    marked_fields = {f.name for f in catalogue.raw_fields if f.evidence_required}
    marked_indicators = {i.code for i in catalogue.indicators if i.evidence_required}
    data["fields"] = [{**f, "evidence_required": f["name"] in marked_fields} for f in data["fields"]]
    data["indicators"] = [
        {**i, "evidence_required": i["code"] in marked_indicators} for i in data["indicators"]
    ]
    return from_data(data)


def reporting_catalogue(code: str = DEFAULT_CATALOGUE_VERSION) -> ReportingCatalogue:
    """The catalogue version `code` for forms, parsing, validation and indicators; KeyError when unknown."""
    if code in CATALOGUES:
        source = CATALOGUES[code]
        built = _FROM_CODE.get(code)
        if built is None or built[0] is not source:
            built = (source, _from_code_catalogue(source))
            with _LOCK:
                _FROM_CODE[code] = built
        return built[1]
    kept = _KEPT.get(code)
    if kept is not None:
        return kept
    version = CatalogueVersion.objects.filter(code=code).first()
    if version is None:
        raise KeyError(f"unknown indicator catalogue version {code!r}")
    found = from_data(_data_of(version))
    if version.status != CatalogueStatus.ADOPTED:
        return found
    with _LOCK:
        _KEPT[code] = found
    return found


def forget(code: str | None = None) -> None:
    """Drop the kept copy of a version (every version when `code` is None); the code catalogue's copy is
    never read from the rows, so it stays."""
    with _LOCK:
        if code is None:
            _KEPT.clear()
        else:
            _KEPT.pop(code, None)


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A version, field or indicator was written: its version is read again next time (a field or an
    indicator: every kept version, as its version may be gone already; the reload is a few queries)."""
    if isinstance(instance, CatalogueVersion):
        forget(instance.code)
    else:
        forget()


for _model in (CatalogueVersion, CatalogueField, CatalogueIndicator):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"bridge-forget-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"bridge-forget-del-{_model.__name__}")


# --- indicators, checks and the ×3 rule for every field kind -----------------------------------------


def derive_indicators(raw: Mapping[str, Any], catalogue: ReportingCatalogue) -> dict[str, IndicatorValue]:
    """Every indicator of the catalogue from parsed (or stored) raw values, in catalogue order (§4, §4b)."""
    return evaluate(catalogue.spec, raw)


def _display(value: Decimal) -> str:
    """Plain notation without trailing zeros: 12000.0000 → 12000, never 1.2E+4."""
    return f"{value.normalize(EXACT_CONTEXT):f}"


MSG_NOT_INTEGER = "{label}应为非负整数（当前为 {value} {unit}）。"
MSG_NOT_INTEGER_EN = "{label} must be a whole number (currently {value} {unit})."
MSG_NOT_YES_NO = "{label}只能填“是”或“否”。"
MSG_NOT_YES_NO_EN = '{label} can only be "yes" or "no".'
MSG_UNKNOWN_CHOICE = "{label}中没有“{item}”这一项，可选：{choices}。"
MSG_UNKNOWN_CHOICE_EN = '{label} has no item "{item}"; the items are: {choices}.'


def validate_raw(raw: Mapping[str, Any], catalogue: ReportingCatalogue) -> dict[str, list[str]]:
    """Field → errors (a Message: Chinese str, English `.en`): negatives, > 0 fields, ≤ relations, counts
    that are not whole numbers, yes-no other than 1/0 and choice items not in the list (§4, §4b).

    The decimal fields get exactly the messages of `factories.indicators.validate_raw`."""
    errors: dict[str, list[str]] = {}
    for raw_field in catalogue.raw_fields:
        value = raw.get(raw_field.name)
        if value is None:
            continue
        add = errors.setdefault(raw_field.name, []).append
        if raw_field.is_choice_set:
            for item in value:
                if item not in raw_field.choices:
                    add(
                        Message(
                            MSG_UNKNOWN_CHOICE.format(
                                label=raw_field.label_zh, item=item, choices="、".join(raw_field.choices)
                            ),
                            MSG_UNKNOWN_CHOICE_EN.format(
                                label=raw_field.label_en, item=item, choices=", ".join(raw_field.choices)
                            ),
                        )
                    )
            continue
        shown = _display(value)
        zh = {"label": raw_field.label_zh, "value": shown, "unit": raw_field.unit}
        en = {"label": raw_field.label_en, "value": shown, "unit": raw_field.unit_en}
        if raw_field.is_yes_no and value not in (ZERO, ONE):
            add(Message(MSG_NOT_YES_NO.format(**zh), MSG_NOT_YES_NO_EN.format(**en)))
        elif value < ZERO:
            add(Message(MSG_NEGATIVE.format(**zh), MSG_NEGATIVE_EN.format(**en)))
        elif raw_field.is_count and value != value.to_integral_value():
            add(Message(MSG_NOT_INTEGER.format(**zh), MSG_NOT_INTEGER_EN.format(**en)))
        elif value == ZERO and raw_field.must_be_positive:
            add(Message(MSG_NOT_POSITIVE.format(**zh), MSG_NOT_POSITIVE_EN.format(**en)))
    for rule in catalogue.at_most:
        value, limit = raw.get(rule.field), raw.get(rule.limit)
        if not isinstance(value, Decimal) or not isinstance(limit, Decimal):
            continue
        # A negative value already has its own message; comparing it would only add noise.
        if value < ZERO or limit < ZERO or value <= limit:
            continue
        errors.setdefault(rule.field, []).append(
            exceeds_message(catalogue.raw_field(rule.field), catalogue.raw_field(rule.limit), value, limit)
        )
    return {f.name: errors[f.name] for f in catalogue.raw_fields if errors.get(f.name)}


def year_on_year_flags(
    raw: Mapping[str, Any],
    previous: Mapping[str, Any],
    factor: Decimal = Decimal(3),
    *,
    catalogue: ReportingCatalogue,
) -> list[str]:
    """Numeric raw fields that grew more than `factor`-fold or shrank below 1/`factor` since last year (§4);
    yes-no fields and choice sets are not figures that grow."""
    flagged = []
    for raw_field in catalogue.raw_fields:
        if raw_field.kind not in (FieldKind.DECIMAL, FieldKind.COUNT):
            continue
        current, before = raw.get(raw_field.name), previous.get(raw_field.name)
        if not isinstance(current, Decimal) or not isinstance(before, Decimal):
            continue
        # Multiplying instead of dividing keeps 0 → positive (an infinite rise) and positive → 0 flagged.
        grew = current > EXACT_CONTEXT.multiply(before, factor)
        shrank = EXACT_CONTEXT.multiply(current, factor) < before
        if grew or shrank:
            flagged.append(raw_field.name)
    return flagged
