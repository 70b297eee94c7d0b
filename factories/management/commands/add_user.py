"""manage.py add_user USERNAME --role ROLE [--district CODE] [--enterprise CREDIT_CODE] [--password P]
[--staff-id ID]"""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import InvalidInput
from accounts.models import Role
from accounts.permissions import Operator
from factories.services import user_create


class Command(BaseCommand):
    help = "创建平台用户（Create a platform user with one role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--district", help="管理单位代码，如 500103（区县用户必填）")
        parser.add_argument("--enterprise", help="企业统一社会信用代码（企业用户必填）")
        parser.add_argument("--password", help="密码；省略时交互输入")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="显示名称")
        parser.add_argument("--staff-id", default=None, help="工号（统一身份认证按它找到账户）")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if password is None:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再次输入密码："):
                raise CommandError("两次输入的密码不一致。")
        try:
            # The operator at the console acts as itself (it holds `users.manage`), recorded by this name.
            user = user_create(
                actor=Operator("manage.py add_user"),
                username=options["username"],
                role=options["role"],
                password=password,
                district_code=options["district"],
                enterprise_credit_code=options["enterprise"],
                email=options["email"],
                display_name=options["name"],
                staff_id=options["staff_id"],
            )
        except InvalidInput as exc:
            lines = [
                f"{field}: {message}" for field, messages in exc.field_errors.items() for message in messages
            ]
            raise CommandError("无法创建用户：\n" + "\n".join(lines)) from exc
        self.stdout.write(self.style.SUCCESS(f"已创建用户 {user.username}（{user.get_role_display()}）"))
