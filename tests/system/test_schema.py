"""The OpenAPI schema tells integrators every answer they can get: the errors of API.md where they can occur,
and null wherever a field can be null."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

WRITES = ("post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", *WRITES)
    ]


def _needs_sign_in(operation: dict[str, Any]) -> bool:
    """drf-spectacular lists the accepted credentials; an empty requirement means none is needed."""
    security = operation.get("security", [])
    return bool(security) and {} not in security


def _detail_schema(schema: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_every_signed_in_operation_documents_401_and_403(schema):
    missing = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(schema)
        if _needs_sign_in(operation) and not {"401", "403"} <= set(operation["responses"])
    ]
    assert missing == []


def test_every_operation_on_a_named_object_or_a_page_documents_404(schema):
    missing = []
    for method, path, operation in _operations(schema):
        names_object = any(p["in"] == "path" for p in operation.get("parameters", []))
        paged = any(p["name"] == "page" for p in operation.get("parameters", []))
        if (names_object or paged) and "404" not in operation["responses"]:
            missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_every_write_of_a_signed_in_user_documents_409_and_400(schema):
    missing = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(schema)
        if method in WRITES
        and _needs_sign_in(operation)
        and not {"400", "409"} <= set(operation["responses"])
    ]
    assert missing == []


def test_the_error_answers_have_the_shape_the_api_sends(schema):
    submit = schema["paths"]["/api/v1/submissions/{id}/submit/"]["post"]["responses"]
    for code in ("401", "403", "404", "409"):
        assert _detail_schema(schema, submit[code])["required"] == ["detail"]
        assert submit[code]["description"]
    create = schema["paths"]["/api/v1/submissions/"]["post"]["responses"]
    assert _detail_schema(schema, create["400"])["type"] == "object"


def test_the_token_endpoint_documents_its_own_answers_only(schema):
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"200", "400", "429"} <= set(responses)
    assert not {"401", "403", "409"} & set(responses)


# --- nullability ------------------------------------------------------------------------------------


def _serializers_of_the_api() -> dict[str, type[serializers.Serializer]]:
    from config.api_router import router

    found: dict[str, type[serializers.Serializer]] = {}
    for _prefix, viewset, _basename in router.registry:
        candidates = [getattr(viewset, "serializer_class", None)]
        candidates += [
            getattr(getattr(viewset, name), "kwargs", {}).get("serializer_class")
            for name in dir(viewset)
            if hasattr(getattr(viewset, name, None), "mapping")
        ]
        for serializer_class in candidates:
            if serializer_class is not None:
                found[serializer_class.__name__] = serializer_class
    from accounts.serializers import MeSerializer
    from factories.grading.serializers import GradingResultSerializer

    found.update(MeSerializer=MeSerializer, GradingResultSerializer=GradingResultSerializer)
    return found


def _can_be_null(model: Any, source: str) -> bool:
    """Whether following `source` from a model instance can end on None (a nullable field or relation)."""
    for name in source.split("."):
        try:
            field = model._meta.get_field(name)
        except (FieldDoesNotExist, AttributeError):
            return False  # a property or method: its annotation is the serializer's business
        if getattr(field, "null", False):
            return True
        model = field.related_model
        if model is None:
            return False
    return False


def test_a_read_only_field_that_can_be_null_is_declared_nullable():
    """A `default=None` or a nullable model field behind a read-only serializer field reaches clients as null;
    without `allow_null` the schema promises a value (found by schemathesis' response-schema check)."""
    undeclared = []
    for name, serializer_class in _serializers_of_the_api().items():
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        for field_name, field in serializer_class().fields.items():
            if (
                not field.read_only
                or field.allow_null
                or isinstance(field, serializers.SerializerMethodField)
            ):
                continue
            source = field.source or field_name
            from_default = field.default is None
            if from_default or (model is not None and source != "*" and _can_be_null(model, source)):
                undeclared.append(f"{name}.{field_name}")
    assert undeclared == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/audit/-2.5e-13/", "/api/v1/submissions/1.5/submit/", "/api/v1/nothing/"]
)
def test_a_path_no_api_route_matches_answers_404_in_json_as_documented(api, city_user, path):
    """The schema documents JSON error bodies; a malformed id never reaches a DRF view, so the answer comes
    from the URL resolver and must have the same shape."""
    response = api.as_user(city_user).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


@pytest.mark.django_db
def test_a_page_no_route_matches_still_answers_an_html_404(client):
    response = client.get("/reporting/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
