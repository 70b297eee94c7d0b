"""Home-page steps of the enterprise and green-factory registers, per role."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.home import Step, register
from accounts.models import Role
from factories.forms import missing_contact_fields
from factories.models import Enterprise, GreenFactory, Tier


@register
def register_steps(user: Any) -> list[Step]:
    if user.role in (Role.CITY, Role.AUDITOR):
        return _city_steps(user)
    if user.role == Role.DISTRICT:
        return _district_steps(user)
    if user.role == Role.ENTERPRISE:
        return _enterprise_steps(user)
    return []


def _city_steps(user: Any) -> list[Step]:
    enterprises = Enterprise.objects.visible_to(user).count()
    by_tier = {
        row["tier"]: row["n"]
        for row in GreenFactory.objects.visible_to(user)
        .active()
        .order_by()
        .values("tier")
        .annotate(n=Count("pk"))
    }
    national, city = by_tier.get(Tier.NATIONAL, 0), by_tier.get(Tier.CITY, 0)
    green_url = reverse("factories:greenfactory_list") + "?" + urlencode({"status": "active"})
    return [
        Step(
            title=_("企业名录"),
            text=_("全市已登记企业 {n} 家。可按管理单位、行业和序列查询。").format(n=enterprises),
            url=reverse("factories:enterprise_list"),
            count=enterprises,
        ),
        Step(
            title=_("有效绿色工厂"),
            text=_("国家级 {national} 家，市级 {city} 家。").format(national=national, city=city),
            url=green_url,
            count=national + city,
        ),
    ]


def _district_steps(user: Any) -> list[Step]:
    enterprises = Enterprise.objects.visible_to(user).count()
    unit = user.district.name if user.district else ""
    if enterprises == 0:
        return [
            Step(
                title=_("登记本区县企业"),
                text=_("{unit}尚未登记企业。登记后即可开通企业填报账号、纳入培育库。").format(unit=unit),
                url=reverse("factories:enterprise_create"),
                count=0,
                urgent=True,
            )
        ]
    return [
        Step(
            title=_("本区县企业"),
            text=_("{unit}已登记企业 {n} 家。").format(unit=unit, n=enterprises),
            url=reverse("factories:enterprise_list"),
            count=enterprises,
        )
    ]


def _enterprise_steps(user: Any) -> list[Step]:
    enterprise = Enterprise.objects.visible_to(user).filter(pk=user.enterprise_id).first()
    if enterprise is None:
        return []
    missing = missing_contact_fields(enterprise)
    text: Any
    if missing:
        text = _("联系信息不完整，请补充：{fields}。").format(fields="、".join(missing))
    else:
        text = _("查看本企业的登记信息和绿色工厂记录，维护地址和联系人。")
    return [
        Step(
            title=_("本企业信息"),
            text=text,
            url=reverse("factories:my_enterprise"),
            urgent=bool(missing),
        )
    ]
