"""The 公文 builder (accounts/documents.py): GB/T 9704-2012 page, type, 主送, 落款 and date, page numbers,
attachments, and the download it answers with. Read back with python-docx, no database."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import unquote

from django.utils import translation
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from accounts.documents import OfficialDocument, chinese_date, document_filename

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def built(**kwargs):  # type: ignore[no-untyped-def]
    document = OfficialDocument(title="关于某事项的通知", addressee="各有关单位", **kwargs)
    document.paragraph("正文第一段。")
    document.heading("一、基本情况")
    document.table(["项目", "数量"], [["在库企业", 12], ["空值", None]], numeric=[1], widths_mm=[100, 56])
    document.attachment_note(["名单"])
    document.signature("重庆市经济和信息化委员会", dt.date(2026, 12, 1))
    document.attachment("名单")
    return document


def reread(document):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(document.to_bytes()))


def east_asian_font(run) -> str:  # type: ignore[no-untyped-def]
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def test_the_date_is_written_with_arabic_numerals_and_no_leading_zeros():
    with translation.override("zh-hans"):
        assert chinese_date(dt.date(2026, 12, 1)) == "2026年12月1日"
        assert chinese_date(dt.date(2027, 1, 9)) == "2027年1月9日"


def test_the_title_the_addressee_and_the_body_are_in_the_standards_fonts_and_sizes():
    with translation.override("zh-hans"):
        document = reread(built())
    title, blank, addressee, body = document.paragraphs[:4]
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert east_asian_font(title.runs[0]) == "方正小标宋简体" and title.runs[0].font.size.pt == 22
    assert blank.text == ""  # one blank line between title and 主送
    assert addressee.text == "各有关单位：" and addressee.paragraph_format.first_line_indent is None
    assert east_asian_font(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32
    heading = document.paragraphs[4]
    assert heading.text == "一、基本情况" and east_asian_font(heading.runs[0]) == "黑体"


def test_the_page_is_a4_with_the_margins_of_the_standard_and_a_grid_of_22_lines():
    section = reread(built()).sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin)] == [37, 35]
    assert [round(m.mm) for m in (section.left_margin, section.right_margin)] == [28, 26]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 225 mm / 22 lines
    # 156 mm of 28 characters: the body type is condensed by a quarter point.
    styles = reread(built()).styles.element
    assert styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}spacing").get(qn("w:val")) == "-5"


def test_page_numbers_stand_between_dashes_right_on_odd_pages_and_left_on_even_pages():
    document = reread(built())
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT and even.alignment == WD_ALIGN_PARAGRAPH.LEFT
    for footer in (odd, even):
        assert footer.text.startswith("— ") and footer.text.endswith(" —")
        assert "PAGE" in footer._p.xml


def test_the_signature_has_the_issuer_over_the_date_and_the_attachment_starts_a_new_page():
    with translation.override("zh-hans"):
        document = reread(built())
    texts = [p.text for p in document.paragraphs]
    issuer = texts.index("重庆市经济和信息化委员会")
    assert texts[issuer + 1] == "2026年12月1日"
    date = document.paragraphs[issuer + 1]
    assert date.alignment == WD_ALIGN_PARAGRAPH.RIGHT and date.paragraph_format.right_indent.pt == 64
    assert "附件：名单" in texts[:issuer]
    start = texts.index("附件")
    assert 'w:type="page"' in document.paragraphs[start]._p.xml
    assert texts[start + 2] == "名单"


def test_a_table_prints_empty_values_as_a_dash_and_repeats_its_header_row():
    document = reread(built())
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["项目", "数量"],
        ["在库企业", "12"],
        ["空值", "—"],
    ]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert round(table.columns[0].width.mm) == 100


def test_the_standards_fonts_are_declared_with_alternatives_and_the_template_thumbnail_is_gone():
    data = built().to_bytes()
    document = Document(io.BytesIO(data))
    part = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    fonts = part.blob.decode()
    assert 'w:name="仿宋_GB2312"' in fonts and 'w:val="仿宋"' in fonts
    assert 'w:name="方正小标宋简体"' in fonts and 'w:val="华文中宋"' in fonts
    assert not any(r.reltype.endswith("/thumbnail") for r in document.part.package.rels.values())


def test_the_download_is_an_attachment_with_its_chinese_name_and_is_never_cached():
    response = built().response(document_filename("关于某事项的通知", dt.date(2026, 12, 1)))
    assert (
        response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="download.docx"; ')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "关于某事项的通知-20261201.docx"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Document(io.BytesIO(response.content)).paragraphs[0].text == "关于某事项的通知"


def test_a_file_name_loses_the_characters_a_file_system_refuses():
    assert document_filename('甲/乙:丙*"丁"', dt.date(2026, 1, 2)) == "甲-乙-丙--丁--20260102.docx"


def test_a_title_breaks_where_it_says():
    document = reread(OfficialDocument(title="某某区经济和信息化委员会\n关于某事项的报告"))
    assert document.paragraphs[0].text == "某某区经济和信息化委员会\n关于某事项的报告"
    assert document.core_properties.title == "某某区经济和信息化委员会关于某事项的报告"
