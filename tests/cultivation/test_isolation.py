"""District isolation in the services: 江津's clerk (charlie) acting on 渝中's pool is refused and writes
nothing, whatever the object."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import NotAllowed
from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import BCertification, DistrictReport, LevelDecision

pytestmark = pytest.mark.django_db


@pytest.fixture
def yuzhong_world(certified, district_user, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    from reporting.models import AnnualSubmission
    from tests.cultivation.conftest import compute, poor_raw

    AnnualSubmission.objects.filter(enterprise=certified.membership.enterprise, year=2025).update(
        raw_values=poor_raw()
    )
    compute(district_user, 2025, django_capture_on_commit_callbacks)  # the title goes under review
    report, _created = services.district_report_generate(
        actor=district_user, district=district_user.district, year=2025
    )
    application = services.pool_application_submit(
        actor=district_user,
        enterprise=_another_enterprise(district_user.district),
        intention="意愿",
        plan="计划",
        lawful_declaration=True,
    )
    return {
        "membership": certified.membership,
        "certification": BCertification.objects.get(pk=certified.pk),
        "report": report,
        "application": application,
        "review": services.irregular_review_open(
            actor=district_user, membership=certified.membership, scope_note="核查"
        ),
        "district": district_user.district,
        "enterprise": certified.membership.enterprise,
    }


def _another_enterprise(district):  # type: ignore[no-untyped-def]
    from tests.model_factories import EnterpriseFactory

    return EnterpriseFactory(district=district)


CALLS = {
    "accept": lambda a, w: services.pool_application_accept(actor=a, application=w["application"]),
    "reject": lambda a, w: services.pool_application_reject(
        actor=a, application=w["application"], reason="越权"
    ),
    "exit": lambda a, w: services.membership_exit(actor=a, membership=w["membership"], reason="越权"),
    "supervision": lambda a, w: services.supervision_record_add(
        actor=a, membership=w["membership"], kind="assessment", date=dt.date(2025, 5, 1)
    ),
    "standard": lambda a, w: services.district_standard_new_version(
        actor=a, district=w["district"], parameters={"b_level_min": 60}, note="越权"
    ),
    "compute": lambda a, w: services.level_job_start(actor=a, district=w["district"], year=2025),
    "apply": lambda a, w: services.b_certification_apply(actor=a, enterprise=w["enterprise"], year=2025),
    "confirm_loss": lambda a, w: services.b_certification_confirm_loss(
        actor=a, certification=w["certification"], reason="越权"
    ),
    "keep": lambda a, w: services.b_certification_keep(
        actor=a, certification=w["certification"], reason="越权"
    ),
    "review_open": lambda a, w: services.irregular_review_open(
        actor=a, membership=w["membership"], scope_note="越权"
    ),
    "review_close": lambda a, w: services.irregular_review_close(
        actor=a, review=w["review"], findings="越权", falsification=True
    ),
    "report_generate": lambda a, w: services.district_report_generate(
        actor=a, district=w["district"], year=2025
    ),
    "report_narrative": lambda a, w: services.district_report_save_narrative(
        actor=a, report=w["report"], narrative="越权"
    ),
    "report_submit": lambda a, w: services.district_report_submit(actor=a, report=w["report"]),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_another_districts_clerk_is_refused_and_writes_nothing(call, yuzhong_world, other_district_user):
    entries = AuditEntry.objects.count()
    levels = list(LevelDecision.objects.values_list("level", "review_downgraded"))
    with pytest.raises(NotAllowed):
        CALLS[call](other_district_user, yuzhong_world)
    assert AuditEntry.objects.count() == entries
    assert list(LevelDecision.objects.values_list("level", "review_downgraded")) == levels
    assert BCertification.objects.get().status == "under_review"
    assert DistrictReport.objects.get().narrative == ""
