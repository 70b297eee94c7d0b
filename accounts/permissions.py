"""Who may do what: the one table of rights, for reads and writes.

Every page, viewset, service, template and home-page section asks `can(user, "<object>.<verb>")`; no
code outside `accounts` compares roles. A right says whether a role may do something at all; which rows
it reaches is the scope (`accounts.scoping`, `ensure_in_scope`). Services call `ensure_can` again, so
the API, the HTML views, tasks and commands all obey the same rules, whatever the caller checked before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.errors import NotAllowed
from accounts.models import Role

# A person at the server's console running a management command (see `Operator`); not a platform role.
OPERATOR = "operator"

EVERYONE = frozenset({Role.CITY, Role.DISTRICT, Role.ENTERPRISE, Role.AUDITOR})
STAFF = frozenset({Role.CITY, Role.DISTRICT, Role.AUDITOR})
WHOLE_CITY = frozenset({Role.CITY, Role.AUDITOR})

# right → roles that hold it. Reads a role holds show it the rows of its scope; writes are checked
# again by the service. Object-level scope is checked separately by `ensure_in_scope`.
PERMISSIONS: dict[str, frozenset[str]] = {
    # accounts and reference data
    "users.view": EVERYONE,
    # Account management: which accounts a holder manages is `ACCOUNT_MANAGERS` below, plus the scope.
    "users.manage": frozenset({Role.CITY, Role.DISTRICT, OPERATOR}),
    # Self-registration requests (issue 14): staff read those of their scope, the district decides them.
    "registration.view": STAFF,
    "registration.review": frozenset({Role.DISTRICT}),
    "audit.view": WHOLE_CITY,
    "reference.view": EVERYONE,
    "reference.manage": frozenset({Role.CITY}),
    "dashboard.view": EVERYONE,
    "notification.view": EVERYONE,
    "token.manage_own": EVERYONE,
    # one's own two-factor sign-in (who must keep it on is accounts.twofactor.required)
    "twofactor.manage_own": EVERYONE,
    # the register
    "enterprise.view": EVERYONE,
    "enterprise.list": STAFF,
    "enterprise.view_own": frozenset({Role.ENTERPRISE}),
    "enterprise.create": frozenset({Role.CITY, Role.DISTRICT}),
    "enterprise.update": frozenset({Role.CITY, Role.DISTRICT}),
    "enterprise.update_contact": frozenset({Role.CITY, Role.DISTRICT, Role.ENTERPRISE}),
    "green_factory.view": EVERYONE,
    "green_factory.list": STAFF,
    "green_factory.manage": frozenset({Role.CITY}),
    # annual reporting
    "reporting_year.view": EVERYONE,
    "reporting_year.manage": frozenset({Role.CITY}),
    "submission.view": EVERYONE,
    "submission.view_history": STAFF,
    "submission.edit": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "submission.submit": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "submission.approve": frozenset({Role.DISTRICT}),
    "submission.verify": frozenset({Role.CITY}),
    "submission.return": frozenset({Role.DISTRICT, Role.CITY}),
    # A reviewer's revision note (修订备注) on one figure; it stays in the submission's history.
    "submission.note": frozenset({Role.DISTRICT, Role.CITY}),
    # chasing non-filers (催报): staff read the list of their scope, the city and districts send reminders
    "non_filer.view": STAFF,
    "submission.remind": frozenset({Role.CITY, Role.DISTRICT}),
    # Anomaly flags (reporting.anomalies) are for reviewers only: an enterprise never sees them.
    "anomaly.view": STAFF,
    "anomaly.dismiss": frozenset({Role.DISTRICT, Role.CITY}),
    "anomaly.scan": frozenset({Role.CITY, OPERATOR}),
    # The thresholds of the flags (|z| of the peer check, the all-renewable consumption) are the city's.
    "anomaly.configure": frozenset({Role.CITY}),
    "correction.view": EVERYONE,
    "correction.request": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "correction.decide": frozenset({Role.CITY}),
    "export.view": EVERYONE,
    "export.create": EVERYONE,
    # A unit's evidence of a year as one zip (reporting.evidence_zip): reviewers and auditors, not enterprises.
    "evidence.bundle": STAFF,
    # Reviewer consistency (Art. 12): the city and auditors read every unit, a district its own against the city.
    "oversight.view": STAFF,
    # Peer benchmarks: an enterprise's own position in bands, never another enterprise's figures.
    "benchmark.view_own": frozenset({Role.ENTERPRISE}),
    "import.view": STAFF,
    "import.create": frozenset({Role.CITY, Role.DISTRICT}),
    # indicator catalogues (DOMAIN §4): public methodology; the city edits drafts and adopts them
    "catalogue.view": EVERYONE,
    "catalogue.manage": frozenset({Role.CITY}),
    # grading
    "grading_standard.view": EVERYONE,
    "grading_run.view": WHOLE_CITY,
    "grading.manage": frozenset({Role.CITY}),
    "grades.view": EVERYONE,
    # A factory's 评价结果通知书 (Word): a letter between the city, the district and the enterprise.
    "grade_notice.view": frozenset({Role.CITY, Role.DISTRICT, Role.ENTERPRISE}),
    "recommendations.view": STAFF,
    "incident.view": EVERYONE,
    "incident.list": WHOLE_CITY,
    "incident.manage": frozenset({Role.CITY}),
    "revocation.view": EVERYONE,
    # Objections (异议) to a published grade: read in scope; the graded enterprise files its own (the public
    # files through the public form, without an account); the city decides.
    "objection.view": EVERYONE,
    # Who objected (name and contact): staff only; the enterprise objected to never learns a member of the
    # public's identity (its own objections it filed itself).
    "objection.view_objector": STAFF,
    "objection.file": frozenset({Role.ENTERPRISE}),
    "objection.decide": frozenset({Role.CITY}),
    # the cultivation pool
    "pool.view": EVERYONE,
    "pool.cockpit": STAFF,
    "pool.manage": frozenset({Role.DISTRICT}),
    "pool.apply": frozenset({Role.ENTERPRISE, Role.DISTRICT}),
    "pool.review": frozenset({Role.CITY, Role.DISTRICT}),
    "pool.exit": frozenset({Role.DISTRICT, Role.ENTERPRISE}),
    "pool_review.view": STAFF,
    "district_report.view": STAFF,
    "district_report.submit": frozenset({Role.DISTRICT}),
    "district_report.decide": frozenset({Role.CITY}),
}


@dataclass(frozen=True)
class Operator:
    """Someone at the server's console running a management command (e.g. `manage.py add_user`).

    An operator has no platform account: it holds only the rights the table grants to `OPERATOR`
    (creating accounts), sees no scoped rows, and the audit trail records it by `name`. Commands act
    as an operator instead of borrowing a city account, so the table still decides what they may do.
    """

    name: str
    role: str = OPERATOR
    is_authenticated: bool = True
    is_active: bool = True
    sees_whole_city: bool = False
    district_id: None = None
    enterprise_id: None = None
    pk: None = None

    def __str__(self) -> str:
        return self.name


def can(actor: Any, permission: str) -> bool:
    """Whether the actor's role holds `permission` (an unknown right is a programming error: KeyError)."""
    roles = PERMISSIONS[permission]
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    return actor.role in roles


def ensure_can(actor: Any, permission: str) -> None:
    """Raise NotAllowed unless the actor's role holds `permission`."""
    if not can(actor, permission):
        raise NotAllowed(_("您的角色无权执行此操作。"))


def ensure_in_scope(actor: Any, obj: Any) -> None:
    """Raise NotAllowed unless `obj` is among the rows the actor may see."""
    model = type(obj)
    if not model._default_manager.visible_to(actor).filter(pk=obj.pk).exists():
        raise NotAllowed(_("该记录不在您的管辖范围内。"))


# role of an account → roles that create and manage such accounts (edit, deactivate, reactivate, reset the
# password). The city manages staff (city, auditor, district accounts); a district the enterprise fillers
# of its own unit. Nobody may therefore give an account a role above their own. The console operator
# (`manage.py add_user`) may create any account.
ACCOUNT_MANAGERS: dict[str, frozenset[str]] = {
    Role.CITY: frozenset({Role.CITY, OPERATOR}),
    Role.AUDITOR: frozenset({Role.CITY, OPERATOR}),
    Role.DISTRICT: frozenset({Role.CITY, OPERATOR}),
    Role.ENTERPRISE: frozenset({Role.DISTRICT, OPERATOR}),
}


def manageable_roles(actor: Any) -> list[str]:
    """The roles of the accounts `actor` may create or manage, in the order of `Role`."""
    if not can(actor, "users.manage"):
        return []
    return [role for role in Role.values if actor.role in ACCOUNT_MANAGERS[role]]


def ensure_manages_account(actor: Any, *, role: str, unit_id: str | None) -> None:
    """Raise NotAllowed unless `actor` may manage an account of `role` whose enterprise (for enterprise
    accounts) belongs to the management unit `unit_id`: a district only manages its own unit's fillers."""
    ensure_can(actor, "users.manage")
    if role not in manageable_roles(actor):
        raise NotAllowed(_("您无权管理该角色的账户。"))
    if actor.role == Role.DISTRICT and unit_id != actor.district_id:
        raise NotAllowed(_("该记录不在您的管辖范围内。"))


def ensure_manages_user(actor: Any, account: Any) -> None:
    """Raise NotAllowed unless `actor` may manage `account` as it is now (its role and unit)."""
    unit_id = account.enterprise.district_id if account.enterprise_id else account.district_id
    ensure_manages_account(actor, role=account.role, unit_id=unit_id)


def manages_user(actor: Any, account: Any) -> bool:
    """Whether `actor` may manage `account` (pages show its edit and step buttons only then)."""
    try:
        ensure_manages_user(actor, account)
    except NotAllowed:
        return False
    return True


class Rights:
    """The signed-in user's rights for templates: `{% if rights.grading_manage %}` asks `grading.manage`."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getitem__(self, key: str) -> bool:
        name = TEMPLATE_NAMES.get(key)
        if name is None:
            raise KeyError(key)  # the template engine then renders the usual empty value
        return can(self._user, name)

    def __contains__(self, key: object) -> bool:
        return key in TEMPLATE_NAMES


# Template spelling of each right: the dot becomes an underscore ("pool_review.view" → pool_review_view).
TEMPLATE_NAMES: dict[str, str] = {name.replace(".", "_"): name for name in PERMISSIONS}
