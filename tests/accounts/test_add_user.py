"""The operators' add_user command validates its arguments with clear errors."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.errors import NotAllowed
from accounts.models import AuditEntry, User
from factories.services import user_create

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "qingshan-lvshui-2026"


def test_add_user_creates_a_district_user_bound_to_its_unit(capsys):
    call_command(
        "add_user", "yuzhong_clerk", "--role", "district", "--district", "500103", "--password", GOOD_PASSWORD
    )
    user = User.objects.get(username="yuzhong_clerk")
    assert user.role == "district" and user.district_id == "500103"
    assert user.check_password(GOOD_PASSWORD)
    assert "已创建用户" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_add_user_creates_an_enterprise_user_by_credit_code(enterprise):
    call_command(
        "add_user",
        "reporter",
        "--role",
        "enterprise",
        "--enterprise",
        enterprise.credit_code.lower(),
        "--password",
        GOOD_PASSWORD,
    )
    assert User.objects.get(username="reporter").enterprise == enterprise


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "district", "--password", GOOD_PASSWORD], "区县用户必须指定管理单位代码"),
        (
            ["--role", "district", "--district", "999999", "--password", GOOD_PASSWORD],
            "管理单位代码“999999”不存在",
        ),
        (["--role", "district", "--district", "500105", "--password", GOOD_PASSWORD], "已撤并"),
        (["--role", "enterprise", "--password", GOOD_PASSWORD], "企业用户必须指定企业"),
        (
            ["--role", "enterprise", "--enterprise", "91500103MA5U000000", "--password", GOOD_PASSWORD],
            "未登记",
        ),
        (
            ["--role", "city", "--district", "500103", "--password", GOOD_PASSWORD],
            "只有区县用户可以指定管理单位",
        ),
        (["--role", "auditor", "--password", "123"], "password"),
    ],
)
def test_add_user_refuses_bad_arguments_with_a_clear_message(args, message):
    with pytest.raises(CommandError) as error:
        call_command("add_user", "newbie", *args)
    assert message in str(error.value)
    assert not User.objects.filter(username="newbie").exists()


def test_add_user_refuses_an_unknown_role():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("add_user", "x", "--role", "mayor", "--password", GOOD_PASSWORD)


def test_add_user_refuses_a_taken_username(city_user):
    with pytest.raises(CommandError, match="已存在"):
        call_command("add_user", "alice", "--role", "auditor", "--password", GOOD_PASSWORD)


def test_add_user_acts_as_an_operator_that_the_audit_trail_names():
    call_command("add_user", "zoe", "--role", "auditor", "--password", GOOD_PASSWORD)
    entry = AuditEntry.objects.get(action="user.create", object_id=str(User.objects.get(username="zoe").pk))
    assert entry.actor is None and entry.actor_name == "manage.py add_user"


def test_city_staff_may_create_an_account(city_user):
    user = user_create(actor=city_user, username="zoe", role="auditor", password=GOOD_PASSWORD)
    assert AuditEntry.objects.get(action="user.create", object_id=str(user.pk)).actor == city_user


@pytest.mark.parametrize("persona", ["district_user", "enterprise_user", "auditor"])
def test_user_create_refuses_an_actor_who_is_not_city_staff(persona, request):
    with pytest.raises(NotAllowed):
        user_create(
            actor=request.getfixturevalue(persona), username="zoe", role="auditor", password=GOOD_PASSWORD
        )
    assert not User.objects.filter(username="zoe").exists()


def test_user_create_refuses_a_caller_that_is_neither_a_user_nor_an_operator():
    with pytest.raises(NotAllowed):
        user_create(actor="a script", username="zoe", role="auditor", password=GOOD_PASSWORD)
