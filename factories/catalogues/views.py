"""Catalogue pages: every version, one version with its fields and indicators in words, and for the city
copying into a draft, editing the draft, seeing every problem in words and adopting it (§4, §4b)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from accounts.errors import DomainError
from accounts.i18n import localized
from accounts.permissions import can
from accounts.views_base import (
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    show_domain_error,
    signed_in,
)
from factories.catalogues import services
from factories.catalogues.engine import DefinitionKind
from factories.catalogues.forms import CatalogueCopyForm, CatalogueFieldForm, CatalogueIndicatorForm
from factories.catalogues.selectors import same_as_label
from factories.models import CatalogueField, CatalogueIndicator, CatalogueStatus, CatalogueVersion


def describe_definition(definition: dict[str, Any], labels: dict[str, str]) -> str:
    """A definition in words with the fields' Chinese labels; a name that is not a field stays visible."""

    def label(name: str) -> str:
        return labels.get(name) or f"“{name}”"

    def terms(items: list[dict[str, str]] | None) -> str:
        words = [
            label(t.get("field", "")) + ("" if str(t.get("weight", "1")) == "1" else f" × {t.get('weight')}")
            for t in items or []
        ]
        joined = " + ".join(words) or "？"
        return f"({joined})" if len(words) > 1 else joined

    kind = definition.get("kind")
    if kind == DefinitionKind.RATIO:
        text = terms(definition.get("numerator"))
        if str(definition.get("scale", "1")) != "1":
            text += f" × {definition.get('scale') or '？'}"
        text += f" ÷ {terms(definition.get('denominator'))}"
        if definition.get("cap") is not None:
            text = _("{text}，不超过 {cap}").format(text=text, cap=definition["cap"])
        return text
    if kind == DefinitionKind.VALUE:
        divisor = str(definition.get("divisor", "1"))
        return label(str(definition.get("field", ""))) + ("" if divisor == "1" else f" ÷ {divisor}")
    if kind == DefinitionKind.CHOICE_COUNT:
        return _("{field}中选中的项数").format(field=label(str(definition.get("field", ""))))
    if kind == DefinitionKind.CHOICE_SHARE:
        return _("{field}中选中的项数 ÷ 全部项数 × {scale}").format(
            field=label(str(definition.get("field", ""))), scale=definition.get("scale", "？")
        )
    if kind == DefinitionKind.MEAN_HEADROOM:
        names = "、".join(label(n) for n in definition.get("fields") or [])
        return _("有值的{fields}的 (100 − 值) 的平均值；均未填时不适用").format(fields=names)
    return _("（未设定计算方式）")


class CatalogueListView(ScopedListView):
    """Every catalogue version; the methodology is public to everyone it affects."""

    right = "catalogue.view"
    model = CatalogueVersion
    template_name = "factories/catalogues/catalogue_list.html"
    paginate_by = 50

    def refine_queryset(self, queryset: Any) -> Any:
        return queryset.select_related("based_on").order_by("-status", "code")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_manage"] = can(self.request.user, "catalogue.manage")
        return context


class CatalogueDetailView(ScopedDetailView):
    """One version: its dimensions, raw fields and indicators in words; for a draft, every problem."""

    right = "catalogue.view"
    model = CatalogueVersion
    template_name = "factories/catalogues/catalogue_detail.html"
    lookup_field = "code"
    pk_url_kwarg = "code"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        catalogue: CatalogueVersion = self.object
        user = signed_in(self.request)
        fields = list(catalogue.fields.all())
        labels = {f.name: f.label_zh for f in fields}
        dimensions = {
            str(d.get("code")): localized(d.get("name_zh", ""), d.get("name_en", ""))
            for d in catalogue.dimensions
        }
        dimensions["general"] = _("基本情况")
        indicators = [
            {
                "object": i,
                "name": localized(i.name_zh, i.name_en or i.name_zh),
                "dimension": dimensions.get(i.dimension, i.dimension),
                "definition": describe_definition(i.definition or {}, labels),
                "same_as": same_as_label(i),
            }
            for i in catalogue.indicators.select_related("same_as__catalogue")
        ]
        draft = catalogue.status == CatalogueStatus.DRAFT
        can_manage = can(user, "catalogue.manage")
        context.update(
            fields=[
                {
                    "object": f,
                    "label": localized(f.label_zh, f.label_en or f.label_zh),
                    "dimension": dimensions.get(f.dimension, f.dimension),
                    "at_most": labels.get(f.at_most, f.at_most),
                }
                for f in fields
            ],
            indicators=indicators,
            dimension_names=[
                localized(d.get("name_zh", ""), d.get("name_en", "")) for d in catalogue.dimensions
            ],
            is_draft=draft,
            can_manage=can_manage,
            editable=can_manage and draft,
            in_use=catalogue.in_use(),
            problems=[localized(p.zh, p.en) for p in services.catalogue_problems(catalogue)] if draft else [],
        )
        if can_manage:
            context["copy_form"] = CatalogueCopyForm(user=user, source=catalogue)
        return context


class CatalogueCopyView(ScopedObjectMixin, ServiceFormView):
    """Copy a version into a new draft (the way to change an adopted catalogue, or to make a sector variant)."""

    right = "catalogue.manage"
    model = CatalogueVersion
    lookup_field = "code"
    pk_url_kwarg = "code"
    form_class = CatalogueCopyForm
    template_name = "factories/catalogues/catalogue_form.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "source": self.get_object()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        source = self.get_object()
        context.update(catalogue=source, title=_("将 {code} 复制为新的草案").format(code=source.code))
        return context

    def get_success_message(self, result: Any) -> str:
        return _("已创建草案 {code}，可以修改其数据项和指标。").format(code=result.code)

    def get_success_url_for(self, result: Any) -> str:
        return reverse("factories:catalogue_detail", args=[result.code])


class _DraftPartFormView(ScopedObjectMixin, ServiceFormView):
    """Add (no `item`) or change (`item`) a field or an indicator of a draft; an adopted version is refused."""

    right = "catalogue.manage"
    model = CatalogueVersion
    lookup_field = "code"
    pk_url_kwarg = "code"
    template_name = "factories/catalogues/catalogue_form.html"
    part_model: Any = None
    part_label: Any = ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_adopted() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.refuse_adopted() or super().post(request, *args, **kwargs)

    def refuse_adopted(self) -> HttpResponse | None:
        catalogue = self.get_object()
        if catalogue.status != CatalogueStatus.DRAFT:
            messages.error(
                self.request,
                _("指标目录{code}已采用，不能修改；如需调整，请复制为新的草案。").format(code=catalogue.code),
            )
            return redirect("factories:catalogue_detail", code=catalogue.code)
        return None

    def item(self) -> Any:
        item_pk = self.kwargs.get("item")
        if item_pk is None:
            return None
        try:
            return self.part_model.objects.get(pk=item_pk, catalogue=self.get_object())
        except self.part_model.DoesNotExist:
            raise Http404 from None

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "catalogue": self.get_object(), "item": self.item()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        catalogue, item = self.get_object(), self.item()
        title = (
            _("修改{what}：{name}").format(
                what=self.part_label,
                name=f"{item.code} {item.name_zh}" if isinstance(item, CatalogueIndicator) else item.label_zh,
            )
            if item
            else _("新增{what}").format(what=self.part_label)
        )
        context.update(catalogue=catalogue, title=title, item=item)
        return context

    def get_success_url_for(self, result: Any) -> str:
        return reverse("factories:catalogue_detail", args=[self.get_object().code])


class CatalogueFieldFormView(_DraftPartFormView):
    form_class = CatalogueFieldForm
    part_model = CatalogueField
    part_label = _lazy("原始数据项")

    def get_success_message(self, result: Any) -> str:
        return _("已保存数据项“{label}”。").format(label=result.label_zh)


class CatalogueIndicatorFormView(_DraftPartFormView):
    form_class = CatalogueIndicatorForm
    part_model = CatalogueIndicator
    part_label = _lazy("指标")

    def get_success_message(self, result: Any) -> str:
        return _("已保存指标 {code}。").format(code=result.code)


class CataloguePartDeleteView(ScopedObjectMixin, View):
    """Remove a field (`kind` = field) or an indicator (`kind` = indicator) from a draft."""

    right = "catalogue.manage"
    model = CatalogueVersion
    lookup_field = "code"
    pk_url_kwarg = "code"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str, kind: str, item: int) -> HttpResponse:
        catalogue = self.get_object()
        model = {"field": CatalogueField, "indicator": CatalogueIndicator}.get(kind)
        part = model.objects.filter(pk=item, catalogue=catalogue).first() if model else None  # type: ignore[attr-defined]
        if part is None:
            raise Http404
        try:
            services.catalogue_part_delete(actor=request.user, part=part)
            messages.success(request, _("已删除。"))
        except DomainError as error:
            show_domain_error(request, error)
        return redirect("factories:catalogue_detail", code=catalogue.code)


class CatalogueAdoptView(ScopedObjectMixin, View):
    """Adopt a draft without problems; otherwise every problem is shown on the page."""

    right = "catalogue.manage"
    model = CatalogueVersion
    lookup_field = "code"
    pk_url_kwarg = "code"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        catalogue = self.get_object()
        try:
            services.catalogue_adopt(actor=request.user, catalogue=catalogue)
            messages.success(request, _("已采用指标目录 {code}。").format(code=catalogue.code))
        except DomainError as error:
            messages.error(request, _("指标目录还有问题，不能采用；请按页面列出的问题逐项修改。"))
            if not services.catalogue_problems(catalogue):
                show_domain_error(request, error)
        return redirect("factories:catalogue_detail", code=catalogue.code)
