"""Cold pages (issue 19): with nothing cached, each list, detail, dashboard and API list runs the same number of
queries for 3 factories as for 15, and on PostgreSQL the unfiltered lists take their totals from the summary
tables instead of counting the register, the submissions or the grades."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from factories.models import Enterprise
from tests.helpers import cold_cache
from tests.reporting.test_dashboards import grow, years  # noqa: F401  (`years` is a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]  # a grading run needs PostgreSQL (COPY)

PAGES = [
    "/factories/enterprises/",
    "/factories/enterprises/{enterprise}/",
    "/reporting/submissions/",
    "/reporting/dashboard/",
    "/api/v1/enterprises/",
    "/api/v1/submissions/",
    "/api/v1/grades/",
]
LISTS = [p for p in PAGES if "{" not in p and "dashboard" not in p]
BIG_TABLES = ('"factories_enterprise"', '"reporting_annualsubmission"', '"factories_gradingresult"')


def queries(client, user) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The SQL of every page, each computed afresh (the data cache invalidated first)."""
    first = Enterprise.objects.visible_to(user).order_by("pk").first()
    out = {}
    for page in PAGES:
        cold_cache()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page.format(enterprise=first.pk if first else 0))
        assert response.status_code == 200, (page, response.status_code)
        out[page] = [q["sql"] for q in captured.captured_queries]
    return out


def annotate(author, reader, *, every: bool) -> None:  # type: ignore[no-untyped-def]
    """A file, a revision note and a copied flag (naming another submission) on the first submission the
    reader sees, or on every one: what a list prints of them must not cost a query per row."""
    from reporting.models import AnnualSubmission, SubmissionEvidence, SubmissionFieldNote

    rows = list(AnnualSubmission.objects.order_by("pk"))
    for row in rows if every else list(AnnualSubmission.objects.visible_to(reader).order_by("pk")[:1]):
        if row.evidence.exists():
            continue
        named = rows[1] if row.pk == rows[0].pk else rows[0]
        SubmissionEvidence.objects.create(
            submission=row,
            field="site_area",
            file="evidence/submissions/plan.pdf",
            filename="用地证明.pdf",
            size=1234,
            sha256="a" * 64,
            uploaded_by=author,
        )
        SubmissionFieldNote.objects.create(
            submission=row, field="site_area", note="请核对", status=row.status, author=author
        )
        row.anomaly_flags = [
            {
                "kind": "copied",
                "field_or_indicator": "raw_values",
                "figures": {"other_submission": named.pk, "other_enterprise": named.enterprise.name},
                "dismissed": None,
            }
        ]
        row.save(update_fields=["anomaly_flags"])


@pytest.mark.usefixtures("years")
@pytest.mark.parametrize("who", ["city_user", "district_user"])
def test_each_cold_page_runs_as_many_queries_for_15_factories_as_for_3(  # type: ignore[no-untyped-def]
    who, request, client, city_user, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    grow(city_user, django_capture_on_commit_callbacks, 0, 3)
    annotate(city_user, user, every=False)
    small = queries(client, user)
    grow(city_user, django_capture_on_commit_callbacks, 3, 15)
    annotate(city_user, user, every=True)
    large = queries(client, user)
    assert {p: len(q) for p, q in small.items()} == {p: len(q) for p, q in large.items()}
    if connection.vendor == "postgresql":
        for page in LISTS:
            counting = [sql for sql in large[page] if "COUNT(" in sql and any(t in sql for t in BIG_TABLES)]
            assert not counting, (page, counting)
    cold_cache()
    filtered = client.get("/factories/enterprises/", {"district": "500116"})
    assert filtered.context["total"] == Enterprise.objects.visible_to(user).filter(district="500116").count()
