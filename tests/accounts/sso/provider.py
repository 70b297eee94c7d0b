"""The in-suite identity provider's directory: what it asserts about each person it signs in.

django-oidc-provider runs in the same Django process as the platform, so the people it signs in are rows
of the same user table; they are named `idp-…` and hold no role the tests use. Each one's claims (the
unified social credit code of an enterprise's filler, the staff ID of an official) are listed here and
released with the `greenfactory` scope, as a real city identity provider would release them.
"""

from __future__ import annotations

from typing import Any

from oidc_provider.lib.claims import ScopeClaims

DIRECTORY: dict[str, dict[str, Any]] = {}


class DirectoryClaims(ScopeClaims):
    info_greenfactory = ("绿色工厂平台", "统一社会信用代码或工号")

    def scope_greenfactory(self) -> dict[str, Any]:
        return dict(DIRECTORY.get(self.user.username, {}))
