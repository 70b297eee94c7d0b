"""Writes on accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.errors import InvalidInput
from accounts.models import Role, User
from factories.models import District, Enterprise


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    role: str,
    password: str,
    district_code: str | None = None,
    enterprise_credit_code: str | None = None,
    email: str = "",
    display_name: str = "",
    check_password: bool = True,
) -> User:
    """Create an account with exactly the unit or enterprise its role needs (DOMAIN §1)."""
    errors: dict[str, list[Any]] = {}
    if role not in Role.values:
        errors["role"] = [_("角色无效，可选：{choices}。").format(choices="、".join(Role.values))]
    if User.objects.filter(username=username).exists():
        errors["username"] = [_("用户名“{name}”已存在。").format(name=username)]
    district = enterprise = None
    if role == Role.DISTRICT:
        if not district_code:
            errors["district"] = [_("区县用户必须指定管理单位代码（--district）。")]
        else:
            district = District.objects.filter(code=district_code).first()
            if district is None:
                errors["district"] = [_("管理单位代码“{code}”不存在。").format(code=district_code)]
            elif district.valid_to is not None:
                errors["district"] = [
                    _("管理单位“{name}”已撤并，不能再新增用户。").format(name=district.name)
                ]
    elif district_code:
        errors["district"] = [_("只有区县用户可以指定管理单位。")]
    if role == Role.ENTERPRISE:
        if not enterprise_credit_code:
            errors["enterprise"] = [_("企业用户必须指定企业的统一社会信用代码（--enterprise）。")]
        else:
            enterprise = Enterprise.objects.filter(credit_code=enterprise_credit_code.strip().upper()).first()
            if enterprise is None:
                errors["enterprise"] = [
                    _("统一社会信用代码为“{code}”的企业未登记。").format(code=enterprise_credit_code)
                ]
    elif enterprise_credit_code:
        errors["enterprise"] = [_("只有企业用户可以指定企业。")]
    user = User(username=username, role=role, district=district, enterprise=enterprise, email=email)
    if display_name:
        user.first_name = display_name
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput(field_errors=errors)
    user.set_password(password)
    user.save()
    audit.record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={
            "role": [None, role],
            "district_id": [None, user.district_id],
            "enterprise_id": [None, user.enterprise_id],
        },
    )
    return user
