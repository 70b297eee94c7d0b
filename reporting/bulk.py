"""Bulk steps: one service call per item, each in its own transaction, with a verdict per item.

Bulk approval, bulk verification and reminders to many non-filers all run here. Nothing is done as a
batch: every item goes through its own service (its own right check, claim, transition, audit entry and
notifications), so one refusal leaves the others done and nothing half-done. Ids outside the caller's
scope are reported as not found and never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.errors import DomainError, InvalidInput
from accounts.i18n import in_language
from accounts.permissions import ensure_can
from factories.models import Enterprise
from reporting import services
from reporting.models import AnnualSubmission

BULK_MAX = 200
MAX_ID = 2**63 - 1  # the largest value of a 64-bit key
"""At most this many items per bulk step."""

DONE, REFUSED, NOT_FOUND = "done", "refused", "not_found"


@dataclass
class Outcome:
    """The verdict on one item: done, refused (with the service's reason) or not found."""

    id: int
    status: str
    name: str = ""
    message: str = ""
    obj: Any = None

    @property
    def ok(self) -> bool:
        return self.status == DONE

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "ok": self.ok,
            "name": self.name,
            "message": self.message,
        }


def clean_ids(raw: Iterable[Any]) -> list[int]:
    """The ids asked for, in order, without repeats; an id that is not a positive whole number, an empty
    list or more than BULK_MAX ids is invalid input."""
    ids: list[int] = []
    for value in raw:
        text = str(value).strip()
        # A number past the largest key the database can hold (SQLite refuses to bind it) is no id either.
        if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
            raise InvalidInput(field_errors={"ids": [_("编号“{value}”无效。").format(value=text[:20])]})
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise InvalidInput(field_errors={"ids": [_("请至少选择一项。")]})
    if len(ids) > BULK_MAX:
        raise InvalidInput(field_errors={"ids": [_("一次最多处理{n}项，请分批操作。").format(n=BULK_MAX)]})
    return ids


def run(
    *,
    actor: Any,
    right: str,
    ids: Iterable[Any],
    rows: QuerySet,
    step: Callable[[Any], Any],
    name: Callable[[Any], str] = str,
) -> list[Outcome]:
    """Apply `step` to each of the `ids` found among `rows` (already scoped to the actor), one at a time.

    The actor's role must hold `right` (else NotAllowed for the whole request, before anything is read).
    Each item's DomainError becomes its refusal, worded in the user's language."""
    ensure_can(actor, right)
    wanted = clean_ids(ids)
    found = {obj.pk: obj for obj in rows.filter(pk__in=wanted)}
    outcomes = []
    for pk in wanted:
        obj = found.get(pk)
        if obj is None:
            outcomes.append(Outcome(pk, NOT_FOUND, message=_("未找到，或不在您的管辖范围内。")))
            continue
        try:
            step(obj)
        except DomainError as error:
            messages = [str(in_language(error.message))] if not error.field_errors else []
            for texts in error.field_errors.values():
                messages.extend(str(in_language(text)) for text in texts)
            outcomes.append(Outcome(pk, REFUSED, name(obj), "；".join(messages), obj))
            continue
        outcomes.append(Outcome(pk, DONE, name(obj), "", obj))
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    return {key: sum(1 for o in outcomes if o.status == key) for key in (DONE, REFUSED, NOT_FOUND)}


# --- the bulk steps of reporting ---------------------------------------------------------------------

REVIEW_STEPS = {"approve": "submission.approve", "verify": "submission.verify"}


def review(*, actor: Any, action: str, ids: Iterable[Any]) -> list[Outcome]:
    """Approve (district) or verify (city) many submissions; returns stay one by one (they need a reason)."""
    service = {"approve": services.submission_approve, "verify": services.submission_verify}[action]
    return run(
        actor=actor,
        right=REVIEW_STEPS[action],
        ids=ids,
        rows=AnnualSubmission.objects.visible_to(actor).select_related("enterprise"),
        step=lambda submission: service(actor=actor, submission=submission),
        name=lambda submission: _("{name}（{year}年度）").format(
            name=submission.enterprise.name, year=submission.year
        ),
    )


def remind(*, actor: Any, year: int, ids: Iterable[Any]) -> list[Outcome]:
    """Remind many non-filers of their data of `year` (ids are enterprise ids)."""
    return run(
        actor=actor,
        right="submission.remind",
        ids=ids,
        rows=Enterprise.objects.visible_to(actor),
        step=lambda enterprise: services.reminder_send(actor=actor, enterprise=enterprise, year=year),
        name=lambda enterprise: enterprise.name,
    )
