"""Managing accounts from the platform (issue 14): the city opens staff accounts, a district the fillers of
its unit's enterprises; deactivation, reactivation and password resets, each audited with its reason.

The users endpoint and pages live on the registry floor (factories/api.py, factories/views_users.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AuditEntry, User
from accounts.tokens import token_issue

PASSWORD = "correct-horse-battery"
USERS = "/api/v1/users/"


def _audit(user: User, action: str) -> AuditEntry:
    return AuditEntry.objects.get(object_type="accounts.user", object_id=str(user.pk), action=action)


def _signs_in(username: str, password: str) -> bool:
    return Client().post("/accounts/login/", {"username": username, "password": password}).status_code == 302


def _gets_token(api, username: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    api.force_authenticate(user=None)
    return api.post("/api/v1/auth/token/", {"username": username, "password": password}).status_code == 200


# --- creating accounts ---------------------------------------------------------------------------------


def test_the_city_creates_a_district_account_with_a_temporary_password_shown_once(api, city_user, jiangjin):
    response = api.as_user(city_user).post(
        USERS, {"username": "jiangjin-clerk", "role": "district", "district": "500116"}, format="json"
    )
    assert response.status_code == 201, response.content
    password = response.json()["temporary_password"]
    clerk = User.objects.get(username="jiangjin-clerk")
    assert (clerk.role, clerk.district_id) == ("district", "500116")
    assert clerk.check_password(password)
    assert _audit(clerk, "user.create").actor == city_user
    assert "temporary_password" not in api.get(f"{USERS}{clerk.pk}/").json()


def test_a_district_creates_a_second_filler_for_an_enterprise_of_its_unit(
    api, district_user, enterprise, enterprise_user
):
    response = api.as_user(district_user).post(
        USERS, {"username": "dora2", "role": "enterprise", "enterprise": enterprise.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert User.objects.filter(enterprise=enterprise).count() == 2
    temporary = response.json()["temporary_password"]
    assert _signs_in("dora2", temporary)
    # A password someone else chose opens no API token until its owner has replaced it.
    assert not _gets_token(api, "dora2", temporary)
    assert User.objects.get(username="dora2").must_change_password


def test_a_district_cannot_create_a_filler_for_another_districts_enterprise(
    api, district_user, jiangjin_enterprise
):
    response = api.as_user(district_user).post(
        USERS, {"username": "x", "role": "enterprise", "enterprise": jiangjin_enterprise.pk}, format="json"
    )
    assert response.status_code == 400
    assert "enterprise" in response.json()
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x", "role": "district", "district": "500103"},
        {"username": "x", "role": "city"},
        {"username": "x", "role": "auditor"},
    ],
)
def test_a_district_cannot_create_an_account_above_an_enterprise_filler(api, district_user, body):
    assert api.as_user(district_user).post(USERS, body, format="json").status_code == 403
    assert not User.objects.filter(username="x").exists()


def test_the_city_does_not_create_enterprise_fillers(api, city_user, enterprise):
    """Fillers are added by their district (issue 14); the console's add_user remains for operators."""
    response = api.as_user(city_user).post(
        USERS, {"username": "x", "role": "enterprise", "enterprise": enterprise.pk}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["enterprise_user", "auditor"])
def test_enterprise_users_and_auditors_may_not_manage_accounts(api, persona, request, other_enterprise_user):
    user = request.getfixturevalue(persona)
    client = api.as_user(user)
    assert client.post(USERS, {"username": "x", "role": "auditor"}, format="json").status_code == 403
    target = other_enterprise_user.pk
    assert client.post(f"{USERS}{target}/deactivate/", {"reason": "r"}, format="json").status_code == 403
    assert client.post(f"{USERS}{target}/reset-password/", {"reason": "r"}, format="json").status_code == 403
    assert client.patch(f"{USERS}{target}/", {"first_name": "x"}, format="json").status_code == 403
    assert Client().get("/accounts/users/").status_code == 302  # anonymous: sign in
    page = Client()
    page.force_login(user)
    assert page.get("/accounts/users/").status_code == 403
    assert page.get(f"/accounts/users/{target}/").status_code == 403


# --- scope ---------------------------------------------------------------------------------------------


def test_a_district_sees_its_units_fillers_but_not_another_districts_nor_city_staff(
    api, district_user, enterprise_user, other_district_user, city_user, auditor, jiangjin_enterprise
):
    from tests.model_factories import UserFactory

    jiangjin_filler = UserFactory(username="jj", role="enterprise", enterprise=jiangjin_enterprise)
    listed = {u["username"] for u in api.as_user(district_user).get(USERS).json()["results"]}
    assert listed == {"bob", "dora"}
    for other in (other_district_user, jiangjin_filler, city_user, auditor):
        assert api.get(f"{USERS}{other.pk}/").status_code == 404
        assert api.post(f"{USERS}{other.pk}/deactivate/", {"reason": "r"}, format="json").status_code == 404
        assert (
            api.post(f"{USERS}{other.pk}/reset-password/", {"reason": "r"}, format="json").status_code == 404
        )
        assert api.patch(f"{USERS}{other.pk}/", {"first_name": "x"}, format="json").status_code == 404
    page = Client()
    page.force_login(district_user)
    assert page.get(f"/accounts/users/{jiangjin_filler.pk}/").status_code == 404
    assert page.get(f"/accounts/users/{city_user.pk}/deactivate/").status_code == 404
    assert page.post(f"/accounts/users/{jiangjin_filler.pk}/deactivate/", {"reason": "r"}).status_code == 404
    jiangjin_filler.refresh_from_db()
    assert jiangjin_filler.is_active


def test_the_list_searches_and_filters(api, city_user, district_user, enterprise_user, auditor):
    client = api.as_user(city_user)
    assert [u["username"] for u in client.get(USERS, {"q": "dor"}).json()["results"]] == ["dora"]
    assert [u["username"] for u in client.get(USERS, {"role": "auditor"}).json()["results"]] == ["frank"]
    by_unit = {u["username"] for u in client.get(USERS, {"district": "500103"}).json()["results"]}
    assert by_unit == {"bob", "dora"}
    assert client.get(USERS, {"is_active": "false"}).json()["count"] == 0


def test_a_district_moves_a_filler_to_another_enterprise_of_its_unit_with_a_reason(
    api, district_user, enterprise_user, other_enterprise, jiangjin_enterprise
):
    client = api.as_user(district_user)
    url = f"{USERS}{enterprise_user.pk}/"
    assert client.patch(url, {"enterprise": other_enterprise.pk}, format="json").json() == {
        "reason": ["请填写原因。"]
    }
    assert (
        client.patch(url, {"enterprise": jiangjin_enterprise.pk, "reason": "r"}, format="json").status_code
        == 400
    )
    response = client.patch(url, {"enterprise": other_enterprise.pk, "reason": "调往分公司"}, format="json")
    assert response.status_code == 200, response.content
    enterprise_user.refresh_from_db()
    assert enterprise_user.enterprise_id == other_enterprise.pk
    entry = _audit(enterprise_user, "user.update")
    assert entry.reason == "调往分公司"
    assert entry.changes["enterprise_id"][1] == other_enterprise.pk


def test_a_district_cannot_raise_a_filler_to_a_district_account(api, district_user, enterprise_user):
    response = api.as_user(district_user).patch(
        f"{USERS}{enterprise_user.pk}/",
        {"role": "district", "district": "500103", "enterprise": None, "reason": "升职"},
        format="json",
    )
    assert response.status_code == 403
    enterprise_user.refresh_from_db()
    assert enterprise_user.role == "enterprise"


def test_the_city_turns_a_district_account_into_an_auditor_with_a_reason(api, city_user, other_district_user):
    response = api.as_user(city_user).patch(
        f"{USERS}{other_district_user.pk}/",
        {"role": "auditor", "district": None, "reason": "调任市审计"},
        format="json",
    )
    assert response.status_code == 200, response.content
    other_district_user.refresh_from_db()
    assert (other_district_user.role, other_district_user.district_id) == ("auditor", None)
    assert _audit(other_district_user, "user.update").reason == "调任市审计"


def test_nobody_changes_their_own_role(api, city_user):
    response = api.as_user(city_user).patch(
        f"{USERS}{city_user.pk}/", {"role": "auditor", "reason": "r"}, format="json"
    )
    assert response.status_code == 403


# --- deactivation, reactivation, reset ----------------------------------------------------------------


def test_a_deactivated_filler_can_sign_in_neither_by_page_nor_by_token_until_reactivated(
    api, district_user, enterprise_user
):
    _token, key = token_issue(user=enterprise_user)
    session = Client()
    session.force_login(enterprise_user)
    assert session.get("/").status_code == 200
    client = api.as_user(district_user)
    assert client.post(f"{USERS}{enterprise_user.pk}/deactivate/", {}, format="json").json() == {
        "reason": ["请填写原因。"]
    }
    response = client.post(f"{USERS}{enterprise_user.pk}/deactivate/", {"reason": "已离职"}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert _audit(enterprise_user, "user.deactivate").reason == "已离职"
    assert (
        client.post(f"{USERS}{enterprise_user.pk}/deactivate/", {"reason": "x"}, format="json").status_code
        == 409
    )

    assert session.get("/").status_code == 302  # the open session ends
    assert not _signs_in("dora", PASSWORD)
    assert not _gets_token(api, "dora", PASSWORD)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401
    api.credentials()

    client = api.as_user(district_user)
    response = client.post(f"{USERS}{enterprise_user.pk}/reactivate/", {"reason": "重新入职"}, format="json")
    assert response.status_code == 200
    assert _audit(enterprise_user, "user.reactivate").reason == "重新入职"
    assert _signs_in("dora", PASSWORD)
    assert _gets_token(api, "dora", PASSWORD)


def test_nobody_deactivates_themselves(api, city_user):
    response = api.as_user(city_user).post(
        f"{USERS}{city_user.pk}/deactivate/", {"reason": "r"}, format="json"
    )
    assert response.status_code == 403
    city_user.refresh_from_db()
    assert city_user.is_active


def test_a_password_reset_gives_a_working_temporary_password_and_ends_the_old_one_and_the_tokens(
    api, city_user, other_district_user
):
    _token, key = token_issue(user=other_district_user)
    response = api.as_user(city_user).post(
        f"{USERS}{other_district_user.pk}/reset-password/", {"reason": "忘记密码"}, format="json"
    )
    assert response.status_code == 200
    temporary = response.json()["temporary_password"]
    assert response.json()["username"] == "charlie"
    assert _audit(other_district_user, "user.reset_password").reason == "忘记密码"
    assert temporary not in str(AuditEntry.objects.values_list("changes", "reason"))
    assert not _signs_in("charlie", PASSWORD)
    assert _signs_in("charlie", temporary)
    other_district_user.refresh_from_db()
    assert other_district_user.must_change_password  # the temporary password is replaced at sign-in
    api.force_authenticate(user=None)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 401


# --- pages --------------------------------------------------------------------------------------------


def _page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_menu_links_the_user_list_for_city_and_district_staff(city_user, district_user, auditor):
    assert "/accounts/users/" in _page(city_user).get("/").content.decode()
    assert "/accounts/users/" in _page(district_user).get("/").content.decode()
    assert "/accounts/users/" not in _page(auditor).get("/").content.decode()


def test_a_district_opens_a_filler_account_on_the_page_and_sees_the_password_once(district_user, enterprise):
    page = _page(district_user)
    form = page.get("/accounts/users/new/").content.decode()
    assert 'value="enterprise"' in form and 'value="district"' not in form
    response = page.post(
        "/accounts/users/new/", {"username": "dora3", "role": "enterprise", "enterprise": enterprise.pk}
    )
    assert response.status_code == 200
    created = User.objects.get(username="dora3")
    password = response.context["password"]
    assert password in response.content.decode() and created.check_password(password)
    assert password not in page.get(f"/accounts/users/{created.pk}/").content.decode()


def test_the_user_list_page_filters_sorts_and_exports(city_user, district_user, enterprise_user, auditor):
    page = _page(city_user)
    listing = page.get("/accounts/users/", {"role": "district", "sort": "-username"})
    assert listing.status_code == 200
    assert [u.username for u in listing.context["object_list"]] == ["bob"]
    assert "没有符合条件的账户" in page.get("/accounts/users/", {"q": "nobody"}).content.decode()
    export = page.get("/accounts/users/export/", {"role": "district"})
    assert export["Content-Type"].startswith("text/csv")
    rows = export.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("用户名") and len(rows) == 2 and rows[1].startswith("bob")


def test_deactivation_on_the_page_is_confirmed_with_a_reason_and_shows_in_the_history(
    district_user, enterprise_user
):
    page = _page(district_user)
    confirm = page.get(f"/accounts/users/{enterprise_user.pk}/deactivate/")
    assert confirm.status_code == 200 and "确认停用" in confirm.content.decode()
    assert page.post(f"/accounts/users/{enterprise_user.pk}/deactivate/", {"reason": ""}).status_code == 200
    enterprise_user.refresh_from_db()
    assert enterprise_user.is_active
    done = page.post(f"/accounts/users/{enterprise_user.pk}/deactivate/", {"reason": "已离职"})
    assert done.status_code == 302
    enterprise_user.refresh_from_db()
    assert not enterprise_user.is_active
    detail = page.get(f"/accounts/users/{enterprise_user.pk}/").content.decode()
    assert "user.deactivate" in detail and "已离职" in detail


def test_a_reset_on_the_page_shows_the_temporary_password_that_then_works(district_user, enterprise_user):
    response = _page(district_user).post(
        f"/accounts/users/{enterprise_user.pk}/reset-password/", {"reason": "忘记密码"}
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert _signs_in("dora", password)
    assert not _signs_in("dora", PASSWORD)


# --- staff IDs (工号), which single sign-on matches (accounts/oidc.py) ----------------------------------


def test_the_city_records_a_staff_id_once_per_account_and_changes_it_audited(api, city_user, auditor):
    api.as_user(city_user)
    response = api.post(
        USERS, {"username": "li-clerk", "role": "auditor", "staff_id": " CQJX-0007 "}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["staff_id"] == "CQJX-0007"
    taken = api.patch(f"{USERS}{auditor.pk}/", {"staff_id": "CQJX-0007"}, format="json")
    assert taken.status_code == 400
    assert "已属于另一个账户" in taken.json()["staff_id"][0]
    assert api.patch(f"{USERS}{auditor.pk}/", {"staff_id": "CQJX-0008"}, format="json").status_code == 200
    assert User.objects.get(pk=auditor.pk).staff_id == "CQJX-0008"
    assert _audit(auditor, "user.update").changes == {"staff_id": [None, "CQJX-0008"]}
    # Blank clears it (stored as none, so any number of accounts may have none).
    assert api.patch(f"{USERS}{auditor.pk}/", {"staff_id": ""}, format="json").status_code == 200
    assert User.objects.get(pk=auditor.pk).staff_id is None


@pytest.mark.django_db
def test_add_user_takes_a_staff_id():
    from django.core.management import call_command

    call_command(
        "add_user", "wang", "--role", "city", "--staff-id", "CQJX-0100", "--password", "qingshan-lvshui-2026"
    )
    assert User.objects.get(username="wang").staff_id == "CQJX-0100"


def test_the_city_sets_a_staff_id_on_the_edit_page_and_sees_it_on_the_account(city_user, auditor):
    page = _page(city_user)
    assert "工号" in page.get(f"/accounts/users/{auditor.pk}/edit/").content.decode()
    response = page.post(
        f"/accounts/users/{auditor.pk}/edit/",
        {"first_name": "", "role": "auditor", "staff_id": "CQJX-0300"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=auditor.pk).staff_id == "CQJX-0300"
    assert "CQJX-0300" in page.get(f"/accounts/users/{auditor.pk}/").content.decode()
