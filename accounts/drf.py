"""DRF plumbing referenced from settings: the JSON parser, pagination and error mapping (kept apart
from the viewsets so that importing DRF's generics does not import this module half-initialised)."""

from __future__ import annotations

import codecs
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, parsers, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.utils import json

from accounts.datacache import LargeTablePaginator
from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict


def json_depth(value: Any, limit: int) -> int:
    """How deep arrays and objects nest in a parsed JSON value, counting stops once past `limit`.

    Iterative, so measuring cannot itself run out of stack; a scalar has depth 0.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        stack.extend((child, depth) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    """JSON bodies of every endpoint: at most `API_JSON_MAX_DEPTH` levels of nesting, refused with 400
    and a reason otherwise.

    No payload of this API nests more than a few levels; without a limit a deeply nested body makes
    Python's decoder raise RecursionError (a 500, and the same depth would break every later
    json.dumps of the value). The decoder's own recursion guard is caught, then the parsed value is
    measured without recursion.
    """

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        max_depth = settings.API_JSON_MAX_DEPTH
        too_deep = _("JSON 嵌套层级过深（最多 {n} 层），请求已拒绝。").format(n=max_depth)
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError as exc:
            raise ParseError(too_deep) from exc
        except ValueError as exc:
            raise ParseError(_("请求正文不是有效的 JSON：{error}").format(error=exc)) from exc
        if json_depth(data, max_depth) > max_depth:
            raise ParseError(too_deep)
        return data


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = LargeTablePaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    unfiltering = ("page", "page_size", "ordering", "format")
    """Query parameters that do not narrow a list: with no other, a viewset's `known_total` gives the count."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        known = getattr(view, "known_total", None)
        narrowed = any(
            value
            for key, values in request.query_params.lists()
            if key not in self.unfiltering
            for value in values
        )
        total = known() if known is not None and not narrowed else None
        if total is not None:
            self.django_paginator_class = partial(LargeTablePaginator, total=total)  # type: ignore[assignment]
        return super().paginate_queryset(queryset, request, view)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map domain errors to the statuses of API.md: 400 per field, 403, 409."""
    if isinstance(exc, InvalidInput):
        body = {k: [str(m) for m in v] for k, v in exc.field_errors.items()} or {
            "non_field_errors": [str(exc.message)]
        }
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc.message)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, StateConflict):
        return Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc.message)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    # DRF's views module is imported here, not at the top: its APIView reads DEFAULT_PARSER_CLASSES (this
    # module) while its class body runs, so a top-level import made this module half-initialised whenever
    # DRF's settings were the first to load it (Django runs its system checks in no fixed order).
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 400 and isinstance(response.data, list):
        # A validation error raised without a field (e.g. a query parameter holding a NUL character, refused
        # by a filter's form) keeps API.md's shape: errors by field, `non_field_errors` for the rest.
        response.data = {"non_field_errors": response.data}
    return response
