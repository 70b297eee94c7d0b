"""Forms of the catalogue pages: copy a version into a draft, edit a draft's raw fields and indicators."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.errors import InvalidInput
from factories.catalogues import services
from factories.catalogues.engine import DefinitionKind
from factories.catalogues.selectors import same_as_label
from factories.forms import ServiceForm
from factories.models import CatalogueField, CatalogueIndicator, CatalogueVersion
from factories.models.catalogues import EmptyMeans, FieldKind, IndicatorDirection

KIND_LABELS = [
    (DefinitionKind.RATIO.value, _("比值：分子各项之和 × 倍数 ÷ 分母各项之和（可设上限）")),
    (DefinitionKind.VALUE.value, _("单项数值 ÷ 除数（如近三年合计 ÷ 3）")),
    (DefinitionKind.CHOICE_COUNT.value, _("多选项中选中的项数")),
    (DefinitionKind.CHOICE_SHARE.value, _("多选项中选中的项数 ÷ 全部项数 × 倍数")),
    (DefinitionKind.MEAN_HEADROOM.value, _("有值各项的 (100 − 值) 的平均值（如浓度占限值比例）")),
]
INDICATOR_INPUTS = (
    "code", "name_zh", "name_en", "unit", "unit_en", "direction", "dimension", "formula_zh", "evidence_required",
    "is_percent",
)  # fmt: skip
TERM_SPLIT = re.compile(r"\s*[×*xX]\s*")


def _divisions(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,，、;；]+", text.strip()) if part]


class CatalogueCopyForm(ServiceForm):
    """Copy a version (adopted or draft) into a new draft; a sector variant names its industry divisions."""

    code = forms.CharField(
        label=_("新目录代码"),
        max_length=32,
        help_text=_("如 GBT36132-2025-C30（行业变体建议以行业大类代码结尾）。"),
    )
    name = forms.CharField(label=_("名称"), max_length=200)
    industry_divisions = forms.CharField(
        label=_("适用行业（大类）"),
        required=False,
        max_length=200,
        help_text=_("行业变体填写适用的制造业大类代码，以逗号或空格分隔，如 26, 30；通用目录留空。"),
    )

    def __init__(self, *args: Any, user: Any, source: CatalogueVersion, **kwargs: Any) -> None:
        self.user, self.source = user, source
        super().__init__(*args, **kwargs)
        self.fields["name"].initial = source.name

    def save(self) -> CatalogueVersion:
        try:
            return services.catalogue_copy(
                actor=self.user,
                source=self.source,
                code=self.cleaned_data["code"],
                name=self.cleaned_data["name"],
                industry_divisions=_divisions(self.cleaned_data["industry_divisions"]),
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


def _dimension_choices(catalogue: CatalogueVersion, general: bool) -> list[tuple[str, str]]:
    choices = [(str(d.get("code", "")), str(d.get("name_zh", ""))) for d in catalogue.dimensions or []]
    return [("general", str(_("基本情况"))), *choices] if general else choices


Part = TypeVar("Part", CatalogueField, CatalogueIndicator)


class _DraftPartForm(ServiceForm, Generic[Part]):
    """A raw field or an indicator of a draft catalogue: new (`item` None) or edited in place."""

    general_group: bool  # whether the 基本情况 group is offered as a dimension

    def __init__(
        self,
        *args: Any,
        user: Any,
        catalogue: CatalogueVersion,
        item: Part | None,
        **kwargs: Any,
    ) -> None:
        self.user, self.catalogue = user, catalogue
        self.item: Part | None = item
        if item is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), **self.initial_from(item)}
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = _dimension_choices(catalogue, general=self.general_group)  # type: ignore[attr-defined]

    def initial_from(self, item: Part) -> dict[str, Any]:
        raise NotImplementedError


class CatalogueFieldForm(_DraftPartForm[CatalogueField]):
    """One raw field of a draft: what is reported, in which unit, and the rules its value obeys."""

    name = forms.CharField(
        label=_("字段名"),
        max_length=40,
        help_text=_("小写英文字母、数字和下划线，如 water_reused；接口和导入按此名称识别。"),
    )
    label_zh = forms.CharField(label=_("中文名称"), max_length=100)
    label_en = forms.CharField(label=_("英文名称"), max_length=200, required=False)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    unit_en = forms.CharField(label=_("英文单位"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=FieldKind.choices)
    dimension = forms.ChoiceField(label=_("表单分组（维度）"))
    must_be_positive = forms.BooleanField(label=_("必须大于0"), required=False)
    at_most = forms.CharField(
        label=_("不大于（数据项）"),
        max_length=40,
        required=False,
        help_text=_("填写另一数据项的字段名，如 site_area；留空表示无此约束。"),
    )
    choices = forms.CharField(
        label=_("选项"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("仅多选数据项：每行一个选项。"),
    )
    empty_means = forms.ChoiceField(label=_("留空表示"), choices=EmptyMeans.choices)
    help_zh = forms.CharField(
        label=_("填报说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    help_en = forms.CharField(label=_("英文填报说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)  # fmt: skip

    general_group = True

    def initial_from(self, item: CatalogueField) -> dict[str, Any]:
        return {
            **{name: getattr(item, name) for name in services.FIELD_ATTRIBUTES if name != "choices"},
            "choices": "\n".join(item.choices or []),
        }

    def save(self) -> CatalogueField:
        values = {name: self.cleaned_data[name] for name in services.FIELD_ATTRIBUTES if name != "choices"}
        values["choices"] = [
            line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()
        ]
        values["name"], values["at_most"] = values["name"].strip(), values["at_most"].strip()
        try:
            return services.catalogue_field_save(
                actor=self.user, catalogue=self.catalogue, field=self.item, values=values
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise


def _terms_text(terms: list[dict[str, str]] | None) -> str:
    return " + ".join(
        t.get("field", "")
        if str(t.get("weight", "1")) == "1"
        else f"{t.get('field', '')} × {t.get('weight')}"
        for t in terms or []
    )


def _terms(text: str) -> list[dict[str, str]]:
    terms = []
    for part in [p.strip() for p in text.split("+") if p.strip()]:
        name, *weight = TERM_SPLIT.split(part, maxsplit=1)
        terms.append({"field": name.strip(), "weight": weight[0].strip() if weight else "1"})
    return terms


def definition_initial(definition: dict[str, Any]) -> dict[str, str]:
    """The form's inputs for a stored definition (the reverse of `CatalogueIndicatorForm.definition`)."""
    kind = str(definition.get("kind", DefinitionKind.RATIO))
    if kind == DefinitionKind.RATIO:
        numerator = _terms_text(definition.get("numerator"))
    elif kind == DefinitionKind.MEAN_HEADROOM:
        numerator = " + ".join(definition.get("fields") or [])
    else:
        numerator = str(definition.get("field", ""))
    cap = definition.get("cap", "") if "cap" in definition else ""
    return {
        "kind": kind,
        "numerator": numerator,
        "denominator": _terms_text(definition.get("denominator")),
        "scale": str(definition.get("scale", "")),
        "cap": str(_("无")) if "cap" in definition and cap is None else str(cap or ""),
        "divisor": str(definition.get("divisor", "1")),
    }


class CatalogueIndicatorForm(_DraftPartForm[CatalogueIndicator]):
    """One indicator of a draft: its names, direction and dimension, and its definition over raw fields."""

    code = forms.CharField(label=_("指标代码"), max_length=16)
    name_zh = forms.CharField(label=_("指标名称"), max_length=100)
    name_en = forms.CharField(label=_("英文名称"), max_length=200, required=False)
    unit = forms.CharField(label=_("单位"), max_length=20, required=False)
    unit_en = forms.CharField(label=_("英文单位"), max_length=30, required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=IndicatorDirection.choices)
    dimension = forms.ChoiceField(label=_("维度"))
    kind = forms.ChoiceField(label=_("计算方式"), choices=KIND_LABELS)
    numerator = forms.CharField(
        label=_("数据项（分子）"),
        max_length=500,
        required=False,
        help_text=_("字段名，多项用 + 连接，系数用 ×，如 electricity × 0.0001229 + coal × 0.7143。"),
    )
    denominator = forms.CharField(
        label=_("分母"), max_length=500, required=False, help_text=_("仅比值：字段名，多项用 + 连接。")
    )
    scale = forms.CharField(
        label=_("倍数"), max_length=20, required=False, help_text=_("比值和占比：百分比填 100，否则填 1。")
    )
    cap = forms.CharField(
        label=_("上限"), max_length=20, required=False, help_text=_("仅比值：如 100；不封顶填“无”。")
    )
    divisor = forms.CharField(
        label=_("除数"), max_length=20, required=False, initial="1", help_text=_("仅单项数值。")
    )
    formula_zh = forms.CharField(label=_("计算公式（文字说明）"), max_length=300, required=False)
    same_as = forms.CharField(
        label=_("延续指标"),
        max_length=50,
        required=False,
        help_text=_(
            "早先目录中本指标延续的指标，写成“目录代码/指标代码”，如 GBT36132-2018/EL-01；用于跨目录计算提升率。"
        ),
    )
    evidence_required = forms.BooleanField(label=_("需上传佐证材料"), required=False)
    is_percent = forms.BooleanField(label=_("百分比"), required=False)  # fmt: skip

    general_group = False

    def initial_from(self, item: CatalogueIndicator) -> dict[str, Any]:
        return {
            **{name: getattr(item, name) for name in INDICATOR_INPUTS},
            "same_as": same_as_label(item),
            **definition_initial(item.definition or {}),
        }

    def definition(self) -> dict[str, Any]:
        """The structured definition from the inputs; mistakes are kept and named by the catalogue check."""
        data = self.cleaned_data
        kind = data["kind"]
        terms = _terms(data["numerator"])
        if kind == DefinitionKind.RATIO:
            definition: dict[str, Any] = {
                "kind": kind,
                "numerator": terms,
                "denominator": _terms(data["denominator"]),
                "scale": data["scale"].strip() or None,
            }
            cap = data["cap"].strip()
            if cap in ("无", "none", "None", "-"):
                definition["cap"] = None
            elif cap:
                definition["cap"] = cap
            return {k: v for k, v in definition.items() if v is not None or k == "cap"}
        first = terms[0]["field"] if terms else ""
        if kind == DefinitionKind.VALUE:
            return {"kind": kind, "field": first, "divisor": data["divisor"].strip() or "1"}
        if kind == DefinitionKind.CHOICE_SHARE:
            return {"kind": kind, "field": first, "scale": data["scale"].strip()}
        if kind == DefinitionKind.MEAN_HEADROOM:
            return {"kind": kind, "fields": [t["field"] for t in terms], "limit": "100"}
        return {"kind": kind, "field": first}

    def save(self) -> CatalogueIndicator:
        values = {name: self.cleaned_data[name] for name in INDICATOR_INPUTS}
        values["code"] = values["code"].strip()
        values["definition"] = self.definition()
        try:
            return services.catalogue_indicator_save(
                actor=self.user,
                catalogue=self.catalogue,
                indicator=self.item,
                values=values,
                same_as=self.cleaned_data["same_as"],
            )
        except InvalidInput as error:
            self.add_service_errors(error)
            raise
