"""Indicator catalogue versions with their raw fields and indicators, as data the city manages (§4, §4b).

A version is a draft until the city adopts it. An adopted version that a reporting year or a grading run
uses is frozen: its figures would otherwise change under the people who reported and were graded.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.limits import LONG_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet
from factories.models.grading import GradingRun


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", _("草案")
    ADOPTED = "adopted", _("已采用")


class FieldKind(models.TextChoices):
    DECIMAL = "decimal", _("数值")
    COUNT = "count", _("个数")
    CHOICE_SET = "choice_set", _("多选")
    YES_NO = "yes_no", _("是/否")


class EmptyMeans(models.TextChoices):
    NOT_REPORTED = "not_reported", _("未填报")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class IndicatorDirection(models.TextChoices):
    UP = "up", _("越高越好")
    DOWN = "down", _("越低越好")


MSG_FROZEN = _("指标目录{code}已采用，并已被填报年度或评价批次使用，不能修改；如需调整，请复制为新的草案。")


class CatalogueFrozen(ValidationError):
    """A change to an adopted catalogue version that a reporting year or a grading run uses."""


class CatalogueVersionQuerySet(ScopedQuerySet):
    shared_with_all = True  # the methodology is public to everyone it affects


class CatalogueVersion(models.Model):
    """One version of the indicator catalogue (GB/T 36132-2018, -2025, a sector variant, …) (DOMAIN §2, §4)."""

    code = models.CharField(_("目录代码"), max_length=32, unique=True)
    version = models.CharField(_("版本"), max_length=32)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=CatalogueStatus.choices, default=CatalogueStatus.DRAFT
    )
    dimensions = models.JSONField(_("维度"), default=list, help_text=_("[{code, name_zh, name_en}, …]"))
    industry_divisions = models.JSONField(
        _("适用行业（大类）"),
        default=list,
        blank=True,
        help_text=_("行业变体适用的国民经济行业大类代码；通用目录为空。"),
    )
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="copies",
        verbose_name=_("复制自"),
    )
    note = BoundedTextField(_("说明"), blank=True, max_length=LONG_TEXT)
    adopted_at = models.DateTimeField(_("采用时间"), null=True, blank=True)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = CatalogueVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标目录版本")
        verbose_name_plural = _("指标目录版本")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(adopted_at__isnull=False),
                name="adopted_catalogue_has_adoption_time",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            CatalogueVersion.objects.get(pk=self.pk).ensure_changeable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self.ensure_changeable()
        return super().delete(*args, **kwargs)

    @property
    def is_sector_variant(self) -> bool:
        return bool(self.industry_divisions)

    def in_use(self) -> bool:
        """Named by a reporting year (default or sector variant) or by the standard of a grading run."""
        return (
            self.reporting_years.exists()  # type: ignore[attr-defined]
            or self.sector_years.exists()  # type: ignore[attr-defined]
            or GradingRun.objects.filter(standard__parameters__catalogue_version=self.code).exists()
        )

    def is_frozen(self) -> bool:
        return self.status == CatalogueStatus.ADOPTED and self.in_use()

    def ensure_changeable(self) -> None:
        """Model-level guard: refuse any change to a frozen version, whoever writes."""
        if self.pk is not None and self.is_frozen():
            raise CatalogueFrozen(str(MSG_FROZEN).format(code=self.code), code="frozen")


class _CataloguePart(models.Model):
    """A row that belongs to a catalogue version and freezes with it."""

    catalogue: models.ForeignKey[CatalogueVersion, CatalogueVersion]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        CatalogueVersion.objects.get(pk=self.catalogue.pk).ensure_changeable()
        if self.pk is not None:
            before = type(self).objects.get(pk=self.pk)  # type: ignore[attr-defined]
            if before.catalogue.pk != self.catalogue.pk:
                before.catalogue.ensure_changeable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        self.catalogue.ensure_changeable()
        return super().delete(*args, **kwargs)


class CatalogueField(_CataloguePart):
    """A raw figure of a catalogue version that enterprises report, with its kind and rules (§4)."""

    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    name = models.CharField(_("字段名"), max_length=40)
    label_zh = models.CharField(_("中文名称"), max_length=100)
    label_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    unit_en = models.CharField(_("英文单位"), max_length=30, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=FieldKind.choices, default=FieldKind.DECIMAL)
    dimension = models.CharField(_("表单分组（维度）"), max_length=20, blank=True)
    must_be_positive = models.BooleanField(_("必须大于0"), default=False)
    at_most = models.CharField(_("不大于（数据项）"), max_length=40, blank=True)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    empty_means = models.CharField(
        _("留空表示"), max_length=16, choices=EmptyMeans.choices, default=EmptyMeans.NOT_REPORTED
    )
    help_zh = BoundedTextField(_("填报说明"), blank=True, max_length=LONG_TEXT)
    help_en = BoundedTextField(_("英文填报说明"), blank=True, max_length=LONG_TEXT)

    class Meta:
        verbose_name = _("原始数据项")
        verbose_name_plural = _("原始数据项")
        ordering = ["catalogue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "name"], name="one_field_name_per_catalogue")
        ]

    def __str__(self) -> str:
        return f"{self.catalogue.code}/{self.name}"


class CatalogueIndicator(_CataloguePart):
    """An indicator of a catalogue version: a structured definition over its raw fields (§4, §4b)."""

    catalogue = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    code = models.CharField(_("指标代码"), max_length=16)
    name_zh = models.CharField(_("指标名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    unit_en = models.CharField(_("英文单位"), max_length=30, blank=True)
    direction = models.CharField(_("方向"), max_length=4, choices=IndicatorDirection.choices)
    dimension = models.CharField(_("维度"), max_length=20)
    definition = models.JSONField(_("定义"))
    formula_zh = models.CharField(_("计算公式"), max_length=300, blank=True)
    formula_en = models.CharField(_("英文计算公式"), max_length=300, blank=True)
    is_percent = models.BooleanField(_("百分比"), default=False)
    evidence_required = models.BooleanField(_("需上传佐证材料"), default=False)
    same_as = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="continued_by",
        verbose_name=_("延续指标"),
    )

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["catalogue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["catalogue", "code"], name="one_indicator_code_per_catalogue")
        ]

    def __str__(self) -> str:
        return f"{self.catalogue.code}/{self.code}"
