"""Writes to catalogue versions: copy into a draft, edit a draft's fields and indicators, adopt (§4, §4b).

Only drafts are edited. An adopted version is changed by copying it into a new draft; one that a
reporting year or a grading run uses is also frozen by the model itself (CatalogueFrozen).
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import audit
from accounts.errors import InvalidInput, StateConflict
from accounts.permissions import ensure_can
from factories.catalogues.engine import check
from factories.catalogues.selectors import catalogue_spec
from factories.models import (
    CatalogueField,
    CatalogueFrozen,
    CatalogueIndicator,
    CatalogueStatus,
    CatalogueVersion,
    Industry,
)

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,31}")
FIELD_ATTRIBUTES = (
    "name", "label_zh", "label_en", "unit", "unit_en", "kind", "dimension", "must_be_positive", "at_most",
    "choices", "empty_means", "help_zh", "help_en",
)  # fmt: skip
INDICATOR_ATTRIBUTES = (
    "code", "name_zh", "name_en", "unit", "unit_en", "direction", "dimension", "definition", "formula_zh",
    "formula_en", "is_percent", "evidence_required",
)  # fmt: skip


def _ensure_draft(catalogue: CatalogueVersion) -> None:
    """Drafts only; the model guard backs this up for versions in use, whoever writes."""
    fresh = CatalogueVersion.objects.select_for_update().get(pk=catalogue.pk)
    if fresh.status != CatalogueStatus.DRAFT:
        raise StateConflict(
            _("指标目录{code}已采用，不能修改；如需调整，请复制为新的草案。").format(code=fresh.code)
        )


def _industry_divisions(divisions: list[str]) -> list[str]:
    known = set(Industry.objects.values_list("code", flat=True))
    unknown = [d for d in divisions if d not in known]
    if unknown:
        raise InvalidInput(
            field_errors={
                "industry_divisions": [
                    _("行业大类代码{codes}不存在（应为国民经济行业分类制造业大类，如 26、30）。").format(
                        codes="、".join(unknown)
                    )
                ]
            }
        )
    return sorted(set(divisions))


@transaction.atomic
def catalogue_copy(
    *, actor: Any, source: CatalogueVersion, code: str, name: str, industry_divisions: list[str] | None = None
) -> CatalogueVersion:
    """A new draft with every field and indicator of `source`; `same_as` links are kept."""
    ensure_can(actor, "catalogue.manage")
    code = code.strip()
    errors: dict[str, list[Any]] = {}
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = [_("目录代码应为2至32位英文字母、数字、点、下划线或连字符，如 GBT36132-2025-C30。")]
    elif CatalogueVersion.objects.filter(code=code).exists():
        errors["code"] = [_("目录代码{code}已存在。").format(code=code)]
    if not name.strip():
        errors["name"] = [_("请填写目录名称。")]
    if errors:
        raise InvalidInput(field_errors=errors)
    divisions = _industry_divisions(industry_divisions or [])
    copy = CatalogueVersion.objects.create(
        code=code,
        version=source.version,
        name=name.strip(),
        name_en=source.name_en,
        status=CatalogueStatus.DRAFT,
        dimensions=source.dimensions,
        industry_divisions=divisions,
        based_on=source,
    )
    CatalogueField.objects.bulk_create(
        CatalogueField(catalogue=copy, position=f.position, **{a: getattr(f, a) for a in FIELD_ATTRIBUTES})
        for f in source.fields.all()
    )
    CatalogueIndicator.objects.bulk_create(
        CatalogueIndicator(
            catalogue=copy,
            position=i.position,
            same_as_id=i.same_as_id,
            **{a: getattr(i, a) for a in INDICATOR_ATTRIBUTES},
        )
        for i in source.indicators.all()
    )
    audit.record(actor=actor, action="catalogue.copy", obj=copy, changes={"based_on": [None, source.code]})
    return copy


@transaction.atomic
def catalogue_update(
    *, actor: Any, catalogue: CatalogueVersion, name: str, name_en: str, industry_divisions: list[str]
) -> CatalogueVersion:
    """The name and, for a sector variant, the industry divisions of a draft."""
    ensure_can(actor, "catalogue.manage")
    _ensure_draft(catalogue)
    if not name.strip():
        raise InvalidInput(field_errors={"name": [_("请填写目录名称。")]})
    before = {"name": catalogue.name, "industry_divisions": catalogue.industry_divisions}
    catalogue.name, catalogue.name_en = name.strip(), name_en.strip()
    catalogue.industry_divisions = _industry_divisions(industry_divisions)
    catalogue.save()
    audit.record(
        actor=actor,
        action="catalogue.update",
        obj=catalogue,
        changes={k: [v, getattr(catalogue, k)] for k, v in before.items() if v != getattr(catalogue, k)},
    )
    return catalogue


def resolve_same_as(text: str) -> CatalogueIndicator | None:
    """ "GBT36132-2018/EL-01" (or "GBT36132-2018 EL-01") → that indicator; "" → None; else InvalidInput."""
    text = text.strip()
    if not text:
        return None
    parts = re.split(r"[/\s]+", text)
    found = (
        CatalogueIndicator.objects.filter(catalogue__code=parts[0], code=parts[1]).first()
        if len(parts) == 2
        else None
    )
    if found is None:
        raise InvalidInput(
            field_errors={
                "same_as": [
                    _(
                        "所延续的指标“{text}”不存在：请写成“目录代码/指标代码”，如 GBT36132-2018/EL-01。"
                    ).format(text=text)
                ]
            }
        )
    return found


def _next_position(
    model: type[CatalogueField] | type[CatalogueIndicator], catalogue: CatalogueVersion
) -> int:
    highest = model.objects.filter(catalogue=catalogue).aggregate(m=Max("position"))["m"]
    return (highest or 0) + 1


def _save_part(
    *, actor: Any, catalogue: CatalogueVersion, part: Any, values: dict[str, Any], key: str, action: str
) -> Any:
    ensure_can(actor, "catalogue.manage")
    _ensure_draft(catalogue)
    if part is not None and part.catalogue_id != catalogue.pk:
        raise InvalidInput(_("该条目不属于此指标目录。"))
    model = CatalogueField if key == "name" else CatalogueIndicator
    identifier = str(values.get(key, getattr(part, key, "") if part is not None else "")).strip()
    clash = model.objects.filter(catalogue=catalogue, **{key: identifier})
    if part is not None:
        clash = clash.exclude(pk=part.pk)
    if not identifier:
        raise InvalidInput(field_errors={key: [_("此项为必填项。")]})
    if clash.exists():
        raise InvalidInput(field_errors={key: [_("“{name}”在本目录中已存在。").format(name=identifier)]})
    if part is None:
        part = model(catalogue=catalogue, position=_next_position(model, catalogue))
    before = {k: getattr(part, k, None) for k in values} if part.pk else {}
    for name, value in values.items():
        setattr(part, name, value)
    try:
        part.save()
    except CatalogueFrozen as frozen:
        raise StateConflict(frozen.message) from frozen
    changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
    audit.record(actor=actor, action=action, obj=catalogue, changes={identifier: changes})
    return part


@transaction.atomic
def catalogue_field_save(
    *, actor: Any, catalogue: CatalogueVersion, field: CatalogueField | None, values: dict[str, Any]
) -> CatalogueField:
    """Add or change a raw field of a draft; its rules are checked as a whole by `catalogue_problems`."""
    return _save_part(  # type: ignore[no-any-return]
        actor=actor, catalogue=catalogue, part=field, values=values, key="name", action="catalogue.field"
    )


@transaction.atomic
def catalogue_indicator_save(
    *,
    actor: Any,
    catalogue: CatalogueVersion,
    indicator: CatalogueIndicator | None,
    values: dict[str, Any],
    same_as: str = "",
) -> CatalogueIndicator:
    """Add or change an indicator of a draft; `same_as` names the indicator of an earlier catalogue."""
    target = resolve_same_as(same_as)
    if target is not None and target.catalogue_id == catalogue.pk:
        raise InvalidInput(
            field_errors={"same_as": [_("所延续的指标应属于早先的指标目录，不能是本目录的指标。")]}
        )
    return _save_part(  # type: ignore[no-any-return]
        actor=actor,
        catalogue=catalogue,
        part=indicator,
        values={**values, "same_as": target},
        key="code",
        action="catalogue.indicator",
    )


@transaction.atomic
def catalogue_part_delete(*, actor: Any, part: CatalogueField | CatalogueIndicator) -> None:
    """Remove a field or an indicator from a draft."""
    ensure_can(actor, "catalogue.manage")
    catalogue = part.catalogue
    _ensure_draft(catalogue)
    label = part.name if isinstance(part, CatalogueField) else part.code
    part.delete()
    audit.record(actor=actor, action="catalogue.remove", obj=catalogue, changes={label: ["", None]})


def catalogue_problems(catalogue: CatalogueVersion) -> list[Any]:
    """Every problem of the version in words (Chinese str with `.en`); [] when it can be adopted."""
    return check(catalogue_spec(catalogue))


@transaction.atomic
def catalogue_adopt(*, actor: Any, catalogue: CatalogueVersion) -> CatalogueVersion:
    """A draft without problems becomes adopted: reporting years may then name it, and it freezes once used."""
    ensure_can(actor, "catalogue.manage")
    _ensure_draft(catalogue)
    problems = catalogue_problems(catalogue)
    if problems:
        raise InvalidInput(
            _("指标目录还有{n}处问题，不能采用：").format(n=len(problems))
            + "；".join(str(p) for p in problems)
        )
    catalogue.status = CatalogueStatus.ADOPTED
    catalogue.adopted_at = timezone.now()
    catalogue.adopted_by = actor
    catalogue.save()
    audit.record(
        actor=actor, action="catalogue.adopt", obj=catalogue, changes={"status": ["draft", "adopted"]}
    )
    return catalogue
