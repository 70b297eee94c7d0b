"""The district's annual cultivation report (Art. 12) as a Word document: the figures of the report page,
the narrative, the 公文 layout; for whoever may see the report, another district's answers 404."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cultivation import services
from tests.cultivation.test_reports import yuzhong_pool  # noqa: F401  (the pool of the report tests)

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def report(yuzhong_pool, district_user, yuzhong):  # type: ignore[no-untyped-def]  # noqa: F811
    report, _ = services.district_report_generate(actor=district_user, district=yuzhong, year=2025)
    return services.district_report_save_narrative(
        actor=district_user,
        report=report,
        narrative="全年开展节能诊断12家次。\n\n组织绿色工厂创建培训2场。",
    )


def document_url(report) -> str:  # type: ignore[no-untyped-def]
    return reverse("cultivation:report_document", args=[report.pk])


def fetch(client, user, report):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client.get(document_url(report))


def opened(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == DOCX
    return Document(io.BytesIO(response.content))


def test_the_district_downloads_its_report_with_the_figures_of_the_report_page(client, district_user, report):
    client.force_login(district_user)
    page = client.get(reverse("cultivation:report_detail", args=[report.pk]))
    assert document_url(report) in page.content.decode()
    page_rows = [(str(label), str(value)) for label, value in page.context["rows"]]
    page_levels = [(str(label), str(value)) for label, _css, value in page.context["level_rows"]]

    response = client.get(document_url(report))
    document = opened(response)
    name = unquote(response["Content-Disposition"].split("filename*=UTF-8''", 1)[1])
    assert name == f"渝中区2025年度绿色工厂梯度培育情况报告-{timezone.localdate():%Y%m%d}.docx"
    assert 'filename="download.docx"' in response["Content-Disposition"]

    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "渝中区经济和信息化委员会\n关于2025年度绿色工厂梯度培育情况的报告"
    assert "重庆市经济和信息化委员会：" in paragraphs
    figures_table = document.tables[0]
    rows = [tuple(cell.text for cell in row.cells) for row in figures_table.rows]
    assert rows[0] == ("项目", "数量（家）")
    assert rows[1 : 1 + len(page_rows)] == page_rows
    assert rows[1 + len(page_rows) :] == [(f"年末等级：{label}", value) for label, value in page_levels]

    figures = report.figures
    body = "\n".join(paragraphs)
    assert f"在库企业{figures['pool_size']}家" in body
    assert f"本年度新入库{figures['entries']}家，退出{figures['exits']}家" in body
    # The moves of the year by name, and the recommended B factory with its certificate number.
    moves = [tuple(c.text for c in row.cells) for row in document.tables[1].rows]
    assert moves[0] == ("序号", "企业名称", "上年度等级", "本年度等级", "变化")
    assert any(row[1] == "上升企业" and row[4] == "上升" for row in moves)
    assert any(row[1] == "下降企业" and row[4] == "下降" for row in moves)
    recommended = [tuple(c.text for c in row.cells) for row in document.tables[2].rows]
    (b_factory,) = figures["recommended"]
    assert ("1", b_factory["name"], b_factory["certificate_no"]) in recommended
    # The narrative, one paragraph per paragraph the district wrote, then the 落款 and today's date.
    assert "全年开展节能诊断12家次。" in paragraphs and "组织绿色工厂创建培训2场。" in paragraphs
    today = timezone.localdate()
    signature = paragraphs[-2:]
    assert signature == ["渝中区经济和信息化委员会", f"{today.year}年{today.month}月{today.day}日"]


def test_the_document_is_laid_out_as_a_gbt_9704_document(client, district_user, report):
    document = opened(fetch(client, district_user, report))
    section = document.sections[0]

    def mm(*lengths):  # type: ignore[no-untyped-def]  # stored in twips: a few hundredths of a millimetre off
        return tuple(round(length.mm, 1) for length in lengths)

    assert mm(section.page_width, section.page_height) == (210, 297)
    assert mm(section.top_margin, section.bottom_margin, section.left_margin, section.right_margin) == (
        37,
        35,
        28,
        26,
    )
    title = document.paragraphs[0].runs[0]
    fonts = title._element.rPr.rFonts
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "方正小标宋简体"
    )
    assert title.font.size.pt == 22
    body = next(p for p in document.paragraphs if p.text.startswith("根据"))
    assert body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32  # two characters of 3号
    footer = section.footer._element.xml
    assert "PAGE" in footer and "— " in footer


def test_a_submitted_report_is_dated_the_day_it_was_submitted(client, district_user, report):
    report = services.district_report_submit(actor=district_user, report=report)
    type(report).objects.filter(pk=report.pk).update(submitted_at=dt.datetime(2026, 1, 15, 3, tzinfo=dt.UTC))
    paragraphs = [p.text for p in opened(fetch(client, district_user, report)).paragraphs]
    assert paragraphs[-1] == "2026年1月15日"


def test_the_city_and_auditors_download_any_report_another_district_none_and_enterprises_are_refused(
    client, city_user, auditor, other_district_user, enterprise_user, report
):
    assert fetch(client, city_user, report).status_code == 200
    assert fetch(client, auditor, report).status_code == 200
    assert fetch(client, other_district_user, report).status_code == 404
    assert fetch(client, enterprise_user, report).status_code == 403


def test_the_report_document_shows_no_internal_codes(client, district_user, report):
    document = opened(fetch(client, district_user, report))
    text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    )
    assert not re.search(r"B_eligible|\bdraft\b|\bsubmitted\b|None|\bv\d\b", text), text
