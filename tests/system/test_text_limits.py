"""Every free text a user can send has a length limit: in each HTML form, in each API request body, and
(tests/reporting/test_inputs.py) at the database write below them."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from django import forms
from drf_spectacular.generators import SchemaGenerator

APPS = ("accounts", "factories", "reporting", "cultivation")


def _all_forms() -> list[type[forms.BaseForm]]:
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)

    def subclasses(cls: type) -> list[type]:
        return [s for direct in cls.__subclasses__() for s in (direct, *subclasses(direct))]

    return [cls for cls in subclasses(forms.BaseForm) if cls.__module__.split(".")[0] in APPS]


def test_every_text_input_of_every_form_has_a_length_limit():
    found = _all_forms()
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in found
        for name, field in cls.base_fields.items()
        if isinstance(field, forms.CharField) and field.max_length is None
    ]
    assert len(found) > 20
    assert unbounded == []


# Strings that are looked up, not stored: a value is either an existing code or refused.
LOOKED_UP = {
    "EnterpriseRequest.district",
    "PatchedEnterpriseRequest.district",
    "UserCreateRequest.district",
    "UserUpdateRequest.district",
    "PatchedUserUpdateRequest.district",
}


def _request_strings(schema: dict[str, Any]) -> list[str]:
    """Writable string properties of every request body component (drf-spectacular's *Request split)."""
    found = []
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for prop, spec in component.get("properties", {}).items():
            free_text = spec.get("format") not in ("date", "date-time", "binary", "uri", "decimal")
            if spec.get("type") == "string" and not spec.get("readOnly") and "enum" not in spec and free_text:
                found.append((f"{name}.{prop}", spec))
            items = spec.get("additionalProperties") or spec.get("items")
            if isinstance(items, dict) and items.get("type") == "string" and "format" not in items:
                found.append((f"{name}.{prop}[]", items))
    return [name for name, spec in found if "maxLength" not in spec and name not in LOOKED_UP]


def test_every_text_an_api_request_carries_has_a_documented_length_limit():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert _request_strings(schema) == []
