"""Writes on reference data, enterprises and the accounts that belong to them. Each service checks the actor's right, runs in one
transaction and leaves an audit entry."""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import audit, files
from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.i18n import in_language
from accounts.limits import EARLIEST_DATE, date_problem, ensure_dates
from accounts.models import Role, User
from accounts.permissions import ensure_can, ensure_manages_account, ensure_manages_user
from accounts.tokens import tokens_revoke_all
from factories.models import (
    FIRST_DATA_YEAR,
    District,
    DistrictTransfer,
    Enterprise,
    GreenFactory,
    GreenFactoryStatus,
    ProposalSource,
    ProposalStatus,
    RevocationProposal,
)


@transaction.atomic
def district_merge(*, actor: Any, unit: District, successor: District, effective_on: dt.date) -> int:
    """Abolish `unit` from `effective_on` and move its enterprises to `successor` (DOMAIN §2).

    Access follows the enterprises: the successor's users gain them, the old unit's users lose them.
    Submissions, grades and reports of earlier years keep the unit they were filed under.
    Returns the number of enterprises moved.
    """
    ensure_can(actor, "reference.manage")
    ensure_dates(effective_on=(effective_on, EARLIEST_DATE, dt.date(timezone.localdate().year + 2, 12, 31)))
    if unit.pk == successor.pk:
        raise InvalidInput(field_errors={"successor": [_("承继单位不能是被撤销的单位本身。")]})
    if not successor.in_force_on(effective_on):
        raise InvalidInput(field_errors={"successor": [_("承继单位在生效日期当天不在有效期内。")]})
    last_day = effective_on - dt.timedelta(days=1)
    before = audit.snapshot(unit, ["valid_to", "successor_id"])
    unit.valid_to = last_day
    unit.successor = successor
    unit.save(update_fields=["valid_to", "successor"])
    audit.record(
        actor=actor,
        action="district.merge",
        obj=unit,
        changes=audit.diff(before, audit.snapshot(unit, ["valid_to", "successor_id"])),
        reason=str(_("管理单位撤并：并入{name}")).format(name=successor.name),
    )
    moving = list(Enterprise.objects.select_for_update().filter(district=unit).values_list("pk", flat=True))
    reason = str(_("{old}撤并，划入{new}")).format(old=unit.name, new=successor.name)
    DistrictTransfer.objects.bulk_create(
        DistrictTransfer(
            enterprise_id=pk,
            from_district=unit,
            to_district=successor,
            effective_on=effective_on,
            reason=reason,
        )
        for pk in moving
    )
    Enterprise.objects.filter(pk__in=moving).update(district=successor)
    for enterprise in Enterprise.objects.filter(pk__in=moving):
        audit.record(
            actor=actor,
            action="enterprise.transfer",
            obj=enterprise,
            changes={"district_id": [unit.pk, successor.pk]},
            reason=reason,
        )
    return len(moving)


ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "district",
    "industry",
    "industry_code",
    "legal_form",
    "address",
    "contact_name",
    "contact_phone",
    "contact_email",
)
CONTACT_FIELDS = ("address", "contact_name", "contact_phone", "contact_email")


def _clean_enterprise(actor: Any, data: dict[str, Any], instance: Enterprise | None = None) -> dict[str, Any]:
    """Validate enterprise fields: credit code check digit, the unit in the actor's scope, the industry code."""
    from factories.creditcode import CreditCodeError, validate_credit_code
    from factories.models import Industry

    errors: dict[str, list[Any]] = {}
    cleaned = dict(data)
    if "name" in data and not str(data["name"] or "").strip():
        errors["name"] = [_("请填写企业名称。")]
    if "credit_code" in data:
        try:
            cleaned["credit_code"] = validate_credit_code(str(data["credit_code"] or ""))
        except CreditCodeError as exc:
            errors["credit_code"] = [in_language(exc.message)]
        else:
            clash = Enterprise.objects.filter(credit_code=cleaned["credit_code"])
            if instance is not None:
                clash = clash.exclude(pk=instance.pk)
            if clash.exists():
                errors["credit_code"] = [_("该统一社会信用代码已登记在其他企业名下。")]
    if "district" in data:
        district = data["district"]
        if district is None:
            errors["district"] = [_("请选择管理单位。")]
        elif district.valid_to is not None and district.valid_to < dt.date.today():
            errors["district"] = [_("管理单位“{name}”已撤并，请选择承继单位。").format(name=district.name)]
        elif not actor.sees_whole_city and district.pk != actor.district_id:
            errors["district"] = [_("区县用户只能登记本单位的企业。")]
    industry_code = str(data.get("industry_code") or "").strip()
    if "industry_code" in data or "industry" in data:
        industry = data.get("industry", instance.industry if instance is not None else None)
        if industry_code:
            if not (industry_code.isdigit() and len(industry_code) in (2, 4)):
                errors["industry_code"] = [_("行业代码应为两位（大类）或四位（小类）数字。")]
            else:
                division = Industry.objects.filter(code=industry_code[:2]).first()
                if division is None:
                    errors["industry_code"] = [
                        _("行业代码{code}不属于制造业大类（13–43）。").format(code=industry_code)
                    ]
                elif industry is not None and industry.pk != division.pk:
                    errors["industry_code"] = [_("行业代码与所选行业大类不一致。")]
                else:
                    cleaned["industry"] = division
        elif industry is None:
            errors["industry"] = [_("请选择行业大类。")]
        cleaned["industry_code"] = industry_code or (industry.code if industry is not None else "")
    if errors:
        raise InvalidInput(field_errors=errors)
    return cleaned


@transaction.atomic
def enterprise_create(*, actor: Any, **data: Any) -> Enterprise:
    """Register an enterprise (Art. 2). District users register enterprises of their own unit only."""
    ensure_can(actor, "enterprise.create")
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={name: [_("不允许设置该字段。")] for name in sorted(unknown)})
    for required in ("name", "credit_code", "district", "legal_form"):
        data.setdefault(required, None)
    data.setdefault("industry", None)
    cleaned = _clean_enterprise(actor, data)
    if not cleaned.get("legal_form"):
        raise InvalidInput(field_errors={"legal_form": [_("请选择法人类型。")]})
    enterprise = Enterprise.objects.create(**cleaned)
    audit.record(
        actor=actor,
        action="enterprise.create",
        obj=enterprise,
        changes=audit.diff({}, audit.snapshot(enterprise, _audited_fields())),
    )
    return enterprise


def _audited_fields() -> list[str]:
    return [
        ("district_id" if f == "district" else "industry_id" if f == "industry" else f)
        for f in ENTERPRISE_FIELDS
    ]


@transaction.atomic
def enterprise_update(*, actor: Any, enterprise: Enterprise, reason: str = "", **data: Any) -> Enterprise:
    """Change an enterprise. Enterprise users may change only their own contact details."""
    from accounts.permissions import ensure_in_scope

    ensure_in_scope(actor, enterprise)
    # Only fields that actually change count, so a full form or PUT from an enterprise user that
    # repeats its unchanged name is judged by the contact details it really edits.
    data = {k: v for k, v in data.items() if getattr(enterprise, k, object()) != v}
    if set(data) <= set(CONTACT_FIELDS):
        ensure_can(actor, "enterprise.update_contact")
    else:
        ensure_can(actor, "enterprise.update")
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise InvalidInput(field_errors={name: [_("不允许修改该字段。")] for name in sorted(unknown)})
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    cleaned = _clean_enterprise(actor, data, instance=enterprise)
    before = audit.snapshot(enterprise, _audited_fields())
    old_district_id = enterprise.district_id
    for key, value in cleaned.items():
        setattr(enterprise, key, value)
    enterprise.save()
    if enterprise.district_id != old_district_id:
        DistrictTransfer.objects.create(
            enterprise=enterprise,
            from_district_id=old_district_id,
            to_district=enterprise.district,
            effective_on=dt.date.today(),
            reason=reason or str(_("管理单位变更")),
        )
    changes = audit.diff(before, audit.snapshot(enterprise, _audited_fields()))
    if changes:
        audit.record(actor=actor, action="enterprise.update", obj=enterprise, changes=changes, reason=reason)
    return enterprise


BAN_MESSAGE = _("该企业的绿色工厂称号已于{date}撤销，{until}前不得再次认定。")


@transaction.atomic
def green_factory_recognize(
    *,
    actor: Any,
    enterprise: Enterprise,
    tier: str,
    recognized_year: int,
    reason: str = "",
    recognized_on: dt.date | None = None,
) -> GreenFactory:
    """Record a recognition; a factory whose title was revoked may not be recognised again before its
    `ban_until` date, three years to the day after the revocation (DOMAIN §3).

    The date held against the ban is the recognition's date: `recognized_on` (the date of the recognition
    document) when given, otherwise the day the recognition is recorded. On `ban_until` itself the ban is
    over. The recognition year may not precede the year the ban ends either, so no title is granted for a
    year the ban covered.
    """
    from accounts.permissions import ensure_in_scope
    from factories.models import GreenFactory, GreenFactoryStatus, Tier

    ensure_can(actor, "green_factory.manage")
    ensure_in_scope(actor, enterprise)
    errors: dict[str, list[Any]] = {}
    if tier not in Tier.values:
        errors["tier"] = [_("级别应为市级或国家级。")]
    today = timezone.localdate()
    this_year = today.year
    try:
        recognized_year = int(recognized_year)
    except (TypeError, ValueError):
        recognized_year = 0
    if not (FIRST_DATA_YEAR <= recognized_year <= this_year):
        errors["recognized_year"] = [
            _("认定年度应在{first}年至{year}年之间。").format(first=FIRST_DATA_YEAR, year=this_year)
        ]
    if recognized_on is not None and (
        problem := date_problem(recognized_on, earliest=dt.date(FIRST_DATA_YEAR, 1, 1), latest=today)
    ):
        errors["recognized_on"] = [problem]
    existing = GreenFactory.objects.select_for_update().filter(enterprise=enterprise).first()
    if errors:
        raise InvalidInput(field_errors=errors)
    if existing is not None and existing.status == GreenFactoryStatus.ACTIVE:
        if existing.tier == Tier.CITY and tier == Tier.NATIONAL:
            upgraded_from = audit.snapshot(existing, ["tier", "recognized_year", "recognized_on"])
            existing.tier = tier
            existing.recognized_year = recognized_year
            existing.recognized_on = recognized_on
            existing.save(update_fields=["tier", "recognized_year", "recognized_on", "updated_at"])
            audit.record(
                actor=actor,
                action="green_factory.upgrade",
                obj=existing,
                changes=audit.diff(
                    upgraded_from, audit.snapshot(existing, ["tier", "recognized_year", "recognized_on"])
                ),
                reason=reason,
            )
            return existing
        errors["enterprise"] = [_("该企业已是有效的绿色工厂。")]
    decided_on = recognized_on or today
    if (
        existing is not None
        and existing.ban_until
        and (decided_on < existing.ban_until or recognized_year < existing.ban_until.year)
    ):
        errors["enterprise"] = [BAN_MESSAGE.format(date=existing.revoked_on, until=existing.ban_until)]
    if errors:
        raise InvalidInput(field_errors=errors)
    fields = ["tier", "recognized_year", "recognized_on", "status", "revoked_on", "ban_until"]
    before: dict[str, Any]
    if existing is None:
        factory = GreenFactory.objects.create(
            enterprise=enterprise, tier=tier, recognized_year=recognized_year, recognized_on=recognized_on
        )
        before = {}
    else:
        factory = existing
        before = audit.snapshot(factory, fields)
        factory.tier, factory.recognized_year, factory.recognized_on = tier, recognized_year, recognized_on
        factory.status, factory.revoked_on, factory.revoke_reason, factory.ban_until = (
            "active",
            None,
            "",
            None,
        )
        factory.save()
    audit.record(
        actor=actor,
        action="green_factory.recognize",
        obj=factory,
        changes=audit.diff(before, audit.snapshot(factory, fields)),
        reason=reason,
    )
    for hook in RECOGNITION_HOOKS:
        hook(actor=actor, factory=factory)
    return factory


RECOGNITION_HOOKS: list[Any] = []
"""Callables run inside the recognition transaction (the cultivation pool graduates its member)."""

REVOCATION_BAN_YEARS = 3


def ban_end(revoked_on: dt.date) -> dt.date:
    """The first day a revoked factory may be recognised again: the same date three years on (29 Feb → 1 Mar)."""
    try:
        return revoked_on.replace(year=revoked_on.year + REVOCATION_BAN_YEARS)
    except ValueError:
        return dt.date(revoked_on.year + REVOCATION_BAN_YEARS, 3, 1)


@transaction.atomic
def revocation_propose(
    *, actor: Any, factory: GreenFactory, revoked_on: dt.date, reason: str
) -> RevocationProposal:
    """Propose revoking a title from the register (Art. 9). Nothing changes until another city user confirms
    the proposal (revocation_confirm); a factory has at most one pending proposal at a time."""
    from accounts.errors import StateConflict
    from accounts.permissions import ensure_in_scope

    ensure_can(actor, "green_factory.manage")
    ensure_in_scope(actor, factory)
    if not (reason or "").strip():
        raise InvalidInput(field_errors={"reason": [_("撤销绿色工厂称号必须填写原因。")]})
    # A title is revoked while it exists: not before the year it was granted, not in the future.
    ensure_dates(revoked_on=(revoked_on, dt.date(factory.recognized_year, 1, 1), timezone.localdate()))
    # The factory row is the lock: two proposals for one factory are decided one after the other.
    factory = GreenFactory.objects.select_for_update().get(pk=factory.pk)
    if factory.status != GreenFactoryStatus.ACTIVE:
        raise StateConflict(_("该绿色工厂称号已被撤销。"))
    pending = RevocationProposal.objects.pending().filter(enterprise_id=factory.enterprise_id).first()
    if pending is not None:
        raise StateConflict(
            _("该企业已有一条待确认的撤销建议（{source}），请先由另一名市级工作人员确认或不予撤销。").format(
                source=pending.get_source_display()
            )
        )
    proposal = RevocationProposal.objects.create(
        run=None,
        enterprise_id=factory.enterprise_id,
        reason=ProposalSource.REGISTER,
        reason_text=reason.strip(),
        revoked_on=revoked_on,
        proposed_by=actor,
    )
    audit.record(
        actor=actor,
        action="revocation.propose",
        obj=proposal,
        changes={"status": [None, "proposed"], "revoked_on": [None, revoked_on]},
        reason=reason.strip(),
    )
    return proposal


@transaction.atomic
def green_factory_revoke(
    *, actor: Any, proposal: RevocationProposal, revoked_on: dt.date, reason: str
) -> GreenFactory:
    """Revoke a title on a proposal `actor` has just confirmed (Art. 9): the enterprise returns to the other
    sequence and may not be recognised again before `ban_until`, three years to the day.

    Only revocation_confirm calls this: a title is never revoked by one person (four eyes), so the proposal
    must stand confirmed by `actor`, who is not its proposer.
    """
    from accounts.errors import NotAllowed, StateConflict
    from accounts.permissions import ensure_in_scope

    ensure_can(actor, "green_factory.manage")
    if (
        proposal.status != ProposalStatus.CONFIRMED
        or proposal.decided_by_id != actor.pk
        or proposal.proposed_by_id == actor.pk
    ):
        raise NotAllowed(_("撤销绿色工厂称号须由另一名市级工作人员确认撤销建议后生效。"))
    factory = GreenFactory.objects.get(enterprise_id=proposal.enterprise_id)
    ensure_in_scope(actor, factory)
    if not reason.strip():
        raise InvalidInput(field_errors={"reason": [_("撤销绿色工厂称号必须填写原因。")]})
    ensure_dates(revoked_on=(revoked_on, dt.date(factory.recognized_year, 1, 1), timezone.localdate()))
    updated = GreenFactory.objects.filter(pk=factory.pk, status=GreenFactoryStatus.ACTIVE).update(
        status=GreenFactoryStatus.REVOKED,
        revoked_on=revoked_on,
        revoke_reason=reason,
        ban_until=ban_end(revoked_on),
    )
    if not updated:
        raise StateConflict(_("该绿色工厂称号已被撤销。"))
    factory.refresh_from_db()
    audit.record(
        actor=actor,
        action="green_factory.revoke",
        obj=factory,
        changes={
            "status": ["active", "revoked"],
            "revoked_on": [None, revoked_on],
            "ban_until": [None, factory.ban_until],
            "proposal": [None, proposal.pk],
        },
        reason=reason,
    )
    return factory


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
    must_change_password: bool = True,
    staff_id: str | None = None,
) -> User:
    """Create an account with exactly the unit or enterprise its role needs (DOMAIN §1).

    The password is chosen by whoever creates the account, so by default the owner must replace it at the
    first sign-in (`must_change_password`); only the demo seeding switches that off, so the published
    demo logins keep working.

    Only holders of `users.manage` create accounts, each the roles `ACCOUNT_MANAGERS` gives it: city staff
    (staff accounts), a district (its unit's enterprise fillers), or an operator at the server's console
    (`accounts.permissions.Operator`, which `manage.py add_user` and the demo seeding act as, so the audit
    trail names the command and no city account has to be borrowed).
    """
    ensure_can(actor, "users.manage")
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
    staff_id = _staff_id_or_none(staff_id)
    if staff_id_error := _staff_id_taken(staff_id, None):
        errors["staff_id"] = [staff_id_error]
    if role in Role.values:
        ensure_manages_account(actor, role=role, unit_id=enterprise.district_id if enterprise else None)
    user = User(
        username=username, role=role, district=district, enterprise=enterprise, email=email, staff_id=staff_id
    )
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
    user.must_change_password = must_change_password
    user.save()
    audit.record(
        actor=actor,
        action="user.create",
        obj=user,
        changes={
            "role": [None, role],
            "district_id": [None, user.district_id],
            "enterprise_id": [None, user.enterprise_id],
            **({"staff_id": [None, staff_id]} if staff_id else {}),
        },
    )
    return user


def _staff_id_or_none(value: str | None) -> str | None:
    """A staff ID (工号, matched by single sign-on: accounts/oidc.py) as stored: trimmed, blank = none."""
    return (value or "").strip() or None


def _staff_id_taken(staff_id: str | None, user_pk: int | None) -> str:
    """The message when another account already has this staff ID, else ""."""
    if staff_id and User.objects.filter(staff_id=staff_id).exclude(pk=user_pk).exists():
        return str(_("工号“{staff_id}”已属于另一个账户。").format(staff_id=staff_id))
    return ""


# --- accounts managed from the platform (issue 14) -------------------------------------------------------
#
# The writes on accounts live here, on the registry floor, because an account names a management unit or
# an enterprise. Who manages which accounts is `accounts.permissions.ACCOUNT_MANAGERS`. A temporary password
# (a new account's or a reset's) must be replaced at the next sign-in (`User.must_change_password`).

TEMPORARY_PASSWORD_LENGTH = 14
REASON_REQUIRED = _("请填写原因。")


def _temporary_password() -> str:
    """A random password with lower and upper case letters and digits, shown once to the manager."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(TEMPORARY_PASSWORD_LENGTH))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(field_errors={"reason": [REASON_REQUIRED]})
    return reason


def user_invite(
    *,
    actor: Any,
    username: str,
    role: str,
    district_code: str | None = None,
    enterprise_credit_code: str | None = None,
    email: str = "",
    display_name: str = "",
    staff_id: str | None = None,
) -> tuple[User, str]:
    """Create an account from the platform with a temporary password, returned once to show its manager.

    The city creates city, auditor and district accounts; a district the fillers of its unit's enterprises
    (an enterprise may have several)."""
    password = _temporary_password()
    user = user_create(
        actor=actor,
        username=username,
        role=role,
        password=password,
        district_code=district_code,
        enterprise_credit_code=enterprise_credit_code,
        email=email,
        display_name=display_name,
        staff_id=staff_id,
    )
    return user, password


def _place_errors(
    role: str, district: District | None, enterprise: Enterprise | None
) -> dict[str, list[Any]]:
    """A district account names its unit (one in force), an enterprise account its enterprise, others neither."""
    errors: dict[str, list[Any]] = {}
    if role == Role.DISTRICT:
        if district is None:
            errors["district"] = [_("区县用户必须指定管理单位。")]
        elif district.valid_to is not None:
            errors["district"] = [_("管理单位“{name}”已撤并，不能再新增用户。").format(name=district.name)]
    elif district is not None:
        errors["district"] = [_("只有区县用户可以指定管理单位。")]
    if role == Role.ENTERPRISE:
        if enterprise is None:
            errors["enterprise"] = [_("企业用户必须指定企业。")]
    elif enterprise is not None:
        errors["enterprise"] = [_("只有企业用户可以指定企业。")]
    return errors


USER_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "staff_id",
    "role",
    "district_id",
    "enterprise_id",
]
PLACE_FIELDS = {"role", "district_id", "enterprise_id"}


@transaction.atomic
def user_update(*, actor: Any, user: User, reason: str = "", **data: Any) -> User:
    """Change an account's name, contact, role, unit or enterprise; a change of role, unit or enterprise
    needs a reason, and the account must be one the actor manages both before and after it."""
    ensure_manages_user(actor, user)
    unknown = set(data) - {
        "first_name",
        "last_name",
        "email",
        "phone",
        "staff_id",
        "role",
        "district",
        "enterprise",
    }
    if unknown:
        raise InvalidInput(field_errors={name: [_("该字段不能修改。")] for name in sorted(unknown)})
    if "staff_id" in data:
        data["staff_id"] = _staff_id_or_none(data["staff_id"])
        if staff_id_error := _staff_id_taken(data["staff_id"], user.pk):
            raise InvalidInput(field_errors={"staff_id": [staff_id_error]})
    before = audit.snapshot(user, USER_FIELDS)
    for name, value in data.items():
        setattr(user, name, value)
    after = audit.snapshot(user, USER_FIELDS)
    changes = audit.diff(before, after)
    if PLACE_FIELDS & set(changes):
        reason = _require_reason(reason)
        if user.pk == getattr(actor, "pk", None) and "role" in changes:
            raise NotAllowed(_("不能修改自己的角色。"))
        errors = _place_errors(after["role"], user.district, user.enterprise)
        if errors:
            raise InvalidInput(field_errors=errors)
        ensure_manages_user(actor, user)
    if not changes:
        return user
    user.save(
        update_fields=[{"district_id": "district", "enterprise_id": "enterprise"}.get(n, n) for n in changes]
    )
    audit.record(actor=actor, action="user.update", obj=user, changes=changes, reason=reason.strip())
    return user


@transaction.atomic
def user_deactivate(*, actor: Any, user: User, reason: str) -> User:
    """Stop an account: it can no longer sign in, its sessions and API tokens end at once."""
    ensure_manages_user(actor, user)
    if user.pk == getattr(actor, "pk", None):
        raise NotAllowed(_("不能停用自己的账户。"))
    reason = _require_reason(reason)
    if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
        raise StateConflict(_("该账户已停用。"))
    user.is_active = False
    tokens_revoke_all(user=user)
    audit.record(
        actor=actor, action="user.deactivate", obj=user, changes={"is_active": [True, False]}, reason=reason
    )
    return user


@transaction.atomic
def user_reactivate(*, actor: Any, user: User, reason: str) -> User:
    """Let a stopped account sign in again (with its password; earlier API tokens stay ended)."""
    ensure_manages_user(actor, user)
    reason = _require_reason(reason)
    if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
        raise StateConflict(_("该账户已启用。"))
    user.is_active = True
    audit.record(
        actor=actor, action="user.reactivate", obj=user, changes={"is_active": [False, True]}, reason=reason
    )
    return user


@transaction.atomic
def user_reset_password(*, actor: Any, user: User, reason: str) -> str:
    """Give an account a new temporary password, returned once; the old password, the account's sessions
    and its API tokens stop working. One's own password is changed on the password page instead."""
    ensure_manages_user(actor, user)
    if user.pk == getattr(actor, "pk", None):
        raise NotAllowed(_("请在“修改密码”页面修改自己的密码。"))
    reason = _require_reason(reason)
    password = _temporary_password()
    user.set_password(password)
    user.must_change_password = True  # a password someone else chose is replaced at the next sign-in
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    tokens_revoke_all(user=user)
    audit.record(actor=actor, action="user.reset_password", obj=user, reason=reason)
    return password


# --- enterprise self-registration (issue 14 item 1) ----------------------------------------------------
#
# An enterprise's contact asks for an account on the public page /accounts/register/ with a signed
# authorisation letter; the district of the enterprise's unit approves or rejects the request. Approval
# opens an enterprise account without a password and e-mails a one-time link to set one
# (accounts.passwords.activation_tokens). The request's status moves through REGISTRATION_TRANSITIONS.

LETTER_MAX_BYTES = 5 * 1024 * 1024
LETTER_TYPE_ERROR = _("授权委托书只能是 PDF、JPG 或 PNG 文件（请将签字盖章的委托书扫描或拍照后上传）。")
LETTER_CONTENT_ERROR = _("文件内容与扩展名不符，不是有效的 PDF、JPG 或 PNG 文件，请重新扫描或拍照后上传。")
LETTER_SIZE_ERROR = _("授权委托书不能超过 5 MB（当前 {size} MB），请压缩后上传。")
LETTER_EMPTY_ERROR = _("请上传签字盖章的授权委托书。")
MOBILE_ERROR = _("请填写11位中国大陆手机号码。")
EMAIL_MAX_LENGTH = 150  # the e-mail address becomes the username (at most 150 characters)


def letter_problem(upload: Any) -> str | None:
    """Why an authorisation letter is refused, or None: a PDF, JPG or PNG up to 5 MB whose content is what its
    name says (the first bytes; a PDF's end-of-file mark; an image that Pillow opens, verifies and decodes)."""
    problem = files.document_problem(upload, max_bytes=LETTER_MAX_BYTES, deep=True)
    if problem is None:
        return None
    kind, size = problem
    if kind == "size":
        return str(LETTER_SIZE_ERROR).format(size=files.megabytes(size))
    return str({"empty": LETTER_EMPTY_ERROR, "type": LETTER_TYPE_ERROR}.get(kind, LETTER_CONTENT_ERROR))


def _registration_errors(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The request's fields cleaned, and what is wrong with them."""
    import re

    from django.core.validators import validate_email

    from factories.creditcode import CreditCodeError, validate_credit_code
    from factories.models import LegalForm

    errors: dict[str, list[Any]] = {}
    cleaned: dict[str, Any] = {}
    try:
        cleaned["credit_code"] = validate_credit_code(str(data.get("credit_code") or ""))
    except CreditCodeError as exc:
        errors["credit_code"] = [in_language(exc.message)]
    for name, message, limit in (
        ("enterprise_name", _("请填写企业名称。"), 200),
        ("contact_name", _("请填写联系人姓名。"), 64),
    ):
        value = " ".join(str(data.get(name) or "").split())
        if not value:
            errors[name] = [message]
        elif len(value) > limit:
            errors[name] = [_("不能超过{limit}个字。").format(limit=limit)]
        cleaned[name] = value
    district = data.get("district")
    if district is None:
        errors["district"] = [_("请选择管理单位。")]
    elif district.valid_to is not None and district.valid_to < timezone.localdate():
        errors["district"] = [_("管理单位“{name}”已撤并，请选择承继单位。").format(name=district.name)]
    cleaned["district"] = district
    if data.get("industry") is None:
        errors["industry"] = [_("请选择行业大类。")]
    cleaned["industry"] = data.get("industry")
    legal_form = data.get("legal_form") or LegalForm.LEGAL_PERSON
    if legal_form not in LegalForm.values:
        errors["legal_form"] = [_("请选择法人类型。")]
    cleaned["legal_form"] = legal_form
    mobile = re.sub(r"[\s-]", "", str(data.get("mobile") or "")).removeprefix("+86")
    if not re.fullmatch(r"1[3-9]\d{9}", mobile):
        errors["mobile"] = [MOBILE_ERROR]
    cleaned["mobile"] = mobile
    email = str(data.get("email") or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("请填写有效的电子邮箱。")]
    else:
        if len(email) > EMAIL_MAX_LENGTH:
            errors["email"] = [_("电子邮箱不能超过{limit}个字符。").format(limit=EMAIL_MAX_LENGTH)]
    cleaned["email"] = email
    if problem := letter_problem(data.get("letter")):
        errors["letter"] = [problem]
    return cleaned, errors


def registration_submit(*, address: str = "", **data: Any) -> Any:
    """File a self-registration request from the public page (nobody is signed in; the audit trail names the
    applicant's e-mail and client address).

    `data`: credit_code, enterprise_name, district, industry, legal_form, contact_name, mobile, email and
    letter (the uploaded authorisation letter). An enterprise already in the register is claimed, and its
    own unit reviews the request whichever unit was chosen. A request for a credit code that has one
    pending already is kept as `merged` into that one (the caller tells the applicant); nothing else changes.
    """
    from django.db import IntegrityError

    from factories.models import RegistrationRequest, RegistrationStatus

    cleaned, errors = _registration_errors(data)
    if errors:
        raise InvalidInput(field_errors=errors)
    letter = data["letter"]
    enterprise = (
        Enterprise.objects.filter(credit_code=cleaned["credit_code"]).select_related("district").first()
    )
    if enterprise is not None:
        cleaned["district"] = enterprise.district
    fields = {
        **cleaned,
        "enterprise": enterprise,
        "letter": letter,
        "letter_name": str(getattr(letter, "name", "") or "")[-255:],
        "submitted_from": address or None,
    }
    with transaction.atomic():
        pending = (
            RegistrationRequest.objects.select_for_update()
            .filter(credit_code=cleaned["credit_code"], status=RegistrationStatus.PENDING)
            .first()
        )
        request = None
        if pending is None:
            try:
                with transaction.atomic():
                    request = RegistrationRequest.objects.create(**fields)
            except IntegrityError:  # another request for the code became pending at the same moment
                pending = RegistrationRequest.objects.get(
                    credit_code=cleaned["credit_code"], status=RegistrationStatus.PENDING
                )
        if request is None:
            request = RegistrationRequest.objects.create(
                **fields, status=RegistrationStatus.MERGED, merged_into=pending
            )
        audit.record(
            actor=cleaned["email"],
            action="registration.submit",
            obj=request,
            changes={
                "status": [None, request.status],
                "credit_code": [None, request.credit_code],
                "district_id": [None, request.district_id],
                "enterprise_id": [None, request.enterprise_id],
                "merged_into": [None, request.merged_into_id],
            },
            reason=f"IP {address}" if address else "",
        )
    return request


def _registration_account(
    actor: Any, request: Any, enterprise: Enterprise
) -> tuple[User, str, dict[str, Any]]:
    """The account the approval opens (an enterprise filler whose username is the applicant's e-mail, with no
    usable password yet), or the same person's stopped account of this enterprise, started again. Returns it,
    the audit action ("" when nothing changed) and the audited changes."""
    ensure_manages_account(actor, role=Role.ENTERPRISE, unit_id=enterprise.district_id)
    existing = User.objects.filter(username__iexact=request.email).first()
    if existing is not None:
        # Only enterprise accounts name an enterprise (`_place_errors`), so this is the enterprise's own filler.
        if existing.enterprise_id != enterprise.pk:
            raise InvalidInput(
                field_errors={
                    "email": [
                        _(
                            "邮箱{email}已是其他账户的用户名，不能为本申请开通账户；请驳回并请申请人换用其他邮箱。"
                        ).format(email=request.email)
                    ]
                }
            )
        if existing.is_active:
            return existing, "", {}
        User.objects.filter(pk=existing.pk).update(is_active=True)
        existing.is_active = True
        return existing, "user.reactivate", {"is_active": [False, True]}
    user = User(
        username=request.email,
        email=request.email,
        role=Role.ENTERPRISE,
        enterprise=enterprise,
        first_name=request.contact_name,
        phone=request.mobile,
    )
    user.set_unusable_password()
    user.save()
    return user, "user.create", {"role": [None, Role.ENTERPRISE], "enterprise_id": [None, enterprise.pk]}


@transaction.atomic
def registration_approve(*, actor: Any, registration: Any, reason: str = "", site: str = "") -> Any:
    """Approve a pending request of the actor's unit: the enterprise it proposes enters the register (or the
    one it claims is kept), an enterprise account opens for the applicant, and after commit the applicant
    gets an e-mail with a one-time link to set the password (`site`: the platform's address for the link)."""
    from accounts.permissions import ensure_in_scope
    from accounts.transitions import claim
    from factories.models import REGISTRATION_TRANSITIONS, RegistrationRequest

    ensure_in_scope(actor, registration)
    REGISTRATION_TRANSITIONS.ensure_can(actor, "approve")
    registration = RegistrationRequest.objects.select_for_update().get(pk=registration.pk)
    REGISTRATION_TRANSITIONS.ensure_state(registration, "approve")
    enterprise = Enterprise.objects.filter(credit_code=registration.credit_code).first()
    if enterprise is None:
        enterprise = enterprise_create(
            actor=actor,
            name=registration.enterprise_name,
            credit_code=registration.credit_code,
            district=registration.district,
            industry=registration.industry,
            legal_form=registration.legal_form,
            contact_name=registration.contact_name,
            contact_phone=registration.mobile,
            contact_email=registration.email,
        )
    elif enterprise.district_id != actor.district_id:
        raise StateConflict(
            _("该企业现由{unit}管理，本申请须由该单位审核。").format(unit=enterprise.district.name)
        )
    account, account_action, account_changes = _registration_account(actor, registration, enterprise)
    before_enterprise = registration.enterprise_id
    registration = claim(
        REGISTRATION_TRANSITIONS,
        "approve",
        actor=actor,
        obj=registration,
        fields={
            "enterprise": enterprise,
            "account": account,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_reason": (reason or "").strip(),
        },
    )
    note = str(_("企业注册申请 #{pk}")).format(pk=registration.pk)
    if account_action:
        audit.record(
            actor=actor,
            action=account_action,
            obj=account,
            changes=account_changes,
            reason=note,
        )
    audit.record(
        actor=actor,
        action="registration.approve",
        obj=registration,
        changes={
            "status": ["pending", "approved"],
            "enterprise_id": [before_enterprise, enterprise.pk],
            "account_id": [None, account.pk],
        },
        reason=(reason or "").strip(),
    )
    transaction.on_commit(lambda: _send_activation_mail(account, site=site))
    return registration


@transaction.atomic
def registration_reject(*, actor: Any, registration: Any, reason: str) -> Any:
    """Reject a pending request of the actor's unit with a reason, which is e-mailed to the applicant."""
    from accounts.permissions import ensure_in_scope
    from accounts.transitions import claim
    from factories.models import REGISTRATION_TRANSITIONS

    ensure_in_scope(actor, registration)
    REGISTRATION_TRANSITIONS.ensure_can(actor, "reject")
    reason = _require_reason(reason)
    registration = claim(
        REGISTRATION_TRANSITIONS,
        "reject",
        actor=actor,
        obj=registration,
        fields={"decided_by": actor, "decided_at": timezone.now(), "decision_reason": reason},
    )
    audit.record(
        actor=actor,
        action="registration.reject",
        obj=registration,
        changes={"status": ["pending", "rejected"]},
        reason=reason,
    )
    transaction.on_commit(lambda: _send_registration_mail(registration, "rejected"))
    return registration


@transaction.atomic
def registration_resend_activation(*, actor: Any, registration: Any, site: str = "") -> Any:
    """Send an approved request's applicant a new link to set the password, while the account still has none
    (the first link expired or the mail went astray). Earlier links keep working until used or expired."""
    from accounts.permissions import ensure_in_scope
    from factories.models import REGISTRATION_TRANSITIONS

    ensure_in_scope(actor, registration)
    REGISTRATION_TRANSITIONS.ensure_can(actor, "resend")
    REGISTRATION_TRANSITIONS.ensure_state(registration, "resend")
    account = registration.account
    if account is None or not account.is_active or account.has_usable_password():
        raise StateConflict(
            _("该账户已设置密码或已停用，无需重新发送；忘记密码可在登录页通过“忘记密码？”找回。")
        )
    audit.record(
        actor=actor,
        action="registration.resend",
        obj=registration,
        changes={"account_id": [account.pk, account.pk]},
        reason=str(_("重新发送设置密码邮件至{email}")).format(email=account.email),
    )
    transaction.on_commit(lambda: _send_activation_mail(account, site=site))
    return registration


def _applicant_mail(template: str, context: dict[str, Any], to: str) -> None:
    """One mail to an applicant, in the platform's first language (Chinese), never failing the caller."""
    import logging

    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.utils import translation

    try:
        with translation.override(settings.LANGUAGE_CODE):
            context = {**context, "platform_name": settings.PLATFORM_NAME}
            subject = " ".join(render_to_string(f"registration/{template}_subject.txt", context).split())
            body = render_to_string(f"registration/{template}_email.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:
        logging.getLogger(__name__).exception("registration e-mail to %s could not be sent", to)


def _send_activation_mail(account: User, *, site: str = "") -> None:
    """E-mail the account's owner a link that sets the first password (once, for REGISTRATION_ACTIVATION_HOURS)."""
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.passwords import activation_hours, activation_tokens

    path = reverse(
        "registrations:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(account.pk)),
            "token": activation_tokens.make_token(account),
        },
    )
    _applicant_mail(
        "activation",
        {"account": account, "url": site.rstrip("/") + path, "hours": activation_hours()},
        account.email,
    )


def _send_registration_mail(registration: Any, template: str) -> None:
    _applicant_mail(template, {"registration": registration}, registration.email)
