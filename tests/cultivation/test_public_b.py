"""The districts' public pages of B-level factories and B certificates (issue 17): anonymous visitors read
each district's certified B factories (public fields only) and a certificate's status, which follows the
district's decisions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from cultivation import services
from cultivation.models import BCertification
from factories.certificates import mask_credit_code
from reporting.models import AnnualSubmission
from tests.cultivation.conftest import compute, poor_raw

pytestmark = pytest.mark.django_db


def text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_certifying_issues_an_audited_certificate_shown_on_the_district_page(certified, district_user):
    certificate = certified.certificate
    assert certificate is not None and certificate.kind == "b"
    entry = AuditEntry.objects.get(action="certificate.issue")
    assert entry.actor == district_user and entry.changes["code"] == [None, certificate.code]
    enterprise = certified.membership.enterprise
    client = Client()
    page = text(client.get(reverse("gongshi:district", args=[certified.district_id])))
    assert enterprise.name in page and certified.certificate_no in page
    assert mask_credit_code(enterprise.credit_code) in page and enterprise.credit_code not in page
    assert reverse("gongshi:certificate", args=[certificate.code]) in page
    assert certified.district.name in text(client.get(reverse("gongshi:districts")))
    status = text(client.get(reverse("verify", args=[certificate.code])))
    assert "有效" in status and certified.certificate_no in status
    printable = text(client.get(reverse("gongshi:certificate", args=[certificate.code])))
    assert "<svg" in printable and reverse("verify", args=[certificate.code]) in printable


def test_an_application_not_yet_certified_is_not_public(b_member, enterprise_user):
    services.b_certification_apply(actor=enterprise_user, enterprise=b_member.enterprise, year=2025)
    client = Client()
    assert client.get(reverse("gongshi:district", args=[b_member.district_id])).status_code == 404
    assert b_member.district.name not in text(client.get(reverse("gongshi:districts")))


def test_a_lost_certification_reads_downgraded_and_leaves_the_district_page(
    certified, district_user, django_capture_on_commit_callbacks
):
    member = certified.membership
    AnnualSubmission.objects.filter(enterprise=member.enterprise, year=2025).update(raw_values=poor_raw())
    compute(district_user, 2025, django_capture_on_commit_callbacks)
    certified.refresh_from_db()
    assert certified.status == "under_review"
    client = Client()
    assert "认定待区县复核" in text(client.get(reverse("verify", args=[certified.certificate.code])))
    services.b_certification_confirm_loss(actor=district_user, certification=certified, reason="等级降至C级")
    page = text(client.get(reverse("verify", args=[certified.certificate.code])))
    assert "已降级" in page and "等级降至C级" not in page
    assert client.get(reverse("gongshi:district", args=[certified.district_id])).status_code == 404


def test_a_certification_withdrawn_on_exit_reads_revoked_with_its_date(certified, district_user):
    services.membership_exit(actor=district_user, membership=certified.membership, reason="企业自愿退出")
    certified = BCertification.objects.get(pk=certified.pk)
    assert certified.status == "withdrawn" and certified.ended_at is not None
    page = text(Client().get(reverse("verify", args=[certified.certificate.code])))
    assert "已撤销" in page and timezone.localdate(certified.ended_at).isoformat() in page


def test_the_districts_own_certificate_page_carries_the_qr_code_of_the_status_page(certified, district_user):
    client = Client()
    client.force_login(district_user)
    page = text(client.get(reverse("cultivation:certificate", args=[certified.pk])))
    assert "<svg" in page and reverse("verify", args=[certified.certificate.code]) in page
