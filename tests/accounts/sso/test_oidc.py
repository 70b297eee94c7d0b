"""Single sign-on end to end against the in-suite OpenID Connect provider (conftest.py): the code flow maps
the provider's identity to the one existing account by the configured claim, refuses every other case with
a Chinese message on the login page, and leaves each outcome in the audit trail."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.accounts.sso.conftest import Provider

# The live server answers from another thread, so the data is committed (and, like every transactional test
# here, the reference data is restored afterwards).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sign_on(provider: Provider, person: Any) -> Any:
    """The browser's side of the code flow: the person is signed in at the provider (the same process, so
    the same session), presses 「使用统一身份认证登录」 and follows every redirect, through the provider's
    authorize endpoint back to the platform's callback; the platform fetches the tokens, the signing keys
    and the user info from the live server over HTTP."""
    client = Client()
    client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
    login_page = client.get("/accounts/login/?next=/reporting/")
    # Signed in at the provider, so the login page sends the person home; its button is tested below.
    assert login_page.status_code == 302
    response, hops = follow(client, "/accounts/oidc/authenticate/")
    assert any(url.startswith(f"{provider.url}/authorize?") for url in hops), hops
    assert any("/accounts/oidc/callback/?code=" in url for url in hops), hops
    return client, response


def follow(client: Client, url: str) -> tuple[Any, list[str]]:
    """Follow redirects as a browser does, also to another host (the provider's authorize endpoint answers
    with a bare Location header, which the test client's own `follow` does not take)."""
    hops: list[str] = []
    response = client.get(url)
    while response.status_code in (301, 302, 303) and len(hops) < 10:
        url = response["Location"]
        hops.append(url)
        parts = urlsplit(url)
        where = {"SERVER_NAME": parts.hostname, "SERVER_PORT": str(parts.port or 80)} if parts.netloc else {}
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), **where)
    response.hops = hops
    return response, hops


def signed_in_as(client: Client) -> str | None:
    from django.contrib.auth import get_user

    user = get_user(client)  # type: ignore[arg-type]
    return user.get_username() if user.is_authenticated else None


def audit_rows(action: str) -> list[Any]:
    from accounts.models import AuditEntry

    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_an_enterprise_filler_signs_on_by_the_credit_code_of_the_enterprise(provider, enterprise_user):
    enterprise_user.must_change_password = True  # a temporary password the person never uses
    enterprise_user.save()
    person = provider.person("idp-dora", uscc=enterprise_user.enterprise.credit_code.lower())

    client, response = sign_on(provider, person)

    assert signed_in_as(client) == "dora"
    assert response.hops[-1] == "/"
    html = response.content.decode()
    assert response.status_code == 200
    assert "退出登录" in html
    # Signed on through the provider: not sent to change a local password it never typed.
    assert "/accounts/password/" not in response.hops[-1]
    assert client.get("/accounts/tokens/").status_code == 200
    [login] = [row for row in audit_rows("auth.login") if row.actor_name == "dora"]
    assert login.actor_id == enterprise_user.pk
    assert "single sign-on" in login.reason
    assert "IP " in login.reason


def test_an_official_signs_on_by_staff_id(provider, city_user):
    city_user.staff_id = "CQJX-0042"
    city_user.save()
    person = provider.person("idp-alice", staff_no="CQJX-0042")

    client, _response = sign_on(provider, person)

    assert signed_in_as(client) == "alice"
    assert any(row.actor_id == city_user.pk for row in audit_rows("auth.login"))


def _refused(client: Client, response: Any) -> str:
    assert signed_in_as(client) is None
    assert response.hops[-1] == "/accounts/login/"
    html = response.content.decode()
    assert "使用统一身份认证登录" in html
    return html


def test_an_identity_without_an_account_is_refused_and_audited(provider, city_user):
    city_user.staff_id = "CQJX-0042"
    city_user.save()
    person = provider.person("idp-stranger", staff_no="CQJX-9999")

    client, response = sign_on(provider, person)

    html = _refused(client, response)
    assert "平台上没有与您的身份对应的账户" in html
    [failed] = audit_rows("auth.login_failed")
    assert failed.actor_id is None
    assert failed.actor_name == "(single sign-on)"
    assert "no_account" in failed.reason and "staff_no=CQJX-9999" in failed.reason
    assert not [row for row in audit_rows("auth.login") if row.actor_name != "idp-stranger"]


def test_an_identity_without_the_configured_claims_is_refused(provider, city_user):
    person = provider.person("idp-anonymous", nickname="nobody")

    client, response = sign_on(provider, person)

    html = _refused(client, response)
    assert "没有提供可用于确定平台账户的信息" in html
    [failed] = audit_rows("auth.login_failed")
    assert "no_claim" in failed.reason


def test_a_deactivated_account_is_refused(provider, enterprise_user):
    enterprise_user.is_active = False
    enterprise_user.save()
    person = provider.person("idp-dora", uscc=enterprise_user.enterprise.credit_code)

    client, response = sign_on(provider, person)

    html = _refused(client, response)
    assert "对应的账户已停用" in html
    [failed] = audit_rows("auth.login_failed")
    assert failed.object_id == str(enterprise_user.pk)
    assert failed.actor_id is None  # whoever tried is not known to be the owner
    assert "inactive" in failed.reason


def test_two_accounts_for_one_identity_are_refused(provider, enterprise_user):
    from tests.model_factories import UserFactory

    UserFactory(username="dora2", role="enterprise", enterprise=enterprise_user.enterprise)
    person = provider.person("idp-dora", uscc=enterprise_user.enterprise.credit_code)

    client, response = sign_on(provider, person)

    html = _refused(client, response)
    assert "对应平台上的多个账户" in html
    [failed] = audit_rows("auth.login_failed")
    assert "ambiguous" in failed.reason


def test_a_locked_out_username_cannot_sign_on_either(provider, city_user, settings):
    city_user.staff_id = "CQJX-0042"
    city_user.save()
    password_client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    person = provider.person("idp-alice", staff_no="CQJX-0042")

    client, response = sign_on(provider, person)

    html = _refused(client, response)
    assert "账户已被暂时锁定" in html
    assert "locked" in audit_rows("auth.login_failed")[-1].reason


def test_a_session_ends_when_its_account_is_deactivated(provider, enterprise_user):
    person = provider.person("idp-dora", uscc=enterprise_user.enterprise.credit_code)
    client, _response = sign_on(provider, person)
    assert signed_in_as(client) == "dora"

    enterprise_user.is_active = False
    enterprise_user.save()

    assert client.get("/").status_code == 302
    assert signed_in_as(client) is None


def test_a_callback_this_browser_did_not_start_is_refused(provider, city_user):
    client = Client()
    response, _hops = follow(client, "/accounts/oidc/callback/?code=forged&state=forged")

    html = _refused(client, response)
    assert "统一身份认证未能完成" in html
    [failed] = audit_rows("auth.login_failed")
    assert "unknown state" in failed.reason


def test_the_login_page_offers_single_sign_on_when_configured(provider):
    html = Client().get("/accounts/login/?next=/reporting/").content.decode()
    assert "使用统一身份认证登录" in html
    assert 'href="/accounts/oidc/authenticate/?next=/reporting/"' in html
