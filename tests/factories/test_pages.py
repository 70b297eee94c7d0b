"""HTML pages of the enterprise and green-factory registers, per persona."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.http import QueryDict
from django.urls import reverse

from factories.creditcode import CODE_CHARSET, make_credit_code
from factories.models import (
    District,
    DistrictTransfer,
    Enterprise,
    GreenFactory,
    GreenFactoryStatus,
    RevocationProposal,
)
from tests.helpers import cold_cache
from tests.model_factories import EnterpriseFactory, GreenFactoryFactory, industry, revoked_title

pytestmark = pytest.mark.django_db

LIST = reverse("factories:enterprise_list")
CREATE = reverse("factories:enterprise_create")
MY = reverse("factories:my_enterprise")
GREEN = reverse("factories:greenfactory_list")
RECOGNIZE = reverse("factories:greenfactory_recognize")
NEW_CODE = make_credit_code("91", "500103", "12345678")


def detail(enterprise: Enterprise) -> str:
    return reverse("factories:enterprise_detail", args=[enterprise.pk])


def edit(enterprise: Enterprise) -> str:
    return reverse("factories:enterprise_edit", args=[enterprise.pk])


def revoke(factory: GreenFactory) -> str:
    return reverse("factories:greenfactory_revoke", args=[factory.pk])


def page(client, user, url: str, **params) -> str:  # type: ignore[no-untyped-def]
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def new_enterprise_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "重庆新登记制造有限公司",
        "credit_code": NEW_CODE,
        "district": "500103",
        "industry": "36",
        "industry_code": "3670",
        "legal_form": "legal_person",
        "address": "重庆市渝中区民族路",
        "contact_name": "李娜",
        "contact_phone": "023-63111111",
        "contact_email": "lina@example.cn",
    }
    data.update(overrides)
    return data


def with_wrong_check_char(code: str) -> str:
    wrong = next(char for char in CODE_CHARSET if char != code[-1])
    return code[:-1] + wrong


# ------------------------------------------------------------------ the register


def test_city_user_sees_every_unit_in_the_register_with_a_register_button(
    client, city_user, enterprise, jiangjin_enterprise
):
    html = page(client, city_user, LIST)
    assert enterprise.name in html and jiangjin_enterprise.name in html
    assert "共 2 家企业" in html
    assert CREATE in html
    assert 'name="district"' in html


def test_district_user_sees_only_its_own_units_enterprises(
    client, district_user, enterprise, jiangjin_enterprise
):
    html = page(client, district_user, LIST)
    assert enterprise.name in html
    assert jiangjin_enterprise.name not in html
    assert 'name="district"' not in html, "a district user has no unit to choose"
    assert CREATE in html


def test_district_user_filtering_by_another_unit_still_sees_nothing_of_it(
    client, district_user, enterprise, jiangjin_enterprise
):
    html = page(client, district_user, LIST, district="500116")
    assert jiangjin_enterprise.name not in html
    assert "没有符合条件的企业" in html


def test_register_searches_by_name_and_by_part_of_the_credit_code(
    client, city_user, enterprise, other_enterprise, jiangjin_enterprise
):
    assert other_enterprise.name not in page(client, city_user, LIST, q="绿色汽车")
    html = page(client, city_user, LIST, q=jiangjin_enterprise.credit_code[2:10].lower())
    assert jiangjin_enterprise.name in html
    assert enterprise.name not in html


def test_register_filters_by_unit_industry_sequence_tier_and_status(
    client, city_user, enterprise, other_enterprise, jiangjin_enterprise
):
    GreenFactoryFactory(enterprise=enterprise, tier="national")
    revoked = GreenFactoryFactory(enterprise=other_enterprise)
    revoked_title(revoked, proposer=city_user, revoked_on=dt.date(2025, 3, 1), reason="重大安全事故")
    jiangjin_enterprise.industry = industry("26")
    jiangjin_enterprise.save()

    def names(**params: str) -> set[str]:
        html = page(client, city_user, LIST, **params)
        return {e.name for e in (enterprise, other_enterprise, jiangjin_enterprise) if e.name in html}

    assert names(district="500116") == {jiangjin_enterprise.name}
    assert names(industry="26") == {jiangjin_enterprise.name}
    assert names(sequence="green_factory") == {enterprise.name}
    assert names(sequence="other") == {other_enterprise.name, jiangjin_enterprise.name}
    assert names(tier="national") == {enterprise.name}
    assert names(status="revoked") == {other_enterprise.name}


def test_register_sorts_by_a_column_in_both_directions_and_keeps_the_filters(client, city_user):
    for n, name in enumerate(["重庆甲厂", "重庆乙厂", "重庆丙厂"]):
        EnterpriseFactory(name=name, credit_code=make_credit_code("91", "500103", f"5000000{n}"))
    ascending = page(client, city_user, LIST, sort="credit_code", q="重庆")
    descending = page(client, city_user, LIST, sort="-credit_code", q="重庆")
    assert ascending.index("重庆甲厂") < ascending.index("重庆乙厂") < ascending.index("重庆丙厂")
    assert descending.index("重庆丙厂") < descending.index("重庆乙厂") < descending.index("重庆甲厂")
    assert 'aria-sort="ascending"' in ascending
    link = re.search(r'<th scope="col" aria-sort="ascending"><a href="\?([^"]+)"', ascending)
    assert link is not None
    assert QueryDict(link.group(1).replace("&amp;", "&")).dict() == {"sort": "-credit_code", "q": "重庆"}


def test_register_paginates_with_a_count_and_without_a_query_per_row(
    client, city_user, django_assert_max_num_queries
):
    for n in range(30):
        factory = GreenFactoryFactory(enterprise=EnterpriseFactory())
        if n % 3 == 0:
            factory.tier = "national"
            factory.save()
    client.force_login(city_user)
    cold_cache()
    with django_assert_max_num_queries(10):
        first = client.get(LIST).content.decode()
    assert "共 30 家企业" in first
    assert "第 1 / 2 页" in first
    second = client.get(LIST, {"page": 2}).content.decode()
    assert len(re.findall(r'href="/factories/enterprises/\d+/"', second)) == 5


def test_empty_register_invites_the_district_to_register_its_first_enterprise(client, district_user):
    html = page(client, district_user, LIST)
    assert "尚未登记企业" in html
    assert CREATE in html


# ------------------------------------------------------------------ enterprise detail


def test_detail_shows_profile_green_factory_record_and_unit_history(client, city_user, enterprise):
    GreenFactoryFactory(enterprise=enterprise, tier="city", recognized_year=2022)
    DistrictTransfer.objects.create(
        enterprise=enterprise,
        from_district=District.objects.get(code="500105"),
        to_district=District.objects.get(code="LJXQ"),
        effective_on=dt.date(2025, 11, 6),
        reason="江北区撤并，划入两江新区",
    )
    html = page(client, city_user, detail(enterprise))
    assert enterprise.credit_code in html
    assert "已认定绿色工厂" in html and "市级" in html and "2022" in html
    assert "江北区 → 两江新区" in html
    assert reverse("reporting:submission_list") + "?q=" + enterprise.credit_code in html
    assert "认定为国家级" in html, "an active city-level factory can be recorded as national"


def test_detail_of_a_revoked_factory_shows_date_reason_and_ban(client, city_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2025, 3, 1), reason="发生重大安全事故")
    html = page(client, city_user, detail(enterprise))
    assert "已撤销" in html and "2025-03-01" in html and "发生重大安全事故" in html
    assert "2028-03-01" in html
    assert "不得再次认定" in html


def test_district_user_gets_404_for_another_districts_enterprise(client, district_user, jiangjin_enterprise):
    client.force_login(district_user)
    assert client.get(detail(jiangjin_enterprise)).status_code == 404
    assert client.get(edit(jiangjin_enterprise)).status_code == 404
    assert client.post(edit(jiangjin_enterprise), new_enterprise_form()).status_code == 404


# ------------------------------------------------------------------ register and edit


def test_district_user_registers_an_enterprise_in_its_own_unit_and_cannot_choose_another(
    client, district_user
):
    client.force_login(district_user)
    form_html = client.get(CREATE).content.decode()
    assert re.search(r'<select name="district"[^>]*disabled', form_html)
    response = client.post(CREATE, new_enterprise_form(district="500116"), follow=True)
    created = Enterprise.objects.get(credit_code=NEW_CODE)
    assert created.district_id == "500103"
    assert created.industry_id == "36" and created.industry_code == "3670"
    assert response.redirect_chain[-1][0] == detail(created)
    assert "已登记企业" in response.content.decode()


def test_invalid_credit_code_shows_the_check_digit_message_at_the_field_and_keeps_the_input(
    client, city_user
):
    client.force_login(city_user)
    wrong = with_wrong_check_char(NEW_CODE)
    response = client.post(CREATE, new_enterprise_form(credit_code=wrong))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"第18位校验码错误：应为{NEW_CODE[-1]}" in html
    assert re.search(r'id="id_credit_code_error"', html)
    assert f'value="{wrong}"' in html and 'value="重庆新登记制造有限公司"' in html
    assert not Enterprise.objects.filter(name="重庆新登记制造有限公司").exists()


def test_a_wrong_check_character_is_explained_in_english_to_an_english_user(client, city_user):
    client.force_login(city_user)
    client.post("/i18n/setlang/", {"language": "en"})
    response = client.post(CREATE, new_enterprise_form(credit_code=with_wrong_check_char(NEW_CODE)))
    errors = " ".join(response.context["form"].errors["credit_code"])
    assert NEW_CODE[-1] in errors and not re.search(r"[\u4e00-\u9fff]", errors), errors


def test_a_credit_code_already_registered_is_refused_at_the_field(client, city_user, enterprise):
    client.force_login(city_user)
    html = client.post(CREATE, new_enterprise_form(credit_code=enterprise.credit_code)).content.decode()
    assert "该统一社会信用代码已登记在其他企业名下" in html


def test_an_industry_class_outside_the_chosen_division_is_refused(client, city_user):
    client.force_login(city_user)
    html = client.post(CREATE, new_enterprise_form(industry_code="2610")).content.decode()
    assert "行业代码与所选行业大类不一致" in html
    assert not Enterprise.objects.filter(credit_code=NEW_CODE).exists()


def test_city_user_edits_an_enterprise_and_the_change_is_audited(client, city_user, enterprise):
    from accounts.models import AuditEntry

    client.force_login(city_user)
    data = new_enterprise_form(
        name="重庆渝中绿色汽车部件股份有限公司", credit_code=enterprise.credit_code, reason="企业改制更名"
    )
    response = client.post(edit(enterprise), data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name == "重庆渝中绿色汽车部件股份有限公司"
    assert AuditEntry.objects.for_object(enterprise).filter(action="enterprise.update", reason="企业改制更名")


def test_district_user_edit_form_keeps_the_enterprise_in_its_unit(client, district_user, enterprise):
    client.force_login(district_user)
    data = new_enterprise_form(credit_code=enterprise.credit_code, district="500116", contact_name="王强")
    assert client.post(edit(enterprise), data).status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.district_id == "500103"
    assert enterprise.contact_name == "王强"


# ------------------------------------------------------------------ enterprise user


def test_enterprise_user_edits_its_contact_details_only(client, enterprise_user, enterprise):
    client.force_login(enterprise_user)
    html = client.get(MY).content.decode()
    assert enterprise.name in html and enterprise.credit_code in html
    response = client.post(
        MY,
        {
            "address": "重庆市渝中区新华路1号",
            "contact_name": "赵敏",
            "contact_phone": "13800000000",
            "contact_email": "zhao@example.cn",
            "name": "改名企图",
        },
        follow=True,
    )
    assert "联系信息已保存" in response.content.decode()
    enterprise.refresh_from_db()
    assert (enterprise.contact_name, enterprise.contact_email) == ("赵敏", "zhao@example.cn")
    assert enterprise.name == "重庆渝中绿色汽车部件有限公司"


def test_my_enterprise_form_starts_from_the_saved_contact_details(client, enterprise_user, enterprise):
    html = page(client, enterprise_user, MY)
    assert f'value="{enterprise.contact_name}"' in html and f'value="{enterprise.address}"' in html
    response = client.post(
        MY,
        {
            "address": enterprise.address,
            "contact_name": enterprise.contact_name,
            "contact_phone": enterprise.contact_phone,
            "contact_email": enterprise.contact_email,
        },
        follow=True,
    )
    assert "联系信息没有变化" in response.content.decode()


def test_enterprise_user_sees_an_invalid_email_next_to_the_field(client, enterprise_user):
    client.force_login(enterprise_user)
    html = client.post(MY, {"contact_email": "not-an-email"}).content.decode()
    assert 'id="id_contact_email_error"' in html


def test_enterprise_user_cannot_open_the_registers_or_another_enterprise(
    client, enterprise_user, enterprise, other_enterprise
):
    client.force_login(enterprise_user)
    assert client.get(LIST).status_code == 403
    assert client.get(GREEN).status_code == 403
    assert client.get(CREATE).status_code == 403
    assert client.get(edit(enterprise)).status_code == 403
    assert client.get(detail(other_enterprise)).status_code == 404
    assert client.get(detail(enterprise)).url == MY


def test_other_roles_have_no_my_enterprise_page(client, city_user):
    client.force_login(city_user)
    assert client.get(MY).status_code == 403


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response.url


# ------------------------------------------------------------------ green factories


def test_city_recognises_a_green_factory_from_the_enterprise_page(client, city_user, enterprise):
    html = page(client, city_user, detail(enterprise))
    assert "认定为绿色工厂" in html
    response = client.post(
        RECOGNIZE,
        {"credit_code": enterprise.credit_code, "tier": "city", "recognized_year": "2025"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail(enterprise)
    factory = GreenFactory.objects.get(enterprise=enterprise)
    assert (factory.tier, factory.recognized_year, factory.status) == ("city", 2025, "active")
    assert "已将" in response.content.decode()


def test_recognising_an_unregistered_credit_code_says_to_register_it_first(client, city_user):
    client.force_login(city_user)
    html = client.post(
        RECOGNIZE, {"credit_code": NEW_CODE, "tier": "city", "recognized_year": "2025"}
    ).content.decode()
    assert "请先登记该企业" in html
    assert f'value="{NEW_CODE}"' in html


def test_recognition_during_the_three_year_ban_is_refused(client, city_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2025, 3, 1), reason="弄虚作假")
    client.force_login(city_user)
    html = client.post(
        RECOGNIZE, {"credit_code": enterprise.credit_code, "tier": "city", "recognized_year": "2026"}
    ).content.decode()
    assert "不得再次认定" in html
    factory.refresh_from_db()
    assert factory.status == GreenFactoryStatus.REVOKED


def test_city_proposes_a_revocation_only_with_a_reason_and_a_second_city_user_confirms_it(
    client, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    html = page(client, city_user, GREEN)
    assert revoke(factory) in html
    confirm = page(client, city_user, revoke(factory))
    assert "data-confirm" in confirm and "另一名市级工作人员确认" in confirm

    refused = client.post(revoke(factory), {"reason": "   "})
    assert refused.status_code == 200
    assert "撤销绿色工厂称号必须填写原因" in refused.content.decode()
    assert not RevocationProposal.objects.exists()

    response = client.post(revoke(factory), {"reason": "发生较大环境污染事件", "next": GREEN}, follow=True)
    assert response.redirect_chain[-1][0] == GREEN
    assert "须由另一名市级工作人员确认后生效" in response.content.decode()
    factory.refresh_from_db()
    assert factory.status == GreenFactoryStatus.ACTIVE, "one person's revocation is only a proposal"
    proposal = RevocationProposal.objects.get(enterprise=enterprise)
    assert proposal.run is None and proposal.proposed_by == city_user
    assert proposal.revoked_on == dt.date.today() and proposal.reason_text == "发生较大环境污染事件"
    assert "撤销待确认" in page(client, city_user, GREEN)

    own = page(client, city_user, detail(enterprise))
    assert "名录直接提出" in own and "该撤销建议由您提出" in own
    assert reverse("factories:proposal_confirm", args=[proposal.pk]) not in own
    refused = client.post(
        reverse("factories:proposal_confirm", args=[proposal.pk]), {"next": detail(enterprise)}, follow=True
    )
    assert "另一名市级工作人员确认" in refused.content.decode()
    factory.refresh_from_db()
    assert factory.status == GreenFactoryStatus.ACTIVE

    other = page(client, second_city_user, detail(enterprise))
    assert reverse("factories:proposal_confirm", args=[proposal.pk]) in other
    done = client.post(
        reverse("factories:proposal_confirm", args=[proposal.pk]),
        {"note": "复核属实", "next": detail(enterprise)},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == detail(enterprise)
    factory.refresh_from_db()
    assert factory.status == GreenFactoryStatus.REVOKED
    assert factory.revoked_on == dt.date.today()
    assert factory.revoke_reason == "发生较大环境污染事件"
    assert "已撤销" in done.content.decode()


def test_a_factory_with_a_pending_proposal_gets_no_second_one(
    client, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(city_user)
    client.post(revoke(factory), {"reason": "弄虚作假"})
    client.force_login(second_city_user)
    assert client.get(revoke(factory)).url == detail(enterprise)
    response = client.post(revoke(factory), {"reason": "再次提出"}, follow=True)
    assert "已有一条待确认的撤销建议" in response.content.decode()
    assert RevocationProposal.objects.filter(enterprise=enterprise).count() == 1


def test_a_second_city_user_dismisses_a_register_proposal_and_the_title_stays(
    client, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(city_user)
    client.post(revoke(factory), {"reason": "弄虚作假"})
    proposal = RevocationProposal.objects.get(enterprise=enterprise)
    dismiss = reverse("factories:proposal_dismiss", args=[proposal.pk])
    client.post(dismiss, {"note": "证据不足"})
    proposal.refresh_from_db()
    assert proposal.status == "proposed", "the proposer does not decide their own proposal"
    client.force_login(second_city_user)
    client.post(dismiss, {"note": "证据不足"})
    proposal.refresh_from_db()
    factory.refresh_from_db()
    assert proposal.status == "dismissed" and proposal.decided_by == second_city_user
    assert factory.status == GreenFactoryStatus.ACTIVE


def test_the_proposal_list_shows_register_proposals_marked_by_source(
    client, city_user, second_city_user, auditor, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(city_user)
    client.post(revoke(factory), {"reason": "弄虚作假"})
    proposal = RevocationProposal.objects.get(enterprise=enterprise)
    listed = page(client, second_city_user, reverse("factories:proposal_list"), status="proposed")
    assert enterprise.name in listed and "名录直接提出" in listed and "弄虚作假" in listed
    assert reverse("factories:proposal_confirm", args=[proposal.pk]) in listed
    read_only = page(client, auditor, reverse("factories:proposal_list"))
    assert enterprise.name in read_only
    assert reverse("factories:proposal_confirm", args=[proposal.pk]) not in read_only
    assert enterprise.name not in page(client, city_user, reverse("factories:proposal_list"), source="run")


def test_revoking_twice_explains_it_is_already_revoked(client, city_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    revoked_title(factory, proposer=city_user, revoked_on=dt.date(2025, 3, 1), reason="弄虚作假")
    client.force_login(city_user)
    response = client.post(revoke(factory), {"reason": "再次撤销"}, follow=True)
    assert "该绿色工厂称号已被撤销" in response.content.decode()


def test_revoke_never_follows_an_external_next_url(client, city_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(city_user)
    response = client.post(revoke(factory), {"reason": "弄虚作假", "next": "https://evil.example/"})
    assert response.url == GREEN


def test_green_factory_register_filters_sorts_and_scopes(
    client, city_user, district_user, enterprise, other_enterprise, jiangjin_enterprise
):
    GreenFactoryFactory(enterprise=enterprise, tier="national", recognized_year=2019)
    GreenFactoryFactory(enterprise=other_enterprise, tier="city", recognized_year=2023)
    GreenFactoryFactory(enterprise=jiangjin_enterprise, tier="city", recognized_year=2021)

    national = page(client, city_user, GREEN, tier="national")
    assert enterprise.name in national and other_enterprise.name not in national
    by_year = page(client, city_user, GREEN, recognized_year="2021")
    assert jiangjin_enterprise.name in by_year and enterprise.name not in by_year
    assert jiangjin_enterprise.name in page(client, city_user, GREEN, district="500116")
    oldest_first = page(client, city_user, GREEN, sort="year")
    assert oldest_first.index(enterprise.name) < oldest_first.index(jiangjin_enterprise.name)
    assert oldest_first.index(jiangjin_enterprise.name) < oldest_first.index(other_enterprise.name)

    district_html = page(client, district_user, GREEN)
    assert enterprise.name in district_html and jiangjin_enterprise.name not in district_html
    assert "/revoke/" not in district_html
    assert RECOGNIZE not in district_html


# ------------------------------------------------------------------ auditor and district: read-only where they must be


def test_auditor_sees_everything_without_any_write_button(client, auditor, enterprise, jiangjin_enterprise):
    factory = GreenFactoryFactory(enterprise=jiangjin_enterprise)
    register = page(client, auditor, LIST)
    assert enterprise.name in register and jiangjin_enterprise.name in register
    assert CREATE not in register
    greens = page(client, auditor, GREEN)
    assert jiangjin_enterprise.name in greens
    assert RECOGNIZE not in greens and revoke(factory) not in greens
    profile = page(client, auditor, detail(jiangjin_enterprise))
    assert edit(jiangjin_enterprise) not in profile
    assert RECOGNIZE not in profile and revoke(factory) not in profile


def test_auditor_and_district_writes_are_refused(client, auditor, district_user, enterprise):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(auditor)
    assert client.post(CREATE, new_enterprise_form()).status_code == 403
    assert client.post(edit(enterprise), new_enterprise_form()).status_code == 403
    assert client.post(RECOGNIZE, {"credit_code": enterprise.credit_code, "tier": "city"}).status_code == 403
    assert client.post(revoke(factory), {"reason": "试图撤销"}).status_code == 403
    client.force_login(district_user)
    assert client.post(revoke(factory), {"reason": "试图撤销"}).status_code == 403
    assert client.get(RECOGNIZE).status_code == 403
    assert not Enterprise.objects.filter(credit_code=NEW_CODE).exists()
    factory.refresh_from_db()
    assert factory.status == GreenFactoryStatus.ACTIVE


# ------------------------------------------------------------------ home page


def test_city_home_counts_enterprises_and_active_green_factories_by_tier(
    client, city_user, enterprise, other_enterprise
):
    GreenFactoryFactory(enterprise=enterprise, tier="national")
    GreenFactoryFactory(enterprise=other_enterprise, tier="city")
    html = page(client, city_user, "/")
    assert "全市已登记企业 2 家" in html
    assert "国家级 1 家，市级 1 家" in html
    assert GREEN + "?status=active" in html


def test_district_home_counts_its_own_enterprises(client, district_user, enterprise, jiangjin_enterprise):
    assert "渝中区已登记企业 1 家" in page(client, district_user, "/")


def test_enterprise_home_asks_for_missing_contact_details(client, enterprise_user, enterprise):
    enterprise.contact_email = ""
    enterprise.save()
    html = page(client, enterprise_user, "/")
    assert "联系信息不完整" in html and "联系邮箱" in html
    assert MY in html


def test_the_city_home_page_points_at_a_register_proposal_awaiting_a_second_person(
    client, city_user, second_city_user, enterprise
):
    factory = GreenFactoryFactory(enterprise=enterprise)
    client.force_login(city_user)
    client.post(revoke(factory), {"reason": "弄虚作假"})
    html = page(client, second_city_user, reverse("home"))
    assert "撤销建议待确认" in html and "名录直接提出" in html
    assert reverse("factories:proposal_list") + "?status=proposed" in html
