"""Every export a clerk can download speaks in words: no cell of any registered export kind holds an
internal code (a choice's stored value, a grading rule's code, the peer group's code).

The kinds come from the exporter registry, so a kind added later is scanned without touching this test;
the codes come from the models' choices, so a new status is scanned too.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import models
from openpyxl import load_workbook

from accounts import exports
from factories.models import Grade
from factories.scoring import PEER_GROUP_ALL
from factories.words import DECIDED_BY_LABELS
from reporting.exports import STATE_WORDS
from reporting.models import AnnualSubmission, SubmissionEvidence
from tests.model_factories import EnterpriseFactory, GreenFactoryFactory, UserFactory

pytestmark = pytest.mark.django_db

# The grade letters are the policy's own names (AAAA级 … A级, Art. 3): a clerk writes them as they are.
WORDS_AS_STORED: tuple[type[models.TextChoices], ...] = (Grade,)


def _all_choices(base: type = models.TextChoices) -> list[type[models.TextChoices]]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_all_choices(sub))
    return found


def raw_codes() -> set[str]:
    """Every stored value that is not itself the word a reader sees, from the platform's own choices."""
    codes = {
        str(value)
        for choices in _all_choices()
        if choices.__module__.split(".")[0] in ("accounts", "factories", "reporting", "cultivation")
        and choices not in WORDS_AS_STORED
        for value, label in choices.choices
        if str(value) != str(label)
    }
    return codes | set(DECIDED_BY_LABELS) | set(STATE_WORDS) | {PEER_GROUP_ALL}


def offending(text: str, codes: set[str]) -> list[str]:
    """The codes ``text`` is or holds, each with the words around it; a code of one or two letters (C, D,
    b) only when it is the whole cell, since short letters stand in Chinese text for scores (综合得分 C)."""
    found = []
    for code in codes:
        if text == code:
            found.append(repr(code))
        elif len(code) > 2:
            match = re.search(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text)
            if match:
                found.append(f"{code!r} in …{text[max(0, match.start() - 30) : match.end() + 30]}…")
    return found


def exported_cells(kind: str, user: Any) -> list[str]:
    exporter = exports.REGISTRY[kind]
    target = io.BytesIO()
    if exporter.file_format == "zip":
        # A bundle of stored files (the evidence zip): its own words are those of the manifest inside,
        # for the year and unit of a submission that has a file.
        evidence = SubmissionEvidence.objects.select_related("submission__enterprise").first()
        assert evidence is not None, "the world has no evidence file to bundle"
        filters = {"year": evidence.submission.year, "district": evidence.submission.enterprise.district_id}
        exporter.write(user, filters, target)
        with zipfile.ZipFile(target) as archive:
            manifests = [name for name in archive.namelist() if name.endswith(".xlsx") and "/" not in name]
            assert len(manifests) == 1 and len(archive.namelist()) > 1, archive.namelist()
            target = io.BytesIO(archive.read(manifests[0]))
    else:
        exports.write_xlsx(exporter, user, {}, target)
    target.seek(0)
    sheet = load_workbook(target).active
    return [str(value) for row in sheet.iter_rows(values_only=True) for value in row if value is not None]


@pytest.fixture
def season(world, settings, tmp_path):  # type: ignore[no-untyped-def]
    """A world with a row for every export: green factories graded, published and recommended
    (grades, recommendations, audit entries), a year with drafts and submissions in review, non-filers, a
    cultivation pool with levels and a district report."""
    # The year's submissions before the graded years' data (which would make them jumps to explain), and
    # the pool before the same enterprises become green factories (which may not join it).
    for name in (
        "submission:draft",
        "submission:approved",
        "pool:level",
        "pool:report:submitted",
        "recommendation",
    ):
        world.objects(name)
    # Enterprises with no submission for the year (non-filers): a national-level green factory and one
    # whose title was revoked, so that every tier and status of the register appears.
    GreenFactoryFactory(enterprise=EnterpriseFactory(), tier="national", recognized_year=2020)
    GreenFactoryFactory(
        enterprise=EnterpriseFactory(),
        tier="city",
        recognized_year=2019,
        status="revoked",
        revoked_on=dt.date(2024, 3, 1),
        revoke_reason="弄虚作假",
    )
    # An evidence file on a submission in review, for the evidence in the submissions export and its zip.
    settings.MEDIA_ROOT = tmp_path / "media"
    submission = AnnualSubmission.objects.exclude(status="draft").order_by("pk").first()
    SubmissionEvidence.objects.create(
        submission=submission,
        field="electricity",
        file=ContentFile(b"%PDF-1.7\n%%EOF\n", name="bill.pdf"),
        filename="电费发票.pdf",
        size=15,
        sha256="0" * 64,
        uploaded_by=UserFactory(),
    )
    return world


def test_the_raw_codes_include_the_ones_a_clerk_must_never_see():
    codes = raw_codes()
    assert {"city", "national", "district_approved", "B_eligible", "BAND", "ALL", "missing"} <= codes
    assert "AAAA" not in codes


def test_no_export_kind_holds_an_internal_code(season, city_user):
    codes = raw_codes()
    problems = {}
    empty = []
    for kind in sorted(exports.REGISTRY):
        cells = exported_cells(kind, city_user)
        columns = exports.REGISTRY[kind].columns()
        block_headers = len({str(column.group) for column in columns if column.group})
        if len(cells) <= 2 + block_headers + len(columns):
            empty.append(kind)
        hits = sorted({hit for cell in cells for hit in offending(cell, codes)})
        if hits:
            problems[kind] = hits
    assert not empty, f"no rows to scan in {empty}: the world lacks data for these exports"
    assert not problems, "\n".join(f"{kind}: {hit}" for kind, hits in problems.items() for hit in hits)


@pytest.mark.parametrize(
    ("kind", "filters", "words"),
    [
        ("grades", {"tier": "city", "industry": "36"}, ["级别：市级", "行业：36 "]),
        ("green_factories", {"status": "revoked", "tier": "national"}, ["状态：已撤销", "级别：国家级"]),
        ("submissions", {"status": "district_approved"}, ["状态：区县已审核，待市级复核"]),
        ("pool", {"level": "B_eligible"}, ["培育等级：达到B级条件"]),
        ("non_filers", {"state": "missing"}, ["填报状态：未填报"]),
    ],
)
def test_the_title_row_names_the_filters_in_words(kind, filters, words, city_user, yuzhong):
    filters = {**filters, "district": yuzhong.pk}
    target = io.BytesIO()
    exports.write_xlsx(exports.REGISTRY[kind], city_user, filters, target)
    target.seek(0)
    title = str(load_workbook(target).active["A1"].value)
    for word in [*words, f"管理单位：{yuzhong.name}"]:
        assert word in title
    assert not offending(title.replace(" ", "；"), raw_codes()) and yuzhong.pk not in title
