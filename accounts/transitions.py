"""Workflow transition tables and the one claim helper that moves a workflow's row from state to state.

Each workflow declares one `TransitionTable` next to its model: for every action, the states it may
start from, the state it reaches and the right (a name of `accounts.permissions.PERMISSIONS`) the
actor needs. `claim` is how a workflow's status changes: it checks the right, then moves the row with
one conditional UPDATE (`filter(pk=…, status__in=sources).update(status=target, …)`), so of concurrent
callers exactly one wins and the others get a StateConflict (HTTP 409), without holding a lock.
Pages ask the same table which actions an object's state offers the signed-in user (`allowed_actions`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q

from accounts.errors import StateConflict
from accounts.permissions import PERMISSIONS, can, ensure_can

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Transition:
    """One action: from any of `sources` to `target`, by an actor whose role holds `right`.

    A target of None keeps the state: the action only changes other fields while the state allows it
    (e.g. editing a draft). A right of None makes the transition automatic: the platform performs it as
    the consequence of another step (a member graduates, a computed level falls), which checked its own
    right, and no page offers it to a user. `conflict` words this action's refusal when the table's
    wording does not fit.
    """

    action: str
    sources: tuple[str, ...]
    target: str | None
    right: str | None
    label: Any = ""
    conflict: Any = None

    @property
    def automatic(self) -> bool:
        return self.right is None


class TransitionTable(Generic[M]):
    """A workflow's transitions by action, over the status field of one model.

    `conflict` is the refusal when the row is no longer in a state that allows the action (read back
    from the database after a lost race); `refused`, when the object in hand is in the wrong state
    already (defaults to `conflict`). Both may name `{action}` (the transition's label) and `{status}`
    (the label of the current state).
    """

    def __init__(
        self,
        model: type[M],
        transitions: Iterable[Transition],
        *,
        conflict: Any = None,
        refused: Any = None,
        field: str = "status",
    ) -> None:
        self.model = model
        self.field = field
        self.conflict = conflict or StateConflict.default_message
        self.refused = refused or self.conflict
        self.transitions: dict[str, Transition] = {}
        for transition in transitions:
            if transition.action in self.transitions:
                raise ValueError(f"{model.__name__}: action {transition.action!r} is declared twice")
            self.transitions[transition.action] = transition

    def __repr__(self) -> str:
        return f"<TransitionTable {self.model.__name__}: {', '.join(self.transitions)}>"

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions.values())

    def _status_field(self) -> models.Field[Any, Any]:
        field = self.model._meta.get_field(self.field)
        if not isinstance(field, models.Field):
            raise TypeError(f"{self.model.__name__}.{self.field} is not a field with choices")
        return field

    def state_label(self, state: str | None) -> str:
        """The label of a state as its model's choices name it ('' for no state)."""
        if state is None:
            return ""
        return str(dict(self._status_field().flatchoices).get(state, state))

    def problems(self) -> list[str]:
        """What is wrong with the table: rights missing from PERMISSIONS, states missing from the choices."""
        states = {value for value, _label in self._status_field().flatchoices}
        found = []
        for transition in self:
            where = f"{self.model.__name__}.{transition.action}"
            if transition.right is not None and transition.right not in PERMISSIONS:
                found.append(f"{where}: right {transition.right!r} is not in PERMISSIONS")
            if not transition.sources:
                found.append(f"{where}: no state to start from")
            for state in transition.sources + ((transition.target,) if transition.target else ()):
                if state not in states:
                    found.append(f"{where}: state {state!r} is not a choice of {self.field}")
        return found

    def ensure_can(self, actor: Any, action: str) -> Transition:
        """The transition, after NotAllowed unless the actor's role holds its right."""
        transition = self.transitions[action]
        if transition.right is not None:
            ensure_can(actor, transition.right)
        return transition

    def ensure_state(self, obj: M, action: str) -> Transition:
        """The transition, after StateConflict unless the object in hand is in a state it starts from."""
        transition = self.transitions[action]
        state = getattr(obj, self.field)
        if state not in transition.sources:
            raise self._refusal(transition.conflict or self.refused, transition, state)
        return transition

    def allowed_actions(self, obj: M, user: Any) -> list[str]:
        """The actions the object's current state allows and the user's role may take, in table order."""
        state = getattr(obj, self.field)
        return [t.action for t in self if t.right is not None and state in t.sources and can(user, t.right)]

    def claim(
        self,
        action: str,
        *,
        actor: Any,
        obj: M,
        fields: Mapping[str, Any] | None = None,
        where: Q | None = None,
    ) -> M:
        """Check the right, move the row from the action's states to its target with `fields` in one
        conditional UPDATE (narrowed by `where`), and return the object as stored now.

        Raises NotAllowed (403) when the role lacks the right, StateConflict (409) when no row was in
        a state the action starts from: the state never allowed it, or a concurrent caller won."""
        transition = self.ensure_can(actor, action)
        rows = self.model._default_manager.filter(pk=obj.pk, **{f"{self.field}__in": transition.sources})
        if where is not None:
            rows = rows.filter(where)
        target = {self.field: transition.target} if transition.target is not None else {}
        if not rows.update(**target, **(fields or {})):
            current = self.model._default_manager.filter(pk=obj.pk).values_list(self.field, flat=True).first()
            raise self._refusal(transition.conflict or self.conflict, transition, current)
        obj.refresh_from_db()
        return obj

    def _refusal(self, message: Any, transition: Transition, state: str | None) -> StateConflict:
        return StateConflict(
            str(message).format(action=transition.label or transition.action, status=self.state_label(state))
        )


def claim(
    table: TransitionTable[M],
    action: str,
    *,
    actor: Any,
    obj: M,
    fields: Mapping[str, Any] | None = None,
    where: Q | None = None,
) -> M:
    """The one claim helper: `action` of `table` moves `obj` for `actor`, or raises (403 / 409)."""
    return table.claim(action, actor=actor, obj=obj, fields=fields, where=where)


def allowed_actions(table: TransitionTable[M], obj: M, user: Any) -> list[str]:
    """The actions of `table` that `obj`'s current state allows and `user`'s role may take."""
    return table.allowed_actions(obj, user)
