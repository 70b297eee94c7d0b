"""Enterprise self-registration (issue 14 item 1): the public request, the district's queue and decision,
the one-time activation link, duplicates, forged letters, throttling and the audit trail."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEntry, User
from factories.creditcode import make_credit_code
from factories.models import Enterprise, RegistrationRequest
from factories.views_registration import throttle_key

pytestmark = pytest.mark.django_db

NEW_CODE = make_credit_code("91", "500103", "88880001")
PASSWORD = "Lvse-Register-2026"


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image_bytes(fmt: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def letter(name: str = "授权委托书.pdf", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data)


def form(**changes: Any) -> dict[str, Any]:
    return {
        "credit_code": NEW_CODE,
        "enterprise_name": "重庆新注册环保材料有限公司",
        "district": "500103",
        "industry": "36",
        "legal_form": "legal_person",
        "contact_name": "张伟",
        "mobile": "13800138000",
        "email": "zhangwei@example.cn",
        "letter": letter(),
        **changes,
    }


def submit(client: Client | None = None, address: str = "127.0.0.1", **changes: Any) -> Any:
    return (client or Client()).post(reverse("registrations:register"), form(**changes), REMOTE_ADDR=address)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def activation_path(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/register/activate/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def _clean(settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for address in ("127.0.0.1", "10.0.0.7", "10.0.0.8"):
        cache.delete(throttle_key(address))
    yield
    for address in ("127.0.0.1", "10.0.0.7", "10.0.0.8"):
        cache.delete(throttle_key(address))


# --- the public page --------------------------------------------------------------------------------


def test_the_login_page_links_to_the_public_registration_page_in_chinese():
    login = Client().get(reverse("accounts:login"))
    assert reverse("registrations:register") in login.content.decode()
    assert "企业注册" in login.content.decode()
    page = Client().get(reverse("registrations:register"))
    assert page.status_code == 200
    text = page.content.decode()
    for label in (
        "统一社会信用代码",
        "企业名称",
        "管理单位",
        "行业大类",
        "联系人姓名",
        "手机号码",
        "电子邮箱",
        "授权委托书",
    ):
        assert label in text
    assert 'enctype="multipart/form-data"' in text


def test_a_new_enterprise_registers_and_the_district_approves_it(
    yuzhong, district_user, django_capture_on_commit_callbacks
):
    response = submit()
    assert response.status_code == 302, response.context["form"].errors
    request = RegistrationRequest.objects.get()
    assert (request.status, request.enterprise, request.district_id) == ("pending", None, "500103")
    assert request.letter.name.startswith("registrations/") and "授权" not in request.letter.name
    assert request.submitted_from == "127.0.0.1"

    queue = signed_in(district_user).get(reverse("registrations:queue"))
    assert "重庆新注册环保材料有限公司" in queue.content.decode()
    assert "新登记企业" in queue.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        decided = signed_in(district_user).post(reverse("registrations:decide", args=[request.pk, "approve"]))
    assert decided.status_code == 302
    request.refresh_from_db()
    enterprise = Enterprise.objects.get(credit_code=NEW_CODE)
    assert (request.status, request.enterprise, request.decided_by) == ("approved", enterprise, district_user)
    assert (enterprise.district_id, enterprise.industry_id, enterprise.contact_email) == (
        "500103",
        "36",
        "zhangwei@example.cn",
    )
    account = User.objects.get(username="zhangwei@example.cn")
    assert (account.role, account.enterprise, account.is_active) == ("enterprise", enterprise, True)
    assert not account.has_usable_password() and not account.must_change_password
    assert request.account == account
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangwei@example.cn"]
    assert "设置登录密码" in mail.outbox[0].subject
    assert "72 小时内有效，只能使用一次" in mail.outbox[0].body


def test_the_done_page_says_which_unit_reviews_and_where_the_mail_goes(yuzhong):
    client = Client()
    response = submit(client)
    page = client.get(response["Location"])
    text = page.content.decode()
    assert "注册申请已提交" in text and "渝中区" in text and "zhangwei@example.cn" in text
    # Shown once: a reload goes back to the form.
    assert client.get(response["Location"]).status_code == 302


def test_a_request_for_a_registered_enterprise_claims_it_and_goes_to_its_own_unit(
    enterprise, jiangjin, district_user, django_capture_on_commit_callbacks
):
    response = submit(credit_code=enterprise.credit_code, district="500116", enterprise_name=enterprise.name)
    assert response.status_code == 302
    request = RegistrationRequest.objects.get()
    assert (request.enterprise, request.district_id) == (enterprise, enterprise.district_id)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(district_user).post(reverse("registrations:decide", args=[request.pk, "approve"]))
    account = User.objects.get(username="zhangwei@example.cn")
    assert account.enterprise == enterprise
    assert Enterprise.objects.filter(credit_code=enterprise.credit_code).count() == 1


# --- duplicates -------------------------------------------------------------------------------------


def test_a_second_request_for_the_same_code_is_merged_with_a_clear_message(yuzhong, district_user):
    submit()
    client = Client()
    response = submit(client, email="lisi@example.cn", contact_name="李四", address="10.0.0.7")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已有一份待审核的注册申请" in page
    assert "已合并到该申请中，无需重复提交" in page
    first, second = RegistrationRequest.objects.order_by("pk")
    assert (first.status, second.status, second.merged_into) == ("pending", "merged", first)
    # The queue shows one request; its page lists the duplicate, which cannot be decided on its own.
    queue = signed_in(district_user).get(reverse("registrations:queue")).content.decode()
    assert queue.count("重庆新注册环保材料有限公司") == 1
    detail = signed_in(district_user).get(reverse("registrations:detail", args=[first.pk])).content.decode()
    assert "合并的重复申请" in detail and "lisi@example.cn" in detail
    refused = signed_in(district_user).post(reverse("registrations:decide", args=[second.pk, "approve"]))
    assert refused.status_code == 302
    second.refresh_from_db()
    assert second.status == "merged"
    assert not User.objects.filter(username="lisi@example.cn").exists()


def test_after_a_decision_a_new_request_for_the_code_is_pending_again(yuzhong, district_user):
    submit()
    first = RegistrationRequest.objects.get()
    signed_in(district_user).post(
        reverse("registrations:decide", args=[first.pk, "reject"]), {"reason": "委托书未盖章"}
    )
    submit(address="10.0.0.7")
    assert RegistrationRequest.objects.order_by("-pk").first().status == "pending"


# --- the authorisation letter ------------------------------------------------------------------------

FORGED = {
    "an executable renamed .pdf": ("授权委托书.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),
    "an HTML page renamed .pdf": ("授权委托书.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
    "an HTML page renamed .png": ("授权委托书.png", b"<html><body>hi</body></html>"),
    "a PDF header on a file without an end": ("授权委托书.pdf", b"%PDF-1.4\n<script>alert(1)</script>\n"),
    "a PNG header on garbage": ("授权委托书.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20),
    "a JPEG header on HTML": ("授权委托书.jpg", b"\xff\xd8\xff<html>not an image</html>"),
    "a PNG named .jpg": ("授权委托书.jpg", "png"),
    "a Word document": ("授权委托书.docx", b"PK\x03\x04" + b"\x00" * 100),
    "an executable": ("授权委托书.exe", b"MZ\x90\x00"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_forged_authorisation_letter_is_refused_by_its_content(case, yuzhong):
    name, data = FORGED[case]
    if data == "png":
        data = image_bytes("PNG")
    response = submit(letter=letter(name, data))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "letter" in errors, errors
    assert "PDF、JPG 或 PNG" in " ".join(errors["letter"])
    assert not RegistrationRequest.objects.exists()


def test_a_truncated_png_is_refused(yuzhong):
    data = image_bytes("PNG")
    response = submit(letter=letter("授权委托书.png", data[: len(data) // 2]))
    assert "letter" in response.context["form"].errors
    assert not RegistrationRequest.objects.exists()


def test_a_letter_over_the_size_limit_is_refused(yuzhong):
    from factories.services import LETTER_MAX_BYTES

    big = pdf_bytes()[:-7] + b"0" * (LETTER_MAX_BYTES + 10) + b"\n%%EOF\n"
    response = submit(letter=letter("授权委托书.pdf", big))
    assert "不能超过 5 MB" in " ".join(response.context["form"].errors["letter"])
    assert not RegistrationRequest.objects.exists()


@pytest.mark.parametrize(
    ("name", "kind"), [("委托书.pdf", "pdf"), ("委托书.PNG", "PNG"), ("委托书.jpeg", "JPEG")]
)
def test_real_pdf_and_image_letters_are_accepted_and_stored_privately(name, kind, yuzhong, district_user):
    data = pdf_bytes() if kind == "pdf" else image_bytes(kind)
    assert submit(letter=letter(name, data)).status_code == 302
    request = RegistrationRequest.objects.get()
    assert request.letter_name == name
    url = reverse("registrations:letter", args=[request.pk])
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    download = signed_in(district_user).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert download["Cache-Control"] == "private, no-store"


def test_credit_code_and_mobile_are_checked(yuzhong):
    response = submit(credit_code=NEW_CODE[:-1] + ("0" if NEW_CODE[-1] != "0" else "1"), mobile="12345")
    errors = response.context["form"].errors
    assert "credit_code" in errors and "mobile" in errors
    assert not RegistrationRequest.objects.exists()


# --- throttling --------------------------------------------------------------------------------------


def test_submissions_are_throttled_per_client_address(yuzhong, settings):
    settings.REGISTRATION_THROTTLE_LIMIT = 2
    assert submit(address="10.0.0.7").status_code == 302
    assert (
        submit(address="10.0.0.7", credit_code=make_credit_code("91", "500103", "88880002")).status_code
        == 302
    )
    third = submit(address="10.0.0.7", credit_code=make_credit_code("91", "500103", "88880003"))
    assert third.status_code == 429
    assert "提交注册申请的次数过多" in third.content.decode()
    assert RegistrationRequest.objects.count() == 2
    assert AuditEntry.objects.filter(action="registration.throttled", reason__contains="10.0.0.7").exists()
    # Another address is not affected.
    other = submit(address="10.0.0.8", credit_code=make_credit_code("91", "500103", "88880004"))
    assert other.status_code == 302


def test_the_throttle_counts_the_client_behind_a_trusted_proxy_not_the_proxy(yuzhong, settings):
    settings.REGISTRATION_THROTTLE_LIMIT = 1
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    client = Client()
    url = reverse("registrations:register")
    first = client.post(url, form(), REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.7")
    assert first.status_code == 302
    other = client.post(
        url,
        form(credit_code=make_credit_code("91", "500103", "88880005")),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.8",
    )
    assert other.status_code == 302
    again = client.post(
        url,
        form(credit_code=make_credit_code("91", "500103", "88880006")),
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.7",
    )
    assert again.status_code == 429


# --- scope -----------------------------------------------------------------------------------------


def test_another_district_cannot_see_or_act_on_a_request(
    yuzhong, jiangjin, district_user, other_district_user
):
    submit()
    request = RegistrationRequest.objects.get()
    charlie = signed_in(other_district_user)
    assert "重庆新注册环保材料有限公司" not in charlie.get(reverse("registrations:queue")).content.decode()
    for url in (
        reverse("registrations:detail", args=[request.pk]),
        reverse("registrations:letter", args=[request.pk]),
    ):
        assert charlie.get(url).status_code == 404
    for action in ("approve", "reject"):
        assert (
            charlie.post(
                reverse("registrations:decide", args=[request.pk, action]), {"reason": "x"}
            ).status_code
            == 404
        )
    api = APIClient()
    api.force_authenticate(other_district_user)
    assert api.get(reverse("api:registration-list")).json()["count"] == 0
    assert api.get(reverse("api:registration-detail", args=[request.pk])).status_code == 404
    assert api.get(reverse("api:registration-letter", args=[request.pk])).status_code == 404
    for action in ("approve", "reject"):
        response = api.post(
            reverse(f"api:registration-{action}", args=[request.pk]), {"reason": "x"}, format="json"
        )
        assert response.status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"
    # Its own district sees and decides it.
    bob = APIClient()
    bob.force_authenticate(district_user)
    assert bob.get(reverse("api:registration-list")).json()["count"] == 1
    rejected = bob.post(
        reverse("api:registration-reject", args=[request.pk]), {"reason": "委托书未盖章"}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_the_city_reads_requests_but_only_the_district_decides(yuzhong, city_user, enterprise_user):
    submit()
    request = RegistrationRequest.objects.get()
    city = signed_in(city_user)
    assert city.get(reverse("registrations:detail", args=[request.pk])).status_code == 200
    assert city.post(reverse("registrations:decide", args=[request.pk, "approve"])).status_code == 403
    assert signed_in(enterprise_user).get(reverse("registrations:queue")).status_code == 403


# --- decisions and the audit trail ------------------------------------------------------------------


def test_submit_approve_and_reject_leave_audit_rows(
    yuzhong, district_user, django_capture_on_commit_callbacks
):
    submit(address="10.0.0.7")
    request = RegistrationRequest.objects.get()
    submitted = AuditEntry.objects.get(action="registration.submit")
    assert (submitted.object_id, submitted.actor_name) == (str(request.pk), "zhangwei@example.cn")
    assert "10.0.0.7" in submitted.reason
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(district_user).post(
            reverse("registrations:decide", args=[request.pk, "approve"]), {"reason": "委托书齐全"}
        )
    approved = AuditEntry.objects.get(action="registration.approve")
    assert (approved.actor, approved.reason, approved.changes["status"]) == (
        district_user,
        "委托书齐全",
        ["pending", "approved"],
    )
    assert AuditEntry.objects.filter(action="enterprise.create", actor=district_user).exists()
    request.refresh_from_db()
    assert AuditEntry.objects.filter(action="user.create", object_id=str(request.account_id)).exists()

    submit(
        address="10.0.0.8", credit_code=make_credit_code("91", "500103", "88880009"), email="wang@example.cn"
    )
    other = RegistrationRequest.objects.get(status="pending")
    missing = signed_in(district_user).post(reverse("registrations:decide", args=[other.pk, "reject"]))
    assert missing.status_code == 302
    other.refresh_from_db()
    assert other.status == "pending"  # a rejection needs a reason
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(district_user).post(
            reverse("registrations:decide", args=[other.pk, "reject"]), {"reason": "委托书未盖章"}
        )
    rejected = AuditEntry.objects.get(action="registration.reject")
    assert (rejected.object_id, rejected.reason) == (str(other.pk), "委托书未盖章")
    assert mail.outbox[-1].to == ["wang@example.cn"]
    assert "委托书未盖章" in mail.outbox[-1].body
    assert not User.objects.filter(username="wang@example.cn").exists()


def test_a_request_decided_once_cannot_be_decided_again(yuzhong, district_user):
    submit()
    request = RegistrationRequest.objects.get()
    bob = signed_in(district_user)
    bob.post(reverse("registrations:decide", args=[request.pk, "reject"]), {"reason": "委托书未盖章"})
    again = bob.post(reverse("registrations:decide", args=[request.pk, "approve"]), follow=True)
    assert "该注册申请已处理（当前状态：已驳回）" in again.content.decode()
    assert not User.objects.filter(username="zhangwei@example.cn").exists()


def test_approval_refuses_an_e_mail_that_is_another_accounts_username(
    yuzhong, district_user, enterprise_user
):
    submit(email=enterprise_user.username + "@example.cn")
    User.objects.filter(pk=enterprise_user.pk).update(username=enterprise_user.username + "@example.cn")
    request = RegistrationRequest.objects.get()
    response = signed_in(district_user).post(
        reverse("registrations:decide", args=[request.pk, "approve"]), follow=True
    )
    assert "已是其他账户的用户名" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "pending"
    assert not Enterprise.objects.filter(credit_code=NEW_CODE).exists()  # rolled back with the refusal


# --- the activation link ---------------------------------------------------------------------------


def _approved(district_user: User, capture: Any) -> User:
    submit()
    request = RegistrationRequest.objects.get()
    with capture(execute=True):
        signed_in(district_user).post(reverse("registrations:decide", args=[request.pk, "approve"]))
    return User.objects.get(username="zhangwei@example.cn")


def test_the_activation_link_sets_the_password_once(
    yuzhong, district_user, django_capture_on_commit_callbacks
):
    account = _approved(district_user, django_capture_on_commit_callbacks)
    path = activation_path(mail.outbox[-1])
    client = Client()
    form_page = client.get(path, follow=True)
    assert "设置登录密码" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    account.refresh_from_db()
    assert account.check_password(PASSWORD) and not account.must_change_password
    assert AuditEntry.objects.filter(action="auth.activate", object_id=str(account.pk)).exists()
    signed = Client()
    login = signed.post(reverse("accounts:login"), {"username": "zhangwei@example.cn", "password": PASSWORD})
    assert login.status_code == 302
    assert signed.get("/").status_code == 200
    # The same link again: dead, and no form to set a password.
    again = Client().get(path, follow=True)
    assert "链接无效" in again.content.decode()
    assert "new_password1" not in again.content.decode()


def test_the_activation_link_expires(yuzhong, district_user, settings, django_capture_on_commit_callbacks):
    settings.REGISTRATION_ACTIVATION_HOURS = 2
    _approved(district_user, django_capture_on_commit_callbacks)
    path = activation_path(mail.outbox[-1])
    # A timestamp, not an aware datetime: time-machine would also switch the local time zone to the latter's.
    with time_machine.travel(time.time() + dt.timedelta(hours=2, minutes=1).total_seconds()):
        expired = Client().get(path, follow=True)
    assert "链接无效" in expired.content.decode()
    with time_machine.travel(time.time() + dt.timedelta(hours=1, minutes=50).total_seconds()):
        fresh = Client().get(path, follow=True)
    assert "链接无效" not in fresh.content.decode()


def test_a_password_reset_token_is_no_activation_token(
    yuzhong, district_user, django_capture_on_commit_callbacks
):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    account = _approved(district_user, django_capture_on_commit_callbacks)
    uid = urlsafe_base64_encode(force_bytes(account.pk))
    path = reverse("registrations:activate", args=[uid, default_token_generator.make_token(account)])
    assert "链接无效" in Client().get(path, follow=True).content.decode()


def test_a_stopped_account_cannot_be_activated(yuzhong, district_user, django_capture_on_commit_callbacks):
    account = _approved(district_user, django_capture_on_commit_callbacks)
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert "链接无效" in Client().get(activation_path(mail.outbox[-1]), follow=True).content.decode()


def test_the_district_home_page_shows_the_waiting_requests(yuzhong, district_user):
    submit()
    home = signed_in(district_user).get("/").content.decode()
    assert "企业注册审核" in home
    assert "有 1 份企业注册申请待审核" in home


def test_the_district_sends_the_activation_link_again_until_the_password_is_set(
    yuzhong, district_user, django_capture_on_commit_callbacks
):
    account = _approved(district_user, django_capture_on_commit_callbacks)
    request = RegistrationRequest.objects.get()
    bob = signed_in(district_user)
    detail = bob.get(reverse("registrations:detail", args=[request.pk])).content.decode()
    assert "重新发送设置密码邮件" in detail
    with django_capture_on_commit_callbacks(execute=True):
        resent = bob.post(reverse("registrations:decide", args=[request.pk, "resend"]), follow=True)
    assert "已重新向 zhangwei@example.cn 发送设置密码的邮件" in resent.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["zhangwei@example.cn"]
    assert AuditEntry.objects.filter(action="registration.resend", object_id=str(request.pk)).exists()
    # Once the password is set there is nothing to resend.
    account.set_password(PASSWORD)
    account.save()
    assert (
        "重新发送设置密码邮件"
        not in bob.get(reverse("registrations:detail", args=[request.pk])).content.decode()
    )
    again = bob.post(reverse("registrations:decide", args=[request.pk, "resend"]), follow=True)
    assert "该账户已设置密码或已停用" in again.content.decode()
    assert len(mail.outbox) == 2


def test_an_image_claiming_too_many_pixels_is_refused_before_it_is_decoded(yuzhong):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (10000, 7000)).save(buffer, format="PNG")  # 70 megapixels in a few kilobytes
    response = submit(letter=letter("授权委托书.png", buffer.getvalue()))
    assert "letter" in response.context["form"].errors
    assert not RegistrationRequest.objects.exists()
