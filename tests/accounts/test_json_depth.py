"""JSON bodies nested beyond a limit are refused with a Chinese reason before any view reads them."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_to_the_token_endpoint_is_refused_with_a_chinese_reason(api, city_user):
    api.raise_request_exception = False
    response = api.post("/api/v1/auth/token/", _nested(100_000), content_type="application/json")
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_json_nested_just_past_the_limit_is_refused_on_any_endpoint(api, city_user, settings):
    body = {"name": "修订草案", "parameters": json.loads(_nested(settings.API_JSON_MAX_DEPTH))}
    response = api.as_user(city_user).post(
        "/api/v1/grading-standards/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert "嵌套" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(api, city_user):
    text = "[" * 2000 + '\\"{' * 100
    response = api.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "alice", "password": text}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码不正确。"]}


def test_json_at_the_limit_is_read_as_usual(api, city_user, settings):
    inner: object = "x"
    for _ in range(settings.API_JSON_MAX_DEPTH - 1):
        inner = [inner]
    response = api.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "alice", "password": "correct-horse-battery", "extra": inner}),
        content_type="application/json",
    )
    assert response.status_code == 200


def test_every_api_view_reads_json_through_the_limited_parser():
    """A view that sets its own parser_classes must not bring back the unlimited JSON parser."""
    from django.urls import get_resolver
    from rest_framework.parsers import JSONParser as UnlimitedJSONParser
    from rest_framework.views import APIView

    from accounts.drf import JSONParser

    def views(resolver, prefix=""):  # type: ignore[no-untyped-def]
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), getattr(pattern.callback, "cls", None)

    checked, unlimited = 0, []
    for route, view in views(get_resolver()):
        if view is None or not issubclass(view, APIView):
            continue
        checked += 1
        for parser in view.parser_classes:
            if issubclass(parser, UnlimitedJSONParser) and not issubclass(parser, JSONParser):
                unlimited.append(route)
    assert checked > 50
    assert unlimited == []
