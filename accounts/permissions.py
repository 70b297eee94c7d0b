"""Who may do what. Services call `ensure_can` again, so the API, the HTML views, tasks and
commands all obey the same rules, whatever the caller checked before."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.errors import NotAllowed
from accounts.models import Role

# permission → roles that hold it; object-level scope is checked separately by `ensure_in_scope`.
PERMISSIONS: dict[str, frozenset[str]] = {
    "reference.manage": frozenset({Role.CITY}),
    "users.manage": frozenset({Role.CITY}),
    "audit.view": frozenset({Role.CITY, Role.AUDITOR}),
    "enterprise.create": frozenset({Role.CITY, Role.DISTRICT}),
    "enterprise.update": frozenset({Role.CITY, Role.DISTRICT}),
    "enterprise.update_contact": frozenset({Role.CITY, Role.DISTRICT, Role.ENTERPRISE}),
    "green_factory.manage": frozenset({Role.CITY}),
    "reporting_year.manage": frozenset({Role.CITY}),
    "submission.edit": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "submission.submit": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "submission.approve": frozenset({Role.DISTRICT}),
    "submission.verify": frozenset({Role.CITY}),
    "submission.return": frozenset({Role.DISTRICT, Role.CITY}),
    "correction.request": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "correction.decide": frozenset({Role.CITY}),
    "grading.manage": frozenset({Role.CITY}),
    "incident.manage": frozenset({Role.CITY}),
    "pool.manage": frozenset({Role.DISTRICT}),
    "pool.apply": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "pool.review": frozenset({Role.CITY, Role.DISTRICT}),
    "pool.exit": frozenset({Role.DISTRICT, Role.ENTERPRISE}),
    "district_report.submit": frozenset({Role.DISTRICT}),
    "district_report.decide": frozenset({Role.CITY}),
    "export.create": frozenset({Role.CITY, Role.DISTRICT, Role.ENTERPRISE, Role.AUDITOR}),
    "import.create": frozenset({Role.CITY, Role.DISTRICT}),
}


def can(actor: Any, permission: str) -> bool:
    """Whether the actor's role holds `permission`."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.role in PERMISSIONS[permission]


def ensure_can(actor: Any, permission: str) -> None:
    """Raise NotAllowed unless the actor's role holds `permission`."""
    if not can(actor, permission):
        raise NotAllowed(_("您的角色无权执行此操作。"))


def ensure_in_scope(actor: Any, obj: Any) -> None:
    """Raise NotAllowed unless `obj` is among the rows the actor may see."""
    model = type(obj)
    if not model._default_manager.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("该记录不在您的管辖范围内。"))
