"""A real OpenID Connect provider inside the suite: django-oidc-provider, installed only here, served by
pytest-django's live_server in the same process as the platform (the relying party).

The browser side of the code flow is Django's test client following redirects (the provider's authorize
endpoint and the platform's callback); the platform's back-channel requests (token, JWKS, userinfo) go over
real HTTP to the live server. Nothing of the exchange is mocked.

The provider's tables exist only while a test uses it: they are created at the start and dropped at the
end, before the transactional test's flush, so no other test sees the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.accounts.sso import provider as directory

CLIENT_ID = "greenfactory-platform"
CLIENT_SECRET = "in-suite-provider-secret-0123456789"
CALLBACK = "http://testserver/accounts/oidc/callback/"


@dataclass
class Provider:
    url: str

    def person(self, username: str, **claims: Any) -> Any:
        """Someone the provider knows and has signed in, asserting these claims."""
        from tests.model_factories import UserFactory

        directory.DIRECTORY[username] = claims
        return UserFactory(username=username, role="auditor")


def sso_settings(issuer: str) -> dict[str, Any]:
    """What the environment would set (config/settings.py turns these variables into these settings)."""
    from django.conf import settings

    return {
        "OIDC_ENABLED": True,
        "OIDC_RP_CLIENT_ID": CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{issuer}/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": f"{issuer}/token",
        "OIDC_OP_USER_ENDPOINT": f"{issuer}/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": f"{issuer}/jwks",
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_RP_SCOPES": "openid greenfactory",
        "OIDC_ACCOUNT_CLAIMS": [("uscc", "credit_code"), ("staff_no", "staff_id")],
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": 10,
        "OIDC_CREATE_USER": False,
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:oidc_callback",
        "AUTHENTICATION_BACKENDS": [*settings.AUTHENTICATION_BACKENDS, "accounts.oidc.AccountClaimBackend"],
    }


@pytest.fixture
def provider(live_server: Any) -> Iterator[Provider]:
    from django.conf import settings

    issuer = f"{live_server.url}/openid"
    installed = override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "oidc_provider"],
        ROOT_URLCONF="tests.accounts.sso.urls",
        OIDC_EXTRA_SCOPE_CLAIMS="tests.accounts.sso.provider.DirectoryClaims",
        SITE_URL=live_server.url,
        **sso_settings(issuer),
    )
    installed.enable()
    try:
        _create_provider_tables()
        call_command("creatersakey", verbosity=0)
        from oidc_provider.models import Client, ResponseType

        code_flow = ResponseType.objects.create(value="code", description="code (Authorization Code Flow)")

        client = Client.objects.create(
            name="绿色工厂平台",
            client_type="confidential",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            jwt_alg="RS256",
            require_consent=False,
        )
        # The test client's host, and the live server's for a real browser (tests/browser/test_sso.py).
        client.redirect_uris = [CALLBACK, f"{live_server.url}/accounts/oidc/callback/"]
        client.save()
        client.response_types.add(code_flow)
        yield Provider(url=issuer)
    finally:
        directory.DIRECTORY.clear()
        _drop_provider_tables()
        installed.disable()


def _provider_models() -> list[Any]:
    from django.apps import apps

    return list(apps.get_app_config("oidc_provider").get_models())


def _create_provider_tables() -> None:
    """The provider's tables as its models define them, parents first. (Running its 27 migrations takes a
    quarter of a minute per test against this project's migration graph; the schema is the same.)"""
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in _provider_models():
            editor.create_model(model)


def _drop_provider_tables() -> None:
    from django.db import connection

    with connection.schema_editor() as editor:
        for model in reversed(_provider_models()):
            editor.delete_model(model)
