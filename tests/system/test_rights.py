"""Every page and every API action takes its rights from the one table (accounts.permissions.PERMISSIONS).

Like the access matrix, the views come from the URL configuration, so a new page or viewset action fails
here until it declares the right it needs by name. A short list of pages needs no right: they show only
the signed-in user's own account, sign in and out, or describe the API; each says why.

And no code outside `accounts` decides by comparing roles: an AST scan of the apps and a scan of the
templates refuse `user.role == "city"`, `Role.CITY in ...`, `user.is_district` and the like.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.permissions import PERMISSIONS, TEMPLATE_NAMES
from accounts.views_base import RightRequiredMixin
from accounts.viewsets import ScopedMixin

ROOT = Path(__file__).resolve().parents[2]

# URL name → why it needs no right from the table.
NEEDS_NO_RIGHT = {
    "home": "every signed-in user's home page; each section on it asks the table itself",
    "ping": "the load benchmark's baseline: the signed-in user's own name and role",
    "accounts:login": "signing in",
    "accounts:logout": "signing out",
    "accounts:password_change": "the signed-in user's own password",
    "accounts:password_change_done": "the signed-in user's own password",
    "accounts:password_reset": "asking for a reset link, answered alike for every address",
    "accounts:password_reset_done": "the same answer for every address",
    "accounts:password_reset_confirm": "the e-mailed link itself is the proof of the account",
    "accounts:password_reset_complete": "a page saying the reset is done, no data",
    "registrations:register": "the public self-registration form, throttled per client address",
    "registrations:done": "the answer to one's own submission, shown once from the session",
    "objections:public_new": "the public objection form of a run in notice (公示), throttled per client address "
    "and per day; what it shows is public",
    "registrations:activate": "the e-mailed one-time link itself is the proof of the account",
    "set_language": "the visitor's language",
    # The public notice pages (issue 17): published on purpose, public fields only, non-public objects 404.
    "gongshi:index": "public: the runs in notice (公示) or final",
    "gongshi:run": "public: a run in notice or final, its factories' public fields and the AA+ list",
    "gongshi:districts": "public: the units with district-level (B) green factories",
    "gongshi:district": "public: a unit's certified B factories, public fields only",
    "gongshi:certificate": "public: a certificate by its unguessable code, credit code masked",
    "gongshi:language": "the visitor's language on the public pages (a link: they carry no form)",
    "verify": "public: a certificate's status, opened by its QR code",
    "api:token": "exchanging one's own password for a token",
    "api:me": "the signed-in user's own account",
    "api:api-root": "the list of API endpoints, no data",
    "schema": "the API's description, no data",
    "api-docs": "the API's description, no data",
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: URLPattern

    @property
    def callback(self) -> Any:
        return self.pattern.callback

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def url_kwargs(self) -> set[str]:
        converters = getattr(self.pattern.pattern, "converters", None)
        if converters:
            return set(converters)
        regex = getattr(self.pattern.pattern, "regex", None)
        return set(regex.groupindex) if regex is not None else set()


def _walk(resolver: URLResolver, namespace: str | None = None) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own permission system (staff accounts only)
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, inner)
        elif entry.name:
            yield Route(f"{namespace}:{entry.name}" if namespace else entry.name, entry)


ROUTES = list(_walk(get_resolver()))


def _problems(route: Route) -> list[str]:
    """What is wrong with the rights a route declares (nothing: an empty list)."""
    cls = route.view_class
    actions = getattr(route.callback, "actions", None)
    if actions:  # a viewset: every action of an allowed method names its right
        if not issubclass(cls, ScopedMixin):
            return [f"{cls.__name__} does not derive from accounts.viewsets.ScopedMixin"]
        problems = []
        for method, action in actions.items():
            if method in ("head", "options") or method not in cls.http_method_names:
                continue  # a method the viewset refuses (405) has nothing to check
            right = cls.rights.get(action)
            if right is None:
                problems.append(f"{cls.__name__}.{action} ({method.upper()}) declares no right")
            elif right not in PERMISSIONS:
                problems.append(f"{cls.__name__}.{action} names {right!r}, which is not in PERMISSIONS")
        return problems
    if cls is None or not issubclass(cls, RightRequiredMixin):
        return [f"{getattr(cls, '__name__', route.callback)} does not derive from RightRequiredMixin"]
    if "action" in route.url_kwargs:  # a view that routes workflow steps names the right of each step
        if cls.right is not None or not cls.rights:
            return [f"{cls.__name__} routes steps but does not name a right per step"]
        return [
            f"{cls.__name__} step {step!r} names {right!r}, which is not in PERMISSIONS"
            for step, right in cls.rights.items()
            if right not in PERMISSIONS
        ]
    problems = []
    for method in ("get", "post", "put", "patch", "delete"):
        if method not in cls.http_method_names or not hasattr(cls, method):
            continue
        right = cls.right_for(method)
        if right is None:
            problems.append(f"{cls.__name__} declares no right for {method.upper()}")
        elif right not in PERMISSIONS:
            problems.append(f"{cls.__name__} {method.upper()} names {right!r}, which is not in PERMISSIONS")
    return problems


def test_every_page_and_api_action_takes_its_rights_from_the_table():
    problems = [
        f"{route.name}: {problem}"
        for route in ROUTES
        if route.name not in NEEDS_NO_RIGHT
        for problem in _problems(route)
    ]
    assert not problems, "routes without a right from accounts.permissions.PERMISSIONS:\n" + "\n".join(
        problems
    )


def test_the_list_of_pages_without_a_right_names_only_routes_that_exist():
    stale = set(NEEDS_NO_RIGHT) - {route.name for route in ROUTES}
    assert not stale, stale


def test_the_rights_check_finds_a_page_that_declares_none():
    """The check above can fail: a page with no right, or with a right the table lacks, is reported."""
    from django.urls import path
    from django.views.generic import TemplateView

    class Forgetful(RightRequiredMixin, TemplateView):
        pass

    class Misspelt(RightRequiredMixin, TemplateView):
        right = "grading.manages"

    assert _problems(Route("x", path("x/", Forgetful.as_view(), name="x"))) == [
        "Forgetful declares no right for GET"
    ]
    assert "not in PERMISSIONS" in _problems(Route("y", path("y/", Misspelt.as_view(), name="y")))[0]
    assert _problems(Route("z", path("z/", TemplateView.as_view(), name="z")))


def _source_files() -> list[Path]:
    return [
        path
        for package in ("accounts", "factories", "reporting", "cultivation", "config")
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_every_right_in_the_table_is_asked_for_somewhere():
    """A right nobody asks for is a promise the code does not keep."""
    text = "\n".join(path.read_text() for path in _source_files())
    templates = "\n".join(path.read_text() for path in (ROOT / "templates").rglob("*.html"))
    unused = [
        name
        for name in PERMISSIONS
        if f'"{name}"' not in text.replace(f'"{name}": frozenset', "")
        and f"rights.{name.replace('.', '_')}" not in templates
    ]
    assert not unused, unused


def test_each_right_has_one_template_spelling():
    assert len(TEMPLATE_NAMES) == len(PERMISSIONS)


def test_templates_ask_only_for_rights_the_table_has():
    unknown = {
        (path.name, name)
        for path in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r"\brights\.(\w+)", path.read_text())
        if name not in TEMPLATE_NAMES
    }
    assert not unknown, unknown


# --- no role comparisons outside the core -----------------------------------------------------------

ROLE_MEMBERS = {"CITY", "DISTRICT", "ENTERPRISE", "AUDITOR"}
ROLE_PROPERTIES = {"is_city", "is_district", "is_enterprise", "is_auditor"}
# Demo data creates the accounts of every role and picks one to act as; it serves no request.
NOT_SCANNED = {"factories/demo.py", "reporting/demo.py", "cultivation/demo.py"}
# (module, function) → why it may name a role.
MAY_NAME_A_ROLE = {
    ("factories/services.py", "user_create"): "validates the role of the account it creates (which unit or "
    "enterprise it must name); the actor's right is `users.manage`",
    ("factories/services.py", "_place_errors"): "the same check when an account's role, unit or enterprise "
    "changes (user_update); who may make the change is `accounts.permissions.ACCOUNT_MANAGERS`",
    ("factories/services.py", "_registration_account"): "an approved self-registration opens an enterprise "
    "filler's account; the actor's rights are `registration.review` and `ACCOUNT_MANAGERS`",
}


class RoleCheckFinder(ast.NodeVisitor):
    """Finds code that decides by the user's role instead of asking the table of rights."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.function = ""
        self.found: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.path}:{getattr(node, 'lineno', '?')} {what}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.attr == "role" or node.attr in ROLE_PROPERTIES:
                self.report(node, f"reads {ast.unparse(node)}")
            elif (
                node.attr in ROLE_MEMBERS
                and isinstance(node.value, ast.Name)
                and node.value.id == "Role"
                and (self.path, self.function) not in MAY_NAME_A_ROLE
            ):
                self.report(node, f"names {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in {"role", *ROLE_PROPERTIES}
        ):
            self.report(node, f"reads {ast.unparse(node)}")
        self.generic_visit(node)


def role_checks(source: str, path: str = "<snippet>") -> list[str]:
    finder = RoleCheckFinder(path)
    finder.visit(ast.parse(source))
    return finder.found


def test_no_module_outside_accounts_decides_by_comparing_roles():
    found = []
    for path in _source_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("accounts/") or relative in NOT_SCANNED:
            continue
        found += role_checks(path.read_text(), relative)
    assert not found, "ask accounts.permissions.can(user, right) instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "snippet",
    [
        'if user.role == "city":\n    pass',
        'if request.user.role in ("city", "auditor"):\n    pass',
        "allowed = user.role != Role.ENTERPRISE",
        "if Role.DISTRICT in roles:\n    pass",
        "page = PAGES.get(user.role)",
        'role = getattr(user, "role", None)',
        "if user.is_district:\n    pass",
        "def view(request):\n    return request.user.role",
    ],
)
def test_the_scan_finds_a_role_comparison(snippet):
    assert role_checks(snippet), snippet


def test_the_scan_lets_rights_and_scopes_through():
    assert not role_checks('if can(user, "grading.manage") and user.sees_whole_city:\n    pass')
    assert not role_checks('User.objects.filter(role="enterprise", enterprise_id=pk)')


TEMPLATE_ROLE_CHECK = re.compile(r"{%[^%]*?(\.role\b|\bis_(city|district|enterprise|auditor)\b)[^%]*%}")


def test_no_template_decides_by_comparing_roles():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.html")
        for match in TEMPLATE_ROLE_CHECK.finditer(path.read_text())
    ]
    assert not found, "use `rights.<object>_<verb>` (accounts.context_processors.rights):\n" + "\n".join(
        found
    )


def test_the_template_scan_finds_a_role_comparison():
    assert TEMPLATE_ROLE_CHECK.search('{% if user.role != "enterprise" %}')
    assert TEMPLATE_ROLE_CHECK.search("{% if user.is_district %}")
    assert not TEMPLATE_ROLE_CHECK.search("{% if rights.pool_cockpit %}{{ user.get_role_display }}")


# --- one scoped-object base for the pages -------------------------------------------------------------


def test_pages_find_their_object_through_the_scoped_base():
    """No page looks an object up with `get_object_or_404(... visible_to ...)` by hand; the scoped base
    (accounts.views_base.ScopedObjectMixin) does, so none can forget the scope."""
    found = []
    for path in _source_files():
        if "views" not in path.as_posix():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "get_object_or_404"
                and "visible_to" in ast.unparse(node)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    assert not found, "\n".join(found)


# --- the menu -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["city_user", "district_user", "enterprise_user", "auditor"])
def test_the_menu_links_only_to_pages_the_user_may_open(persona, request):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    items = client.get("/").context["nav_items"]
    refused = {item["url"]: client.get(item["url"]).status_code for item in items}
    assert all(status == 200 for status in refused.values()), refused
