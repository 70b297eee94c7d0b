"""The audit trail. Services call `record` inside their transaction, so an entry exists exactly
when the write it describes was committed. Sign-ins, sign-outs, failures, lock-outs, password changes
and API tokens are recorded with `record_security_event` (accounts/signals.py, accounts/tokens.py).

On PostgreSQL the table is append-only: a trigger refuses every UPDATE and DELETE (migration
0004_auditentry_append_only), whichever role connects.

Chosen over django-simple-history because every write here already goes through a service that
knows *why* (a reason, a workflow step); state transitions use conditional `UPDATE`s and batches
use `bulk_create`, which model-history libraries do not see; and one table is simpler to browse,
filter and export than a shadow table per model.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from accounts.models import AuditEntry

# 《网络安全法》第二十一条: network logs are kept for at least six months. Nothing deletes audit rows today
# (the database refuses it, migration 0004); any future archiving must call check_retention first.
AUDIT_RETENTION_DAYS = 180


def check_retention(cutoff: dt.datetime, *, now: dt.datetime | None = None) -> None:
    """Refuse to remove audit rows written after `cutoff` unless all of them are at least
    AUDIT_RETENTION_DAYS old (raises ValueError)."""
    from django.utils import timezone

    oldest_allowed = (now or timezone.now()) - dt.timedelta(days=AUDIT_RETENTION_DAYS)
    if cutoff > oldest_allowed:
        raise ValueError(
            f"audit rows are kept at least {AUDIT_RETENTION_DAYS} days; refusing to remove rows newer than "
            f"{oldest_allowed:%Y-%m-%d}"
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs, as {field: [old, new]} in JSON-safe form."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in sorted(set(before) | set(after))
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of a model instance (FKs by id)."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    return {name: getattr(obj, name) for name in names}


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit entry for `obj`."""
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=(actor.get_username() if is_user else str(actor or "system"))[:150],
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        changes={
            k: [_plain(v) for v in pair] if isinstance(pair, list | tuple) else _plain(pair)
            for k, pair in (changes or {}).items()
        },
        reason=reason,
    )


def record_security_event(
    *,
    action: str,
    user: Any = None,
    username: str = "",
    address: str = "",
    detail: str = "",
    by_owner: bool = True,
) -> AuditEntry:
    """One security event of an account: the account (or the username tried), the client address, and a
    detail such as a token's first characters — never a password or a whole token. The account's owner
    is the actor unless `by_owner` is false (a failed sign-in: whoever typed it is unknown)."""
    known = user is not None and getattr(user, "pk", None) is not None
    name = (user.get_username() if known else username)[:150]
    return AuditEntry.objects.create(
        actor=user if known and by_owner else None,
        actor_name=name,
        action=action,
        object_type="accounts.user",
        object_id=str(user.pk) if known else "",
        object_repr=name,
        reason=" · ".join(part for part in (f"IP {address}" if address else "", detail) if part),
    )


# --- words for the trail (accounts/audit_trail.py renders entries with them) -------------------------
# Each app registers, when it is ready, the actions it records (as a verb phrase: 「审核通过」) and, where
# a model's own verbose names do not say it, labels and words for the fields its entries change. The
# accounts floor imports no app: the registries are filled from below, read here.

ACTION_LABELS: dict[str, Any] = {}
FIELD_LABELS: dict[tuple[str, str], Any] = {}
"""(object_type or "*", field) → label, for keys that are no model field (e.g. ``filters``)."""
VALUE_WORDS: dict[tuple[str, str], Any] = {}
"""(object_type or "*", field) → ``words(value, changes)``: a stored value in words (e.g. an export's kind;
``changes``, the entry's whole changes, for words that depend on another field)."""
OBJECT_NAMES: dict[str, Any] = {}
"""object_type → ``name(entry)``: the object's name where its stored text is not one a person reads."""
LINKS: dict[str, tuple[str, str]] = {}
"""object_type → (URL name taking the object's id, the right a viewer needs to open it)."""


def register_actions(labels: dict[str, Any]) -> None:
    """Name actions in words: ``{"submission.approve": gettext_lazy("审核通过")}``."""
    ACTION_LABELS.update(labels)


def register_fields(object_type: str, labels: dict[str, Any]) -> None:
    """Label change keys of ``object_type`` ("*": of any object) that are not a field of its model."""
    FIELD_LABELS.update({(object_type, key): label for key, label in labels.items()})


def register_values(object_type: str, field: str, words: Any) -> None:
    """How a stored value of ``field`` reads (``words(value, changes) -> str``), where the model's choices
    do not say it."""
    VALUE_WORDS[(object_type, field)] = words


def register_name(object_type: str, name: Any) -> None:
    """How an object of ``object_type`` is named in the trail (``name(entry) -> str``)."""
    OBJECT_NAMES[object_type] = name


def register_link(object_type: str, url_name: str, right: str) -> None:
    """Objects of ``object_type`` open at ``reverse(url_name, args=[id])`` for viewers holding ``right``."""
    LINKS[object_type] = (url_name, right)


def action_label(action: str) -> str:
    """The action in words; an action nobody registered shows as stored (a test keeps that from happening)."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
