"""In-app notifications, also sent by e-mail after the transaction commits (DOMAIN §5).

Every app notifies through `notify`; what a workflow says and to whom stays with that workflow.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from accounts.models import Notification

logger = logging.getLogger(__name__)


def notify(users: Iterable[Any], *, kind: str, key: str, title: str, body: str = "", url: str = "") -> int:
    """Create one notification per user (once per key) and e-mail it after commit. Returns how many were new."""
    created: list[Notification] = []
    for user in users:
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        user=user, kind=kind, key=key, title=title, body=body, url=url
                    )
                )
        except IntegrityError:
            continue  # already notified under this key (e.g. the reminder task ran twice)
    recipients = [n.user.email for n in created if n.user.email]
    if recipients:
        transaction.on_commit(lambda: _send(recipients, title, body, url))
    return len(created)


def _send(recipients: list[str], title: str, body: str, url: str) -> None:
    text = body + (f"\n\n{url}" if url else "")
    try:
        send_mail(
            f"[{settings.PLATFORM_NAME}] {title}",
            text,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
            fail_silently=False,
        )
    except Exception:  # the in-app notification stands even if the mail server is down
        logger.exception("notification e-mail to %s failed", recipients)
