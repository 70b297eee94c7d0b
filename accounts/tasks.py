"""Maintenance tasks."""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tokens import tokens_clear_expired


@shared_task(name="accounts.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Delete expired web sessions (daily, from beat). Returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(name="accounts.clear_expired_tokens")
def clear_expired_tokens() -> int:
    """Delete expired API tokens (daily, from beat). Returns how many were removed."""
    return tokens_clear_expired()
