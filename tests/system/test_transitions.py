"""Every workflow moves through its transition table and the one claim helper (accounts/transitions.py).

- each workflow declares a table, and every table names only rights of the permission table and states of
  its model's choices;
- no code outside the helper writes a tabled model's status (a scan of the source, which a new
  `.update(status=…)` makes fail);
- for every step a person takes, two people taking it at once leave exactly one winner (PostgreSQL).
"""

from __future__ import annotations

import ast
import datetime as dt
import enum
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from accounts.transitions import TransitionTable
from cultivation import services as pool
from factories import services as registration
from factories.grading import services as grading
from reporting import services as reporting
from tests.helpers import at_once
from tests.system.conftest import World

APP_PACKAGES = ("accounts", "factories", "reporting", "cultivation")
ROOT = Path(__file__).resolve().parents[2]

# The workflows of issue 11 item 4 and the pool's other state machines: each must declare a table.
WORKFLOW_MODELS = {
    "AnnualSubmission",
    "CorrectionRequest",
    "PoolApplication",
    "PoolMembership",
    "BCertification",
    "IrregularReview",
    "DistrictReport",
    "GradingRun",
    "RevocationProposal",
}

# Status writes that are not workflow steps, by (file, function), and why. None today: a worker's own
# states (queued -> running -> succeeded/failed) are written by the job runner, accounts/jobs.py.
NOT_STEPS: dict[tuple[str, str], str] = {}


def discover_tables() -> dict[str, TransitionTable[Any]]:
    """Every transition table declared in a module of the apps, by its model's name."""
    tables: dict[str, TransitionTable[Any]] = {}
    for package in APP_PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name:
                continue
            for value in vars(importlib.import_module(info.name)).values():
                if isinstance(value, TransitionTable):
                    existing = tables.setdefault(value.model.__name__, value)
                    assert existing is value, f"two tables for {value.model.__name__}"
    return tables


TABLES = discover_tables()


def test_every_workflow_declares_its_transition_table():
    assert set(TABLES) >= WORKFLOW_MODELS


@pytest.mark.parametrize("model", sorted(TABLES))
def test_a_table_names_only_rights_of_the_permission_table_and_states_of_its_model(model):
    assert TABLES[model].problems() == []


# --- no status write outside the claim helper ------------------------------------------------------

MANAGERS = {"objects", "_default_manager"}


def _model_of(node: ast.expr) -> str | None:
    """`Model` for an expression rooted at `Model.objects` (…filter(…).exclude(…)), else None."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in MANAGERS and isinstance(node.value, ast.Name):
                return node.value.id
            node = node.value
        else:
            return None


def _mentions(node: ast.AST, names: set[str]) -> bool:
    """Whether the expression names a member of one of the enums, e.g. `SubmissionStatus.DRAFT`."""
    return any(
        isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in names
        for n in ast.walk(node)
    )


def _names_field(node: ast.AST, fields: set[str]) -> bool:
    return any(isinstance(n, ast.Constant) and n.value in fields for n in ast.walk(node))


class _StatusWrites(ast.NodeVisitor):
    """Writes of a tabled model's status: `.update(status=…)` / `.update(**…)` on its queryset, an update
    or assignment that sets a status to a member of a tabled status enum, `bulk_update(…, ["status"])`."""

    def __init__(self, fields: dict[str, str], enums: set[str]) -> None:
        self.fields = fields
        self.field_names = set(fields.values())
        self.enums = enums
        self.functions: list[str] = []
        self.found: list[tuple[int, str]] = []

    def _flag(self, node: ast.AST) -> None:
        self.found.append((getattr(node, "lineno", 0), self.functions[-1] if self.functions else "<module>"))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and self._writes_status(node.func.attr, node):
            self._flag(node)
        self.generic_visit(node)

    def _writes_status(self, method: str, node: ast.Call) -> bool:
        assert isinstance(node.func, ast.Attribute)
        model = _model_of(node.func.value)
        field = self.fields.get(model or "")
        if method == "update":
            keywords = {k.arg for k in node.keywords}
            on_tabled_model = field is not None and (field in keywords or None in keywords)
            to_tabled_state = any(
                k.arg in self.field_names and _mentions(k.value, self.enums) for k in node.keywords
            )
            return on_tabled_model or to_tabled_state
        if method == "bulk_update" and field is not None:
            named = [*node.args[1:], *(k.value for k in node.keywords if k.arg == "fields")]
            return any(_names_field(arg, {field}) for arg in named)
        return False

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(item, ast.Attribute)
                    and item.attr in self.field_names
                    and _mentions(node.value, self.enums)
                ):
                    self._flag(node)
        self.generic_visit(node)


def _status_enums(tables: dict[str, TransitionTable[Any]]) -> set[str]:
    """The names of the enums whose members the tables use as states (SubmissionStatus, RunStatus, …)."""
    return {
        type(state).__name__
        for table in tables.values()
        for t in table
        for state in (*t.sources, t.target)
        if isinstance(state, enum.Enum)
    }


def status_writes(source: str, tables: dict[str, TransitionTable[Any]]) -> list[tuple[int, str]]:
    """(line, function) of each write of a tabled model's status in `source`."""
    finder = _StatusWrites({name: t.field for name, t in tables.items()}, _status_enums(tables))
    finder.visit(ast.parse(source))
    return finder.found


def test_the_scan_finds_each_way_of_writing_a_status_and_nothing_else():
    source = """
def sneaky(submission, rows, fields, queryset):
    AnnualSubmission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.DRAFT)
    AnnualSubmission.objects.select_for_update().filter(pk=1).exclude(late=True).update(**fields)
    queryset.update(status=SubmissionStatus.SUBMITTED)
    submission.status = SubmissionStatus.DRAFT
    submission.status, submission.late = SubmissionStatus.DRAFT, False
    AnnualSubmission.objects.bulk_update(rows, ["raw_values", "status"])

def harmless(job, submission):
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED)
    AnnualSubmission.objects.filter(pk=submission.pk).update(late=True)
    job.status = JobStatus.FAILED
    AnnualSubmission.objects.bulk_update([submission], ["raw_values"])
"""
    assert status_writes(source, TABLES) == [
        (3, "sneaky"),
        (4, "sneaky"),
        (5, "sneaky"),
        (6, "sneaky"),
        (7, "sneaky"),
        (8, "sneaky"),
    ]


def test_no_code_outside_the_claim_helper_writes_a_workflow_status():
    found = []
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "accounts/transitions.py":
                continue
            for line, function in status_writes(path.read_text(encoding="utf-8"), TABLES):
                if (relative, function) not in NOT_STEPS:
                    found.append(f"{relative}:{line} in {function}()")
    assert not found, "workflow status written without accounts.transitions.claim:\n" + "\n".join(found)


def test_every_exemption_still_writes_a_status():
    for (relative, function), _why in NOT_STEPS.items():
        source = (ROOT / relative).read_text(encoding="utf-8")
        assert any(f == function for _line, f in status_writes(source, TABLES)), (relative, function)


# --- two people at once: exactly one wins (PostgreSQL) ----------------------------------------------

Step = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Race:
    """Two people take steps on the same object (of `kind`, see tests/system/conftest.py) at once."""

    kind: str
    steps: tuple[tuple[str, Step], tuple[str, Step]]


def _twice(kind: str, action: str, step: Step) -> Race:
    return Race(kind, ((action, step), (action, step)))


_today = timezone.localdate
RACES: dict[str, Race] = {
    "registration approve or reject": Race(
        "registration",
        (
            (
                "approve",
                lambda who, o: registration.registration_approve(actor=who["district"], registration=o),
            ),
            (
                "reject",
                lambda who, o: registration.registration_reject(
                    actor=who["district"], registration=o, reason="委托书未盖章"
                ),
            ),
        ),
    ),
    "submission submit": _twice(
        "submission:draft",
        "submit",
        lambda who, o: reporting.submission_submit(actor=who["district"], submission=o),
    ),
    "submission approve": _twice(
        "submission:submitted",
        "approve",
        lambda who, o: reporting.submission_approve(actor=who["district"], submission=o),
    ),
    "submission verify": _twice(
        "submission:approved",
        "verify",
        lambda who, o: reporting.submission_verify(actor=who["city"], submission=o),
    ),
    "submission return": _twice(
        "submission:submitted",
        "return",
        lambda who, o: reporting.submission_return(actor=who["district"], submission=o, reason="请核对"),
    ),
    "correction approve or reject": Race(
        "correction",
        (
            (
                "approve",
                lambda who, o: reporting.correction_decide(actor=who["city"], correction=o, approve=True),
            ),
            (
                "reject",
                lambda who, o: reporting.correction_decide(
                    actor=who["city"], correction=o, approve=False, reason="证明不足"
                ),
            ),
        ),
    ),
    "application accept or reject": Race(
        "pool:application",
        (
            ("accept", lambda who, o: pool.pool_application_accept(actor=who["district"], application=o)),
            (
                "reject",
                lambda who, o: pool.pool_application_reject(
                    actor=who["district"], application=o, reason="材料不全"
                ),
            ),
        ),
    ),
    "membership exit": _twice(
        "pool:member",
        "exit",
        lambda who, o: pool.membership_exit(actor=who["district"], membership=o, reason="自愿退出"),
    ),
    "certification certify or reject": Race(
        "pool:certification",
        (
            (
                "certify",
                lambda who, o: pool.b_certification_certify(actor=who["district"], certification=o),
            ),
            (
                "reject",
                lambda who, o: pool.b_certification_reject(
                    actor=who["district"], certification=o, reason="不符合"
                ),
            ),
        ),
    ),
    "certification lose or keep": Race(
        "pool:certification:under_review",
        (
            (
                "lose",
                lambda who, o: pool.b_certification_confirm_loss(
                    actor=who["district"], certification=o, reason="等级下降"
                ),
            ),
            (
                "keep",
                lambda who, o: pool.b_certification_keep(
                    actor=who["district"], certification=o, reason="已整改"
                ),
            ),
        ),
    ),
    "review close": _twice(
        "pool:review",
        "close",
        lambda who, o: pool.irregular_review_close(
            actor=who["district"], review=o, findings="未发现问题", falsification=False
        ),
    ),
    "report submit": _twice(
        "pool:report",
        "submit",
        lambda who, o: pool.district_report_submit(actor=who["district"], report=o),
    ),
    "report acknowledge or return": Race(
        "pool:report:submitted",
        (
            ("acknowledge", lambda who, o: pool.district_report_acknowledge(actor=who["city"], report=o)),
            (
                "return",
                lambda who, o: pool.district_report_return(actor=who["city"], report=o, reason="请补充"),
            ),
        ),
    ),
    "run publish": _twice(
        "run:succeeded",
        "publish",
        lambda who, o: grading.grading_run_publish(
            actor=who["city"], run=o, notice_from=_today(), notice_to=_today() + dt.timedelta(days=7)
        ),
    ),
    "run finalize": _twice(
        "run:notice_over",
        "finalize",
        lambda who, o: grading.grading_run_finalize(actor=who["city"], run=o),
    ),
    "run retry": _twice(
        "run:failed", "retry", lambda who, o: grading.grading_run_retry(actor=who["city"], run=o)
    ),
    "objection accept or reject": Race(
        "objection",
        (
            (
                "accept",
                lambda who, o: grading.objection_accept(
                    actor=who["city"],
                    objection=o,
                    reason="情况属实",
                    remedy_kind="method_note",
                    note="口径说明",
                ),
            ),
            (
                "reject",
                lambda who, o: grading.objection_reject(actor=who["city"], objection=o, reason="不属实"),
            ),
        ),
    ),
    "revocation confirm or dismiss": Race(
        "proposal",
        (
            ("confirm", lambda who, o: grading.revocation_confirm(actor=who["city"], proposal=o)),
            (
                "dismiss",
                lambda who, o: grading.revocation_dismiss(actor=who["city"], proposal=o, note="已整改"),
            ),
        ),
    ),
}


def test_every_step_a_person_takes_has_a_race():
    raced = {(_model_of_kind(race.kind), action) for race in RACES.values() for action, _step in race.steps}
    # Automatic steps follow another step; a state-keeping edit has no loser (both edits apply).
    taken = {
        (model, t.action)
        for model, table in TABLES.items()
        for t in table
        if not t.automatic and t.target is not None
    }
    assert sorted(taken - raced) == []


KIND_MODELS = {
    "submission": "AnnualSubmission",
    "correction": "CorrectionRequest",
    "pool:application": "PoolApplication",
    "pool:member": "PoolMembership",
    "pool:certification": "BCertification",
    "pool:review": "IrregularReview",
    "pool:report": "DistrictReport",
    "run": "GradingRun",
    "proposal": "RevocationProposal",
    "registration": "RegistrationRequest",
    "objection": "Objection",
}


def _model_of_kind(kind: str) -> str:
    for prefix, model in sorted(KIND_MODELS.items(), key=lambda item: -len(item[0])):
        if kind == prefix or kind.startswith(f"{prefix}:"):
            return model
    raise KeyError(kind)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("name", sorted(RACES))
def test_of_two_people_taking_a_step_at_once_exactly_one_wins(name, world: World, monkeypatch):
    from accounts import jobs

    # A retried run would be executed by the eager worker as soon as the winner commits.
    monkeypatch.setattr(jobs, "enqueue", lambda *args, **kwargs: None)
    race = RACES[name]
    target = world.objects(race.kind)["own"]
    model, pk = type(target), target.pk
    table = TABLES[model.__name__]
    who = {"city": world.city, "district": world.reviewer("own")}
    won: list[str] = []

    def call(action: str, step: Step) -> Callable[[], None]:
        def take() -> None:
            step(who, model._default_manager.get(pk=pk))
            won.append(action)

        return take

    outcomes = at_once([call(action, step) for action, step in race.steps])

    assert sorted(outcomes) == ["conflict", "ok"], outcomes
    assert getattr(model._default_manager.get(pk=pk), table.field) == table[won[0]].target
