"""Password rules beyond Django's own validators."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class UsernameRepeatedValidator:
    """Refuse a password in which the username occurs twice or more (`lockmixlockmix` for `lockmix`).

    Django's similarity check compares the whole password with the username, so the username written
    twice is only two-thirds "similar" and passes; a guesser tries exactly such passwords first.
    """

    message = _("密码不能由用户名重复组成。")
    code = "password_username_repeated"
    # Shorter usernames occur by chance inside unrelated passwords.
    min_username_length = 3

    def validate(self, password: str, user: Any = None) -> None:
        username = str(getattr(user, "username", "") or "").casefold()
        if len(username) < self.min_username_length:
            return
        if password.casefold().count(username) >= 2:
            raise ValidationError(self.message, code=self.code)

    def get_help_text(self) -> str:
        return str(self.message)
