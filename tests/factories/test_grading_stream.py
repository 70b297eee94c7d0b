"""The streamed run (one COPY in, one division at a time, one COPY out per division) stores exactly the rows
the in-memory engine path gave: every column of every result, on a population with a division below
min_peer (compared with everyone), factories without data, an incident, last year's published grades and a
title recognised this year."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from factories.grading import engine, services
from factories.grading.inputs import gather
from factories.grading.standard import standard_from_dict
from factories.models import GradingResult, RevocationProposal

pytestmark = pytest.mark.django_db

COLUMNS = services.RESULT_COLUMNS[1:]  # every stored column but the run's id


def _population(yuzhong: Any, jiangjin: Any) -> list[Any]:
    from factories.creditcode import make_credit_code
    from tests.helpers import close_windows
    from tests.model_factories import (
        EnterpriseFactory,
        GreenFactoryFactory,
        industry,
        plausible_raw,
        verified_submission,
    )

    close_windows(2024, 2025)
    enterprises = []
    # 9 in division 36, 6 in 26 (one without data for 2025), 3 in 13 (below min_peer: compared with everyone),
    # and one in 30 with no data at all.
    plan = [("36", 9), ("26", 6), ("13", 3), ("30", 1)]
    n = 0
    for code, count in plan:
        for k in range(count):
            district = yuzhong if n % 3 else jiangjin
            enterprise = EnterpriseFactory(
                name=f"重庆流式评价{n}厂",
                district=district,
                industry=industry(code),
                credit_code=make_credit_code("91", district.code, f"{n + 31000000:08d}"),
            )
            GreenFactoryFactory(
                enterprise=enterprise,
                tier="national" if n % 4 == 0 else "city",
                recognized_year=2025 if n == 4 else 2021,
            )
            years = () if code == "30" else (2024,) if (code == "26" and k == 0) else (2024, 2025)
            for year in years:
                verified_submission(enterprise, year, plausible_raw(n, year))
            enterprises.append(enterprise)
            n += 1
    return enterprises


def _old_rows(run: Any) -> dict[int, tuple[Any, ...]]:
    """What the in-memory path stored: gather everything, grade_year, the row of each result."""
    standard = standard_from_dict(run.standard.parameters)
    inputs = gather(run.year, run.standard.parameters)
    rows = {}
    for result in engine.grade_year(run.year, inputs.factories, standard):
        district, industry, tier = inputs.enterprise_meta[result.enterprise_id]
        details = engine.result_to_dict(result)
        row = (
            result.enterprise_id,
            run.year,
            district,
            industry,
            tier,
            result.grade,
            result.computed_grade or "",
            result.decided_by,
            details["level_score"],
            details["improvement_score"],
            details["composite"],
            details["q"],
            result.peer_group or "",
            result.peer_count,
            result.revocation_proposed,
            list(result.flags),
            details["reasons"],
            {k: details[k] for k in services.DETAIL_KEYS},
        )
        # Through JSON, as the ORM sends a JSON field: the comparison is of stored values.
        rows[result.enterprise_id] = tuple(json.loads(json.dumps(row)))
    return rows, inputs.input_hash


def _run_and_compare(city_user, enterprises, capture):  # type: ignore[no-untyped-def]
    """Grade 2025 through the service, then compare every stored row with the in-memory engine's."""
    with capture(execute=True):
        run = services.grading_run_start(actor=city_user, year=2025)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.done == run.total == len(enterprises)
    stored = {row[0]: row for row in GradingResult.objects.filter(run=run).values_list(*COLUMNS)}
    expected, _hash = _old_rows(run)
    assert set(stored) == set(expected) == {e.pk for e in enterprises}
    for enterprise_id, row in expected.items():
        assert tuple(json.loads(json.dumps(stored[enterprise_id]))) == row, enterprise_id
    return run, stored


def test_the_streamed_run_stores_the_rows_of_the_in_memory_engine(
    yuzhong, jiangjin, city_user, django_capture_on_commit_callbacks
):
    from factories.grading.services import incident_record
    from tests.model_factories import final_run

    enterprises = _population(yuzhong, jiangjin)
    with django_capture_on_commit_callbacks(execute=True):
        last_year = services.grading_run_start(actor=city_user, year=2024)
    last_year.refresh_from_db()
    assert last_year.status == "succeeded"
    final_run(last_year, city_user)
    incident_record(
        actor=city_user,
        enterprise=enterprises[2],
        kind="safety",
        severity="general",
        occurred_on=dt.date(2025, 5, 1),
        description="一般安全事故",
    )
    incident_record(
        actor=city_user,
        enterprise=enterprises[10],
        kind="falsification",
        severity="general",
        occurred_on=dt.date(2025, 6, 1),
        description="数据弄虚作假",
    )
    run, stored = _run_and_compare(city_user, enterprises, django_capture_on_commit_callbacks)
    # The population has what the comparison is meant to cover.
    groups = {row[12] for row in stored.values()}
    assert {"36", "26", "ALL", ""} <= groups
    assert any("no_data" in row[15] for row in stored.values())
    assert any(r["code"] == "INCIDENT_GENERAL_DOWN" for row in stored.values() for r in row[16])
    assert any(r["code"] == "NO_DATA_DOWNGRADE" for row in stored.values() for r in row[16])
    assert RevocationProposal.objects.filter(run=run, reason="incident").count() == 1


def test_without_copy_the_run_gathers_and_stores_through_the_orm_the_same_rows(
    yuzhong, jiangjin, city_user, django_capture_on_commit_callbacks, monkeypatch
):
    """The fallback of a database without COPY (SQLite: `make run`, the suite without services), forced on
    PostgreSQL: the population gathered at once, graded division by division, written with bulk_create;
    the stored rows are those of the in-memory engine, as the COPY path's are."""
    from factories.grading import inputs

    enterprises = _population(yuzhong, jiangjin)
    monkeypatch.setattr(inputs, "copy_available", lambda: False)
    _run_and_compare(city_user, enterprises, django_capture_on_commit_callbacks)


@pytest.mark.postgres  # StreamedInputs reads with COPY
def test_the_stream_gives_the_results_of_grade_year_for_divisions_below_min_peer_only(
    yuzhong, jiangjin, city_user
):
    """Every division below min_peer (no division graded on its own): all are compared with everyone."""
    from factories.grading.inputs import StreamedInputs
    from factories.models import GradingStandard

    _population(yuzhong, jiangjin)
    parameters = GradingStandard.objects.get(code="CQ-GF-2024", version=1).parameters
    standard = standard_from_dict({**parameters, "min_peer": 50})
    streamed = StreamedInputs(2025, parameters, standard.min_peer)
    try:
        results = [r for group in engine.grade_stream(2025, streamed.divisions(), standard) for r in group]
    finally:
        streamed.close()
    whole = gather(2025, parameters)
    expected = engine.grade_year(2025, whole.factories, standard)
    assert sorted(results, key=lambda r: r.enterprise_id) == expected
    assert {r.peer_group for r in results} == {"ALL", None}
