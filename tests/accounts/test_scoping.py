"""Scoping is written once; every role sees only its own, and the merger moves access with the enterprises."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.errors import InvalidInput, NotAllowed
from factories.models import District, DistrictTransfer, Enterprise
from factories.services import district_merge
from tests.model_factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_district_user_sees_only_enterprises_of_its_unit(district_user, enterprise, jiangjin_enterprise):
    assert list(Enterprise.objects.visible_to(district_user)) == [enterprise]


def test_enterprise_user_sees_only_its_own_enterprise(enterprise_user, enterprise, other_enterprise):
    assert list(Enterprise.objects.visible_to(enterprise_user)) == [enterprise]


def test_city_and_auditor_see_every_enterprise(city_user, auditor, enterprise, jiangjin_enterprise):
    assert Enterprise.objects.visible_to(city_user).count() == 2
    assert Enterprise.objects.visible_to(auditor).count() == 2


def test_inactive_and_anonymous_users_see_nothing(district_user, enterprise):
    from django.contrib.auth.models import AnonymousUser

    assert not Enterprise.objects.visible_to(AnonymousUser()).exists()
    district_user.is_active = False
    assert not Enterprise.objects.visible_to(district_user).exists()


@pytest.fixture
def jiangbei_world(db):
    """Two enterprises of 江北区 before the merger, a 江北 clerk and a 两江新区 clerk."""
    from tests.model_factories import UserFactory

    jiangbei = District.objects.get(code="500105")
    liangjiang = District.objects.get(code="LJXQ")
    # Start from the map as it was in 2024: 江北区 still in force.
    District.objects.filter(code__in=["500105", "500112"]).update(valid_to=None, successor=None)
    moved = [EnterpriseFactory(district=jiangbei), EnterpriseFactory(district=jiangbei)]
    stays = EnterpriseFactory(district=District.objects.get(code="500103"))
    return {
        "jiangbei": jiangbei,
        "liangjiang": liangjiang,
        "moved": moved,
        "stays": stays,
        "old_clerk": UserFactory(username="jb", role="district", district=jiangbei),
        "new_clerk": UserFactory(username="lj", role="district", district=liangjiang),
    }


def test_merger_moves_enterprises_and_access_follows_them(jiangbei_world, city_user):
    w = jiangbei_world
    assert Enterprise.objects.visible_to(w["old_clerk"]).count() == 2
    assert Enterprise.objects.visible_to(w["new_clerk"]).count() == 0

    moved = district_merge(
        actor=city_user, unit=w["jiangbei"], successor=w["liangjiang"], effective_on=dt.date(2026, 1, 25)
    )

    assert moved == 2
    assert Enterprise.objects.visible_to(w["old_clerk"]).count() == 0
    assert set(Enterprise.objects.visible_to(w["new_clerk"])) == set(w["moved"])
    w["jiangbei"].refresh_from_db()
    assert w["jiangbei"].valid_to == dt.date(2026, 1, 24)
    assert w["jiangbei"].successor_id == "LJXQ"


def test_merger_keeps_the_old_unit_in_the_enterprises_history(jiangbei_world, city_user):
    w = jiangbei_world
    district_merge(
        actor=city_user, unit=w["jiangbei"], successor=w["liangjiang"], effective_on=dt.date(2026, 1, 25)
    )
    transfers = DistrictTransfer.objects.filter(enterprise__in=w["moved"])
    assert transfers.count() == 2
    assert {(t.from_district_id, t.to_district_id) for t in transfers} == {("500105", "LJXQ")}
    assert w["stays"].transfers.count() == 0


def test_only_city_staff_apply_a_merger(jiangbei_world, district_user):
    w = jiangbei_world
    with pytest.raises(NotAllowed):
        district_merge(
            actor=district_user,
            unit=w["jiangbei"],
            successor=w["liangjiang"],
            effective_on=dt.date(2026, 1, 25),
        )
    assert Enterprise.objects.filter(district=w["jiangbei"]).count() == 2


def test_a_unit_cannot_merge_into_itself(jiangbei_world, city_user):
    w = jiangbei_world
    with pytest.raises(InvalidInput):
        district_merge(
            actor=city_user, unit=w["jiangbei"], successor=w["jiangbei"], effective_on=dt.date(2026, 1, 25)
        )
