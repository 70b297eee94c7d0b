"""Evidence on the declarations (issue 18): the documents of a declared 重大事项变更 (`major_change.<kind>`)
and the pollutant discharge permit (`compliance.permit`) are attached like the figures' evidence, through
the API and the form; only once declared; needed before submission; listed in words everywhere."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.errors import InvalidInput
from accounts.models import AuditEntry
from reporting import services
from reporting.models import SubmissionEvidence
from tests.reporting.test_declarations import ALL_CHANGES, COMPLIANT
from tests.reporting.test_evidence import PDF, add, stored_files, upload

pytestmark = pytest.mark.django_db

REGISTERED = {**COMPLIANT, "permit": "registration", "permit_number": "", "permit_valid_to": None}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def declared(draft, enterprise_user):  # type: ignore[no-untyped-def]
    """The draft declaring a site change (the other kinds: no change) and a valid permit."""
    return services.submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=2025,
        values={},
        major_changes=ALL_CHANGES,
        compliance=COMPLIANT,
    )


def _client(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- attaching ------------------------------------------------------------------------------------------


def test_the_filer_attaches_the_documents_of_a_declared_change_and_the_permit_through_the_api(
    api, enterprise_user, declared
):
    url = f"/api/v1/submissions/{declared.pk}/evidence/"
    api.as_user(enterprise_user)
    for field, name in (("major_change.site", "新厂址租赁合同.pdf"), ("compliance.permit", "排污许可证.pdf")):
        answer = api.post(url, {"field": field, "file": upload(name, PDF)}, format="multipart")
        assert answer.status_code == 201, answer.content
        assert answer.json()["field"] == field

    listed = api.get(url).json()
    assert sorted(item["field"] for item in listed) == ["compliance.permit", "major_change.site"]
    trail = list(
        AuditEntry.objects.filter(action="evidence.add").order_by("id").values_list("changes", flat=True)
    )
    assert trail == [
        {"evidence": [None, "重大事项变更：厂址变更: 新厂址租赁合同.pdf"]},
        {"evidence": [None, "排污许可证（或排污登记回执）: 排污许可证.pdf"]},
    ]


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("major_change.name", "“重大事项变更：企业名称变更”尚未声明为“有变更”"),
        ("major_change.boundary", "请先在“重大事项变更”中选择“有变更”"),
        ("compliance.permit", "尚未声明持有排污许可证或实行排污登记"),
    ],
)
def test_a_file_on_a_change_or_permit_not_declared_is_refused_in_words(
    api, enterprise_user, draft, field, words, settings
):
    services.submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=2025,
        values={},
        major_changes={"name": {"changed": False}},
        compliance={**COMPLIANT, "permit": "absent", "permit_number": "", "permit_valid_to": None},
    )
    answer = api.as_user(enterprise_user).post(
        f"/api/v1/submissions/{draft.pk}/evidence/",
        {"field": field, "file": upload("证明.pdf", PDF)},
        format="multipart",
    )

    assert answer.status_code == 400
    assert words in answer.json()["field"][0]
    assert stored_files(settings) == [] and not SubmissionEvidence.objects.exists()


def test_an_unknown_declaration_key_is_refused_like_an_unknown_figure(enterprise_user, declared):
    with pytest.raises(InvalidInput) as refused:
        add(enterprise_user, declared, field="major_change.colour")
    assert refused.value.field_errors["field"] == ["请选择这份佐证材料对应的数据项或指标。"]


def test_a_registration_receipt_may_be_attached_but_is_not_required(enterprise_user, draft):
    registered = services.submission_save_draft(
        actor=enterprise_user, enterprise=draft.enterprise, year=2025, values={}, compliance=REGISTERED
    )
    assert add(enterprise_user, registered, field="compliance.permit", name="排污登记回执.pdf").pk
    SubmissionEvidence.objects.all().delete()
    assert services.submission_submit(actor=enterprise_user, submission=registered).status == "submitted"


@pytest.mark.parametrize("persona", ["other_district_user", "other_enterprise_user"])
def test_another_unit_or_enterprise_gets_404_on_the_declaration_files(
    persona, request, api, enterprise_user, declared, settings
):
    item = add(enterprise_user, declared, field="major_change.site", name="新厂址租赁合同.pdf")
    user = request.getfixturevalue(persona)

    answer = api.as_user(user).post(
        f"/api/v1/submissions/{declared.pk}/evidence/",
        {"field": "major_change.site", "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert answer.status_code == 404
    assert api.get(f"/api/v1/submissions/{declared.pk}/evidence/{item.pk}/download/").status_code == 404
    page = _client(user).post(
        f"/reporting/submissions/{declared.pk}/evidence/",
        {"field": "compliance.permit", "file": upload("a.pdf", PDF)},
    )
    assert page.status_code == 404
    assert _client(user).get(f"/reporting/submissions/{declared.pk}/evidence/{item.pk}/").status_code == 404
    assert SubmissionEvidence.objects.count() == 1


# --- needed before submission ----------------------------------------------------------------------------


def test_each_declared_change_and_a_valid_permit_need_a_file_before_submission(enterprise_user, declared):
    with pytest.raises(InvalidInput) as refused:
        services.submission_submit(actor=enterprise_user, submission=declared)
    assert refused.value.field_errors["evidence"] == [
        "以下项目需要佐证材料，请上传后再提交：重大事项变更：厂址变更、排污许可证（或排污登记回执）。"
    ]

    add(enterprise_user, declared, field="major_change.site", name="新厂址租赁合同.pdf")
    with pytest.raises(InvalidInput) as still:
        services.submission_submit(actor=enterprise_user, submission=declared)
    assert still.value.field_errors["evidence"] == [
        "以下项目需要佐证材料，请上传后再提交：排污许可证（或排污登记回执）。"
    ]

    add(enterprise_user, declared, field="compliance.permit", name="排污许可证.pdf")
    assert services.submission_submit(actor=enterprise_user, submission=declared).status == "submitted"


def test_a_reviewer_may_ask_for_a_declarations_file_and_the_return_form_offers_it(
    enterprise_user, district_user, declared
):
    add(enterprise_user, declared, field="major_change.site", name="租赁合同.pdf")
    add(enterprise_user, declared, field="compliance.permit", name="排污许可证.pdf")
    submitted = services.submission_submit(actor=enterprise_user, submission=declared)
    html = _client(district_user).get(f"/reporting/submissions/{submitted.pk}/").content.decode()
    assert 'name="evidence_requested" value="major_change.site"' in html
    assert 'value="major_change.name"' not in html  # not declared: nothing to ask for

    returned = services.submission_return(
        actor=district_user,
        submission=submitted,
        reason="租赁合同缺少盖章页",
        evidence_requested=["major_change.site"],
    )
    assert returned.evidence_requested == ["major_change.site"]
    entry = AuditEntry.objects.filter(action="submission.return").latest("at")
    from accounts import audit

    words = audit.VALUE_WORDS[("reporting.annualsubmission", "evidence_requested")]
    assert words(entry.changes["evidence_requested"][1], entry.changes) == "重大事项变更：厂址变更"
    services.evidence_remove(
        actor=enterprise_user, item=SubmissionEvidence.objects.get(field="major_change.site")
    )
    with pytest.raises(InvalidInput) as refused:
        services.submission_submit(actor=enterprise_user, submission=returned)
    assert "重大事项变更：厂址变更" in refused.value.field_errors["evidence"][0]


# --- the pages -------------------------------------------------------------------------------------------


def test_the_form_offers_an_upload_beside_each_declared_change_and_the_permit(enterprise_user, declared):
    add(enterprise_user, declared, field="major_change.site", name="新厂址租赁合同.pdf")
    html = (
        _client(enterprise_user)
        .get(f"/reporting/submissions/{declared.enterprise_id}/2025/edit/")
        .content.decode()
    )
    section = html[html.index('<div id="declarations">') :]
    section = section[: section.index("</fieldset>\n</div>")]

    assert 'form="evidence-upload-major_change.site"' in section
    assert 'form="evidence-upload-compliance.permit"' in section
    assert 'form="evidence-upload-major_change.name"' not in section  # declared "no change"
    assert 'id="evidence-upload-major_change.site"' in html and 'value="major_change.site"' in html
    assert "新厂址租赁合同.pdf</a>" in section
    words = _words(section)
    assert "选择“有变更”并保存草稿后即可上传。" in words
    assert "需上传佐证材料" in words  # the permit still lacks its file
    assert html.count("上传佐证</button>") == 23 + 13 + 2


def test_a_declaration_file_uploaded_on_the_form_comes_back_to_its_row(enterprise_user, declared):
    edit = f"/reporting/submissions/{declared.enterprise_id}/2025/edit/"
    answer = _client(enterprise_user).post(
        f"/reporting/submissions/{declared.pk}/evidence/",
        {"field": "compliance.permit", "file": upload("排污许可证.pdf", PDF), "next": edit},
    )

    assert answer.status_code == 302 and answer["Location"] == edit + "#evidence-compliance.permit"
    assert SubmissionEvidence.objects.get().field == "compliance.permit"


def test_a_refused_declaration_upload_on_the_page_says_why(enterprise_user, declared):
    answer = _client(enterprise_user).post(
        f"/reporting/submissions/{declared.pk}/evidence/",
        {"field": "major_change.name", "file": upload("营业执照.pdf", PDF)},
        follow=True,
    )
    assert "“重大事项变更：企业名称变更”尚未声明为“有变更”" in answer.content.decode()
    assert not SubmissionEvidence.objects.exists()


def test_reviewers_see_the_files_beside_the_declaration_in_words(enterprise_user, district_user, declared):
    add(enterprise_user, declared, field="major_change.site", name="新厂址租赁合同.pdf")
    add(enterprise_user, declared, field="compliance.permit", name="排污许可证.pdf")
    submitted = services.submission_submit(actor=enterprise_user, submission=declared)
    html = _client(district_user).get(f"/reporting/submissions/{submitted.pk}/").content.decode()

    card = html[html.index('<section class="card" id="declarations">') :]
    card = card[: card.index("</section>")]
    site_row = card[card.index("<td>厂址变更</td>") :]
    site_row = site_row[: site_row.index("</tr>")]
    assert "新厂址租赁合同.pdf</a>" in site_row
    permit_row = card[card.index("<td>排污许可</td>") :]
    permit_row = permit_row[: permit_row.index("</tr>")]
    assert "排污许可证.pdf</a>" in permit_row
    assert f"/reporting/submissions/{submitted.pk}/evidence/" in permit_row
    assert "上传佐证</button>" not in card
    words = _words(card)
    assert "major_change" not in words and "compliance." not in words


def test_the_declaration_labels_read_in_english_too():
    from django.utils import translation

    from reporting.declarations import EVIDENCE_FIELDS

    with translation.override("en"):
        site, permit = str(EVIDENCE_FIELDS["major_change.site"]), str(EVIDENCE_FIELDS["compliance.permit"])
    assert site.startswith("Major change: ") and site.isascii()
    assert permit.isascii()
    assert str(EVIDENCE_FIELDS["major_change.site"]) == "重大事项变更：厂址变更"
