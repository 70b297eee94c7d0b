"""Peer benchmarks (同行对标): an enterprise sees its own quartile band, never another enterprise's figures.

Hand-counted: dora's enterprise (division 36) and four peers of division 36, city-verified 2025 data:

    EL-03 ↑ (renewable share)  peers 1, 2, 3, 5; dora 4  → Q1 2, median 3, Q3 4: 4 ≥ Q3 → 前25%;
                                 better than 3 of 4 → p 75
    EL-01 ↓ (energy intensity) peers 0.1, 0.2, 0.3, 0.5; dora 0.4 → Q3 0.4: ≤ Q3 → 50%–75%;
                                 better than 1 of 4 → p 25
    dimension 能源低碳化: (75 + 25) / 2 = 50 → 25%–50%
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.context_processors import NAVIGATION
from reporting import benchmarks
from reporting.models import AnnualSubmission, SubmissionStatus
from tests.model_factories import EnterpriseFactory, industry

YEAR = 2025
PEER_NAME = "同行样本企业"
# Figures of the peers that must never reach dora: distinctive enough to be found in any page or answer.
SECRET_VALUE = "81.234567"
SECRET_RAW = "98765.4321"


def _verified(enterprise, **values):  # type: ignore[no-untyped-def]
    codes = {k.replace("_", "-"): v for k, v in values.items()}
    return AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=YEAR,
        district=enterprise.district,
        status=SubmissionStatus.CITY_VERIFIED,
        raw_values={"co2": SECRET_RAW} if enterprise.name.startswith(PEER_NAME) else {},
        indicators={code: {"status": "ok", "value": str(v)} for code, v in codes.items()},
    )


def _peer(division: str = "36", n: int = 0):  # type: ignore[no-untyped-def]
    return EnterpriseFactory(name=f"{PEER_NAME}{division}-{n}", industry=industry(division))


@pytest.fixture
def division_of_five(enterprise):  # type: ignore[no-untyped-def]
    _verified(enterprise, EL_03=4, EL_01="0.4")
    for n, (renewable, energy) in enumerate([(1, "0.1"), (2, "0.2"), (3, "0.3"), (5, "0.5")]):
        _verified(_peer(n=n), EL_03=renewable, EL_01=energy, EL_02=SECRET_VALUE)


@pytest.fixture
def division_of_four(enterprise):  # type: ignore[no-untyped-def]
    """Dora and three peers in division 36; two more enterprises of division 39 make the city six."""
    _verified(enterprise, EL_03=4)
    for n, renewable in enumerate([1, 2, 3]):
        _verified(_peer(n=n), EL_03=renewable)
    for n, renewable in enumerate([5, 6]):
        _verified(_peer("39", n), EL_03=renewable)


def _position(result: benchmarks.Benchmarks, code: str) -> benchmarks.IndicatorPosition:
    return next(p for p in result.indicators if p.indicator.code == code)


@pytest.mark.parametrize(
    ("value", "direction", "band"),
    [(5, "up", 1), (4, "up", 1), (3, "up", 2), (2, "up", 3), (1, "up", 4),
     (1, "down", 1), (2, "down", 1), (3, "down", 2), (4, "down", 3), (5, "down", 4)],
)  # fmt: skip
def test_the_band_follows_the_quartiles_of_one_to_five_and_the_direction(value, direction, band):
    assert benchmarks.quartile_band(value, 2, 3, 4, direction) == band


def test_a_division_of_five_places_the_enterprise_by_hand_counted_quartiles(
    division_of_five, enterprise_user
):
    result = benchmarks.benchmarks(enterprise_user, YEAR)
    renewable, energy = _position(result, "EL-03"), _position(result, "EL-01")
    assert (renewable.group, renewable.members, renewable.band, renewable.percentile) == (
        "division",
        5,
        1,
        75,
    )
    assert str(renewable.band_label) == "前25%"
    assert (energy.group, energy.band, energy.percentile) == ("division", 3, 25)
    assert str(energy.band_label) == "50%–75%"
    assert _position(result, "EL-02").band is None  # dora reported none: no position
    energy_dimension = next(d for d in result.dimensions if d.code == "energy")
    assert (energy_dimension.band, energy_dimension.compared) == (2, 2)


def test_a_division_of_four_shows_no_division_band_but_the_city(division_of_four, enterprise_user):
    position = _position(benchmarks.benchmarks(enterprise_user, YEAR), "EL-03")
    # City 1…6: Q1 2.25, median 3.5, Q3 4.75; dora's 4 lies in the second quarter.
    assert (position.group, position.members, position.band) == ("city", 6, 2)
    assert position.group_label == "全市"


def test_fewer_than_five_in_the_whole_city_shows_nothing(enterprise, enterprise_user):
    _verified(enterprise, EL_03=4)
    for n, renewable in enumerate([1, 2, 3]):
        _verified(_peer(n=n), EL_03=renewable)
    position = _position(benchmarks.benchmarks(enterprise_user, YEAR), "EL-03")
    assert (position.group, position.band) == ("", None)
    assert str(position.note) == "同行数量不足，暂不显示"


def test_data_not_yet_verified_gives_no_benchmark(enterprise, enterprise_user):
    AnnualSubmission.objects.create(
        enterprise=enterprise, year=YEAR, district=enterprise.district, status="submitted"
    )
    assert benchmarks.benchmarks(enterprise_user, YEAR).year is None


def test_the_page_shows_the_band_and_the_division_note(division_of_four, client, enterprise_user):
    client.force_login(enterprise_user)
    page = client.get(reverse("reporting:benchmarks"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "同行对标" in text and "25%–50%" in text and "全市" in text
    assert PEER_NAME not in text


def test_the_api_gives_the_band_and_no_peer_figures(division_of_five, api, enterprise_user):
    answer = api.as_user(enterprise_user).get("/api/v1/benchmarks/", {"year": YEAR})
    assert answer.status_code == 200
    body = answer.json()
    renewable = next(i for i in body["indicators"] if i["indicator"] == "EL-03")
    assert {k: renewable[k] for k in ("value", "group", "members", "band", "band_label")} == {
        "value": "4",
        "group": "division",
        "members": 5,
        "band": 1,
        "band_label": "前25%",
    }
    assert SECRET_VALUE not in answer.content.decode()


def test_staff_have_no_enterprise_to_benchmark(division_of_five, api, city_user, district_user):
    assert api.as_user(city_user).get("/api/v1/benchmarks/").status_code == 403
    assert api.as_user(district_user).get("/api/v1/benchmarks/").status_code == 403


def test_no_enterprise_facing_page_or_api_answer_contains_another_enterprises_figures(
    division_of_five, client, api, enterprise_user
):
    """The access matrix's endpoint discovery, swept for the peers' figures and names as dora sees them:
    every API list, every page of the menu, the home page and the benchmark page."""
    from tests.system.conftest import discover_endpoints

    api.as_user(enterprise_user)
    client.force_login(enterprise_user)
    answers = {}
    for endpoint in discover_endpoints().values():
        if endpoint.is_list:
            url = reverse(endpoint.name)
            answers[url] = api.get(url, {"year": YEAR})
    for _label, name in NAVIGATION:
        try:
            url = reverse(name)
        except Exception:
            continue
        answers[url] = client.get(url)
    answers["benchmarks"] = client.get(reverse("reporting:benchmarks"), {"year": YEAR})
    assert answers["benchmarks"].status_code == 200
    assert len(answers) > 20
    for url, answer in answers.items():
        text = answer.content.decode(errors="replace")
        for secret in (SECRET_VALUE, "81.23", SECRET_RAW, "98765", "98,765", PEER_NAME):
            assert secret not in text, f"{url} shows {secret!r} to another enterprise's user"
