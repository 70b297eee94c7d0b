"""Remove an account's two-factor devices when both its phone and its recovery codes are lost.

Staff who must use two-factor sign-in set it up again at their next sign-in. Audited as `auth.2fa_reset`.
"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.twofactor import twofactor_reset


class Command(BaseCommand):
    help = "Remove the two-factor devices (authenticator and recovery codes) of one account."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        try:
            operator = getpass.getuser()
        except Exception:
            operator = "unknown"
        removed = twofactor_reset(user=user, operator=operator)
        self.stdout.write(
            f"{username}: two-factor devices removed ({removed} rows); set up again at next sign-in"
        )
