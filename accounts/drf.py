"""DRF plumbing referenced from settings: pagination and error mapping (kept apart from the
viewsets so that importing DRF's generics does not import this module half-initialised)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.datacache import LargeTablePaginator
from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = LargeTablePaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


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
    return drf_exception_handler(exc, context)
