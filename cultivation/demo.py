"""Demo data for the cultivation pool: pools in 渝中, 江津, 两江新区 and 綦江 with members in every state,
supervision records, levels for 2024 and 2025, B certifications, irregular reviews and district reports.

Everything goes through the cultivation services, so the demo obeys the same rules as real use. The
services date an entry or an exit today; the pools are then moved back to their historical dates
(2024–2025) with an audit entry per change, like the reporting demo restores its historical windows.
Level jobs run inline, as a worker would run them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from accounts import audit
from accounts.models import Role, User
from cultivation import services
from cultivation.models import (
    BCertification,
    Level,
    LevelDecision,
    PoolApplication,
    PoolMembership,
    SupervisionKind,
)
from factories.creditcode import make_credit_code
from factories.models import District, Enterprise, LegalForm
from reporting.models import AnnualSubmission

POOL_UNITS = ("500103", "500116", "LJXQ", "500110")
NEW_APPLICANTS = {"500103": 5, "500116": 3}
BACKDATE_REASON = "演示数据：恢复历史日期"
_NEW_NAMES = ["精工机电", "绿源新材", "山城智造", "巴渝环保装备", "渝新光电", "江州食品"]
_PLANS = [
    "2025年完成能源管理体系认证，2026年建成屋顶光伏，2027年申报市级绿色工厂。",
    "开展清洁生产审核，推进中水回用改造，三年内单位产值能耗下降15%。",
    "实施电机系统节能改造和余热回收，提高一般工业固体废物综合利用率。",
]


@contextlib.contextmanager
def _tasks_inline() -> Iterator[None]:
    """Run enqueued tasks in this process while seeding (no worker or broker needed)."""
    from celery import current_app as app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def _backdate(operator: Any, obj: Any, **fields: Any) -> None:
    before = {name: getattr(obj, name) for name in fields}
    type(obj).objects.filter(pk=obj.pk).update(**fields)
    for name, value in fields.items():
        setattr(obj, name, value)
    audit.record(
        actor=operator,
        action="demo.backdate",
        obj=obj,
        changes={name: [before[name], value] for name, value in fields.items()},
        reason=BACKDATE_REASON,
    )


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _clerk(unit: District) -> Any:
    return User.objects.filter(role=Role.DISTRICT, district=unit, is_active=True).order_by("pk").first()


def _new_applicants(rng: random.Random, clerk: Any, unit: District, count: int) -> list[Enterprise]:
    """Enterprises the district registers when they ask to join (they have no annual data yet)."""
    from factories.services import enterprise_create

    industry = unit.enterprises.order_by("pk").values_list("industry", flat=True).first() or "36"
    created = []
    for n in range(count):
        code = make_credit_code(
            "91", unit.code if unit.code.isdigit() else "500000", f"{rng.randint(10000000, 99999999)}"
        )
        if Enterprise.objects.filter(credit_code=code).exists():
            continue
        created.append(
            enterprise_create(
                actor=clerk,
                name=f"重庆{unit.name[:2]}{_NEW_NAMES[n % len(_NEW_NAMES)]}有限公司",
                credit_code=code,
                district=unit,
                industry=None,
                industry_code=industry,
                legal_form=LegalForm.LEGAL_PERSON,
                address=f"重庆市{unit.name}",
                contact_name="王芳",
                contact_phone="023-68000000",
            )
        )
    return created


def _apply(rng: random.Random, actor: Any, enterprise: Enterprise) -> PoolApplication:
    return services.pool_application_submit(
        actor=actor,
        enterprise=enterprise,
        intention="企业重视绿色发展，自愿参与绿色工厂梯度培育。",
        plan=rng.choice(_PLANS),
        lawful_declaration=True,
    )


def _join(
    rng: random.Random, operator: Any, clerk: Any, enterprise: Enterprise, joined: dt.date
) -> PoolMembership:
    actor = enterprise.users.filter(role=Role.ENTERPRISE).first() or clerk
    application = _apply(rng, actor, enterprise)
    services.pool_application_accept(actor=clerk, application=application, note="经核查，符合入库条件。")
    application.refresh_from_db()
    _backdate(
        operator, application, created_at=_moment(joined - dt.timedelta(days=14)), decided_at=_moment(joined)
    )
    membership = application.membership
    _backdate(operator, membership, joined_on=joined)
    return membership


def _supervise(rng: random.Random, clerk: Any, membership: PoolMembership, *, full: bool = False) -> None:
    """Dated supervision and guidance after entry; a full member has all three flags from 2024."""
    start = membership.joined_on
    steps = [
        (
            rng.choice([SupervisionKind.ENERGY_INSPECTION, SupervisionKind.ONLINE_MONITORING]),
            full or rng.random() < 0.85,
        ),
        (rng.choice([SupervisionKind.ASSESSMENT, SupervisionKind.DIAGNOSIS]), full or rng.random() < 0.75),
        (SupervisionKind.IMPROVEMENT_PATH, full or rng.random() < 0.7),
    ]
    for kind, done in steps:
        if done:
            on = (
                dt.date(2024, 9, 10)
                if full
                else min(_day(rng, start, start + dt.timedelta(days=150)), dt.date(2025, 12, 20))
            )
            services.supervision_record_add(
                actor=clerk,
                membership=membership,
                kind=kind,
                date=on,
                note=f"{SupervisionKind(kind).label}（{on:%Y年%m月}）",
            )


def _leading_values(raw: dict[str, Any] | None) -> dict[str, str]:
    """Figures of a factory that has finished its green retrofit, at its own output and site."""
    output = Decimal(raw["output_value"]) if raw else Decimal("30000")
    site = Decimal(raw["site_area"]) if raw else Decimal("20000")

    def q(x: Decimal) -> str:
        return str(x.quantize(Decimal("0.01")))

    electricity, treated = output * 60, output * Decimal("0.08")
    return {
        "site_area": q(site),
        "floor_area": q(site * Decimal("2.5")),
        "footprint_area": q(site * Decimal("0.75")),
        "output_value": q(output),
        "main_material": q(output * Decimal("0.03")),
        "green_material": q(output * Decimal("0.021")),
        "cod": q(output * Decimal("0.003")),
        "ammonia_nitrogen": q(output * Decimal("0.0003")),
        "so2": q(output * Decimal("0.0008")),
        "nox": q(output * Decimal("0.0012")),
        "waste_gas": q(output * Decimal("0.002")),
        "wastewater": q(treated),
        "wastewater_treated": q(treated),
        "wastewater_reused": q(treated * Decimal("0.8")),
        "solid_waste": q(output * Decimal("0.004")),
        "solid_waste_utilized": q(output * Decimal("0.004")),
        "electricity": q(electricity),
        "natural_gas": "0.00",
        "coal": "0.00",
        "oil_products": "0.00",
        "purchased_heat": "0.00",
        "renewable_electricity": q(electricity * Decimal("0.6")),
        "co2": q(electricity * Decimal("0.0002")),
    }


def _set_2025_data(clerk: Any, city: Any, enterprise: Enterprise, values: dict[str, str], why: str) -> None:
    """Bring an enterprise's 2025 data to `values` through the reporting services: the review chain for data
    not yet locked, a correction approved by the city for locked data."""
    from reporting import services as reporting
    from reporting.models import SubmissionStatus

    submission = AnnualSubmission.objects.filter(enterprise=enterprise, year=2025).first()
    if submission is None or submission.status == SubmissionStatus.DRAFT:
        submission = reporting.submission_save_draft(
            actor=clerk, enterprise=enterprise, year=2025, values=values, explanation=why
        )
        submission = reporting.submission_submit(actor=clerk, submission=submission)
    if submission.status == SubmissionStatus.SUBMITTED:
        submission = reporting.submission_approve(actor=clerk, submission=submission)
    if submission.status == SubmissionStatus.DISTRICT_APPROVED:
        submission = reporting.submission_verify(actor=city, submission=submission)
    changed = {k: v for k, v in values.items() if submission.raw_values.get(k) != v}
    if changed:
        correction = reporting.correction_request(
            actor=clerk, submission=submission, new_values=changed, reason=why
        )
        reporting.correction_decide(
            actor=city, correction=correction, approve=True, reason="核对发票与计量数据无误"
        )


def _retrofit_2025(clerk: Any, city: Any, enterprise: Enterprise) -> None:
    basis = AnnualSubmission.objects.filter(enterprise=enterprise).order_by("-year").first()
    _set_2025_data(
        clerk,
        city,
        enterprise,
        _leading_values(basis.raw_values if basis else None),
        "完成光伏、余热回收和中水回用改造，能耗和排放大幅下降。",
    )


def _compute(clerk: Any, year: int) -> None:
    with _tasks_inline():
        services.level_job_start(actor=clerk, district=clerk.district, year=year)


def _b_level(enterprise: Enterprise, year: int) -> bool:
    return LevelDecision.objects.filter(enterprise=enterprise, year=year, level=Level.B_ELIGIBLE).exists()


def seed_pools(rng: random.Random, anchor: Enterprise) -> dict[str, int]:
    """The pools of POOL_UNITS through 2024–2025. `anchor` (the demo user enterprise2's company) completes a
    green retrofit and becomes 渝中's certified B factory; a second 渝中 member does too, then goes under
    district review after a data correction; a 两江新区 member's B application waits for its district."""
    operator = User.objects.get(username="city")
    units = [
        u for u in District.objects.filter(code__in=POOL_UNITS).order_by("code") if _clerk(u) is not None
    ]
    clerks = {u.code: _clerk(u) for u in units}
    plan: dict[str, list[PoolMembership]] = {}
    # B factories in the making: certified (the anchor), certified then under review, applied.
    roles: dict[str, Enterprise] = {"certified": anchor} if anchor.district_id == "500103" else {}

    if "500116" in clerks:
        services.district_standard_new_version(
            actor=clerks["500116"],
            district=clerks["500116"].district,
            note="结合本区装备制造业基础，提高B级门槛。",
            parameters={"b_level_min": 55.0},
        )

    for unit in units:
        clerk = clerks[unit.code]
        existing = list(Enterprise.objects.others().filter(district=unit).order_by("pk"))
        newcomers = _new_applicants(rng, clerk, unit, NEW_APPLICANTS.get(unit.code, 1))
        if newcomers:  # the last newcomer's application waits for the district
            _apply(rng, clerk, newcomers.pop())
        if len(newcomers) > 1:  # one is turned down
            application = _apply(rng, clerk, newcomers.pop())
            services.pool_application_reject(
                actor=clerk,
                application=application,
                reason="绿色工厂创建计划缺少量化目标和时间安排，请补充后重新申请。",
            )
        candidates = [e for e in [*existing, *newcomers] if e != anchor]
        if unit.code == "500103" and candidates:
            roles["under_review"] = candidates[0]
        if unit.code == "LJXQ" and candidates:
            roles["applied"] = candidates[0]
        members = []
        for enterprise in [*existing, *newcomers]:
            full = enterprise in roles.values()
            # Most of a pool entered in the first months after the measures took effect (2024-06-20).
            first_wave = full or rng.random() < 0.6
            joined = _day(
                rng,
                dt.date(2024, 7, 1) if first_wave else dt.date(2025, 1, 1),
                dt.date(2024, 8, 31)
                if full
                else dt.date(2024, 10, 31)
                if first_wave
                else dt.date(2025, 10, 31),
            )
            membership = _join(rng, operator, clerk, enterprise, joined)
            _supervise(rng, clerk, membership, full=full)
            members.append(membership)
        plan[unit.code] = members

    for enterprise in roles.values():
        _retrofit_2025(clerks[enterprise.district_id], operator, enterprise)
    for clerk in clerks.values():
        _compute(clerk, 2024)

    # 2025: one member leaves, one is recognised as a city-level green factory (graduates).
    for code, members in plan.items():
        movable = [m for m in members if m.enterprise not in roles.values()]
        if len(movable) >= 3:
            leaving = movable[-1]
            services.membership_exit(
                actor=clerks[code], membership=leaving, reason="企业主动申请退出培育库。"
            )
            _backdate(
                operator,
                leaving,
                exited_on=_day(rng, max(leaving.joined_on, dt.date(2025, 3, 1)), dt.date(2025, 11, 30)),
            )
        if code in ("500103", "500116") and len(movable) >= 2:
            from factories.services import green_factory_recognize

            graduating = movable[0]
            green_factory_recognize(
                actor=operator,
                enterprise=graduating.enterprise,
                tier="city",
                recognized_year=2025,
                reason="2025年市级绿色工厂名单（演示数据）",
            )
            graduating.refresh_from_db()
            _backdate(operator, graduating, exited_on=dt.date(2025, 12, 10))

    for clerk in clerks.values():
        _compute(clerk, 2025)
    _certifications(operator, clerks, roles)
    _reviews(rng, operator, clerks, plan, set(roles.values()))
    _reports(operator, clerks)
    return {
        "members": PoolMembership.objects.filter(status="active").count(),
        "levels": LevelDecision.objects.count(),
        "b_certifications": BCertification.objects.count(),
    }


def _certifications(operator: Any, clerks: dict[str, Any], roles: dict[str, Enterprise]) -> None:
    """渝中 certifies two B factories; the second goes under district review after the city approves a
    correction of its 2025 data and the level is recomputed; 两江新区's candidate has applied."""
    for role in ("certified", "under_review"):
        enterprise = roles.get(role)
        if enterprise is None or not _b_level(enterprise, 2025):
            continue
        clerk = clerks[enterprise.district_id]
        applicant = enterprise.users.filter(role=Role.ENTERPRISE).first() or clerk
        certification = services.b_certification_apply(actor=applicant, enterprise=enterprise, year=2025)
        services.b_certification_certify(
            actor=clerk,
            certification=certification,
            note="各维度得分和绿色化水平均达到本区B级标准，认定为区县级绿色工厂。",
        )
    falling = roles.get("under_review")
    if (
        falling is not None
        and BCertification.objects.filter(membership__enterprise=falling, status="certified").exists()
    ):
        clerk = clerks[falling.district_id]
        values = {**AnnualSubmission.objects.get(enterprise=falling, year=2025).raw_values}
        output = Decimal(values["output_value"])
        values.update(
            natural_gas=str((output * 500).quantize(Decimal("0.01"))),
            co2=str((output * 5).quantize(Decimal("0.01"))),
        )
        _set_2025_data(clerk, operator, falling, values, "市级复核发现漏报天然气消耗及相应碳排放，予以更正。")
        _compute(clerk, 2025)
    candidate = roles.get("applied")
    if candidate is not None and _b_level(candidate, 2025):
        services.b_certification_apply(actor=clerks[candidate.district_id], enterprise=candidate, year=2025)


def _reviews(
    rng: random.Random,
    operator: Any,
    clerks: dict[str, Any],
    plan: dict[str, list[PoolMembership]],
    spared: set[Enterprise],
) -> None:
    """An open city review in 江津, a clean district review in 渝中 and a falsification finding in 两江新区."""

    def active(code: str) -> list[PoolMembership]:
        return [
            m
            for m in PoolMembership.objects.filter(pk__in=[m.pk for m in plan.get(code, [])], status="active")
            if m.enterprise not in spared
        ]

    if active("500116"):
        services.irregular_review_open(
            actor=operator,
            membership=active("500116")[0],
            scope_note="抽查2025年度能耗在线监测数据与填报数据的一致性。",
        )
    if active("500103"):
        review = services.irregular_review_open(
            actor=clerks["500103"], membership=active("500103")[0], scope_note="复核用地面积和建筑面积。"
        )
        services.irregular_review_close(
            actor=clerks["500103"],
            review=review,
            falsification=False,
            findings="与不动产权证书一致，数据属实。",
        )
    if active("LJXQ"):
        review = services.irregular_review_open(
            actor=operator, membership=rng.choice(active("LJXQ")), scope_note="核查可再生能源电力使用量。"
        )
        services.irregular_review_close(
            actor=operator,
            review=review,
            falsification=True,
            findings="可再生能源电力使用量无购电凭证，系虚报。",
        )


def _reports(operator: Any, clerks: dict[str, Any]) -> None:
    """2024 reports: 渝中 and 两江新区 acknowledged, 綦江 returned, 江津 awaiting the city; a 2025 draft for 渝中."""
    decisions = {"500103": "acknowledge", "LJXQ": "acknowledge", "500110": "return"}
    for code, clerk in clerks.items():
        report, _created = services.district_report_generate(actor=clerk, district=clerk.district, year=2024)
        figures = report.figures
        services.district_report_save_narrative(
            actor=clerk,
            report=report,
            narrative=(
                f"{clerk.district.name}2024年培育库年末在库企业{figures['pool_size']}家，新增入库{figures['entries']}家。"
                "全年组织节能监察和绿色生产水平评估，指导入库企业制定提升路径。"
            ),
        )
        report = services.district_report_submit(actor=clerk, report=report)
        if decisions.get(code) == "acknowledge":
            services.district_report_acknowledge(actor=operator, report=report, comment="已收悉。")
        elif decisions.get(code) == "return":
            services.district_report_return(
                actor=operator, report=report, reason="请补充入库企业监管与服务情况的具体数据。"
            )
    if "500103" in clerks:
        report, _created = services.district_report_generate(
            actor=clerks["500103"], district=clerks["500103"].district, year=2025
        )
        services.district_report_save_narrative(
            actor=clerks["500103"], report=report, narrative="（草稿）2025年培育工作情况，待补充。"
        )


def _step(state: dict[str, Any]) -> None:
    counts = seed_pools(random.Random(state["rng"].random()), state["enterprises"][1])
    state["stdout"].write("    " + "，".join(f"{k} {v}" for k, v in counts.items()))


def register() -> None:
    from factories import demo

    if _step not in [step for _label, step in demo.EXTRA_STEPS]:
        demo.EXTRA_STEPS.append(("梯度培育库（2024–2025）", _step))
