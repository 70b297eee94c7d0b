"""The role matrix of every endpoint: which persona may read or write which object, and what everyone else gets.

The endpoints come from the URL configuration (every /api/v1/ operation and every HTML route that takes an
object's id), so a new endpoint fails `test_every_endpoint_has_a_matrix_entry` until it gets a row here.

Each row names the kind of object the URL points at (see tests/system/conftest.py) and, for each role, the
answer for the three relations, always in this order:

    (own: dora's enterprise in 渝中,  other enterprise: erin's in 渝中,  other district: one in 江津)

A single value stands for all three. Statuses are HTTP codes (a set where a value legitimately varies) or:

    LISTED / HIDDEN   a list answers 200 and includes / leaves out the object
    DONE              an HTML write took effect: a redirect, and an audit entry was recorded
    LOGIN             an HTML page sends an anonymous visitor to the sign-in page

Every request runs in a savepoint that is rolled back, so each persona meets the same world. Writes send
a minimal valid body, so a 2xx means the write happened and a refusal is about the role or the scope, not
the payload. A reference to an out-of-scope row *in the body* (e.g. POST /submissions/ with 江津's
enterprise) answers 400 "object does not exist", which reveals no more than a 404 would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from tests.system.conftest import (
    GOOD_VALUES,
    PASSWORD,
    RELATIONS,
    REPORTING_YEAR,
    ROLES,
    Endpoint,
    World,
    discover_endpoints,
    filled_workbook,
)

LISTED = "listed"
HIDDEN = "hidden"
DONE = "done"
LOGIN = "login"

Cell = Any  # int | set[int] | LISTED | HIDDEN | DONE | LOGIN


def roles(
    city: Cell, district: Cell, enterprise: Cell, auditor: Cell, anonymous: Cell = 401
) -> dict[str, tuple]:
    """Expected answers per role; a value that is not a 3-tuple holds for all three relations."""
    values = (city, district, enterprise, auditor, anonymous)
    return {role: v if isinstance(v, tuple) else (v, v, v) for role, v in zip(ROLES, values, strict=True)}


def pages(city: Cell, district: Cell, enterprise: Cell, auditor: Cell) -> dict[str, tuple]:
    """The same for HTML pages, which send anonymous visitors to sign in."""
    return roles(city, district, enterprise, auditor, LOGIN)


Body = dict[str, Any] | Callable[[World, str, str], dict[str, Any]] | None


@dataclass(frozen=True)
class Row:
    kind: str
    expect: dict[str, tuple]
    body: Body = None
    fmt: str = "json"
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: str = ""  # a query string the endpoint requires
    defect: str = ""  # a known defect: the row is expected to fail (xfail strict) until it is fixed


# --- common shapes ---------------------------------------------------------------------------------

# Rows scoped by enterprise: the city and auditors see all, bob his unit's, dora her own.
SCOPED_LIST = roles(LISTED, (LISTED, LISTED, HIDDEN), (LISTED, HIDDEN, HIDDEN), LISTED)
SCOPED_GET = roles(200, (200, 200, 404), (200, 404, 404), 200)
# Reference data everybody signed in reads.
SHARED_LIST = roles(LISTED, LISTED, LISTED, LISTED)
SHARED_GET = roles(200, 200, 200, 200)
# Whole-city data for city staff and auditors only (runs with every factory's numbers, the audit trail).
CITY_LIST = roles(LISTED, HIDDEN, HIDDEN, LISTED)
CITY_GET = roles(200, 404, 404, 200)
# Personal rows: each persona sees only their own (notifications, exports).
PERSONAL_LIST = roles(
    (LISTED, HIDDEN, HIDDEN), (LISTED, HIDDEN, HIDDEN), (LISTED, HIDDEN, HIDDEN), (LISTED, HIDDEN, HIDDEN)
)
PERSONAL_GET = roles((200, 404, 404), (200, 404, 404), (200, 404, 404), (200, 404, 404))


def manage_account(status: Cell, page: bool = False) -> dict[str, tuple]:
    """A step on an account (dora, erin: fillers; charlie: 江津's clerk): the city manages staff accounts,
    bob his unit's fillers; enterprise users and auditors are refused before the lookup."""
    shape = pages if page else roles
    return shape((403, 403, status), (status, status, 404), 403, 403)


def city_only(status: Cell) -> dict[str, tuple]:
    """A write only city staff may make; every other role is refused before the object is looked up."""
    return roles(status, 403, 403, 403)


def city_only_page(status: Cell) -> dict[str, tuple]:
    return pages(status, 403, 403, 403)


# --- bodies --------------------------------------------------------------------------------------


def _flagged(world: World, relation: str) -> dict[str, Any]:
    """Plant an open anomaly flag on the submission and name it, with a reason, for dismissal."""
    from reporting.models import AnnualSubmission

    flag = {
        "kind": "inconsistent",
        "field_or_indicator": "co2",
        "message": "二氧化碳排放量与能源消费不匹配。",
        "figures": {"co2": "1"},
        "dismissed": None,
    }
    AnnualSubmission.objects.filter(pk=world.objects("submission:submitted")[relation].pk).update(
        anomaly_flags=[flag]
    )
    return {"kind": "inconsistent", "field_or_indicator": "co2", "reason": "已核对能源台账"}


def _today(days: int = 0) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _next_new_year() -> str:
    return dt.date(timezone.localdate().year + 1, 1, 1).isoformat()


def token_body(world: World, relation: str, role: str) -> dict[str, Any]:
    persona = world.persona(role)
    if persona is None:
        return {"username": "nobody", "password": "not-the-password"}
    return {"username": persona.username, "password": PASSWORD}


def new_enterprise(world: World, relation: str, role: str) -> dict[str, Any]:
    from factories.creditcode import make_credit_code

    district = "500116" if relation == "other_district" else "500103"
    serial = {"own": "55550001", "other_enterprise": "55550002", "other_district": "55550003"}[relation]
    return {
        "name": f"重庆新登记制造有限公司{serial}",
        "credit_code": make_credit_code("91", district, serial),
        "district": district,
        "industry": "36",
        "legal_form": "legal_person",
    }


def enterprise_reclassified(world: World, relation: str, role: str) -> dict[str, Any]:
    """The enterprise with its four-digit industry class filled in (PUT of the unchanged representation is
    the defect pinned by test_a_put_of_an_enterprise_as_the_api_returned_it_saves)."""
    e = world.enterprises[relation]
    return {
        "name": e.name,
        "credit_code": e.credit_code,
        "district": e.district_id,
        "industry": "3670",
        "legal_form": e.legal_form,
        "address": e.address,
        "contact_name": "李娜",
        "contact_phone": e.contact_phone,
        "contact_email": e.contact_email,
    }


def new_account(world: World, relation: str, role: str) -> dict[str, Any]:
    """The city opens a district account (for 渝中 or 江津); a district user a filler of the relation's enterprise."""
    if role == "city":
        district = "500116" if relation == "other_district" else "500103"
        return {"username": f"clerk-{relation}", "role": "district", "district": district}
    return {
        "username": f"filler-{relation}",
        "role": "enterprise",
        "enterprise": world.enterprises[relation].pk,
    }


def account_form(world: World, relation: str, role: str) -> dict[str, Any]:
    from factories.forms import UserEditForm

    account = world.objects("user")[relation]
    return form_data(UserEditForm(user=world.city, instance=account), first_name="王芳")


def recognition(world: World, relation: str, role: str) -> dict[str, Any]:
    return {"enterprise": world.enterprises[relation].pk, "tier": "city", "recognized_year": 2024}


def standard_version(world: World, relation: str, role: str) -> dict[str, Any]:
    base = world.objects("standard")[relation]
    return {"name": "重庆市绿色工厂分级评价标准（修订草案）", "parameters": base.parameters}


def incident(world: World, relation: str, role: str) -> dict[str, Any]:
    return {
        "enterprise": world.enterprises[relation].pk,
        "kind": "safety",
        "severity": "general",
        "occurred_on": "2025-03-01",
        "description": "车间发生一般安全事故",
    }


def objection_body(world: World, relation: str, role: str) -> dict[str, Any]:
    """An enterprise's objection to a published grade (dora's own: filed; another's: not among her choices)."""
    return {"result": world.objects("grade")[relation].pk, "name": "王芳", "statement": "能耗数据有误。"}


def public_objection_body(world: World, relation: str, role: str) -> dict[str, Any]:
    """The public form; the per-address throttle is reset first, since every persona posts from one address."""
    from factories.grading.views.objections import reset_throttle

    reset_throttle("127.0.0.1")
    return {
        "result": world.objects("grade")[relation].pk,
        "name": "张伟",
        "email": "zhangwei@example.cn",
        "statement": "该厂去年曾发生环境污染事件。",
    }


def rerun(world: World, relation: str, role: str) -> dict[str, Any]:
    world.objects("objection:accepted")
    return {"run": world.rerun.pk}  # type: ignore[attr-defined]


def evidence_upload(world: World, relation: str, role: str) -> dict[str, Any]:
    return {"field": "electricity", "file": SimpleUploadedFile("电费发票.pdf", b"%PDF-1.7\n%%EOF\n")}


def new_submission(world: World, relation: str, role: str) -> dict[str, Any]:
    return {"enterprise": world.enterprises[relation].pk, "year": REPORTING_YEAR, **GOOD_VALUES}


def correction(world: World, relation: str, role: str) -> dict[str, Any]:
    submission = world.objects("submission:verified")[relation]
    return {"submission": submission.pk, "reason": "统计口径错误", "new_values": {"cod": "1400"}}


def upload(world: World, relation: str, role: str) -> dict[str, Any]:
    data = filled_workbook([world.enterprises[relation]])
    return {"year": REPORTING_YEAR, "file": SimpleUploadedFile("年度数据.xlsx", data)}


def pool_application(world: World, relation: str, role: str) -> dict[str, Any]:
    return {
        "enterprise": world.enterprises[relation].pk,
        "intention": "愿意参与绿色工厂梯度培育",
        "plan": "三年内创建绿色工厂",
        "lawful_declaration": True,
    }


def b_application(world: World, relation: str, role: str) -> dict[str, Any]:
    decision = world.objects("pool:level:b")[relation]
    return {"enterprise": decision.enterprise_id, "year": decision.year}


def pool_review(world: World, relation: str, role: str) -> dict[str, Any]:
    return {"membership": world.objects("pool:member")[relation].pk, "scope_note": "核查能耗数据"}


def form_data(form: Any, **changes: Any) -> dict[str, Any]:
    """What a browser would post back for an unbound Django form, with `changes` typed in."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, Model):
            value = value.pk
        data[bound.html_name] = "" if value is None else value
    return {**data, **changes}


def enterprise_form(world: World, relation: str, role: str) -> dict[str, Any]:
    from factories.forms import EnterpriseForm

    form = EnterpriseForm(user=world.city, instance=world.enterprises[relation])
    # With the four-digit class typed in: the form as served cannot be saved (the defect pinned by
    # test_the_enterprise_edit_form_saves_as_it_was_served).
    return form_data(form, industry_code="3670", contact_name="李娜", reason="行业小类补录")


def standard_form(world: World, relation: str, role: str) -> dict[str, Any]:
    from factories.grading.forms import StandardForm

    return form_data(
        StandardForm(user=world.city, base=world.objects("standard")[relation]), note="系统测试修订"
    )


def standard_edit_form(world: World, relation: str, role: str) -> dict[str, Any]:
    from factories.grading.forms import StandardForm

    draft = world.objects("standard:draft")[relation]
    return form_data(StandardForm(user=world.city, base=draft, instance=draft), note="调整说明")


SUBMISSION_FORM = {**GOOD_VALUES, "cod": "1600", "explanation": ""}
CORRECTION_FORM = {**GOOD_VALUES, "cod": "1400", "reason": "统计口径错误"}
PUBLISH = {"notice_from": _today(), "notice_to": _today(7)}


# --- the matrix ------------------------------------------------------------------------------------

# A table is easier to read as one: the formatter leaves it alone.
# fmt: off
MATRIX: dict[str, Row | tuple[Row, ...]] = {
    # accounts
    "api:api-root GET": Row("nothing", roles(200, 200, 200, 200)),
    "api:token POST": Row("nothing", roles(200, 200, 200, 200, anonymous=400), body=token_body),
    # DELETE revokes the token it is sent with: each persona ends its own, nobody anyone else's.
    "api:token DELETE": Row("nothing", roles(204, 204, 204, 204)),
    "api:me GET": Row("nothing", roles(200, 200, 200, 200)),
    # Users: own = dora, other enterprise = erin, other district = charlie (江津's clerk). A district user sees
    # the accounts of its unit: its district users and the fillers of its enterprises (issue 14). The city
    # manages staff accounts (charlie), not enterprise fillers (403); bob manages his unit's fillers.
    "api:user-list GET": Row("user", SCOPED_LIST),
    "api:user-list POST": Row("enterprise", roles(201, (201, 201, 400), 403, 403), body=new_account),
    "api:user-detail GET": Row("user", SCOPED_GET),
    "api:user-detail PUT": Row("user", manage_account(200), body={"first_name": "王芳"}),
    "api:user-detail PATCH": Row("user", manage_account(200), body={"first_name": "王芳"}),
    "api:user-deactivate POST": Row("user", manage_account(200), body={"reason": "已离职"}),
    "api:user-reactivate POST": Row("user:inactive", manage_account(200), body={"reason": "重新入职"}),
    "api:user-reset-password POST": Row("user", manage_account(200), body={"reason": "忘记密码"}),
    # Self-registration requests: staff read those of their scope (own = claims dora's enterprise, other
    # enterprise = proposes a new one in 渝中, other district = 江津's); only the unit's district decides.
    "api:registration-list GET": Row("registration", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN, LISTED)),
    "api:registration-detail GET": Row("registration", roles(200, (200, 200, 404), 404, 200)),
    "api:registration-letter GET": Row("registration", roles(200, (200, 200, 404), 404, 200)),
    "api:registration-approve POST": Row("registration", roles(403, (200, 200, 404), 403, 403), body={"reason": ""}),
    "api:registration-reject POST": Row("registration", roles(403, (200, 200, 404), 403, 403),
                                        body={"reason": "委托书未盖章"}),
    "api:registration-resend-activation POST": Row("registration:approved", roles(403, (200, 200, 404), 403, 403)),
    "api:audit-list GET": Row("audit", CITY_LIST),
    "api:audit-detail GET": Row("audit", CITY_GET),
    # reference data
    "api:district-list GET": Row("district", SHARED_LIST),
    "api:district-detail GET": Row("district", SHARED_GET),
    "api:industry-list GET": Row("industry", SHARED_LIST),
    "api:industry-detail GET": Row("industry", SHARED_GET),
    "api:reporting-year-list GET": Row("reporting_year", SHARED_LIST),
    "api:reporting-year-list POST": Row("nothing", city_only(201),
                                        body={"year": 2024, "opens_on": "2025-01-01", "closes_on": "2025-03-31"}),
    "api:reporting-year-detail GET": Row("reporting_year", SHARED_GET),
    "api:reporting-year-detail PUT": Row("reporting_year", city_only(200), body={
        "year": REPORTING_YEAR, "opens_on": _today(-30), "closes_on": _today(60)}),
    "api:reporting-year-detail PATCH": Row("reporting_year", city_only(200), body={"closes_on": _today(60)}),
    # the register
    "api:enterprise-list GET": Row("enterprise", SCOPED_LIST),
    # District users register enterprises of their own unit only (400 for 江津).
    "api:enterprise-list POST": Row("nothing", roles(201, (201, 201, 400), 403, 403), body=new_enterprise),
    "api:enterprise-detail GET": Row("enterprise", SCOPED_GET),
    # Enterprise users may change their own contact details only (PATCH); auditors change nothing.
    "api:enterprise-detail PUT": Row("enterprise", roles(200, (200, 200, 404), (403, 404, 404), 403),
                                     body=enterprise_reclassified),
    "api:enterprise-detail PATCH": Row("enterprise", roles(200, (200, 200, 404), (200, 404, 404), 403),
                                       body={"contact_phone": "023-63999999"}),
    "api:green-factory-list GET": Row("green_factory", SCOPED_LIST),
    # Recognition is the city's; every other role is refused before its payload is read.
    "api:green-factory-list POST": Row("enterprise", roles(201, (403, 403, 403), (403, 403, 403), 403),
                                       body=recognition),
    "api:green-factory-detail GET": Row("green_factory", SCOPED_GET),
    "api:green-factory-detail PUT": Row("green_factory", roles(405, 405, 405, 405)),
    "api:green-factory-detail PATCH": Row("green_factory", roles(405, 405, 405, 405)),
    # The register's revoke files a proposal (201) for a second city user; the title stays until then.
    "api:green-factory-revoke POST": Row("green_factory", roles(201, (403, 403, 403), (403, 403, 403), 403),
                                         body={"reason": "重大安全事故"}),
    # grading
    "api:catalogue-list GET": Row("catalogue", SHARED_LIST),
    "api:catalogue-detail GET": Row("catalogue", SHARED_GET),
    "api:grading-standard-list GET": Row("standard", SHARED_LIST),
    "api:grading-standard-list POST": Row("standard", city_only(201), body=standard_version),
    "api:grading-standard-detail GET": Row("standard", SHARED_GET),
    "api:grading-standard-detail PUT": Row("standard:draft", roles(405, 403, 403, 403)),
    "api:grading-standard-detail PATCH": Row("standard:draft", city_only(200), body={"note": "调整说明"}),
    "api:grading-standard-adopt POST": Row("standard:draft", city_only(200), body={"valid_from": _next_new_year()}),
    "api:grading-run-list GET": Row("run:published", CITY_LIST),
    "api:grading-run-list POST": Row("closed_year", city_only(202), body={"year": 2024}),
    "api:grading-run-detail GET": Row("run:published", CITY_GET),
    "api:grading-run-results GET": Row("run:published", CITY_GET),
    "api:grading-run-diff GET": Row("run:published", CITY_GET),
    "api:grading-run-publish POST": Row("run:succeeded", city_only(200), body=PUBLISH),
    "api:grading-run-finalize POST": Row("run:notice_over", city_only(200)),
    "api:grading-run-retry POST": Row("run:failed", city_only(200)),
    "api:grade-list GET": Row("grade", SCOPED_LIST),
    "api:grade-detail GET": Row("grade", SCOPED_GET),
    "api:grade-explanation GET": Row("grade", SCOPED_GET),
    "api:recommendation-list GET": Row("recommendation", SCOPED_LIST),
    "api:recommendation-detail GET": Row("recommendation", SCOPED_GET),
    "api:incident-list GET": Row("incident", SCOPED_LIST),
    "api:incident-list POST": Row("green_factory", city_only(201), body=incident, fmt="multipart"),
    "api:incident-detail GET": Row("incident", SCOPED_GET),
    # The incidents were recorded by alan; alice is the second person who may confirm.
    "api:incident-confirm-revocation POST": Row("incident", city_only(200), body={"note": "确认撤销"}),
    # Stored files go out only through these downloads (accounts/files.py), scoped like their rows.
    "api:incident-evidence GET": Row("incident:evidence", SCOPED_GET),
    "api:revocation-proposal-list GET": Row("proposal", SCOPED_LIST),
    "api:revocation-proposal-detail GET": Row("proposal", SCOPED_GET),
    "api:revocation-proposal-confirm POST": Row("proposal", city_only(200), body={"note": "确认撤销"}),
    "api:revocation-proposal-dismiss POST": Row("proposal", city_only(200), body={"note": "已完成整改"}),
    "api:revocation-proposal-reject POST": Row("proposal", city_only(200), body={"note": "已完成整改"}),
    # Objections (异议) to a published grade: scoped like the grade; an enterprise files about its own result
    # only (another's is not among its choices: 400); the city decides and links the new run.
    "api:objection-list GET": Row("objection", SCOPED_LIST),
    "api:objection-list POST": Row("grade", roles(403, 403, (201, 400, 400), 403), body=objection_body,
                                   fmt="multipart"),
    "api:objection-detail GET": Row("objection", SCOPED_GET),
    "api:objection-accept POST": Row("objection", city_only(200), body={
        "reason": "情况属实。", "remedy_kind": "method_note", "note": "补充说明计算口径"}),
    "api:objection-reject POST": Row("objection", city_only(200), body={"reason": "经核查不属实。"}),
    "api:objection-link-run POST": Row("objection:accepted", city_only(200), body=rerun),
    # reporting
    "api:submission-list GET": Row("submission:draft", SCOPED_LIST),
    # The city and auditors review but do not fill in (403); 江津's enterprise is not in bob's or dora's
    # choices (400).
    "api:submission-list POST": Row("enterprise:reporting", roles(403, (201, 201, 400), (201, 400, 400), 403),
                                    body=new_submission),
    "api:submission-detail GET": Row("submission:draft", SCOPED_GET),
    "api:submission-detail PUT": Row("submission:draft", roles(403, (200, 200, 404), (200, 404, 404), 403),
                                     body={"cod": "1600"}),
    "api:submission-detail PATCH": Row("submission:draft", roles(403, (200, 200, 404), (200, 404, 404), 403),
                                       body={"cod": "1600"}),
    "api:submission-indicators GET": Row("submission:draft", SCOPED_GET),
    "api:submission-submit POST": Row("submission:draft", roles(403, (200, 200, 404), (200, 404, 404), 403)),
    # Dora may not approve even her own data (403); rows she cannot see stay 404.
    "api:submission-approve POST": Row("submission:submitted", roles(403, (200, 200, 404), (403, 404, 404), 403),
                                       body={"reason": ""}),
    "api:submission-verify POST": Row("submission:approved", roles(200, (403, 403, 404), (403, 404, 404), 403),
                                      body={"reason": "复核通过"}),
    "api:submission-return- POST": Row("submission:submitted", roles(200, (200, 200, 404), (403, 404, 404), 403),
                                       body={"reason": "请核实用电量"}),
    # Evidence (佐证材料): read in scope; attached and removed by the filer of a draft (dora, bob for his unit).
    "api:submission-evidence GET": Row("submission:evidence", SCOPED_GET),
    "api:submission-evidence POST": Row("submission:draft", roles(403, (201, 201, 404), (201, 404, 404), 403),
                                        body=evidence_upload, fmt="multipart"),
    "api:submission-evidence-download GET": Row("submission:evidence", SCOPED_GET),
    "api:submission-evidence-remove POST": Row("submission:evidence",
                                               roles(403, (204, 204, 404), (204, 404, 404), 403)),
    # Reviewers dismiss an anomaly flag with a reason; an enterprise never may (nor see flags), another unit's
    # submission stays 404.
    "api:submission-dismiss-anomaly POST": Row("submission:submitted",
                                               roles(200, (200, 200, 404), (403, 404, 404), 403),
                                               body=lambda w, relation, role: _flagged(w, relation)),
    "api:correction-list GET": Row("correction", SCOPED_LIST),
    # Bulk steps answer 200 with a verdict per id; an id outside the caller's scope is reported as not_found
    # and never acted on (tests/reporting/test_bulk_review.py checks the verdicts).
    "api:submission-bulk-approve POST": Row("submission:submitted", roles(403, 200, 403, 403),
                                            body=lambda w, relation, role: {"ids": [w.objects("submission:submitted")[relation].pk]}),
    "api:submission-bulk-verify POST": Row("submission:approved", roles(200, 403, 403, 403),
                                           body=lambda w, relation, role: {"ids": [w.objects("submission:approved")[relation].pk]}),
    # 催报: staff read the non-filers of their scope; the city and districts remind (per item, as above).
    "api:non-filer-list GET": Row("enterprise:reporting", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN, LISTED),
                                  query=f"year={REPORTING_YEAR}"),
    "api:non-filer-remind POST": Row("enterprise:reporting", roles(200, 200, 403, 403),
                                     body=lambda w, relation, role: {"year": REPORTING_YEAR,
                                                                     "enterprises": [w.enterprises[relation].pk]}),
    "api:correction-list POST": Row("submission:verified", roles(403, (201, 201, 400), (201, 400, 400), 403),
                                    body=correction),
    "api:correction-detail GET": Row("correction", SCOPED_GET),
    "api:correction-approve POST": Row("correction", roles(200, (403, 403, 404), (403, 404, 404), 403),
                                       body={"reason": ""}),
    "api:correction-reject POST": Row("correction", roles(200, (403, 403, 404), (403, 404, 404), 403),
                                      body={"reason": "依据不足"}),
    "api:notification-list GET": Row("notification", PERSONAL_LIST),
    "api:notification-detail GET": Row("notification", PERSONAL_GET),
    # Everyone may export what they can see; small exports are built at once (201).
    "api:export-list GET": Row("export", PERSONAL_LIST),
    "api:export-list POST": Row("nothing", roles(201, 201, 201, 201), body={"kind": "enterprises"}),
    # Reviewer consistency (Art. 12): aggregates per unit; a district reads its own unit against the city,
    # an enterprise is refused.
    "api:oversight-reviewer-list GET": Row("nothing", roles(200, 200, 403, 200), query=f"year={REPORTING_YEAR}"),
    "api:oversight-distribution-list GET": Row("nothing", roles(200, 200, 403, 200),
                                               query=f"year={REPORTING_YEAR}&indicator=EL-01"),
    # Peer benchmarks: the caller's own enterprise only; staff have no enterprise to place.
    "api:benchmark-list GET": Row("nothing", roles(403, 403, 200, 403), query=f"year={REPORTING_YEAR}"),
    "api:export-detail GET": Row("export", PERSONAL_GET),
    "api:export-download GET": Row("export", PERSONAL_GET),
    # Imports: bob uploaded the 渝中 files, charlie the 江津 one. Only the uploader commits (the city: 403).
    "api:import-list GET": Row("import", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN, LISTED)),
    "api:import-list POST": Row("enterprise:reporting", roles(201, 201, 403, 403), body=upload, fmt="multipart"),
    "api:import-detail GET": Row("import", roles(200, (200, 200, 404), 404, 200)),
    "api:import-errors GET": Row("import", roles(200, (200, 200, 404), 404, 200)),
    "api:import-commit POST": Row("import", roles(403, (200, 200, 404), 403, 403)),
    "api:import-download GET": Row("import", roles(200, (200, 200, 404), 404, 200)),
    # --- the cultivation pool ---
    # Entry: an enterprise or its district applies (the city and auditors may not); the district decides.
    "api:cultivation-application-list GET": Row("pool:application", SCOPED_LIST),
    "api:cultivation-application-list POST": Row("enterprise", roles(403, (201, 201, 400), (201, 400, 400), 403),
                                                 body=pool_application),
    "api:cultivation-application-detail GET": Row("pool:application", SCOPED_GET),
    "api:cultivation-application-evidence-download GET": Row("pool:application:evidence", SCOPED_GET),
    "api:cultivation-application-accept POST": Row("pool:application", roles(403, (200, 200, 404), 403, 403),
                                                   body={"note": ""}),
    "api:cultivation-application-reject POST": Row("pool:application", roles(403, (200, 200, 404), 403, 403),
                                                   body={"reason": "创建计划不完整"}),
    "api:cultivation-member-list GET": Row("pool:member", SCOPED_LIST),
    "api:cultivation-member-detail GET": Row("pool:member", SCOPED_GET),
    "api:cultivation-member-exit POST": Row("pool:member", roles(403, (200, 200, 404), (200, 404, 404), 403),
                                            body={"reason": "企业自愿退出"}),
    "api:cultivation-member-supervision GET": Row("pool:member", SCOPED_GET),
    "api:cultivation-member-supervision POST": Row("pool:member", roles(403, (201, 201, 404), 403, 403), body={
        "kind": "energy_inspection", "date": _today(-1), "note": "现场节能监察"}),
    "api:cultivation-member-overdue GET": Row("pool:member", roles(200, 200, 200, 200)),
    "api:cultivation-supervision-list GET": Row("pool:supervision", SCOPED_LIST),
    "api:cultivation-supervision-detail GET": Row("pool:supervision", SCOPED_GET),
    "api:cultivation-supervision-evidence GET": Row("pool:supervision", SCOPED_GET),
    # A district's standard: its users and the enterprises of the unit read it; its own users change it.
    "api:cultivation-standard-list GET": Row("pool:standard", roles(LISTED, (LISTED, LISTED, HIDDEN),
                                                                    (LISTED, LISTED, HIDDEN), LISTED)),
    "api:cultivation-standard-list POST": Row("nothing", roles(403, 201, 403, 403), body={
        "parameters": {"b_level_min": 61}, "note": "提高B级水平得分下限"}),
    "api:cultivation-standard-detail GET": Row("pool:standard", roles(200, (200, 200, 404), (200, 200, 404), 200)),
    "api:cultivation-level-list GET": Row("pool:level", SCOPED_LIST),
    "api:cultivation-level-detail GET": Row("pool:level", SCOPED_GET),
    "api:cultivation-level-compute POST": Row("nothing", roles(403, 202, 403, 403), body={"year": REPORTING_YEAR}),
    # Level jobs and district reports belong to a unit: enterprises see none.
    "api:cultivation-level-job-list GET": Row("pool:level_job", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN,
                                                                      LISTED)),
    "api:cultivation-level-job-detail GET": Row("pool:level_job", roles(200, (200, 200, 404), 404, 200)),
    "api:cultivation-certification-list GET": Row("pool:certification", SCOPED_LIST),
    "api:cultivation-certification-list POST": Row("pool:level:b",
                                                   roles(403, (201, 201, 400), (201, 400, 400), 403),
                                                   body=b_application),
    "api:cultivation-certification-detail GET": Row("pool:certification", SCOPED_GET),
    "api:cultivation-certification-evidence-download GET": Row("pool:certification:evidence", SCOPED_GET),
    "api:cultivation-certification-certify POST": Row("pool:certification", roles(403, (200, 200, 404), 403, 403),
                                                      body={"note": ""}),
    "api:cultivation-certification-reject POST": Row("pool:certification", roles(403, (200, 200, 404), 403, 403),
                                                     body={"reason": "资料不实"}),
    "api:cultivation-certification-confirm-loss POST": Row("pool:certification:under_review",
                                                           roles(403, (200, 200, 404), 403, 403),
                                                           body={"reason": "等级已降至C级"}),
    "api:cultivation-certification-keep POST": Row("pool:certification:under_review",
                                                   roles(403, (200, 200, 404), 403, 403),
                                                   body={"reason": "整改后仍符合要求"}),
    "api:cultivation-certification-recommended GET": Row("pool:certification", roles(200, 200, 200, 200)),
    # Irregular reviews are unannounced: the enterprise does not see the file.
    "api:cultivation-review-list GET": Row("pool:review", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN, LISTED)),
    "api:cultivation-review-list POST": Row("pool:member", roles(201, (201, 201, 400), 403, 403), body=pool_review),
    "api:cultivation-review-detail GET": Row("pool:review", roles(200, (200, 200, 404), 404, 200)),
    "api:cultivation-review-close POST": Row("pool:review", roles(200, (200, 200, 404), 403, 403), body={
        "findings": "未发现问题", "falsification": False}),
    "api:cultivation-district-report-list GET": Row("pool:report", roles(LISTED, (LISTED, LISTED, HIDDEN), HIDDEN,
                                                                         LISTED)),
    # A district drafts its own unit's report (the relation does not matter).
    "api:cultivation-district-report-list POST": Row("nothing", roles(403, 201, 403, 403),
                                                     body={"year": REPORTING_YEAR}),
    "api:cultivation-district-report-detail GET": Row("pool:report", roles(200, (200, 200, 404), 404, 200)),
    "api:cultivation-district-report-detail PUT": Row("pool:report", roles(405, 405, 405, 405)),
    "api:cultivation-district-report-detail PATCH": Row("pool:report", roles(403, (200, 200, 404), 403, 403),
                                                        body={"narrative": "补充培育工作情况"}),
    "api:cultivation-district-report-submit POST": Row("pool:report", roles(403, (200, 200, 404), 403, 403)),
    "api:cultivation-district-report-acknowledge POST": Row("pool:report:submitted", city_only(200),
                                                            body={"note": "已阅"}),
    "api:cultivation-district-report-return- POST": Row("pool:report:submitted", city_only(200),
                                                        body={"reason": "请补充监管情况"}),
    "api:cultivation-district-report-missing GET": Row("nothing", roles(200, 200, 200, 200),
                                                       query=f"year={REPORTING_YEAR}"),
    # --- HTML pages that take an id ---
    # Account pages: city and district staff only; the reset page shows the temporary password (200).
    "users:user_detail GET": Row("user", pages(200, (200, 200, 404), 403, 403)),
    "users:user_edit GET": Row("user", manage_account(200, page=True)),
    "users:user_edit POST": Row("user", manage_account(DONE, page=True), body=account_form),
    "users:user_step GET": (
        Row("user", manage_account(200, page=True), kwargs={"action": "deactivate"}),
        Row("user:inactive", manage_account(200, page=True), kwargs={"action": "reactivate"}),
        Row("user", manage_account(200, page=True), kwargs={"action": "reset-password"}),
    ),
    "users:user_step POST": (
        Row("user", manage_account(DONE, page=True), kwargs={"action": "deactivate"}, body={"reason": "已离职"}),
        Row("user:inactive", manage_account(DONE, page=True), kwargs={"action": "reactivate"},
            body={"reason": "重新入职"}),
        Row("user", manage_account(200, page=True), kwargs={"action": "reset-password"},
            body={"reason": "忘记密码"}),
    ),
    # Self-registration: staff read the requests of their scope and the letters; the unit's district decides.
    "registrations:detail GET": Row("registration", pages(200, (200, 200, 404), 403, 200)),
    "registrations:letter GET": Row("registration", pages(200, (200, 200, 404), 403, 200)),
    "registrations:decide POST": (
        Row("registration", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "approve"}),
        Row("registration", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "reject"},
            body={"reason": "委托书未盖章"}),
        Row("registration:approved", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "resend"}),
    ),
    # Each persona revokes its own API tokens from the tokens page, nobody else's.
    "accounts:token_revoke POST": Row("token", pages((DONE, 404, 404), (DONE, 404, 404), (DONE, 404, 404),
                                                     (DONE, 404, 404))),
    # Dora's own enterprise page is her "my enterprise" page (redirect).
    "factories:enterprise_detail GET": Row("enterprise", pages(200, (200, 200, 404), (302, 404, 404), 200)),
    "factories:enterprise_edit GET": Row("enterprise", pages(200, (200, 200, 404), 403, 403)),
    "factories:enterprise_edit POST": Row("enterprise", pages(DONE, (DONE, DONE, 404), 403, 403),
                                          body=enterprise_form),
    "factories:greenfactory_revoke GET": Row("green_factory", city_only_page(200)),
    "factories:greenfactory_revoke POST": Row("green_factory", city_only_page(DONE),
                                              body={"reason": "发生重大安全事故"}),
    "factories:run_detail GET": Row("run:published", pages(200, 403, 403, 200)),
    "factories:run_progress GET": Row("run:published", pages(200, 403, 403, 200)),
    # The 公示 notice as a Word document: the city issues it.
    "factories:run_notice_document GET": Row("run:published", city_only_page(200)),
    "factories:run_publish POST": Row("run:succeeded", city_only_page(DONE), body=PUBLISH),
    "factories:run_finalize POST": Row("run:notice_over", city_only_page(DONE)),
    "factories:run_retry POST": Row("run:failed", city_only_page(DONE)),
    "factories:proposal_confirm POST": Row("proposal", city_only_page(DONE), body={"note": "确认撤销"}),
    "factories:proposal_dismiss POST": Row("proposal", city_only_page(DONE), body={"note": "已完成整改"}),
    "factories:standard_detail GET": Row("standard", pages(200, 200, 200, 200)),
    "factories:standard_new_version GET": Row("standard", city_only_page(200)),
    "factories:standard_new_version POST": Row("standard", city_only_page(DONE), body=standard_form),
    "factories:standard_edit GET": Row("standard:draft", city_only_page(200)),
    "factories:standard_edit POST": Row("standard:draft", city_only_page(DONE), body=standard_edit_form),
    "factories:standard_adopt POST": Row("standard:draft", city_only_page(DONE), body={"valid_from": _next_new_year()}),
    "factories:explanation GET": Row("grade", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    # A factory's 评价结果通知书 of a final run: the city, the factory's district and the enterprise itself.
    "factories:result_notice_document GET": Row("grade:final", pages(200, (200, 200, 404), (200, 404, 404), 403)),
    "factories:incident_evidence GET": Row("incident:evidence", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    # Objections: the public form of a run in notice answers everyone, signed in or not (its run_id is the
    # grade's run); an enterprise objects to its own grade from 我的等级; the city decides on the detail page.
    "objections:public_new GET": Row("grade", roles(200, 200, 200, 200, anonymous=200)),
    "objections:public_new POST": Row("grade", roles(DONE, DONE, DONE, DONE, anonymous=DONE),
                                      body=public_objection_body),
    "factories:objection_create GET": Row("grade", pages(403, (403, 403, 404), (200, 404, 404), 403)),
    "factories:objection_create POST": Row("grade", pages(403, (403, 403, 404), (DONE, 404, 404), 403),
                                           body={"name": "王芳", "statement": "能耗数据有误。"}),
    "factories:objection_detail GET": Row("objection", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "factories:objection_evidence GET": Row("objection", pages(200, (200, 200, 404), (200, 404, 404), 200),
                                            kwargs={"n": 1}),
    "factories:objection_action POST": (
        Row("objection", pages(DONE, (403, 403, 404), (403, 404, 404), 403), kwargs={"action": "decide"},
            body={"decision": "reject", "reason": "经核查不属实。", "confirm": "on"}),
        Row("objection:accepted", pages(DONE, (403, 403, 404), (403, 404, 404), 403),
            kwargs={"action": "link-run"}, body=rerun),
    ),
    # The data-entry page: reviewers see it read-only; a POST from them is turned away with a message (302).
    "reporting:submission_edit GET": Row("submission:draft", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "reporting:submission_edit POST": Row("submission:draft", pages(302, (DONE, DONE, 404), (DONE, 404, 404), 302),
                                          body=SUBMISSION_FORM),
    "reporting:submission_detail GET": Row("submission:draft", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    # A reviewer's revision note: the city and bob's unit (404 outside it); dora and auditors may not.
    "reporting:field_note_add POST": Row("submission:submitted", pages(DONE, (DONE, DONE, 404), (403, 404, 404), 403),
                                         body={"field": "electricity", "note": "请核对电费发票金额"}),
    "reporting:evidence_upload POST": Row("submission:draft", pages(403, (DONE, DONE, 404), (DONE, 404, 404), 403),
                                          body=evidence_upload),
    "reporting:evidence_download GET": Row("submission:evidence",
                                           pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "reporting:evidence_remove POST": Row("submission:evidence",
                                          pages(403, (DONE, DONE, 404), (DONE, 404, 404), 403)),
    "reporting:correction_create GET": Row("submission:verified", pages(403, (200, 200, 404), (200, 404, 404), 403)),
    "reporting:correction_create POST": Row("submission:verified",
                                            pages(403, (DONE, DONE, 404), (DONE, 404, 404), 403),
                                            body=CORRECTION_FORM),
    "reporting:submission_action POST": (
        Row("submission:draft", pages(403, (DONE, DONE, 404), (DONE, 404, 404), 403), kwargs={"action": "submit"}),
        Row("submission:submitted", pages(403, (DONE, DONE, 404), (403, 404, 404), 403),
            kwargs={"action": "approve"}),
        Row("submission:approved", pages(DONE, (403, 403, 404), (403, 404, 404), 403), kwargs={"action": "verify"}),
        Row("submission:submitted", pages(DONE, (DONE, DONE, 404), (403, 404, 404), 403),
            kwargs={"action": "return"}, body={"reason": "请核实用电量"}),
    ),
    "reporting:correction_decide POST": Row("correction", city_only_page(DONE), body={"decision": "approve"}),
    "reporting:anomaly_dismiss POST": Row("submission:submitted", pages(DONE, (DONE, DONE, 404), (403, 404, 404), 403),
                                          body=lambda w, relation, role: _flagged(w, relation)),
    "reporting:export_download GET": Row("export", pages((200, 404, 404), (200, 404, 404), (200, 404, 404),
                                                         (200, 404, 404))),
    "reporting:export_progress GET": Row("export", pages((200, 404, 404), (200, 404, 404), (200, 404, 404),
                                                         (200, 404, 404))),
    "reporting:import_detail GET": Row("import", pages(200, (200, 200, 404), 403, 403)),
    "reporting:import_progress GET": Row("import", pages(200, (200, 200, 404), 403, 403)),
    # Committing someone else's upload is refused with a message on the page (302, nothing written).
    "reporting:import_detail POST": Row("import", pages(302, (DONE, DONE, 404), 403, 403)),
    "reporting:import_download GET": Row("import", pages(200, (200, 200, 404), 403, 403)),
    # the cultivation pool: the district decides; review files and reports are for staff, not enterprises
    "cultivation:application_detail GET": Row("pool:application", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:application_evidence GET": Row("pool:application:evidence",
                                                pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:application_decide POST": (
        Row("pool:application", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "accept"},
            body={"reason": ""}),
        Row("pool:application", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "reject"},
            body={"reason": "创建计划不完整"}),
    ),
    "cultivation:member_detail GET": Row("pool:member", pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:supervision_evidence GET": Row("pool:supervision",
                                                pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:member_action POST": (
        Row("pool:member", pages(403, (DONE, DONE, 404), (403, 404, 404), 403), kwargs={"action": "supervision"},
            body={"kind": "energy_inspection", "date": _today(-1), "note": "现场节能监察"}),
        Row("pool:member", pages(403, (DONE, DONE, 404), (DONE, 404, 404), 403), kwargs={"action": "exit"},
            body={"reason": "企业自愿退出"}),
        Row("pool:member", pages(DONE, (DONE, DONE, 404), (403, 404, 404), 403), kwargs={"action": "review"},
            body={"scope_note": "核查能耗数据"}),
    ),
    "cultivation:level_job_detail GET": Row("pool:level_job", pages(200, (200, 200, 404), 404, 200)),
    "cultivation:level_job_progress GET": Row("pool:level_job", pages(200, (200, 200, 404), 404, 200)),
    "cultivation:certification_detail GET": Row("pool:certification",
                                                 pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:certification_evidence GET": Row("pool:certification:evidence",
                                                  pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:certificate GET": Row("pool:certification:under_review",
                                       pages(200, (200, 200, 404), (200, 404, 404), 200)),
    "cultivation:certification_decide POST": (
        Row("pool:certification", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "certify"},
            body={"reason": ""}),
        Row("pool:certification", pages(403, (DONE, DONE, 404), 403, 403), kwargs={"action": "reject"},
            body={"reason": "资料不实"}),
        Row("pool:certification:under_review", pages(403, (DONE, DONE, 404), 403, 403),
            kwargs={"action": "confirm_loss"}, body={"reason": "等级降至C级"}),
        Row("pool:certification:under_review", pages(403, (DONE, DONE, 404), 403, 403),
            kwargs={"action": "keep"}, body={"reason": "整改后仍符合要求"}),
    ),
    "cultivation:review_detail GET": Row("pool:review", pages(200, (200, 200, 404), 403, 200)),
    "cultivation:review_detail POST": Row("pool:review", pages(DONE, (DONE, DONE, 404), 403, 403),
                                          body={"findings": "未发现问题"}),
    "cultivation:report_detail GET": Row("pool:report", pages(200, (200, 200, 404), 403, 200)),
    "cultivation:report_document GET": Row("pool:report", pages(200, (200, 200, 404), 403, 200)),
    "cultivation:report_action POST": (
        Row("pool:report", pages(403, (DONE, DONE, 404), 404, 403), kwargs={"action": "narrative"},
            body={"narrative": "补充监管与服务情况"}),
        Row("pool:report", pages(403, (DONE, DONE, 404), 404, 403), kwargs={"action": "regenerate"}),
        Row("pool:report", pages(403, (DONE, DONE, 404), 404, 403), kwargs={"action": "submit"}),
        Row("pool:report:submitted", pages(DONE, (403, 403, 404), 404, 403), kwargs={"action": "acknowledge"},
            body={"reason": "已阅"}),
        Row("pool:report:submitted", pages(DONE, (403, 403, 404), 404, 403), kwargs={"action": "return"},
            body={"reason": "请补充监管情况"}),
    ),
    # The public notice pages (issue 17): everybody, signed in or not, reads a public run and a district's B
    # factories; a draft or a simulation run answers 404 to everybody.
    "gongshi:run GET": (
        Row("run:published", roles(200, 200, 200, 200, 200)),
        Row("run:succeeded", roles(404, 404, 404, 404, 404)),
        Row("run:simulation", roles(404, 404, 404, 404, 404)),
    ),
    "gongshi:district GET": Row("public:b_district", roles(200, 200, 200, 200, 200)),
}
# fmt: on


# --- running a row ---------------------------------------------------------------------------------

ENDPOINTS = discover_endpoints()


def _cases() -> list[Any]:
    cases = []
    for key in sorted(MATRIX):
        rows = MATRIX[key] if isinstance(MATRIX[key], tuple) else (MATRIX[key],)
        for row in rows:
            label = key + "".join(f" {k}={v}" for k, v in row.kwargs.items())
            marks = [pytest.mark.xfail(strict=True, reason=f"defect: {row.defect}")] if row.defect else []
            cases.append(pytest.param(key, row, id=label, marks=marks))
    return cases


def _url(endpoint: Endpoint, obj: Any, extra: dict[str, Any], query: str = "") -> str:
    kwargs = {}
    for name in endpoint.kwargs:
        if name in extra:
            kwargs[name] = extra[name]
        elif name in ("pk", "result_pk"):
            kwargs[name] = obj.pk
        else:
            kwargs[name] = getattr(obj, name)
    url = reverse(endpoint.name, kwargs=kwargs)
    query = "&".join(part for part in (query, "page_size=500" if endpoint.is_list else "") if part)
    return f"{url}?{query}" if query else url


def _identity(endpoint: Endpoint, obj: Any) -> tuple[str, Any]:
    if endpoint.lookup_field == "pk":
        return "id", obj.pk
    return endpoint.lookup_field, getattr(obj, endpoint.lookup_field)


def _clients(world: World, tokens: dict[str, str], endpoint: Endpoint) -> dict[str, Any]:
    clients: dict[str, Any] = {}
    for role in ROLES:
        persona = world.persona(role)
        if endpoint.is_api:
            client = APIClient()
            if persona is not None:
                client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[role]}")
        else:
            client = Client()
            if persona is not None:
                client.force_login(persona)
        clients[role] = client
    return clients


def _send(client: Any, endpoint: Endpoint, url: str, body: dict[str, Any] | None, fmt: str) -> Any:
    method = endpoint.method.lower()
    if method == "get":
        return client.get(url)
    if endpoint.is_api:
        return getattr(client, method)(url, body, format=fmt)
    return getattr(client, method)(url, body or {})


def _verdict(expected: Cell, endpoint: Endpoint, response: Any, obj: Any, wrote: bool) -> str | None:
    """None when the answer is the expected one, else what was seen instead."""
    status = response.status_code
    if expected in (LISTED, HIDDEN):
        if status != 200:
            return f"{status}"
        key, value = _identity(endpoint, obj)
        listed = value in {item.get(key) for item in response.json()["results"]}
        return None if listed == (expected == LISTED) else (LISTED if listed else HIDDEN)
    if expected == DONE:
        return None if status == 302 and wrote else f"{status}{' (wrote)' if wrote else ' (nothing written)'}"
    if expected == LOGIN:
        return (
            None
            if status == 302 and response["Location"].startswith(reverse("accounts:login"))
            else f"{status}"
        )
    allowed = expected if isinstance(expected, set | frozenset) else {expected}
    return None if status in allowed else f"{status}"


def _detail(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/json"):
        return response.content.decode()[:160]
    return ""


@pytest.mark.parametrize(("key", "row"), _cases())
def test_each_role_gets_the_answer_the_matrix_gives_for_each_relation(key, row, world, tokens):
    endpoint = ENDPOINTS.get(key)
    assert endpoint is not None, f"{key} is in the matrix but not in the URL configuration"
    clients = _clients(world, tokens, endpoint)
    for relation in RELATIONS:  # build every object first, outside the savepoints
        for role in ROLES:
            world.target(row.kind, relation, role)
    mismatches = []
    for role in ROLES:
        for index, relation in enumerate(RELATIONS):
            expected = row.expect[role][index]
            obj = world.target(row.kind, relation, role)
            url = _url(endpoint, obj, row.kwargs, row.query)
            with transaction.atomic():
                body = row.body(world, relation, role) if callable(row.body) else row.body
                entries = AuditEntry.objects.count()
                response = _send(clients[role], endpoint, url, body, row.fmt)
                wrote = AuditEntry.objects.count() > entries
                transaction.set_rollback(True)
            seen = _verdict(expected, endpoint, response, obj, wrote)
            if seen is not None:
                mismatches.append(
                    f"{role:<10} {relation:<16} expected {expected}, got {seen} {_detail(response)}"
                )
    assert not mismatches, f"{key} {row.kwargs or ''}\n" + "\n".join(mismatches)


def test_every_endpoint_has_a_matrix_entry():
    missing = sorted(set(ENDPOINTS) - set(MATRIX))
    assert not missing, (
        "endpoints without a row in MATRIX (tests/system/test_access_matrix.py):\n" + "\n".join(missing)
    )


def test_the_matrix_names_no_endpoint_that_is_gone():
    stale = sorted(set(MATRIX) - set(ENDPOINTS))
    assert not stale, "rows for endpoints the URL configuration no longer has:\n" + "\n".join(stale)


def test_lists_leave_out_what_the_detail_hides():
    """A list may not show a row its detail page answers 404 for, and the other way round."""
    for key, row in MATRIX.items():
        if not isinstance(row, Row) or not key.endswith("-list GET"):
            continue
        detail = MATRIX.get(key.replace("-list GET", "-detail GET"))
        if not isinstance(detail, Row) or detail.kind != row.kind:
            continue
        for role in ROLES[:-1]:
            expected = tuple(LISTED if status == 200 else HIDDEN for status in detail.expect[role])
            assert row.expect[role] == expected, f"{key} disagrees with its detail route for {role}"


# --- refusal before the payload ----------------------------------------------------------------------

WRITES = ("POST", "PUT", "PATCH")

# Every viewset names the right each action needs (ScopedMixin.rights, from accounts.permissions), so a
# refused role is told it may not write (403) before anything about its payload (400).


def _refusals() -> list[Any]:
    cases = []
    for key in sorted(MATRIX):
        endpoint = ENDPOINTS.get(key)
        if endpoint is None or not endpoint.is_api or endpoint.method not in WRITES:
            continue
        rows = MATRIX[key] if isinstance(MATRIX[key], tuple) else (MATRIX[key],)
        for row in rows:
            for role in ROLES[:-1]:
                cells = row.expect[role]
                # An enterprise user may PUT its own contact details, so an empty PUT is a 400 about the
                # payload, not a refusal; its 403 comes from the service when other fields change.
                if (key, role) == ("api:enterprise-detail PUT", "enterprise"):
                    continue
                if 403 in cells and set(cells) <= {400, 403, 404}:
                    cases.append(pytest.param(key, row, role, id=f"{key} {role}"))
    return cases


@pytest.mark.parametrize(("key", "row", "role"), _refusals())
def test_a_refused_role_is_told_so_before_its_payload_is_read(key, row, role, world, tokens):
    endpoint = ENDPOINTS[key]
    relation = RELATIONS[row.expect[role].index(403)]
    obj = world.target(row.kind, relation, role)
    client = _clients(world, tokens, endpoint)[role]
    response = _send(client, endpoint, _url(endpoint, obj, row.kwargs, row.query), {}, row.fmt)
    assert response.status_code == 403, (response.status_code, _detail(response))


# --- defects found by the matrix (fixed at the root; these keep them fixed) ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["city_user", "enterprise_user"])
def test_a_put_of_an_enterprise_as_the_api_returned_it_saves(persona, request, enterprise):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(persona))
    url = reverse("api:enterprise-detail", args=[enterprise.pk])
    body = {**client.get(url).json(), "contact_name": "李娜"}
    response = client.put(url, body, format="json")
    assert response.status_code == 200, response.json()


def test_the_enterprise_edit_form_saves_as_it_was_served(client, city_user, enterprise):
    from factories.forms import EnterpriseForm

    client.force_login(city_user)
    data = form_data(EnterpriseForm(user=city_user, instance=enterprise), contact_name="李娜")
    response = client.post(reverse("factories:enterprise_edit", args=[enterprise.pk]), data)
    assert response.status_code == 302, response.context["form"].errors


# --- public pages without an object id (issue 17) ------------------------------------------------------
# Discovery above matrixes routes that take an id; the public pages that take a certificate's code, and
# the public lists, are listed here: every role, and anonymous visitors, read them (200); an unknown code
# answers 404.


def _certificate(world: World, kind: str) -> Any:
    """A grade certificate (the graded world's run made final) or a B certificate (a certified B factory)."""
    from factories.grading import services as grading
    from factories.models import Certificate

    if kind == "b":
        return world.objects("pool:certification:under_review")["own"].certificate
    run = world.objects("graded")["run"]
    today = timezone.localdate()
    type(run).objects.filter(pk=run.pk).update(
        notice_from=today - dt.timedelta(days=14), notice_to=today - dt.timedelta(days=1)
    )
    run.refresh_from_db()
    grading.grading_run_finalize(actor=world.city, run=run)
    return Certificate.objects.filter(result__run=run).first()


@pytest.mark.parametrize("kind", ["grade", "b"])
def test_the_public_pages_answer_everybody_alike(kind, world):
    certificate = _certificate(world, kind)
    assert certificate is not None
    urls = [
        (reverse("gongshi:index"), 200),
        (reverse("gongshi:districts"), 200),
        (reverse("gongshi:certificate", args=[certificate.code]), 200),
        (reverse("verify", args=[certificate.code]), 200),
        (reverse("verify", args=["ZZZZZZZZZZZZ"]), 404),
        (reverse("gongshi:certificate", args=["ZZZZZZZZZZZZ"]), 404),
    ]
    mismatches = []
    for role in ROLES:
        client = Client()
        persona = world.persona(role)
        if persona is not None:
            client.force_login(persona)
        for url, expected in urls:
            status = client.get(url).status_code
            if status != expected:
                mismatches.append(f"{role:<10} {url} expected {expected}, got {status}")
    assert not mismatches, "\n".join(mismatches)
