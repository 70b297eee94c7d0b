"""重大事项变更 and the compliance self-declaration on the annual submission: the schema (pure), the
service, the enterprise's form section, the API, and what reviewers see on the detail page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts.errors import InvalidInput
from accounts.models import AuditEntry
from reporting.declarations import clean_compliance, clean_major_changes, is_complete

TODAY = dt.date(2026, 3, 15)

SITE_MOVE = {"changed": True, "changed_on": "2025-06-01", "description": "厂址由渝中区某路1号迁至某路9号"}
NO_CHANGE = {"changed": False}
ALL_CHANGES = {"name": NO_CHANGE, "business_scope": NO_CHANGE, "site": SITE_MOVE, "boundary": NO_CHANGE}
COMPLIANT = {
    "no_major_accident": True,
    "permit": "valid",
    "permit_number": "91500103MA5U000000001P",
    "permit_valid_to": "2028-06-30",
    "no_serious_credit_record": True,
}


# --- the schema, without a database ----------------------------------------------------------------------


def test_a_declared_change_and_a_declared_no_change_are_kept_and_an_absent_kind_is_undeclared():
    cleaned, errors = clean_major_changes({"site": SITE_MOVE, "name": NO_CHANGE}, year=2025, today=TODAY)
    assert errors == {}
    assert cleaned == {
        "name": {"changed": False, "changed_on": None, "description": ""},
        "site": SITE_MOVE,
    }
    assert not is_complete(cleaned, COMPLIANT)
    full, _ = clean_major_changes(ALL_CHANGES, year=2025, today=TODAY)
    compliance, _ = clean_compliance(COMPLIANT, year=2025, today=TODAY)
    assert is_complete(full, compliance)


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        ({"changed": True, "description": "迁址"}, "major_changes.site.changed_on", "请填写变更日期"),
        ({"changed": True, "changed_on": "2025-06-01"}, "major_changes.site.description", "请说明变更内容"),
        (
            {"changed": True, "changed_on": "2024-12-31", "description": "迁址"},
            "major_changes.site.changed_on",
            "应在",
        ),
        (
            {"changed": True, "changed_on": "2026-04-01", "description": "迁址"},
            "major_changes.site.changed_on",
            "应在",
        ),
        (
            {"changed": True, "changed_on": "6月1日", "description": "迁址"},
            "major_changes.site.changed_on",
            "无法识别",
        ),
        ({"changed": False, "description": "迁址"}, "major_changes.site.description", "请清空"),
        ({"changed": "maybe"}, "major_changes.site.changed", "请选择"),
    ],
)
def test_a_change_missing_its_date_or_content_is_refused_in_words(entry, path, words):
    cleaned, errors = clean_major_changes({"site": entry}, year=2025, today=TODAY)
    assert cleaned == {}
    assert list(errors) == [path]
    assert words in errors[path][0] and errors[path][0].startswith("厂址变更")


def test_an_unknown_change_kind_is_refused_naming_the_kinds_there_are():
    _, errors = clean_major_changes({"colour": NO_CHANGE}, year=2025, today=TODAY)
    assert "colour" in errors["major_changes"][0] and "厂址变更" in errors["major_changes"][0]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        ({"permit_number": ""}, "compliance.permit_number", "请填写许可证编号"),
        ({"permit_valid_to": None}, "compliance.permit_valid_to", "请填写有效期"),
        ({"permit_valid_to": "2024-06-30"}, "compliance.permit_valid_to", "已不在有效期内"),
        ({"permit": "maybe"}, "compliance.permit", "持有有效排污许可证"),
        ({"no_major_accident": False}, "compliance.accident_note", "请说明事故"),
        ({"no_serious_credit_record": False}, "compliance.credit_note", "请说明记录"),
        ({"no_major_accident": "yes"}, "compliance.no_major_accident", "应回答是或否"),
    ],
)
def test_an_incomplete_or_contradictory_self_declaration_is_refused_in_words(change, path, words):
    cleaned, errors = clean_compliance({**COMPLIANT, **change}, year=2025, today=TODAY)
    assert cleaned == {}
    assert words in errors[path][0]


def test_a_factory_under_registration_needs_no_permit_number():
    cleaned, errors = clean_compliance(
        {**COMPLIANT, "permit": "registration", "permit_number": "", "permit_valid_to": None},
        year=2025,
        today=TODAY,
    )
    assert errors == {} and cleaned["permit"] == "registration"


# --- the service -----------------------------------------------------------------------------------------


def test_the_filer_saves_the_declarations_with_the_draft_and_the_change_is_audited(draft, enterprise_user):
    from reporting.services import submission_save_draft

    saved = submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=2025,
        values={},
        major_changes=ALL_CHANGES,
        compliance=COMPLIANT,
    )
    saved.refresh_from_db()
    assert saved.major_changes["site"] == SITE_MOVE
    assert saved.compliance["permit_number"] == "91500103MA5U000000001P"
    entry = AuditEntry.objects.for_object(saved).filter(action="submission.save").latest("at")
    assert set(entry.changes) == {"major_changes", "compliance"}


def test_bad_declarations_store_nothing(draft, enterprise_user):
    from reporting.services import submission_save_draft

    with pytest.raises(InvalidInput) as refused:
        submission_save_draft(
            actor=enterprise_user,
            enterprise=draft.enterprise,
            year=2025,
            values={"site_area": "30000"},
            major_changes={"site": {"changed": True}},
            compliance=COMPLIANT,
        )
    assert set(refused.value.field_errors) == {
        "major_changes.site.changed_on",
        "major_changes.site.description",
    }
    draft.refresh_from_db()
    assert draft.major_changes == {} and draft.compliance == {} and draft.raw_values["site_area"] == "20000"


def test_declarations_cannot_change_once_submitted(submitted, enterprise_user):
    from accounts.errors import StateConflict
    from reporting.services import submission_save_draft

    with pytest.raises(StateConflict):
        submission_save_draft(
            actor=enterprise_user, enterprise=submitted.enterprise, year=2025, values={}, compliance=COMPLIANT
        )


# --- the API ---------------------------------------------------------------------------------------------


def test_the_filer_writes_the_declarations_through_the_api_and_reviewers_read_them(
    api, draft, enterprise_user, district_user
):
    api.as_user(enterprise_user)
    response = api.patch(
        f"/api/v1/submissions/{draft.pk}/",
        {"major_changes": ALL_CHANGES, "compliance": COMPLIANT},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["major_changes"]["site"]["changed_on"] == "2025-06-01"
    api.as_user(district_user)
    body = api.get(f"/api/v1/submissions/{draft.pk}/").json()
    assert body["compliance"]["permit"] == "valid" and body["major_changes"]["name"]["changed"] is False


def test_a_bad_declaration_through_the_api_is_a_400_naming_the_item(api, draft, enterprise_user):
    api.as_user(enterprise_user)
    response = api.patch(
        f"/api/v1/submissions/{draft.pk}/",
        {"compliance": {**COMPLIANT, "permit_valid_to": "2020-01-01"}},
        format="json",
    )
    assert response.status_code == 400
    assert "已不在有效期内" in response.json()["compliance.permit_valid_to"][0]


def test_a_reviewer_cannot_write_the_declarations(api, submitted, district_user):
    api.as_user(district_user)
    response = api.patch(f"/api/v1/submissions/{submitted.pk}/", {"compliance": COMPLIANT}, format="json")
    assert response.status_code in (403, 409)
    submitted.refresh_from_db()
    assert submitted.compliance == {}


# --- the pages -------------------------------------------------------------------------------------------


def _form_post(good_values, **extra):  # type: ignore[no-untyped-def]
    return {
        **good_values,
        "explanation": "",
        "change_name": "no",
        "change_business_scope": "no",
        "change_site": "yes",
        "change_site_on": "2025-06-01",
        "change_site_description": "厂址由渝中区某路1号迁至某路9号",
        "change_boundary": "no",
        "no_major_accident": "yes",
        "permit": "valid",
        "permit_number": "91500103MA5U000000001P",
        "permit_valid_to": "2028-06-30",
        "no_serious_credit_record": "yes",
        "action": "save",
        **extra,
    }


def test_the_enterprise_form_has_the_declaration_section_and_saves_it(
    client, draft, enterprise_user, good_values
):
    client.force_login(enterprise_user)
    url = f"/reporting/submissions/{draft.enterprise_id}/2025/edit/"
    page = client.get(url).content.decode()
    assert "重大事项变更" in page and "合规性自我声明" in page and "排污许可证编号" in page
    response = client.post(url, _form_post(good_values))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.major_changes["site"] == SITE_MOVE
    assert draft.compliance["no_major_accident"] is True


def test_the_form_shows_a_clear_error_next_to_the_item_and_keeps_the_input(
    client, draft, enterprise_user, good_values
):
    client.force_login(enterprise_user)
    url = f"/reporting/submissions/{draft.enterprise_id}/2025/edit/"
    response = client.post(url, _form_post(good_values, change_site_on="", permit_valid_to="2020-01-01"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "厂址变更：请填写变更日期。" in page
    assert "已不在有效期内" in page
    assert "厂址由渝中区某路1号迁至某路9号" in page
    draft.refresh_from_db()
    assert draft.major_changes == {}


def test_reviewers_see_the_declarations_on_the_submission_detail(
    client, draft, enterprise_user, district_user
):
    from reporting.services import submission_save_draft

    submission_save_draft(
        actor=enterprise_user,
        enterprise=draft.enterprise,
        year=2025,
        values={},
        major_changes=ALL_CHANGES,
        compliance={
            **COMPLIANT,
            "no_serious_credit_record": False,
            "credit_note": "2025年被列入经营异常名录",
        },
    )
    client.force_login(district_user)
    page = client.get(f"/reporting/submissions/{draft.pk}/").content.decode()
    assert "重大事项变更与合规性声明" in page
    assert "厂址由渝中区某路1号迁至某路9号" in page and "2025-06-01" in page
    assert "编号91500103MA5U000000001P，有效期至2028-06-30" in page
    assert "2025年被列入经营异常名录" in page
    words = re.sub(r"<[^>]+>", " ", page)  # what the reviewer reads, not the markup's ids and values
    assert "business_scope" not in words and "registration" not in words
