"""Demo data: enterprises across every management unit and industry, recognised green factories,
and one user per role. Everything goes through the services, so demo data obeys the rules."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from accounts import audit
from accounts.models import Role, User
from accounts.permissions import Operator
from factories import services
from factories.creditcode import make_credit_code
from factories.models import District, Enterprise, Industry, LegalForm, Tier
from factories.services import user_create

DEMO_PASSWORD = "lvse-demo-2026"

_WORDS = [
    "长江",
    "嘉陵",
    "山城",
    "巴渝",
    "渝新",
    "两江",
    "缙云",
    "金佛",
    "歌乐",
    "朝天",
    "鹅岭",
    "南山",
    "北碚",
    "永丰",
    "华龙",
    "西永",
    "茶园",
    "双福",
    "同兴",
    "鱼复",
    "龙兴",
    "水土",
    "界石",
    "望江",
]
_TRADES = {
    "13": "食品",
    "14": "食品",
    "15": "酒业",
    "17": "纺织",
    "18": "服饰",
    "22": "纸业",
    "25": "能源",
    "26": "化工",
    "27": "药业",
    "29": "塑胶",
    "30": "建材",
    "31": "钢铁",
    "32": "铝业",
    "33": "金属制品",
    "34": "机械",
    "35": "装备",
    "36": "汽车部件",
    "37": "摩托车",
    "38": "电气",
    "39": "电子",
    "40": "仪表",
}
_PERSONS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞", "徐刚", "孙丽"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    description: str


DEMO_USERS = [
    DemoUser("city", Role.CITY, "市经济信息委（全市）"),
    DemoUser("district", Role.DISTRICT, "渝中区经信委"),
    DemoUser("district_jj", Role.DISTRICT, "江津区经信委"),
    DemoUser("enterprise", Role.ENTERPRISE, "渝中区一家绿色工厂的填报人"),
    DemoUser("enterprise2", Role.ENTERPRISE, "渝中区一家培育企业的填报人"),
    DemoUser("auditor", Role.AUDITOR, "审计/查看（全市只读）"),
]


def _credit_code(rng: random.Random, district: District) -> str:
    """A valid code registered in the unit's division (zones use the city's 500000)."""
    division = district.code if district.code.isdigit() else "500000"
    return make_credit_code("91", division, "".join(rng.choice("0123456789") for _ in range(8)))


def _operator() -> Any:
    """The city account that performs the seeding, so audit entries name a real actor."""
    user = User.objects.filter(username="city").first()
    if user is None:
        user = user_create(
            actor=Operator("seed_demo"),
            username="city",
            role=Role.CITY,
            password=DEMO_PASSWORD,
            display_name="市经信委管理员",
            email="city@example.cn",
            check_password=False,
            must_change_password=False,  # demo logins are published and must keep working as they are
        )
    return user


def seed_enterprises(rng: random.Random, count: int) -> list[Enterprise]:
    """Create `count` enterprises spread over the units in force and the industries."""
    operator = _operator()
    units = list(District.objects.order_by("code"))
    current = [u for u in units if u.valid_to is None]
    industries = list(Industry.objects.exclude(code="16").order_by("code"))
    weights = [3 if i.code in ("36", "38", "39", "26", "30", "33", "34", "13") else 1 for i in industries]
    # Fixed first enterprises, so the demo logins always find the same companies in 渝中 and 江津.
    anchors = [("500103", "36"), ("500103", "39"), ("500103", "30"), ("500116", "36"), ("500116", "26")]
    created: list[Enterprise] = []
    for n in range(count):
        if n < len(anchors):
            district = next(u for u in units if u.code == anchors[n][0])
            industry = next(i for i in industries if i.code == anchors[n][1])
        else:
            district = rng.choice(current)
            industry = rng.choices(industries, weights)[0]
        minor = f"{industry.code}{rng.randint(1, 9)}{rng.randint(0, 9)}"
        trade = _TRADES.get(industry.code, "实业")
        name = (
            f"重庆{rng.choice(_WORDS)}{trade}有限公司"
            if n % 3
            else f"重庆{rng.choice(_WORDS)}{rng.choice(_WORDS)}{trade}股份有限公司"
        )
        name = (
            name.replace("有限公司", f"（{n + 1:05d}）有限公司")
            if Enterprise.objects.filter(name=name).exists()
            else name
        )
        code = _credit_code(rng, district)
        if Enterprise.objects.filter(credit_code=code).exists():
            continue
        enterprise = services.enterprise_create(
            actor=operator,
            name=name,
            credit_code=code,
            district=district,
            industry=industry,
            industry_code=minor,
            legal_form=LegalForm.LEGAL_PERSON if rng.random() < 0.9 else LegalForm.ACCOUNTING_UNIT,
            address=f"重庆市{district.name}{rng.choice(_WORDS)}路{rng.randint(1, 999)}号",
            contact_name=rng.choice(_PERSONS),
            contact_phone=f"023-{rng.randint(60000000, 69999999)}",
            contact_email=f"green{n + 1}@example.cn",
        )
        created.append(enterprise)
    return created


def seed_green_factories(rng: random.Random, enterprises: list[Enterprise], share: float = 0.35) -> None:
    """Recognise a share of the enterprises as green factories (mostly city tier); the first anchor always."""
    operator = _operator()
    for index, enterprise in enumerate(enterprises):
        if index in (1, 4) or (index != 0 and rng.random() > share):
            continue
        tier = Tier.NATIONAL if rng.random() < 0.15 else Tier.CITY
        year = (
            2019 if index == 0 else rng.choice([2018, 2019, 2020, 2021, 2022, 2023, 2023, 2024, 2024, 2025])
        )
        services.green_factory_recognize(
            actor=operator, enterprise=enterprise, tier=tier, recognized_year=year, reason="演示数据"
        )


def seed_users(enterprises: list[Enterprise]) -> list[DemoUser]:
    """One login per role (two districts and two enterprises, so isolation can be tried).

    The accounts are opened by the console operator, who may open any account: the city account that
    performs the rest of the seeding manages staff accounts only, not enterprise fillers."""
    _operator()
    plan = {
        "district": {"district_code": "500103"},
        "district_jj": {"district_code": "500116"},
        "enterprise": {"enterprise_credit_code": enterprises[0].credit_code},
        "enterprise2": {"enterprise_credit_code": enterprises[1].credit_code},
    }
    for demo in DEMO_USERS:
        if User.objects.filter(username=demo.username).exists():
            continue
        user_create(
            actor=Operator("seed_demo"),
            username=demo.username,
            role=demo.role,
            password=DEMO_PASSWORD,
            display_name=demo.description,
            email=f"{demo.username}@example.cn",
            check_password=False,
            must_change_password=False,
            **plan.get(demo.username, {}),
        )
    return DEMO_USERS


def apply_2025_merger() -> None:
    """The 2025 reform: 江北区 and 渝北区 merged into 两江新区 from 2026-01-25 (DOMAIN §2).

    Demo enterprises registered under the old units before the merger move to the successor here,
    through the same service an operator would use, so their history keeps the old unit.
    """
    operator = _operator()
    successor = District.objects.get(code="LJXQ")
    for code in ("500105", "500112"):
        unit = District.objects.get(code=code)
        if unit.enterprises.exists():
            services.district_merge(
                actor=operator, unit=unit, successor=successor, effective_on=dt.date(2026, 1, 25)
            )


def seed_pre_merger_enterprises(rng: random.Random, count: int) -> list[Enterprise]:
    """Enterprises that were registered under 江北区 / 渝北区 before those units were abolished."""
    operator = _operator()
    created = []
    old_units = list(District.objects.filter(code__in=["500105", "500112"]))
    industries = list(Industry.objects.filter(code__in=["36", "38", "39", "34"]))
    for n in range(count):
        unit = old_units[n % 2]
        industry = industries[n % len(industries)]
        code = _credit_code(rng, unit)
        # Registered before the unit was abolished, so the create service (which refuses abolished
        # units today) does not apply; the audit entry records the back-dated registration.
        enterprise = Enterprise.objects.create(
            name=f"重庆{unit.name[:2]}{_TRADES.get(industry.code, '实业')}制造有限公司（{n + 1}）",
            credit_code=code,
            district=unit,
            industry=industry,
            industry_code=industry.code,
            legal_form=LegalForm.LEGAL_PERSON,
            address=f"重庆市{unit.name}",
            contact_name=rng.choice(_PERSONS),
        )
        audit.record(
            actor=operator, action="enterprise.create", obj=enterprise, reason="演示数据：撤并前登记"
        )
        created.append(enterprise)
    return created


def _step_enterprises(state: dict[str, Any]) -> None:
    rng = state["rng"]
    pre_merger = max(2, state["count"] // 20)
    state["enterprises"] = seed_enterprises(rng, state["count"] - pre_merger)
    state["pre_merger"] = seed_pre_merger_enterprises(rng, pre_merger)


def _step_green_factories(state: dict[str, Any]) -> None:
    seed_green_factories(state["rng"], state["enterprises"] + state["pre_merger"])


def _step_users(state: dict[str, Any]) -> None:
    seed_users(state["enterprises"])


def _step_merger(state: dict[str, Any]) -> None:
    apply_2025_merger()


STEPS: list[tuple[str, Any]] = [
    ("企业名录", _step_enterprises),
    ("绿色工厂", _step_green_factories),
    ("用户", _step_users),
]


def _step_grading(state: dict[str, Any]) -> None:
    """2024 graded, its notice held and the grades final; 2025, whose reporting window is still open, only
    pre-graded (预评价/模拟) with the adopted standard: an official run waits for the window to close."""
    from factories.grading import selectors
    from factories.grading import services as grading
    from factories.grading.standard import standard_from_dict
    from factories.models import GradingRun

    operator = _operator()
    run = GradingRun.objects.create(
        year=2024,
        standard=grading.standard_in_force(2024),
        started_by=operator,
        note="演示数据",
        data_counts=selectors.data_readiness(2024).as_record(),
    )
    grading.execute_run(run.pk)
    run.refresh_from_db()
    # A notice can only be published from today on; the demo's history held it in July 2025, so once
    # published its dates are set to that past period, which then lets the grades be finalised.
    days = standard_from_dict(run.standard.parameters).notice_days
    today = timezone.localdate()
    run = grading.grading_run_publish(
        actor=operator, run=run, notice_from=today, notice_to=today + dt.timedelta(days=days - 1)
    )
    GradingRun.objects.filter(pk=run.pk).update(
        notice_from=dt.date(2025, 7, 1), notice_to=dt.date(2025, 7, 10)
    )
    run.refresh_from_db()
    grading.grading_run_finalize(actor=operator, run=run)
    simulation = GradingRun.objects.create(
        year=2025,
        standard=grading.standard_in_force(2025),
        is_simulation=True,
        started_by=operator,
        note="演示数据：填报期内的预评价",
        data_counts=selectors.data_readiness(2025).as_record(),
    )
    grading.execute_run(simulation.pk)


LATE_STEPS: list[tuple[str, Any]] = [
    ("分级评价（2024 已正式发布，2025 预评价）", _step_grading),
    ("管理单位撤并（江北区、渝北区 → 两江新区）", _step_merger),
]


def steps() -> list[tuple[str, Any]]:
    """Seeding steps in order; other apps append theirs (annual data, grading, pool) to EXTRA_STEPS."""
    return STEPS + EXTRA_STEPS + LATE_STEPS


EXTRA_STEPS: list[tuple[str, Any]] = []
