"""Reference data (management units, industries), enterprises and the green-factory register."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.limits import LONG_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet

FIRST_DATA_YEAR = 2016
"""The first year the platform takes data for: recognitions, annual data, imports and gradings."""


class UnitKind(models.TextChoices):
    DISTRICT = "district", _("区")
    COUNTY = "county", _("县")
    AUTONOMOUS_COUNTY = "autonomous_county", _("自治县")
    NEW_AREA = "new_area", _("国家级新区")
    ECONOMIC_ZONE = "economic_zone", _("开发区")


class ReferenceQuerySet(ScopedQuerySet):
    shared_with_all = True


class DistrictQuerySet(ReferenceQuerySet):
    def in_force_on(self, day: dt.date) -> DistrictQuerySet:
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )


class District(models.Model):
    """A management unit with its own 经信 bureau: a 区县 or a zone the measures address (DOMAIN §2)."""

    code = models.CharField(_("代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类型"), max_length=24, choices=UnitKind.choices)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", verbose_name=_("承继单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = BoundedTextField(_("说明"), blank=True, max_length=LONG_TEXT)

    objects = DistrictQuerySet.as_manager()

    class Meta:
        verbose_name = _("管理单位")
        verbose_name_plural = _("管理单位")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def in_force_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Industry(models.Model):
    """A manufacturing division (大类) of GB/T 4754-2017; comparison happens at this level."""

    code = models.CharField(_("行业代码"), max_length=2, primary_key=True)
    name = models.CharField(_("行业名称"), max_length=64)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("行业（大类）")
        verbose_name_plural = _("行业（大类）")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class LegalForm(models.TextChoices):
    LEGAL_PERSON = "legal_person", _("独立法人")
    ACCOUNTING_UNIT = "accounting_unit", _("视同法人的独立核算单位")


class Sequence(models.TextChoices):
    """The two sequences of Art. 2."""

    GREEN_FACTORY = "green_factory", _("已认定绿色工厂")
    OTHER = "other", _("其他企业")


class EnterpriseQuerySet(ScopedQuerySet):
    district_lookup = "district"
    enterprise_lookup = "pk"

    def with_sequence(self) -> EnterpriseQuerySet:
        return self.select_related("district", "industry", "green_factory")

    def green_factories(self) -> EnterpriseQuerySet:
        return self.filter(green_factory__status=GreenFactoryStatus.ACTIVE)

    def others(self) -> EnterpriseQuerySet:
        return self.exclude(green_factory__status=GreenFactoryStatus.ACTIVE)


class Enterprise(models.Model):
    """An industrial enterprise of Chongqing (Art. 2), identified by its unified social credit code."""

    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    district = models.ForeignKey(
        District, verbose_name=_("管理单位"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.ForeignKey(
        Industry, verbose_name=_("行业（大类）"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry_code = models.CharField(
        _("行业代码"), max_length=4, help_text=_("GB/T 4754-2017 两位大类或四位小类代码"), blank=True
    )
    legal_form = models.CharField(_("法人类型"), max_length=20, choices=LegalForm.choices)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["district", "industry"]),
            # The register's sortable columns with the tie-breaker, so a deep page of a sorted list of
            # 100,000 skips index entries instead of sorting the register per request (issue 19).
            models.Index(fields=["district", "id"], name="enterprise_district_sort"),
            models.Index(fields=["industry_code", "id"], name="enterprise_industry_sort"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def green_factory_or_none(self) -> GreenFactory | None:
        try:
            return self.green_factory
        except GreenFactory.DoesNotExist:
            return None

    @property
    def sequence(self) -> str:
        gf = self.green_factory_or_none
        return Sequence.GREEN_FACTORY if gf and gf.status == GreenFactoryStatus.ACTIVE else Sequence.OTHER

    def get_sequence_display(self) -> str:
        return str(Sequence(self.sequence).label)


class DistrictTransfer(models.Model):
    """An enterprise moved to another management unit (e.g. a merger of units); history keeps the old one."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="transfers")
    from_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    to_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("管理单位变更")
        verbose_name_plural = _("管理单位变更")
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return f"{self.enterprise}: {self.from_district} → {self.to_district}"


class Tier(models.TextChoices):
    CITY = "city", _("市级")
    NATIONAL = "national", _("国家级")


class GreenFactoryStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")


class GreenFactoryQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"

    def active(self) -> GreenFactoryQuerySet:
        return self.filter(status=GreenFactoryStatus.ACTIVE)

    def active_on(self, day: dt.date) -> GreenFactoryQuerySet:
        """Factories whose title stood on `day` (recognised by then and not revoked before it)."""
        return self.filter(recognized_year__lte=day.year).filter(
            Q(status=GreenFactoryStatus.ACTIVE) | Q(revoked_on__gt=day)
        )


class GreenFactory(models.Model):
    """A recognised green factory (已认定绿色工厂), city or national tier; one record per enterprise."""

    enterprise = models.OneToOneField(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="green_factory"
    )
    tier = models.CharField(_("级别"), max_length=10, choices=Tier.choices)
    recognized_year = models.PositiveSmallIntegerField(_("认定年度"))
    recognized_on = models.DateField(
        _("认定日期"), null=True, blank=True, help_text=_("认定文件的日期；未填写时以登记之日为准。")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=GreenFactoryStatus.choices, default=GreenFactoryStatus.ACTIVE
    )
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = BoundedTextField(_("撤销原因"), blank=True)
    ban_until = models.DateField(_("禁止再次申报截止日"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = GreenFactoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("绿色工厂")
        verbose_name_plural = _("绿色工厂")
        ordering = ["-recognized_year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", revoked_on__isnull=True)
                | Q(status="revoked", revoked_on__isnull=False),
                name="revoked_factory_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise}（{self.get_tier_display()}）"
