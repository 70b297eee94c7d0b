"""manage.py seed_demo [--enterprises N] [--seed S]: plausible demo data for every part of the platform."""

from __future__ import annotations

import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from factories import demo


class Command(BaseCommand):
    help = "生成演示数据（企业、绿色工厂、年度数据、用户）。Generate demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=300, help="企业数量（默认300）")
        parser.add_argument("--seed", type=int, default=2024, help="随机数种子（相同种子生成相同数据）")
        parser.add_argument("--if-empty", action="store_true", help="数据库已有演示用户时跳过")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["enterprises"]
        if count < 10:
            raise CommandError("--enterprises 至少为10。")
        if User.objects.filter(username="city").exists():
            if options["if_empty"]:
                self.stdout.write("演示数据已存在，跳过。")
                return
            raise CommandError("数据库中已有演示数据；如需重新生成，请先删除数据库（make clean）。")
        # Demo notifications stay in the database; they are not printed or sent as e-mail while seeding.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        rng = random.Random(options["seed"])
        started = time.monotonic()
        steps = demo.steps()
        state: dict[str, Any] = {"rng": rng, "count": count, "stdout": self.stdout}
        for label, step in steps:
            step_started = time.monotonic()
            step(state)
            self.stdout.write(f"  {label}：{time.monotonic() - step_started:.1f} 秒")
        self.stdout.write(self.style.SUCCESS(f"演示数据已生成，用时 {time.monotonic() - started:.1f} 秒。"))
