"""System-level fixtures: the endpoints the URL configuration declares, and a world of objects to point them at.

The world has, for each kind of object, one object per *relation* to the personas:

- ``own``: belongs to dora's enterprise (渝中, the enterprise persona's own; bob's unit),
- ``other_enterprise``: belongs to erin's enterprise, another one in 渝中 (bob still sees it, dora does not),
- ``other_district``: belongs to an enterprise in 江津 (neither bob nor dora sees it).

Kinds are built on demand, once per test, through the same services the platform uses, so an object is in
the state a real user would leave it in. Objects owned by a person rather than an enterprise (notifications,
exports) have one ``own`` object per persona.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

ROLES = ("city", "district", "enterprise", "auditor", "anonymous")
RELATIONS = ("own", "other_enterprise", "other_district")
PERSONA_FIXTURES = {
    "city": "city_user",
    "district": "district_user",
    "enterprise": "enterprise_user",
    "auditor": "auditor",
}
PASSWORD = "correct-horse-battery"  # what tests.model_factories.UserFactory sets
REPORTING_YEAR = 2025  # open for reporting: the submission workflow happens in this year
GRADED_YEAR = 2024  # verified data of 2023 and 2024, graded and published

GOOD_VALUES = {
    "site_area": "20000",
    "floor_area": "24000",
    "footprint_area": "12000",
    "output_value": "50000",
    "main_material": "8000",
    "green_material": "2000",
    "cod": "1500",
    "ammonia_nitrogen": "100",
    "so2": "300",
    "nox": "400",
    "waste_gas": "900",
    "wastewater": "30000",
    "wastewater_treated": "28000",
    "wastewater_reused": "7000",
    "solid_waste": "1200",
    "solid_waste_utilized": "1080",
    "electricity": "5000000",
    "natural_gas": "200000",
    "coal": "0",
    "oil_products": "20",
    "purchased_heat": "3000",
    "renewable_electricity": "1000000",
    "co2": "4200",
}


# --- endpoints ------------------------------------------------------------------------------------

SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"schema", "api-docs", "set_language"}


@dataclass(frozen=True)
class Endpoint:
    """One (URL name, HTTP method) the URL configuration answers."""

    name: str
    method: str
    kwargs: tuple[str, ...]  # the URL's keyword arguments, in order
    is_api: bool
    is_list: bool  # a DRF list route: GET returns a paginated collection
    lookup_field: str = "pk"
    refused: bool = False  # routed, but the view's http_method_names turn the method away (405)

    @property
    def key(self) -> str:
        return f"{self.name} {self.method}"


def _pattern_kwargs(pattern: URLPattern) -> tuple[str, ...]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern.pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _walk(resolver: URLResolver, namespace: str | None = None) -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            if (entry.namespace or "") in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry, inner)
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _methods_of_view(view_class: Any, candidates: tuple[str, ...]) -> list[str]:
    allowed = getattr(view_class, "http_method_names", candidates)
    return [m for m in candidates if m in allowed and hasattr(view_class, m)]


def discover_endpoints() -> dict[str, Endpoint]:
    """Every /api/v1/ operation (list, detail, @action, APIView) and every HTML route that takes an id.

    Methods come from what the view declares: a viewset's action map (a method the viewset then refuses
    with 405 is still an endpoint, so the matrix says so), an APIView's or a Django view's handlers.
    """
    found: dict[str, Endpoint] = {}
    for name, pattern in _walk(get_resolver()):
        if name in SKIPPED_NAMES or "format" in _pattern_kwargs(pattern):
            continue  # DRF's format-suffix twins answer exactly like the route they copy
        callback = pattern.callback
        kwargs = tuple(k for k in _pattern_kwargs(pattern) if k != "format")
        is_api = name.startswith("api:")
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if is_api and actions:
            methods = [m for m in actions if m not in ("head", "options")]
            lookup = getattr(view_class, "lookup_field", "pk")
        elif is_api:
            methods = _methods_of_view(view_class, ("get", "post", "put", "patch", "delete"))
            lookup = "pk"
        else:
            if not any(k == "pk" or k.endswith("_pk") or k.endswith("_id") for k in kwargs):
                continue  # HTML routes that take an object's id; lists and forms without one are not matrixed
            # Browsers send GET and POST only (FormView's put() merely calls post()).
            methods = _methods_of_view(view_class, ("get", "post"))
            lookup = "pk"
        for method in methods:
            endpoint = Endpoint(
                name=name,
                method=method.upper(),
                kwargs=kwargs,
                is_api=is_api,
                is_list=is_api and name.endswith("-list") and method == "get",
                lookup_field=lookup,
                refused=method not in getattr(view_class, "http_method_names", (method,)),
            )
            found[endpoint.key] = endpoint
    return found


# --- the world -------------------------------------------------------------------------------------

KINDS: dict[str, Callable[[World], dict[str, Any]]] = {}


def kind(name: str) -> Callable[[Callable[[World], dict[str, Any]]], Callable[[World], dict[str, Any]]]:
    def register(builder: Callable[[World], dict[str, Any]]) -> Callable[[World], dict[str, Any]]:
        KINDS[name] = builder
        return builder

    return register


class PerPersona(dict):
    """An ``own`` object that differs by persona (each sees their own notification, their own export)."""


class World:
    """Objects of each kind in each relation, built once per test on first use."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._built: dict[str, dict[str, Any]] = {}

    def fixture(self, name: str) -> Any:
        return self._request.getfixturevalue(name)

    def persona(self, role: str) -> Any:
        return self.fixture(PERSONA_FIXTURES[role]) if role in PERSONA_FIXTURES else None

    @property
    def city(self) -> Any:
        return self.fixture("city_user")

    @property
    def enterprises(self) -> dict[str, Any]:
        return {
            "own": self.fixture("enterprise"),
            "other_enterprise": self.fixture("other_enterprise"),
            "other_district": self.fixture("jiangjin_enterprise"),
        }

    def reviewer(self, relation: str) -> Any:
        """The district user in charge of the relation's enterprise."""
        return self.fixture("other_district_user" if relation == "other_district" else "district_user")

    def owner(self, relation: str) -> Any:
        """The person a relation's personal object (notification, export) belongs to, other than the caller."""
        return self.fixture(
            "other_district_user" if relation == "other_district" else "other_enterprise_user"
        )

    def objects(self, name: str) -> dict[str, Any]:
        if name not in self._built:
            self._built[name] = KINDS[name](self)
        return self._built[name]

    def target(self, name: str, relation: str, role: str) -> Any:
        value = self.objects(name)[relation]
        if isinstance(value, PerPersona):
            return value["enterprise" if role == "anonymous" else role]
        return value


def _same(value: Any) -> dict[str, Any]:
    return {relation: value for relation in RELATIONS}


@kind("nothing")
def _nothing(world: World) -> dict[str, Any]:
    return _same(None)


@kind("closed_year")
def _closed_year(world: World) -> dict[str, Any]:
    """The reporting window of the graded year has closed: an official run of it may start (Art. 7, 9)."""
    from reporting.models import ReportingYear
    from tests.helpers import close_windows

    close_windows(GRADED_YEAR)
    return _same(ReportingYear.objects.get(year=GRADED_YEAR))


@kind("district")
def _districts(world: World) -> dict[str, Any]:
    return {
        "own": world.fixture("yuzhong"),
        "other_enterprise": world.fixture("yuzhong"),
        "other_district": world.fixture("jiangjin"),
    }


@kind("industry")
def _industries(world: World) -> dict[str, Any]:
    from factories.models import Industry

    return _same(Industry.objects.get(code="36"))


@kind("enterprise")
def _enterprises(world: World) -> dict[str, Any]:
    return world.enterprises


@kind("enterprise:reporting")
def _enterprises_with_open_year(world: World) -> dict[str, Any]:
    """The enterprises, with the reporting year open (for new submissions and imports)."""
    world.objects("reporting_year")
    return world.enterprises


@kind("user")
def _users(world: World) -> dict[str, Any]:
    return {
        "own": world.fixture("enterprise_user"),
        "other_enterprise": world.fixture("other_enterprise_user"),
        "other_district": world.fixture("other_district_user"),
    }


@kind("user:inactive")
def _inactive_users(world: World) -> dict[str, Any]:
    """Deactivated accounts: a filler of dora's enterprise, one of erin's, and a second 江津 clerk."""
    from tests.model_factories import UserFactory

    return {
        "own": UserFactory(
            username="dora-old", role="enterprise", enterprise=world.enterprises["own"], is_active=False
        ),
        "other_enterprise": UserFactory(
            username="erin-old",
            role="enterprise",
            enterprise=world.enterprises["other_enterprise"],
            is_active=False,
        ),
        "other_district": UserFactory(
            username="charlie-old", role="district", district=world.fixture("jiangjin"), is_active=False
        ),
    }


@kind("audit")
def _audit(world: World) -> dict[str, Any]:
    from accounts import audit

    return {
        relation: audit.record(actor=world.city, action="system.probe", obj=enterprise)
        for relation, enterprise in world.enterprises.items()
    }


@kind("reporting_year")
def _reporting_year(world: World) -> dict[str, Any]:
    from reporting.services import reporting_year_open

    today = timezone.localdate()
    year = reporting_year_open(
        actor=world.city,
        year=REPORTING_YEAR,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
    )
    return _same(year)


@kind("green_factory")
def _green_factories(world: World) -> dict[str, Any]:
    from tests.model_factories import GreenFactoryFactory

    return {
        relation: GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2021)
        for relation, enterprise in world.enterprises.items()
    }


@kind("submission:draft")
def _drafts(world: World) -> dict[str, Any]:
    from reporting.services import submission_save_draft

    world.objects("reporting_year")
    return {
        relation: submission_save_draft(
            actor=world.reviewer(relation), enterprise=enterprise, year=REPORTING_YEAR, values=GOOD_VALUES
        )
        for relation, enterprise in world.enterprises.items()
    }


@kind("submission:evidence")
def _draft_evidence(world: World) -> dict[str, Any]:
    """Each draft with one evidence file (a PDF on the electricity figure), uploaded by its unit's clerk;
    the submission comes with `evidence_id` for the URLs that name the file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting.models import AnnualSubmission
    from reporting.services import evidence_add

    found = {}
    for relation, draft in world.objects("submission:draft").items():
        item = evidence_add(
            actor=world.reviewer(relation),
            submission=draft,
            field="electricity",
            upload=SimpleUploadedFile("电费发票.pdf", b"%PDF-1.7\n%%EOF\n"),
        )
        submission = AnnualSubmission.objects.get(pk=draft.pk)
        submission.evidence_id = item.pk  # type: ignore[attr-defined]
        found[relation] = submission
    return found


@kind("submission:submitted")
def _submitted(world: World) -> dict[str, Any]:
    from reporting.services import submission_submit

    return {
        relation: submission_submit(actor=world.reviewer(relation), submission=draft)
        for relation, draft in world.objects("submission:draft").items()
    }


@kind("submission:approved")
def _approved(world: World) -> dict[str, Any]:
    from reporting.services import submission_approve

    return {
        relation: submission_approve(actor=world.reviewer(relation), submission=submitted)
        for relation, submitted in world.objects("submission:submitted").items()
    }


@kind("submission:verified")
def _verified(world: World) -> dict[str, Any]:
    from reporting.services import submission_verify

    return {
        relation: submission_verify(actor=world.city, submission=approved)
        for relation, approved in world.objects("submission:approved").items()
    }


@kind("correction")
def _corrections(world: World) -> dict[str, Any]:
    from reporting.services import correction_request

    return {
        relation: correction_request(
            actor=world.reviewer(relation),
            submission=verified,
            reason="统计口径错误",
            new_values={"cod": "1400"},
        )
        for relation, verified in world.objects("submission:verified").items()
    }


@kind("graded")
def _graded(world: World) -> dict[str, Any]:
    """Three city-level green factories with verified 2023 and 2024 data, each with a falsification recorded
    by a second city user in 2024, graded for 2024 by alice once its reporting window closed, and published:
    results and revocation proposals."""
    from factories.grading import services as grading
    from factories.models import RevocationProposal
    from tests.helpers import close_windows
    from tests.model_factories import plausible_raw, verified_submission

    world.objects("green_factory")
    recorder = world.fixture("second_city_user")
    incidents = {}
    for n, (relation, enterprise) in enumerate(world.enterprises.items()):
        for year in (GRADED_YEAR - 1, GRADED_YEAR):
            verified_submission(enterprise, year, plausible_raw(n, year))
        incidents[relation] = grading.incident_record(
            actor=recorder,
            enterprise=enterprise,
            kind="falsification",
            severity="general",
            occurred_on=dt.date(GRADED_YEAR, 5, 1),
            description="报送数据弄虚作假",
        )
    close_windows(GRADED_YEAR)
    run = grading.grading_run_start(actor=world.city, year=GRADED_YEAR)
    assert grading.execute_run(run.pk) == "succeeded"
    today = timezone.localdate()
    run = grading.grading_run_publish(
        actor=world.city, run=run, notice_from=today, notice_to=today + dt.timedelta(days=7)
    )
    results = {
        relation: run.results.get(enterprise=enterprise) for relation, enterprise in world.enterprises.items()
    }
    proposals = {
        relation: RevocationProposal.objects.get(run=run, enterprise=enterprise)
        for relation, enterprise in world.enterprises.items()
    }
    return {"run": run, "results": results, "proposals": proposals, "incidents": incidents}


@kind("run:published")
def _published_run(world: World) -> dict[str, Any]:
    return _same(world.objects("graded")["run"])


@kind("grade")
def _grades(world: World) -> dict[str, Any]:
    return world.objects("graded")["results"]


@kind("objection")
def _objections(world: World) -> dict[str, Any]:
    """A public objection, with one PDF as evidence, to each published grade of the graded world."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from factories.grading import services as grading

    return {
        relation: grading.objection_file(
            actor=None,
            result=result,
            name="张伟",
            email="zhangwei@example.cn",
            statement="该厂去年曾发生环境污染事件。",
            evidence=[SimpleUploadedFile("照片.pdf", b"%PDF-1.7\n", content_type="application/pdf")],
        )
        for relation, result in world.objects("graded")["results"].items()
    }


@kind("objection:accepted")
def _accepted_objections(world: World) -> dict[str, Any]:
    """The objections accepted with a methodological note, and a new run of the year computed since."""
    from factories.grading import services as grading

    objections = {
        relation: grading.objection_accept(
            actor=world.city,
            objection=objection,
            reason="情况属实。",
            remedy_kind="method_note",
            note="口径说明",
        )
        for relation, objection in world.objects("objection").items()
    }
    rerun = grading.grading_run_start(actor=world.city, year=GRADED_YEAR)
    assert grading.execute_run(rerun.pk) == "succeeded"
    world.rerun = rerun  # type: ignore[attr-defined]
    return objections


@kind("recommendation")
def _recommendations(world: World) -> dict[str, Any]:
    """Published grades raised to AA and their revocation proposals dismissed, so each factory is on the
    recommendation list (Art. 8: a factory a proposal still waits on is not recommended)."""
    graded = world.objects("graded")
    results = graded["results"]
    for result in results.values():
        type(result).objects.filter(pk=result.pk).update(grade="AA")
        result.refresh_from_db()
    for proposal in graded["proposals"].values():
        type(proposal).objects.filter(pk=proposal.pk).update(
            status="dismissed", decided_by=world.fixture("second_city_user"), decided_at=timezone.now()
        )
    return results


def _final_graded(world: World) -> dict[str, Any]:
    """The graded world with its run taken to final (its notice period over): a run's revocation proposals
    can be confirmed only then (Art. 9)."""
    from factories.grading import services as grading
    from factories.models import GradingRun

    graded = world.objects("graded")
    run = GradingRun.objects.get(pk=graded["run"].pk)
    if run.status != "final":
        today = timezone.localdate()
        GradingRun.objects.filter(pk=run.pk).update(
            notice_from=today - dt.timedelta(days=14), notice_to=today - dt.timedelta(days=1)
        )
        run.refresh_from_db()
        grading.grading_run_finalize(actor=world.city, run=run)
    return graded


@kind("grade:final")
def _final_grades(world: World) -> dict[str, Any]:
    return _final_graded(world)["results"]


@kind("incident")
def _incidents(world: World) -> dict[str, Any]:
    return _final_graded(world)["incidents"]


@kind("incident:evidence")
def _incidents_with_evidence(world: World) -> dict[str, Any]:
    """An incident with a PDF as evidence on each green factory, recorded by alan (no grading run)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from factories.grading import services as grading

    world.objects("green_factory")
    return {
        relation: grading.incident_record(
            actor=world.city,
            enterprise=enterprise,
            kind="safety",
            severity="general",
            occurred_on=dt.date(GRADED_YEAR, 5, 1),
            description="车间发生一般安全事故",
            evidence=SimpleUploadedFile("调查报告.pdf", b"%PDF-1.7\n", content_type="application/pdf"),
        )
        for relation, enterprise in world.enterprises.items()
    }


def registration_letter() -> Any:
    """A minimal, well-formed PDF as a self-registration's authorisation letter."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("授权委托书.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


@kind("registration")
def _registrations(world: World) -> dict[str, Any]:
    """A pending self-registration for each relation: one claiming dora's enterprise, one proposing a new
    enterprise in 渝中, and one claiming 江津's enterprise (for charlie's unit)."""
    from factories.creditcode import make_credit_code
    from factories.models import Industry
    from factories.services import registration_submit

    industry = Industry.objects.get(code="36")
    codes = {
        "own": world.enterprises["own"].credit_code,
        "other_enterprise": make_credit_code("91", "500103", "44440001"),
        "other_district": world.enterprises["other_district"].credit_code,
    }
    return {
        relation: registration_submit(
            credit_code=code,
            enterprise_name=f"注册申请企业{relation}",
            district=world.fixture("jiangjin" if relation == "other_district" else "yuzhong"),
            industry=industry,
            legal_form="legal_person",
            contact_name="张伟",
            mobile="13800138000",
            email=f"applicant-{relation.replace('_', '-')}@example.cn",
            letter=registration_letter(),
            address="192.0.2.10",
        )
        for relation, code in codes.items()
    }


@kind("registration:approved")
def _approved_registrations(world: World) -> dict[str, Any]:
    """The same requests approved by their districts: each applicant's account waits for its password."""
    from factories.services import registration_approve

    return {
        relation: registration_approve(actor=world.reviewer(relation), registration=registration)
        for relation, registration in world.objects("registration").items()
    }


@kind("proposal")
def _proposals(world: World) -> dict[str, Any]:
    return _final_graded(world)["proposals"]


@kind("proposal:register")
def _register_proposals(world: World) -> dict[str, Any]:
    """A revocation proposed from the register by a second city user for each green factory (alice decides)."""
    from factories.services import revocation_propose

    return {
        relation: revocation_propose(
            actor=world.fixture("second_city_user"),
            factory=factory,
            revoked_on=timezone.localdate(),
            reason="重大安全事故",
        )
        for relation, factory in world.objects("green_factory").items()
    }


def _run(world: World, **fields: Any) -> Any:
    from factories.grading.services import standard_in_force
    from factories.models import GradingRun

    return GradingRun.objects.create(
        standard=standard_in_force(fields["year"]), started_by=world.city, **fields
    )


@kind("run:succeeded")
def _succeeded_run(world: World) -> dict[str, Any]:
    return _same(_run(world, year=2023, status="succeeded", total=0, phase="done"))


@kind("run:notice_over")
def _noticed_run(world: World) -> dict[str, Any]:
    today = timezone.localdate()
    return _same(
        _run(
            world,
            year=2022,
            status="published",
            notice_from=today - dt.timedelta(days=14),
            notice_to=today - dt.timedelta(days=7),
            published_at=timezone.now(),
            published_by=world.city,
        )
    )


@kind("run:simulation")
def _simulation_run(world: World) -> dict[str, Any]:
    """A simulation (预评价) forced into the published state: still never public (issue 17)."""
    today = timezone.localdate()
    return _same(
        _run(
            world,
            year=2020,
            status="published",
            is_simulation=True,
            notice_from=today - dt.timedelta(days=1),
            notice_to=today + dt.timedelta(days=7),
            published_at=timezone.now(),
            published_by=world.city,
        )
    )


@kind("run:failed")
def _failed_run(world: World) -> dict[str, Any]:
    return _same(_run(world, year=2021, status="failed", error="RuntimeError: worker lost", phase="failed"))


@kind("standard")
def _standard(world: World) -> dict[str, Any]:
    from factories.models import GradingStandard

    return _same(GradingStandard.objects.get(status="adopted", code="CQ-GF-2024", version=1))


@kind("catalogue")
def _catalogue(world: World) -> dict[str, Any]:
    from factories.models import CatalogueVersion

    return _same(CatalogueVersion.objects.get(code="GBT36132-2018"))


@kind("standard:draft")
def _draft_standard(world: World) -> dict[str, Any]:
    from factories.grading import services as grading

    base = world.objects("standard")["own"]
    return _same(grading.grading_standard_new_version(actor=world.city, base=base, note="系统测试草案"))


def _personal(world: World, make: Callable[[Any, str], Any]) -> dict[str, Any]:
    own = PerPersona({role: make(world.persona(role), role) for role in PERSONA_FIXTURES})
    return {
        "own": own,
        "other_enterprise": make(world.owner("other_enterprise"), "erin"),
        "other_district": make(world.owner("other_district"), "charlie"),
    }


@kind("notification")
def _notifications(world: World) -> dict[str, Any]:
    from accounts.models import Notification

    return _personal(
        world,
        lambda user, tag: Notification.objects.create(
            user=user, kind="reminder", key=f"system:{tag}", title="请按时报送年度数据"
        ),
    )


@kind("token")
def _tokens(world: World) -> dict[str, Any]:
    from accounts.tokens import token_issue

    return _personal(world, lambda user, tag: token_issue(user=user)[0])


@kind("export")
def _exports(world: World) -> dict[str, Any]:
    from reporting.jobs import export_request

    return _personal(world, lambda user, tag: export_request(actor=user, kind="enterprises")[0])


def filled_workbook(enterprises: list[Any], values: dict[str, str] | None = None) -> bytes:
    """The import template for `enterprises` with every row filled with `values`."""
    from openpyxl import load_workbook

    from factories.indicators import GBT36132_2018
    from reporting import imports

    data = imports.build_template(
        year=REPORTING_YEAR,
        enterprises=[(e.credit_code, e.name) for e in enterprises],
        catalogue_version="GBT36132-2018",
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook[imports.DATA_SHEET]
    header = [c.value for c in sheet[imports.HEADER_ROW]]
    titles = dict(imports.headers(GBT36132_2018))
    for offset in range(len(enterprises)):
        for key, value in (values or GOOD_VALUES).items():
            sheet.cell(row=imports.FIRST_DATA_ROW + offset, column=header.index(titles[key]) + 1, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@kind("import")
def _imports(world: World) -> dict[str, Any]:
    """Validated uploads: bob's for each 渝中 enterprise, charlie's for the 江津 one."""
    from reporting.services import import_upload

    world.objects("reporting_year")
    jobs = {}
    for relation, enterprise in world.enterprises.items():
        jobs[relation] = import_upload(
            actor=world.reviewer(relation),
            year=REPORTING_YEAR,
            name="年度数据.xlsx",
            data=filled_workbook([enterprise]),
        )
        assert jobs[relation].status == "validated", jobs[relation].errors
    return jobs


# --- the cultivation pool (DOMAIN §7) ----------------------------------------------------------------


def _per_unit(world: World, make: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """One object per management unit: 渝中's (made by bob) for both 渝中 relations, 江津's (charlie's)."""
    yuzhong = make(world.fixture("district_user"), world.fixture("yuzhong"))
    return {
        "own": yuzhong,
        "other_enterprise": yuzhong,
        "other_district": make(world.fixture("other_district_user"), world.fixture("jiangjin")),
    }


@kind("pool:application")
def _applications(world: World) -> dict[str, Any]:
    from cultivation.services import pool_application_submit

    return {
        relation: pool_application_submit(
            actor=world.reviewer(relation),
            enterprise=enterprise,
            intention="愿意参与绿色工厂梯度培育",
            plan="三年内创建绿色工厂",
            lawful_declaration=True,
        )
        for relation, enterprise in world.enterprises.items()
    }


@kind("pool:application:evidence")
def _application_evidence(world: World) -> dict[str, Any]:
    """Each application with one evidence file (a PDF) filed by its unit's clerk; the application comes
    with `evidence_id` for the URLs that name the file."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cultivation.services.evidence import store

    found = {}
    for relation, application in world.objects("pool:application").items():
        (item,) = store(
            [SimpleUploadedFile("营业执照.pdf", b"%PDF-1.7\n%%EOF\n")],
            actor=world.reviewer(relation),
            pool_application=application,
        )
        application.evidence_id = item.pk
        found[relation] = application
    return found


@kind("pool:member")
def _members(world: World) -> dict[str, Any]:
    from cultivation.services import pool_application_accept

    return {
        relation: pool_application_accept(actor=world.reviewer(relation), application=application).membership
        for relation, application in world.objects("pool:application").items()
    }


@kind("pool:supervision")
def _supervision_records(world: World) -> dict[str, Any]:
    """A supervision record with a PDF as evidence on each member, recorded by its unit's reviewer."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cultivation.services import supervision_record_add

    return {
        relation: supervision_record_add(
            actor=world.reviewer(relation),
            membership=member,
            kind="energy_inspection",
            date=timezone.localdate(),
            evidence=SimpleUploadedFile("监察报告.pdf", b"%PDF-1.4\n", content_type="application/pdf"),
        )
        for relation, member in world.objects("pool:member").items()
    }


@kind("pool:level_job")
def _level_jobs(world: World) -> dict[str, Any]:
    from cultivation.services import level_job_execute, level_job_start

    world.objects("pool:member")

    def compute(clerk: Any, unit: Any) -> Any:
        job = level_job_start(actor=clerk, district=unit, year=REPORTING_YEAR)
        assert level_job_execute(job_id=job.pk) == "succeeded"
        job.refresh_from_db()
        return job

    return _per_unit(world, compute)


@kind("pool:level")
def _levels(world: World) -> dict[str, Any]:
    from cultivation.models import LevelDecision

    world.objects("pool:level_job")
    return {
        relation: LevelDecision.objects.get(enterprise=enterprise, year=REPORTING_YEAR)
        for relation, enterprise in world.enterprises.items()
    }


@kind("pool:level:b")
def _b_eligible(world: World) -> dict[str, Any]:
    """Every member's level raised to B-eligible, so it may apply for B-level certification."""
    levels = world.objects("pool:level")
    for decision in levels.values():
        type(decision).objects.filter(pk=decision.pk).update(level="B_eligible", computed_level="B_eligible")
        decision.refresh_from_db()
    return levels


@kind("pool:certification")
def _certifications(world: World) -> dict[str, Any]:
    from cultivation.services import b_certification_apply

    return {
        relation: b_certification_apply(
            actor=world.reviewer(relation), enterprise=decision.enterprise, year=decision.year
        )
        for relation, decision in world.objects("pool:level:b").items()
    }


@kind("pool:certification:evidence")
def _certification_evidence(world: World) -> dict[str, Any]:
    """Each B-certification application with one evidence file (a PDF) filed by its unit's clerk."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cultivation.services.evidence import store

    found = {}
    for relation, certification in world.objects("pool:certification").items():
        (item,) = store(
            [SimpleUploadedFile("节能诊断报告.pdf", b"%PDF-1.7\n%%EOF\n")],
            actor=world.reviewer(relation),
            certification=certification,
        )
        certification.evidence_id = item.pk
        found[relation] = certification
    return found


@kind("pool:certification:under_review")
def _certifications_under_review(world: World) -> dict[str, Any]:
    """Certified B factories whose later level fell: the district must confirm the loss or keep the title."""
    from cultivation.services import b_certification_certify

    certified = {
        relation: b_certification_certify(actor=world.reviewer(relation), certification=certification)
        for relation, certification in world.objects("pool:certification").items()
    }
    for certification in certified.values():
        type(certification).objects.filter(pk=certification.pk).update(
            status="under_review", review_reason="等级下降"
        )
        certification.refresh_from_db()
    return certified


@kind("public:b_district")
def _b_districts(world: World) -> dict[str, Any]:
    """The management unit of each relation's certified B factory: its public page lists it (issue 17)."""
    return {
        relation: certification.district
        for relation, certification in world.objects("pool:certification:under_review").items()
    }


@kind("pool:review")
def _reviews(world: World) -> dict[str, Any]:
    from cultivation.services import irregular_review_open

    return {
        relation: irregular_review_open(
            actor=world.reviewer(relation), membership=membership, scope_note="核查能耗数据"
        )
        for relation, membership in world.objects("pool:member").items()
    }


@kind("pool:standard")
def _pool_standards(world: World) -> dict[str, Any]:
    from cultivation.services import district_standard_in_force

    return _per_unit(world, lambda clerk, unit: district_standard_in_force(unit))


@kind("pool:report")
def _reports(world: World) -> dict[str, Any]:
    """Each unit's draft report for the reporting year, narrative written."""
    from cultivation.services import district_report_generate, district_report_save_narrative

    def draft(clerk: Any, unit: Any) -> Any:
        report, _created = district_report_generate(actor=clerk, district=unit, year=REPORTING_YEAR)
        return district_report_save_narrative(actor=clerk, report=report, narrative="本年度培育工作情况")

    return _per_unit(world, draft)


@kind("pool:report:submitted")
def _submitted_reports(world: World) -> dict[str, Any]:
    from cultivation.services import district_report_submit

    reports = world.objects("pool:report")
    submitted = {"own": district_report_submit(actor=world.reviewer("own"), report=reports["own"])}
    submitted["other_enterprise"] = submitted["own"]
    submitted["other_district"] = district_report_submit(
        actor=world.reviewer("other_district"), report=reports["other_district"]
    )
    return submitted


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Exports, imports and evidence write files; keep them out of the work tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(request, db):  # type: ignore[no-untyped-def]
    return World(request)


@pytest.fixture
def tokens(city_user, district_user, enterprise_user, auditor):  # type: ignore[no-untyped-def]
    """An API token per persona (role → key), as integrations authenticate."""
    from accounts.tokens import token_issue

    users = {"city": city_user, "district": district_user, "enterprise": enterprise_user, "auditor": auditor}
    return {role: token_issue(user=user)[1] for role, user in users.items()}
