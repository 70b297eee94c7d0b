"""Anomaly flags (issue 18): planted anomalies among seeded peers are flagged with the right reason, an
ordinary submission is not, a dismissal needs a reason and is audited, and enterprises never see flags."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from accounts.errors import InvalidInput, NotAllowed
from accounts.models import AuditEntry
from reporting import anomalies, services
from reporting.models import AnnualSubmission, AnomalyScan
from tests.model_factories import EnterpriseFactory, verified_submission
from tests.reporting.conftest import GOOD_VALUES

pytestmark = pytest.mark.django_db

YEAR = 2025


def ordinary(seed: int) -> dict[str, str]:
    """The fixture's good figures, each moved at random (seeded) by up to ±10 %."""
    rng = random.Random(seed)
    return {name: f"{float(text) * rng.uniform(0.9, 1.1):.2f}" for name, text in GOOD_VALUES.items()}


@pytest.fixture
def peers(open_year, yuzhong):  # type: ignore[no-untyped-def]
    """Twenty submitted enterprises of division 36 with ordinary, differing figures."""
    rows = []
    for seed in range(20):
        company = EnterpriseFactory(district=yuzhong)
        rows.append(
            AnnualSubmission.objects.create(
                enterprise=company,
                year=YEAR,
                district_id=company.district_id,
                status="submitted",
                raw_values=ordinary(seed),
            )
        )
    return rows


def _submit(actor, enterprise, values):  # type: ignore[no-untyped-def]
    draft = services.submission_save_draft(
        actor=actor, enterprise=enterprise, year=YEAR, values=values, explanation="扩产"
    )
    return services.submission_submit(actor=actor, submission=draft)


def _kinds(submission: AnnualSubmission) -> set[tuple[str, str]]:
    return {(flag["kind"], flag["field_or_indicator"]) for flag in submission.anomaly_flags}


def test_an_ordinary_submission_among_its_peers_gets_no_flag(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    submission = _submit(enterprise_user, enterprise, ordinary(99))

    assert submission.anomaly_flags == []
    assert AnnualSubmission.objects.get(pk=submission.pk).anomaly_flags == []


def test_an_indicator_far_from_the_division_is_flagged_with_the_peer_figures(
    peers, enterprise, enterprise_user
):  # type: ignore[no-untyped-def]
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)

    submission = _submit(enterprise_user, enterprise, values)

    flag = next(f for f in submission.anomaly_flags if f["kind"] == "peer_outlier")
    assert flag["field_or_indicator"] == "CP-03"
    assert flag["figures"]["peers"] == 21
    assert flag["figures"]["division"] == "36"
    assert float(flag["figures"]["z"]) > 3.5
    assert "单位产值废水产生量" in flag["message"] and "中位数" in flag["message"]
    assert flag["dismissed"] is None


def test_a_large_division_keeps_its_peer_values_between_submissions(
    peers, enterprise, enterprise_user, monkeypatch, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    """Past PEER_CACHE_FROM submitted peers (1,000; 3 here) the division's values are derived once per
    hundredth of growth and kept, not for every submission (bench.season: seconds of CPU each at national
    scale); an outlier is still flagged against them, and a small division is always derived afresh."""
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 3)
    derived: list[str] = []
    metrics = anomalies._metrics
    monkeypatch.setattr(anomalies, "_metrics", lambda row: derived.append(row.division) or metrics(row))

    first = anomalies._division_peers(YEAR, "36")
    assert len(derived) == 20
    again = anomalies._division_peers(YEAR, "36")
    assert len(derived) == 20  # kept: nothing derived again
    assert again["GBT36132-2018"].by_division == first["GBT36132-2018"].by_division

    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)
    submission = _submit(enterprise_user, enterprise, values)  # the 21st: a new hundredth below 200
    flag = next(f for f in submission.anomaly_flags if f["kind"] == "peer_outlier")
    assert flag["field_or_indicator"] == "CP-03" and float(flag["figures"]["z"]) > 3.5
    assert flag["figures"]["peers"] == 21  # the new submission among them
    calls = len(derived)
    anomalies._division_peers(YEAR, "36")
    assert len(derived) == calls  # and kept again

    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 1000)
    anomalies._division_peers(YEAR, "36")
    assert len(derived) == calls + 21  # a small division: derived afresh every time

    # Kept per hundredth: 5,000 to 5,049 submitted peers share one set of values, 5,050 starts the next.
    assert anomalies.peer_bucket(5000) == anomalies.peer_bucket(5049) == 5000
    assert anomalies.peer_bucket(5050) == 5050 and anomalies.peer_bucket(150) == 150


def test_kept_peers_flag_exactly_as_peers_derived_afresh(peers, enterprise, enterprise_user, monkeypatch):  # type: ignore[no-untyped-def]
    """What is kept is each group's median and MAD, not its values: the flags, figures and all, are the ones
    a fresh derivation gives, against the division and (an indicator the division lacks) the whole city."""
    from django.core.cache import cache

    cache.clear()
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)
    submission = _submit(enterprise_user, enterprise, values)
    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 3)
    kept = anomalies.flags_for_submission(submission)
    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 1000)
    fresh = anomalies.flags_for_submission(submission)

    assert kept == fresh and any(f["kind"] == "peer_outlier" for f in kept)
    fresh_peers = anomalies._division_peers(YEAR, "36")["GBT36132-2018"]
    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 3)
    kept_peers = anomalies._division_peers(YEAR, "36")["GBT36132-2018"]
    groups = fresh_peers.by_division  # type: ignore[union-attr]
    assert ("36", "CP-03") in groups and len(groups) > 5
    for (division, code), values in groups.items():
        spread = kept_peers.spread(division, code)
        assert spread is not None and spread == fresh_peers.spread(division, code) and spread.n == len(values)
        assert anomalies.robust_z(1.0, values)[1:] == (spread.middle, spread.mad)  # type: ignore[index]


def test_a_division_too_small_is_compared_with_the_whole_city_kept_between_submissions(
    peers, enterprise, enterprise_user, monkeypatch
):  # type: ignore[no-untyped-def]
    """An enterprise alone in its division is compared with every division's data; past PEER_CACHE_FROM
    that set is kept too, as a division's is, instead of deriving the whole year for each such submission."""
    from django.core.cache import cache

    from tests.model_factories import industry

    cache.clear()
    enterprise.industry = industry("13")
    enterprise.save()
    monkeypatch.setattr(anomalies, "PEER_CACHE_FROM", 3)
    derived: list[str] = []
    metrics = anomalies._metrics
    monkeypatch.setattr(anomalies, "_metrics", lambda row: derived.append(row.division) or metrics(row))
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)

    submission = _submit(enterprise_user, enterprise, values)

    flag = next(f for f in submission.anomaly_flags if f["kind"] == "peer_outlier")
    assert flag["field_or_indicator"] == "CP-03" and flag["figures"]["division"] == ""
    assert flag["figures"]["peers"] == 21
    calls = len(derived)
    assert anomalies.flags_for_submission(submission) == submission.anomaly_flags
    assert len(derived) == calls + 2  # its own figures and its one-member division: the city is kept


def test_the_threshold_is_a_city_setting(peers, enterprise, enterprise_user, settings):  # type: ignore[no-untyped-def]
    settings.ANOMALY_Z_THRESHOLD = 1000
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)

    submission = _submit(enterprise_user, enterprise, values)

    assert not [f for f in submission.anomaly_flags if f["kind"] == "peer_outlier"]


def _wastewater_flags(flags: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in flags if (f["kind"], f["field_or_indicator"]) == ("peer_outlier", "CP-03")]


def test_the_city_raising_the_threshold_on_the_platform_stops_a_flag_and_lowering_it_brings_it_back(
    peers, enterprise, enterprise_user, city_user
):  # type: ignore[no-untyped-def]
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 1.4)  # robust z ≈ 6.8 against the 20 peers
    submission = _submit(enterprise_user, enterprise, values)
    assert _wastewater_flags(submission.anomaly_flags)

    services.anomaly_settings_change(actor=city_user, z_threshold="8", full_renewable_kwh=1000000)
    assert not _wastewater_flags(anomalies.flags_for_submission(submission))

    services.anomaly_settings_change(actor=city_user, z_threshold="5", full_renewable_kwh=1000000)
    [flag] = _wastewater_flags(anomalies.flags_for_submission(submission))
    assert flag["figures"]["threshold"] == "5" and "绝对值超过 5）" in flag["message"]


def test_the_all_renewable_consumption_is_the_citys_setting_too(
    peers, enterprise, enterprise_user, city_user
):  # type: ignore[no-untyped-def]
    values = {**ordinary(99), "co2": "800"}
    values["renewable_electricity"] = values["electricity"]
    services.anomaly_settings_change(actor=city_user, z_threshold="3.5", full_renewable_kwh=1_000_000_000)

    submission = _submit(enterprise_user, enterprise, values)

    assert ("inconsistent", "renewable_electricity") not in _kinds(submission)


def test_the_year_scan_reads_the_citys_threshold(peers, enterprise, city_user):  # type: ignore[no-untyped-def]
    outlier = {**ordinary(99), "wastewater": str(float(ordinary(99)["wastewater"]) * 1.4)}
    AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=YEAR,
        district_id=enterprise.district_id,
        status="submitted",
        raw_values=outlier,
    )
    for threshold, expected in (("8", 0), ("5", 1)):
        services.anomaly_settings_change(actor=city_user, z_threshold=threshold, full_renewable_kwh=1000000)
        job = services.anomaly_scan_request(actor=city_user, year=YEAR)
        services.anomaly_scan_execute(job.pk)

        flags = [f for s in AnnualSubmission.objects.filter(year=YEAR) for f in s.anomaly_flags]
        assert len(_wastewater_flags(flags)) == expected


def test_a_threshold_change_is_audited_with_before_and_after(city_user):  # type: ignore[no-untyped-def]
    change = services.anomaly_settings_change(
        actor=city_user, z_threshold="4", full_renewable_kwh="1000000", reason="试行一年后放宽"
    )

    entry = AuditEntry.objects.get(action="anomaly.configure")
    assert entry.actor == city_user and entry.reason == "试行一年后放宽"
    assert entry.object_type == "reporting.anomalysettings" and entry.object_id == str(change.pk)
    assert entry.changes == {"z_threshold": ["3.5", "4"]}
    assert anomalies.thresholds().z == 4 and anomalies.thresholds().change == change


@pytest.mark.parametrize(
    ("z", "kwh", "field", "words"),
    [
        ("1.5", "1000000", "z_threshold", "须在 2 到 10 之间"),
        ("10.5", "1000000", "z_threshold", "须在 2 到 10 之间"),
        ("三点五", "1000000", "z_threshold", "请填写数字"),
        ("3.555", "1000000", "z_threshold", "最多保留两位小数"),
        ("4", "5000", "full_renewable_kwh", "须在 10000 到 1000000000 之间"),
        ("4", "20000.5", "full_renewable_kwh", "请填写整数"),
    ],
)
def test_a_threshold_out_of_range_is_refused_in_words_and_nothing_stored(city_user, z, kwh, field, words):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        services.anomaly_settings_change(actor=city_user, z_threshold=z, full_renewable_kwh=kwh)

    assert words in str(refused.value.field_errors[field][0])
    assert anomalies.thresholds().change is None
    assert not AuditEntry.objects.filter(action="anomaly.configure").exists()


def test_only_the_city_changes_the_thresholds(district_user, enterprise_user, auditor):  # type: ignore[no-untyped-def]
    for user in (district_user, enterprise_user, auditor):
        with pytest.raises(NotAllowed):
            services.anomaly_settings_change(actor=user, z_threshold="4", full_renewable_kwh="1000000")
    assert anomalies.thresholds().change is None


def test_the_city_changes_the_thresholds_on_its_page_and_reads_who_changed_them(client, city_user):  # type: ignore[no-untyped-def]
    client.force_login(city_user)
    assert "anomaly-settings/" in client.get("/reporting/years/").content.decode()
    page = client.get("/reporting/anomaly-settings/").content.decode()
    assert "平台默认值，尚未调整" in page and 'value="3.5"' in page

    refused = client.post(
        "/reporting/anomaly-settings/", {"z_threshold": "1", "full_renewable_kwh": "1000000"}
    ).content.decode()
    assert "须在 2 到 10 之间" in refused and 'value="1"' in refused
    assert anomalies.thresholds().change is None

    done = client.post(
        "/reporting/anomaly-settings/",
        {"z_threshold": "4.5", "full_renewable_kwh": "2000000", "reason": "试行一年后放宽"},
        follow=True,
    ).content.decode()
    assert "异常提示阈值已调整" in done and "试行一年后放宽" in done and str(city_user) in done
    assert anomalies.thresholds().z == Decimal("4.5") and anomalies.thresholds().full_renewable_kwh == 2000000


def test_only_the_city_opens_the_threshold_page(client, district_user, enterprise_user, auditor):  # type: ignore[no-untyped-def]
    for user in (district_user, enterprise_user, auditor):
        client.force_login(user)
        assert client.get("/reporting/anomaly-settings/").status_code == 403
        body = {"z_threshold": "4", "full_renewable_kwh": "1000000"}
        assert client.post("/reporting/anomaly-settings/", body).status_code == 403
        assert "anomaly-settings/" not in client.get("/reporting/years/").content.decode()
    assert anomalies.thresholds().change is None


def test_a_small_division_is_compared_with_the_whole_city(peers, enterprise_user, yuzhong):  # type: ignore[no-untyped-def]
    from tests.model_factories import industry

    loner = EnterpriseFactory(district=yuzhong, industry=industry("13"))
    enterprise_user.enterprise = loner
    enterprise_user.save()
    values = ordinary(99)
    values["wastewater"] = str(float(values["wastewater"]) * 50)

    submission = _submit(enterprise_user, loner, values)

    flag = next(f for f in submission.anomaly_flags if f["kind"] == "peer_outlier")
    assert flag["figures"]["division"] == "" and flag["figures"]["peers"] == 21
    assert "全市" in flag["message"]


def test_a_threefold_jump_since_last_year_is_flagged(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    values = ordinary(99)
    verified_submission(enterprise, YEAR - 1, {**values, "cod": str(float(values["cod"]) / 5)})

    submission = _submit(enterprise_user, enterprise, values)

    assert _kinds(submission) == {("yoy_jump", "cod")}
    assert "化学需氧量产生量由上年的" in submission.anomaly_flags[0]["message"]


def test_a_value_unchanged_for_three_years_is_flagged_but_not_zeros_or_land(
    peers, enterprise, enterprise_user
):  # type: ignore[no-untyped-def]
    values = ordinary(99)
    for year, seed in ((YEAR - 2, 97), (YEAR - 1, 98)):
        earlier = ordinary(seed)
        earlier.update(cod=values["cod"], coal="0", site_area=values["site_area"])
        earlier.update(floor_area=values["floor_area"], footprint_area=values["footprint_area"])
        verified_submission(enterprise, year, earlier)

    submission = _submit(enterprise_user, enterprise, values)

    unchanged = {f["field_or_indicator"] for f in submission.anomaly_flags if f["kind"] == "unchanged"}
    assert unchanged == {"cod"}
    flag = next(f for f in submission.anomaly_flags if f["kind"] == "unchanged")
    assert "连续三年均为" in flag["message"] and values["cod"] in flag["message"]


def test_an_exact_copy_of_another_enterprise_is_flagged_with_its_name(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    original = peers[0]

    submission = _submit(enterprise_user, enterprise, dict(original.raw_values))

    copied = [f for f in submission.anomaly_flags if f["kind"] == "copied"]
    assert len(copied) == 1
    assert copied[0]["figures"]["match"] == "exact"
    assert copied[0]["figures"]["other_submission"] == original.pk
    assert original.enterprise.name in copied[0]["message"]
    assert "完全相同" in copied[0]["message"]


def test_a_near_copy_is_flagged_and_a_looser_resemblance_is_not(
    peers, enterprise, other_enterprise, enterprise_user, other_enterprise_user
):  # type: ignore[no-untyped-def]
    original = dict(peers[0].raw_values)  # 22 non-zero fields (coal is 0)
    near = {**original, "cod": "1.11", "nox": "2.22"}  # 20 of 22 the same: 91 %
    loose = {**original, "cod": "3.33", "nox": "4.44", "so2": "5.55"}  # 19 of 22: 86 %

    flagged = _submit(enterprise_user, enterprise, near)
    unflagged = _submit(other_enterprise_user, other_enterprise, loose)

    copied = [f for f in flagged.anomaly_flags if f["kind"] == "copied"]
    assert [(f["figures"]["match"], f["figures"]["shared"], f["figures"]["fields"]) for f in copied] == [
        ("near", 20, 22)
    ]
    assert "22 项非零数据中有 20 项完全相同" in copied[0]["message"]
    assert copied[0]["figures"]["other_submission"] == peers[0].pk
    assert not [f for f in unflagged.anomaly_flags if f["kind"] == "copied"]


def test_the_copy_detector_answers_the_same_in_sql_and_in_python(peers, enterprise, other_enterprise):  # type: ignore[no-untyped-def]
    original = dict(peers[0].raw_values)
    for company, raw in ((enterprise, original), (other_enterprise, {**original, "cod": "1.11"})):
        AnnualSubmission.objects.create(
            enterprise=company, year=YEAR, district_id=company.district_id, status="submitted", raw_values=raw
        )

    found = anomalies.find_copies(YEAR)
    in_python = anomalies._copies_python(YEAR, None)

    assert sorted(found, key=lambda c: (c.first, c.second)) == sorted(
        in_python, key=lambda c: (c.first, c.second)
    )
    assert sorted((c.exact, c.shared) for c in found) == [(False, 21), (False, 21), (True, 22)]


def test_co2_that_the_energy_cannot_explain_is_flagged(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    values = {**ordinary(99), "co2": "1"}

    submission = _submit(enterprise_user, enterprise, values)

    flag = next(f for f in submission.anomaly_flags if f["field_or_indicator"] == "co2")
    assert flag["kind"] == "inconsistent"
    assert float(flag["figures"]["low"]) > 1
    assert "二氧化碳排放量 1 t" in flag["message"] and "合理范围" in flag["message"]


def test_all_renewable_electricity_at_a_large_consumption_is_flagged(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    values = ordinary(99)
    values["renewable_electricity"] = values["electricity"]
    values["co2"] = "800"

    submission = _submit(enterprise_user, enterprise, values)

    assert ("inconsistent", "renewable_electricity") in _kinds(submission)
    flag = next(f for f in submission.anomaly_flags if f["field_or_indicator"] == "renewable_electricity")
    assert "等于全部电力消费量" in flag["message"]


def test_output_per_square_metre_far_outside_the_division_is_flagged(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    values = {
        **ordinary(99),
        "site_area": "1000",
        "floor_area": "1200",
        "footprint_area": "500",
    }
    submission = _submit(enterprise_user, enterprise, values)

    flag = next(f for f in submission.anomaly_flags if f["field_or_indicator"] == "LI-03")
    assert flag["kind"] == "inconsistent"
    assert "单位用地面积产值为" in flag["message"] and "元/m²" in flag["message"]
    assert not [
        f
        for f in submission.anomaly_flags
        if f["kind"] == "peer_outlier" and f["field_or_indicator"] == "LI-03"
    ]


def test_the_year_scan_flags_both_members_of_a_copied_pair(peers, enterprise, city_user):  # type: ignore[no-untyped-def]
    copy = AnnualSubmission.objects.create(
        enterprise=enterprise,
        year=YEAR,
        district_id=enterprise.district_id,
        status="district_approved",
        raw_values=dict(peers[3].raw_values),
    )

    job = services.anomaly_scan_request(actor=city_user, year=YEAR)
    assert services.anomaly_scan_execute(job.pk) == "succeeded"

    job = AnomalyScan.objects.get(pk=job.pk)
    flagged = [s for s in AnnualSubmission.objects.filter(year=YEAR) if s.open_anomalies]
    assert job.done == 21 and job.flagged == len(flagged) >= 2
    assert ("copied", f"raw_values:{peers[3].pk}") in _kinds(AnnualSubmission.objects.get(pk=copy.pk))
    assert ("copied", f"raw_values:{copy.pk}") in _kinds(AnnualSubmission.objects.get(pk=peers[3].pk))
    others = [s for s in flagged if s.pk not in (copy.pk, peers[3].pk)]
    assert not [f for s in others for f in s.anomaly_flags if f["kind"] == "copied"]
    assert AuditEntry.objects.filter(action="anomaly.scan").count() == 1


def test_only_the_city_starts_a_year_scan(peers, district_user, enterprise_user):  # type: ignore[no-untyped-def]
    for user in (district_user, enterprise_user):
        with pytest.raises(NotAllowed):
            services.anomaly_scan_request(actor=user, year=YEAR)


def test_the_scan_command_checks_the_year(peers, capsys):  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    call_command("scan_anomalies", str(YEAR))

    flagged = sum(bool(s.open_anomalies) for s in AnnualSubmission.objects.filter(year=YEAR))
    assert f"20 项数据已检查，{flagged} 项有异常提示" in capsys.readouterr().out
    assert AnomalyScan.objects.get().status == "succeeded"


def _co2(submission: AnnualSubmission) -> dict:  # type: ignore[type-arg]
    return next(f for f in submission.anomaly_flags if f["field_or_indicator"] == "co2")


@pytest.fixture
def flagged(peers, enterprise, enterprise_user):  # type: ignore[no-untyped-def]
    return _submit(enterprise_user, enterprise, {**ordinary(99), "co2": "1"})


def test_a_dismissal_needs_a_reason(flagged, district_user):  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        services.anomaly_dismiss(
            actor=district_user,
            submission=flagged,
            kind="inconsistent",
            field_or_indicator="co2",
            reason="  ",
        )

    assert "理由" in str(refused.value.field_errors["reason"][0])
    assert AnnualSubmission.objects.get(pk=flagged.pk).open_anomalies
    assert not AuditEntry.objects.filter(action="anomaly.dismiss").exists()


def test_a_dismissal_is_recorded_with_its_reason_and_survives_a_new_scan(flagged, district_user, city_user):  # type: ignore[no-untyped-def]
    services.anomaly_dismiss(
        actor=district_user,
        submission=flagged,
        kind="inconsistent",
        field_or_indicator="co2",
        reason="核实：企业使用园区集中供热，排放计入热源单位",
    )

    flag = _co2(AnnualSubmission.objects.get(pk=flagged.pk))
    assert flag["dismissed"]["by"] == district_user.username
    assert flag["dismissed"]["reason"].startswith("核实")
    entry = AuditEntry.objects.get(action="anomaly.dismiss")
    assert entry.reason.startswith("核实") and entry.actor == district_user

    job = services.anomaly_scan_request(actor=city_user, year=YEAR)
    services.anomaly_scan_execute(job.pk)
    assert _co2(AnnualSubmission.objects.get(pk=flagged.pk))["dismissed"]["reason"].startswith("核实")


def test_an_enterprise_cannot_dismiss_a_flag(flagged, enterprise_user):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        services.anomaly_dismiss(
            actor=enterprise_user,
            submission=flagged,
            kind="inconsistent",
            field_or_indicator="co2",
            reason="无",
        )


def test_another_district_cannot_dismiss_a_flag(flagged, other_district_user):  # type: ignore[no-untyped-def]
    with pytest.raises(NotAllowed):
        services.anomaly_dismiss(
            actor=other_district_user,
            submission=flagged,
            kind="inconsistent",
            field_or_indicator="co2",
            reason="无",
        )


# --- what reviewers and enterprises see ------------------------------------------------------------


def _detail(submission: AnnualSubmission) -> str:
    return f"/reporting/submissions/{submission.pk}/"


def test_reviewers_read_the_flags_in_the_api_in_words(flagged, api, district_user, city_user, auditor):  # type: ignore[no-untyped-def]
    for user in (district_user, city_user, auditor):
        answer = api.as_user(user).get(f"/api/v1/submissions/{flagged.pk}/")
        assert answer.status_code == 200
        flag = next(f for f in answer.json()["anomaly_flags"] if f["field_or_indicator"] == "co2")
        assert flag["kind"] == "inconsistent" and flag["kind_display"] == "数据内部不一致"
        assert "合理范围" in flag["message"] and flag["figures"]["co2"] == "1"
        assert flag["dismissed"] is None


def test_an_enterprise_never_sees_its_flags_in_the_api(flagged, api, enterprise_user):  # type: ignore[no-untyped-def]
    one = api.as_user(enterprise_user).get(f"/api/v1/submissions/{flagged.pk}/")
    many = api.as_user(enterprise_user).get("/api/v1/submissions/")

    assert one.status_code == 200 and "anomaly_flags" not in one.json()
    assert many.json()["results"] and all("anomaly_flags" not in row for row in many.json()["results"])
    assert "合理范围" not in one.content.decode() + many.content.decode()


def test_a_flag_is_dismissed_through_the_api_only_with_a_reason(flagged, api, district_user):  # type: ignore[no-untyped-def]
    url = f"/api/v1/submissions/{flagged.pk}/dismiss-anomaly/"
    body = {"kind": "inconsistent", "field_or_indicator": "co2"}

    refused = api.as_user(district_user).post(url, {**body, "reason": ""}, format="json")
    done = api.as_user(district_user).post(url, {**body, "reason": "已核对能源台账"}, format="json")

    assert refused.status_code == 400 and "理由" in refused.json()["reason"][0]
    assert done.status_code == 200
    flag = next(f for f in done.json()["anomaly_flags"] if f["field_or_indicator"] == "co2")
    assert (
        flag["dismissed"]["reason"] == "已核对能源台账" and flag["dismissed"]["by"] == district_user.username
    )


def test_the_dismiss_endpoint_refuses_enterprises_and_hides_other_districts(
    flagged, api, enterprise_user, other_district_user
):  # type: ignore[no-untyped-def]
    url = f"/api/v1/submissions/{flagged.pk}/dismiss-anomaly/"
    body = {"kind": "inconsistent", "field_or_indicator": "co2", "reason": "无"}

    assert api.as_user(enterprise_user).post(url, body, format="json").status_code == 403
    assert api.as_user(other_district_user).post(url, body, format="json").status_code == 404
    assert _co2(AnnualSubmission.objects.get(pk=flagged.pk))["dismissed"] is None


def test_the_detail_page_shows_reviewers_the_reason_and_hides_it_from_the_enterprise(
    flagged, client, district_user, enterprise_user
):  # type: ignore[no-untyped-def]
    client.force_login(district_user)
    page = client.get(_detail(flagged)).content.decode()
    assert 'id="anomalies"' in page and "数据内部不一致" in page and "合理范围" in page
    assert "排除理由" in page

    client.force_login(enterprise_user)
    page = client.get(_detail(flagged)).content.decode()
    assert 'id="anomalies"' not in page and "合理范围" not in page and "异常提示" not in page


def test_a_flag_is_dismissed_on_the_page_only_with_a_reason(flagged, client, district_user):  # type: ignore[no-untyped-def]
    client.force_login(district_user)
    url = f"/reporting/submissions/{flagged.pk}/dismiss-anomaly/"
    body = {"kind": "inconsistent", "field_or_indicator": "co2"}

    refused = client.post(url, {**body, "reason": ""}, follow=True)
    assert "必须写明理由" in refused.content.decode()
    assert _co2(AnnualSubmission.objects.get(pk=flagged.pk))["dismissed"] is None

    done = client.post(url, {**body, "reason": "已核对能源台账"}, follow=True)
    assert "已由" in done.content.decode() and "已核对能源台账" in done.content.decode()
    assert _co2(AnnualSubmission.objects.get(pk=flagged.pk))["dismissed"]["reason"] == "已核对能源台账"


def test_the_review_queue_counts_the_flags(flagged, client, district_user):  # type: ignore[no-untyped-def]
    client.force_login(district_user)
    page = client.get("/reporting/review/district/").content.decode()

    open_flags = len(AnnualSubmission.objects.get(pk=flagged.pk).open_anomalies)
    assert f"异常提示 {open_flags} 项" in page
    assert f"/reporting/submissions/{flagged.pk}/?queue=district#anomalies" in page


def test_the_review_queue_no_longer_counts_a_submission_whose_flags_are_all_dismissed(
    flagged, client, district_user
):  # type: ignore[no-untyped-def]
    client.force_login(district_user)
    assert client.get("/reporting/review/district/").context["counts"]["anomalies"] == 1

    for flag in AnnualSubmission.objects.get(pk=flagged.pk).open_anomalies:
        services.anomaly_dismiss(
            actor=district_user,
            submission=AnnualSubmission.objects.get(pk=flagged.pk),
            kind=flag["kind"],
            field_or_indicator=flag["field_or_indicator"],
            reason="已核对能源台账",
        )

    page = client.get("/reporting/review/district/")
    assert page.context["counts"]["anomalies"] == 0
    assert "异常提示 " not in page.content.decode().split("<tbody>")[1]


def test_a_copy_of_another_districts_enterprise_does_not_name_it(
    peers, enterprise, enterprise_user, jiangjin_enterprise, district_user, api
):  # type: ignore[no-untyped-def]
    source = AnnualSubmission.objects.create(
        enterprise=jiangjin_enterprise,
        year=YEAR,
        district_id=jiangjin_enterprise.district_id,
        status="submitted",
        raw_values=ordinary(42),
    )
    submission = _submit(enterprise_user, enterprise, dict(source.raw_values))

    flag = next(
        f
        for f in api.as_user(district_user)
        .get(f"/api/v1/submissions/{submission.pk}/")
        .json()["anomaly_flags"]
        if f["kind"] == "copied"
    )
    assert "另一区县的一家企业" in flag["message"]
    assert jiangjin_enterprise.name not in str(flag)


def _sheet(job):  # type: ignore[no-untyped-def]
    import io

    from openpyxl import load_workbook

    with job.file.open("rb") as handle:
        return load_workbook(io.BytesIO(handle.read())).active


def test_the_exports_carry_the_flags_in_words_for_reviewers_only(flagged, district_user, enterprise_user):  # type: ignore[no-untyped-def]
    from reporting import jobs

    for kind in ("review_queue", "submissions"):
        sheet = _sheet(jobs.export_request(actor=district_user, kind=kind, filters={"year": YEAR})[0])
        header = [c.value for c in sheet[2]]
        column = header.index("异常提示")
        cells = [
            row[column]
            for row in sheet.iter_rows(min_row=3, values_only=True)
            if row[1] == flagged.enterprise.name
        ]
        assert "【数据内部不一致】二氧化碳排放量 1 t" in cells[0]

    sheet = _sheet(jobs.export_request(actor=enterprise_user, kind="submissions", filters={"year": YEAR})[0])
    assert "异常提示" not in [c.value for c in sheet[2]]
    assert "合理范围" not in str(list(sheet.values))


def test_the_city_starts_a_year_check_from_the_years_page(peers, client, city_user, district_user):  # type: ignore[no-untyped-def]
    client.force_login(district_user)
    assert client.post(f"/reporting/years/{YEAR}/anomaly-scan/").status_code == 403
    assert "检查数据异常" not in client.get("/reporting/years/").content.decode()

    client.force_login(city_user)
    assert "检查数据异常" in client.get("/reporting/years/").content.decode()
    answer = client.post(f"/reporting/years/{YEAR}/anomaly-scan/", follow=True)
    assert "已开始检查" in answer.content.decode()
    assert AnomalyScan.objects.filter(year=YEAR, requested_by=city_user).exists()


def test_beat_checks_the_year_once_complete_and_again_after_a_resubmission(peers, open_year):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.utils import timezone

    AnnualSubmission.objects.filter(pk__in=[s.pk for s in peers]).update(
        submitted_at=timezone.now() - dt.timedelta(days=1)
    )
    after_close = open_year.closes_on + dt.timedelta(days=1)

    assert services.anomaly_scans_when_complete(today=open_year.closes_on) == []  # window still open
    assert services.anomaly_scans_when_complete(today=after_close) == [YEAR]
    assert services.anomaly_scans_when_complete(today=after_close) == []  # nothing new since the check
    assert AuditEntry.objects.filter(action="anomaly.scan", actor_name="beat").count() == 1

    AnnualSubmission.objects.filter(pk=peers[0].pk).update(
        submitted_at=timezone.now() + dt.timedelta(minutes=1)
    )
    assert services.anomaly_scans_when_complete(today=after_close) == [YEAR]  # resubmitted after a return
    assert AnomalyScan.objects.filter(year=YEAR).count() == 2
