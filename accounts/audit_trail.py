"""The audit trail as people read it: each entry as a sentence in words, Beijing time throughout.

「2026-12-01 15:20 渝中区经信委 张三 审核通过了 重庆某某公司 2025年度数据（状态：已提交 → 区县审核通过）」

Actions, field labels and value words come from the registries of accounts/audit.py (filled by each app
when it is ready) and from the models themselves (verbose names, choices, foreign keys). Used by the
audit page (accounts/views.py) and its Excel export (accounts/exports_audit.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit, exports
from accounts.models import AuditEntry, Role

DEMO_ACTOR = "seed_demo"
DEMO_REASON_PREFIX = "演示数据"
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
MAX_VALUE_CHARS = 200

FILTER_KEYS = ("object_type", "object_id", "object", "actor", "unit", "action", "since", "until", "q", "demo")
"""The trail's filters, the same on the page and in its export."""

SYSTEM_NAMES = {"system": gettext_lazy("系统"), "": gettext_lazy("系统")}


def demo_only() -> Q:
    """Entries the demo seeding wrote: not the work of anyone on the platform."""
    return Q(actor_name=DEMO_ACTOR) | Q(reason__startswith=DEMO_REASON_PREFIX) | Q(action__startswith="demo.")


def trail(user: Any) -> QuerySet[AuditEntry]:
    """The entries ``user`` may read, with what their sentences need, newest first."""
    return (
        AuditEntry.objects.visible_to(user)
        .select_related("actor__district", "actor__enterprise")
        .order_by("-at", "-id")
    )


def filter_trail(queryset: QuerySet[AuditEntry], params: Any) -> QuerySet[AuditEntry]:
    """Narrow by the page's filters (a mapping of strings): object type and object (an id or part of its
    name), actor, unit, action, date range and a keyword; demo-only entries unless ``demo`` is asked for."""

    def get(key: str) -> str:
        return str(params.get(key) or "").strip()

    if not get("demo"):
        queryset = queryset.exclude(demo_only())
    if q := get("q"):
        queryset = queryset.filter(
            Q(object_repr__icontains=q) | Q(actor_name__icontains=q) | Q(reason__icontains=q)
        )
    if action := get("action"):
        queryset = queryset.filter(action__startswith=action)
    if object_type := get("object_type"):
        queryset = queryset.filter(object_type=object_type)
    if object_id := get("object_id"):
        queryset = queryset.filter(object_id=object_id)
    if obj := get("object"):
        queryset = queryset.filter(Q(object_id=obj) | Q(object_repr__icontains=obj))
    if actor := get("actor"):
        queryset = queryset.filter(
            Q(actor_name__icontains=actor)
            | Q(actor__first_name__icontains=actor)
            | Q(actor__last_name__icontains=actor)
        )
    if unit := get("unit"):
        queryset = queryset.filter(
            Q(actor__district__name__icontains=unit) | Q(actor__enterprise__name__icontains=unit)
        )
    for key, lookup in (("since", "at__date__gte"), ("until", "at__date__lte")):
        try:
            day = dt.date.fromisoformat(get(key))
        except ValueError:
            continue
        queryset = queryset.filter(**{lookup: day})
    return queryset


# --- words ---------------------------------------------------------------------------------------------


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> models.Field | None:
    if model is None:
        return None
    for candidate in model._meta.concrete_fields:
        if key in (candidate.name, candidate.attname):
            return candidate
    return None


def object_type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def field_label(object_type: str, key: str) -> str:
    """The change key as a label: registered, else the model field's verbose name, else an export filter's
    label, else the key itself (an indicator code such as RH-01, which the forms show as it is)."""
    for scope in (object_type, "*"):
        label = audit.FIELD_LABELS.get((scope, key))
        if label is not None:
            return str(label)
    model_field = _field(_model(object_type), key)
    if model_field is not None:
        return str(model_field.verbose_name)
    if key in exports.FILTER_LABELS:
        return str(exports.FILTER_LABELS[key])
    return key


def _local(moment: dt.datetime) -> str:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def plain_words(value: Any, object_type: str = "*") -> str:
    """A value with no field to say more: booleans 是/否, nothing 空, times in Beijing time, lists and
    dicts spelled out (a dict's keys as labels)."""
    if value is None or value == "":
        return _("空")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.datetime):
        return _local(value)
    if isinstance(value, str) and ISO_DATETIME.match(value):
        try:
            return _local(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(object_type, str(k))}：{value_words(object_type, str(k), v, {})}"
            for k, v in value.items()
        ) or _("空")
    if isinstance(value, list | tuple):
        return "、".join(plain_words(v, object_type) for v in value) or _("空")
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def value_words(
    object_type: str,
    key: str,
    value: Any,
    names: dict[tuple[str, str], str],
    changes: dict[str, Any] | None = None,
) -> str:
    """A stored value in words: registered words, the field's choice label, a related object's name
    (looked up beforehand into ``names``), else `plain_words`."""
    if value is None or value == "":
        return _("空")
    for scope in (object_type, "*"):
        words = audit.VALUE_WORDS.get((scope, key))
        if words is not None:
            return str(words(value, changes or {}))
    model_field = _field(_model(object_type), key)
    if model_field is not None:
        if model_field.choices:
            choices = {str(k): v for k, v in model_field.flatchoices}
            if str(value) in choices:
                return str(choices[str(value)])
        if model_field.is_relation and model_field.related_model is not None:
            name = names.get((model_field.related_model._meta.label_lower, str(value)))
            if name is not None:
                return name
    return plain_words(value, object_type)


def _related_wanted(entries: Iterable[AuditEntry]) -> dict[type[models.Model], set[str]]:
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        model = _model(entry.object_type)
        if model is None or not isinstance(entry.changes, dict):
            continue
        for key, pair in entry.changes.items():
            model_field = _field(model, key)
            if model_field is None or not model_field.is_relation or model_field.related_model is None:
                continue
            values = pair if isinstance(pair, list | tuple) else [pair]
            for value in values:
                if value not in (None, "") and not isinstance(value, dict | list):
                    wanted[model_field.related_model].add(str(value))  # type: ignore[index]
    return wanted


def related_names(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], str]:
    """The names of the objects the changes of ``entries`` refer to by id: one query per related model."""
    names: dict[tuple[str, str], str] = {}
    for model, ids in _related_wanted(entries).items():
        pk = model._meta.pk
        clean = []
        for value in ids:
            try:
                clean.append(pk.to_python(value))  # type: ignore[union-attr]
            except Exception:
                continue
        label = model._meta.label_lower
        for obj in model._default_manager.filter(pk__in=clean):
            names[(label, str(obj.pk))] = str(obj)
    return names


# --- the entry as a sentence ---------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    old: str | None
    new: str

    def __str__(self) -> str:
        if self.old is None:
            return _("{label}：{new}").format(label=self.label, new=self.new)
        return _("{label}：{old} → {new}").format(label=self.label, old=self.old, new=self.new)


@dataclass
class Line:
    """One entry in words."""

    entry: AuditEntry
    when: str
    unit: str
    actor: str
    action: str
    object_type: str
    object: str
    url: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_text(self) -> str:
        return _("；").join(str(change) for change in self.changes)

    @property
    def sentence(self) -> str:
        head = " ".join(part for part in (self.when, self.unit, self.actor) if part)
        text = (
            _("{head} {action}了 {object}").format(head=head, action=self.action, object=self.object).strip()
        )
        return _("{text}（{changes}）").format(text=text, changes=self.changes_text) if self.changes else text


def object_name(entry: AuditEntry) -> str:
    """The object as stored when it was written (its name then), or as its app names such objects; nothing
    when someone's sign-in, password or token event concerns their own account (「张三 登录了」)."""
    own = entry.object_type == "accounts.user" and entry.actor_id and entry.object_id == str(entry.actor_id)
    if own and entry.action.startswith(("auth.", "token.")):
        return ""
    name = audit.OBJECT_NAMES.get(entry.object_type)
    if name is not None:
        try:
            return str(name(entry))
        except Exception:
            return entry.object_repr
    return entry.object_repr


def actor_words(entry: AuditEntry) -> tuple[str, str]:
    """(unit, name) of whoever acted: a district's or an enterprise's name, or the city bureau."""
    user = entry.actor
    if user is None:
        name = entry.actor_name
        return "", str(SYSTEM_NAMES.get(name, name))
    if user.district_id and user.district is not None:
        unit = _("{district}经信委").format(district=user.district.name)
    elif user.enterprise_id and user.enterprise is not None:
        unit = user.enterprise.name
    else:
        unit = str(Role(user.role).label) if user.role in Role.values else ""
    return unit, user.get_full_name() or user.get_username()


def link(viewer: Any, entry: AuditEntry) -> str:
    """The object's page when the viewer may open it: a registered page, a right the viewer holds, and
    the whole city in scope (the trail shows no other viewer a link it would have to check row by row)."""
    from accounts.permissions import can

    target = audit.LINKS.get(entry.object_type)
    if target is None or not entry.object_id or not getattr(viewer, "sees_whole_city", False):
        return ""
    url_name, right = target
    if not can(viewer, right):
        return ""
    try:
        return reverse(url_name, args=[entry.object_id])
    except NoReverseMatch:
        return ""


def lines(entries: Iterable[AuditEntry], viewer: Any = None) -> list[Line]:
    """The entries in words (their related names fetched once for all of them)."""
    entries = list(entries)
    names = related_names(entries)
    result = []
    for entry in entries:
        unit, actor = actor_words(entry)
        changes = []
        for key, pair in (entry.changes or {}).items():
            label = field_label(entry.object_type, key)
            if isinstance(pair, list | tuple) and len(pair) == 2:
                old = value_words(entry.object_type, key, pair[0], names, entry.changes)
                new = value_words(entry.object_type, key, pair[1], names, entry.changes)
                if old != new:  # e.g. nothing → an empty list: no change a person would see
                    changes.append(Change(label, old, new))
            else:
                changes.append(
                    Change(label, None, value_words(entry.object_type, key, pair, names, entry.changes))
                )
        result.append(
            Line(
                entry=entry,
                when=_local(entry.at),
                unit=unit,
                actor=actor,
                action=audit.action_label(entry.action),
                object_type=object_type_label(entry.object_type),
                object=object_name(entry),
                url=link(viewer, entry) if viewer is not None else "",
                changes=changes,
            )
        )
    return result
