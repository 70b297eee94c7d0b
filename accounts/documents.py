"""Word documents in the layout of GB/T 9704-2012 《党政机关公文格式》, for what is signed and filed on paper.

The platform drafts; a clerk opens the file in Word or WPS, checks it, adds the document number and seal
and prints it. So the result is an ordinary editable DOCX (python-docx), laid out as the standard asks:

- A4, 天头 (top margin) 37 mm, 订口 (left) 28 mm, so that the 版心 is 156 × 225 mm (right 26 mm,
  bottom 35 mm); 22 lines of 28 characters of 3号 (16 pt) type (a line grid of 28.95 pt, and the type
  condensed by a quarter point so that 28 characters fill the 156 mm);
- the title in 2号小标宋 (22 pt), centred, one blank line above the 主送 line, which starts at the margin
  and ends with a full-width colon;
- body paragraphs in 3号仿宋 with a first-line indent of two characters; headings of the first level
  (「一、」) in 黑体, of the second (「（一）」) in 楷体;
- the 落款 (issuing body) and the date written out with Arabic numerals, 「2026年12月1日」 (§7.3.5 of
  the 2012 edition, which replaced the 〇 numerals of the 1999 edition), the date four characters from the
  right margin and the issuer centred over it;
- an attachment (附件) on a page of its own after the date: 「附件」 in 黑体 at the margin, its title like
  the document's;
- page numbers as 「— 1 —」 in 4号 半角宋体 below the 版心, odd pages one character in from the right,
  even pages one character in from the left.

The standard names fonts (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312) that not every computer has; each
is declared in the font table with the names Windows and macOS carry as alternatives (`w:altName`), and
the East Asian font of every run is set explicitly (`w:eastAsia`), without which Word sets Chinese text in
the Latin font's fallback.

The document's figures come from the platform's selectors; this module only lays them out. It imports
no app.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from accounts import files

DOCX_TYPE = files.CONTENT_TYPES[".docx"]

# The city commission, as it signs (落款) and is addressed (主送), and the measures every document cites.
CITY_COMMISSION = gettext_lazy("重庆市经济和信息化委员会")
MEASURES = gettext_lazy("《重庆市绿色工厂动态管理与梯度培育试行办法》（渝经信规范〔2024〕13号）")

# Type sizes of Chinese typesetting (号) in points.
SIZE_2 = Pt(22)
SIZE_3 = Pt(16)
SIZE_4 = Pt(14)
SIZE_TABLE = Pt(12)  # 小四: a figures table of several columns does not fit 3号

# The fonts GB/T 9704 names, each with the alternatives a reader's computer is likely to have.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
NUMBER_FONT = "宋体"
FONT_ALTERNATIVES = {
    TITLE_FONT: ("华文中宋", "SimSun"),
    BODY_FONT: ("仿宋", "FangSong"),
    HEADING_FONT: ("SimHei",),
    SUBHEADING_FONT: ("楷体", "KaiTi"),
    NUMBER_FONT: ("SimSun",),
}

# 版心 156 × 225 mm in 22 lines: 225 mm / 22 = 28.95 pt a line (579 twips), the pitch of the document grid.
# 28 characters in 156 mm (442 pt) need 15.75 pt each: 3号 type condensed by a quarter point (−5 twentieths).
# A character grid (`linesAndChars`) would say the same to Word, but LibreOffice then gives each 16 pt
# character two cells of 15.8 pt, so the pitch is set on the type instead and the grid counts lines only.
LINE_PITCH_TWIPS = 579
CONDENSE_TWENTIETHS = -5
LINE = Pt(28.95)
# A table of up to this many rows stays on one page (with the caption or heading before it).
KEEP_TOGETHER_ROWS = 15
CHAR = 16  # points: one character of body type, the unit of every indent below


def list_separator() -> str:
    """The mark between the items of a list inside a sentence: 「、」 in Chinese, a comma in English."""
    return _("、")


def chinese_date(day: dt.date) -> str:
    """A date as GB/T 9704-2012 writes the 成文日期: Arabic numerals, year, month and day in full, no
    leading zeros (「2026年12月1日」)."""
    return _("{year}年{month}月{day}日").format(year=day.year, month=day.month, day=day.day)


def _width_in_chars(text: str) -> float:
    """The width of a line in characters of body type: ASCII letters and digits take half a character."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def _set_fonts(run: Run, east_asian: str, size: Pt | None = None, *, bold: bool = False) -> None:
    run.font.name = east_asian
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        r_fonts.set(qn(attribute), east_asian)
    if size is not None:
        run.font.size = size
    if bold:
        run.font.bold = True


def _off_grid(paragraph: Paragraph) -> None:
    """Let a paragraph keep its own line height (a title of 35 pt, a table row) instead of two grid lines."""
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.insert_element_before(
        snap,
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    )


class OfficialDocument:
    """One document in 公文 layout: title, 主送, body, tables, 落款 and date, attachments.

    Build it top to bottom (`heading`, `paragraph`, `table`, `signature`, `attachment`) and take the bytes
    with `to_bytes()` or a download with `response(filename)`.
    """

    def __init__(self, *, title: str, addressee: str = "", subject: str = "", author: str = "") -> None:
        self.document: Any = Document()
        self._page_setup()
        self._declare_fonts()
        self._drop_template_leftovers()
        self._page_numbers()
        properties = self.document.core_properties
        properties.title = subject or title.replace("\n", "")
        properties.author = author
        properties.last_modified_by = author
        properties.comments = ""
        properties.keywords = ""
        self.title(title)
        if addressee:
            self.addressee(addressee)

    # --- page ------------------------------------------------------------------------------------

    def _page_setup(self) -> None:
        section = self.document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.header_distance = Mm(15)
        # The page number's rule sits 7 mm under the 版心: 35 − 7 − one 4号 line (about 5 mm).
        section.footer_distance = Mm(23)
        sect_pr = section._sectPr
        for grid in sect_pr.findall(qn("w:docGrid")):
            sect_pr.remove(grid)
        grid = OxmlElement("w:docGrid")
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
        sect_pr.append(grid)
        # The template's defaults (11 pt Calibri, 10 pt after each paragraph) give way to the body type.
        defaults = self.document.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            self.document.styles.element.remove(defaults)
        self.document.styles.element.insert(
            0,
            parse_xml(
                f"<w:docDefaults {nsdecls('w')}><w:rPrDefault><w:rPr>"
                f'<w:rFonts w:ascii="{BODY_FONT}" w:eastAsia="{BODY_FONT}" w:hAnsi="{BODY_FONT}" w:cs="{BODY_FONT}"/>'
                f'<w:spacing w:val="{CONDENSE_TWENTIETHS}"/><w:sz w:val="32"/><w:szCs w:val="32"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
                "</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>"
                f'<w:spacing w:after="0" w:line="{LINE_PITCH_TWIPS}" w:lineRule="exact"/>'
                "</w:pPr></w:pPrDefault></w:docDefaults>"
            ),
        )
        normal = self.document.styles["Normal"]
        normal.font.name = BODY_FONT
        normal.font.size = SIZE_3
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        normal.paragraph_format.space_before = Pt(0)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        normal.paragraph_format.line_spacing = LINE
        normal.paragraph_format.widow_control = False

    def _declare_fonts(self) -> None:
        """Add the standard's fonts to the font table, each naming the alternatives to use without it."""
        part = next(
            (
                rel.target_part
                for rel in self.document.part.rels.values()
                if rel.reltype == RELATIONSHIP_TYPE.FONT_TABLE
            ),
            None,
        )
        if part is None:
            return
        table = parse_xml(part.blob)
        known = {font.get(qn("w:name")) for font in table.findall(qn("w:font"))}
        for name, alternatives in FONT_ALTERNATIVES.items():
            if name in known:
                continue
            table.append(
                parse_xml(
                    f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternatives[0]}"/>'
                    '<w:charset w:val="86"/><w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
                )
            )
        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _drop_template_leftovers(self) -> None:
        """python-docx's template carries a thumbnail of its own sample page; a clerk's file browser would
        show it instead of this document."""
        rels = self.document.part.package.rels
        for r_id in [r_id for r_id, rel in rels.items() if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL]:
            del rels[r_id]

    def _page_numbers(self) -> None:
        self.document.settings.odd_and_even_pages_header_footer = True
        section = self.document.sections[0]
        for footer, align in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
        ):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            fmt = paragraph.paragraph_format
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                fmt.right_indent = Pt(14)
            else:
                fmt.left_indent = Pt(14)
            _set_fonts(paragraph.add_run("— "), NUMBER_FONT, SIZE_4)
            self._field(paragraph, "PAGE")
            _set_fonts(paragraph.add_run(" —"), NUMBER_FONT, SIZE_4)

    @staticmethod
    def _field(paragraph: Paragraph, instruction: str) -> None:
        """A field Word and WPS compute when they lay out the page (PAGE: this page's number)."""
        for kind, text in (
            ("begin", None),
            ("instr", instruction),
            ("separate", None),
            ("text", "1"),
            ("end", None),
        ):
            run = paragraph.add_run()
            _set_fonts(run, NUMBER_FONT, SIZE_4)
            if kind == "instr":
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = f" {text} "
                run._element.append(element)
            elif kind == "text":
                run.text = text or ""
            else:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
                run._element.append(element)

    # --- blocks ----------------------------------------------------------------------------------

    def _paragraph(self, *, align: WD_ALIGN_PARAGRAPH | None = None) -> Paragraph:
        paragraph = self.document.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def blank(self) -> None:
        self._paragraph()

    def title(self, text: str) -> None:
        """The title: 2号小标宋, centred. A title longer than a line says where it breaks with "\n", so that
        each line keeps its words whole (GB/T 9704 §7.3.1: 回行时要做到词意完整)."""
        paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph.paragraph_format.line_spacing = Pt(35)
        _off_grid(paragraph)
        paragraph.paragraph_format.keep_with_next = True
        for index, line in enumerate(text.split("\n")):
            if index:
                line_break = paragraph.add_run()
                line_break.add_break()
                _set_fonts(line_break, TITLE_FONT, SIZE_2)
            _set_fonts(paragraph.add_run(line), TITLE_FONT, SIZE_2)

    def addressee(self, text: str) -> None:
        """The 主送 line: one blank line under the title, at the margin, ending with a full-width colon."""
        self.blank()
        paragraph = self._paragraph()
        line = _("{addressee}：").format(addressee=text.rstrip("：:"))
        _set_fonts(paragraph.add_run(line), BODY_FONT, SIZE_3)

    def paragraph(self, text: str, *, indent: bool = True) -> Paragraph:
        """A body paragraph, first line two characters in."""
        paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(2 * CHAR)
        _set_fonts(paragraph.add_run(text), BODY_FONT, SIZE_3)
        return paragraph

    def heading(self, text: str, *, level: int = 1) -> None:
        """A heading inside the body: 「一、」 in 黑体, 「（一）」 in 楷体, two characters in like the body."""
        paragraph = self._paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(2 * CHAR)
        paragraph.paragraph_format.keep_with_next = True
        _set_fonts(paragraph.add_run(text), HEADING_FONT if level == 1 else SUBHEADING_FONT, SIZE_3)

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        numeric: Iterable[int] = (),
        widths_mm: Sequence[float] | None = None,
        caption: str = "",
    ) -> Table:
        """A table of figures inside the 版心, header row repeated on every page; `numeric` columns align
        right. Empty values print as 「—」, never as "None"."""
        if caption:
            paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.CENTER)
            paragraph.paragraph_format.keep_with_next = True
            _set_fonts(paragraph.add_run(caption), HEADING_FONT, SIZE_3)
        numeric_columns = set(numeric)
        table = self.document.add_table(rows=1, cols=len(headers))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        header_row = table.rows[0]
        self._repeat_header(header_row)
        for index, header in enumerate(headers):
            self._cell(header_row.cells[index], str(header), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for values in rows:
            cells = table.add_row().cells
            for index, value in enumerate(values):
                text = "—" if value is None or value == "" else str(value)
                align = WD_ALIGN_PARAGRAPH.RIGHT if index in numeric_columns else WD_ALIGN_PARAGRAPH.LEFT
                self._cell(cells[index], text, align=align)
        rows_total = len(table.rows)
        for index, row in enumerate(table.rows):
            split = OxmlElement("w:cantSplit")
            row._tr.get_or_add_trPr().insert(0, split)  # a row never breaks across two pages
            if rows_total <= KEEP_TOGETHER_ROWS and index < rows_total - 1:
                for cell in row.cells:
                    cell.paragraphs[0].paragraph_format.keep_with_next = True
        if widths_mm:
            # Both the grid and every cell: Word reads the cells' widths, LibreOffice the grid's.
            table.autofit = False
            for column, width in zip(table.columns, widths_mm, strict=False):
                column.width = Mm(width)
            for row in table.rows:
                for cell, width in zip(row.cells, widths_mm, strict=False):
                    cell.width = Mm(width)
        self.blank()
        return table

    @staticmethod
    def _repeat_header(row: Any) -> None:
        tr_pr = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        tr_pr.append(header)

    @staticmethod
    def _cell(cell: Any, text: str, *, bold: bool = False, align: WD_ALIGN_PARAGRAPH) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        _off_grid(paragraph)
        fmt = paragraph.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        fmt.first_line_indent = Pt(0)
        fmt.space_before = Pt(2)
        fmt.space_after = Pt(2)
        _set_fonts(paragraph.add_run(text), HEADING_FONT if bold else BODY_FONT, SIZE_TABLE)

    def attachment_note(self, titles: Sequence[str]) -> None:
        """The 附件说明 under the body: 「附件：1. …」, two characters in, one blank line above."""
        if not titles:
            return
        # The note goes with the body's last paragraph, and both with the signature (see `signature`).
        if self.document.paragraphs:
            self.document.paragraphs[-1].paragraph_format.keep_with_next = True
        self.blank()
        self.document.paragraphs[-1].paragraph_format.keep_with_next = True
        if len(titles) == 1:
            self.paragraph(_("附件：{title}").format(title=titles[0]))
            return
        first = self.paragraph(_("附件：{title}").format(title=f"1. {titles[0]}"))
        first.paragraph_format.keep_with_next = True
        for number, title in enumerate(titles[1:], start=2):
            paragraph = self.paragraph(f"{number}. {title}", indent=False)
            paragraph.paragraph_format.left_indent = Pt(5 * CHAR)
            paragraph.paragraph_format.keep_with_next = True

    def signature(self, issuer: str, day: dt.date) -> None:
        """落款 and 成文日期, laid out for the seal the clerk adds (GB/T 9704 §7.3.5): the date four characters
        from the right margin, the issuer centred over it (two characters from the margin when it is the
        longer), two blank lines above for the seal to reach up to the body.

        The last paragraph of the body (and the 附件说明) move to the next page with them rather than leave a
        page with only the signature on it (the standard wants the seal on a page with body text)."""
        paragraphs = self.document.paragraphs
        if paragraphs:
            paragraphs[-1].paragraph_format.keep_with_next = True
        for _blank in range(2):
            self._paragraph().paragraph_format.keep_with_next = True
        date_text = chinese_date(day)
        issuer_width, date_width = _width_in_chars(issuer), _width_in_chars(date_text)
        issuer_gap = max(2.0, 4 + (date_width - issuer_width) / 2)
        for text, gap in ((issuer, issuer_gap), (date_text, 4.0)):
            paragraph = self._paragraph(align=WD_ALIGN_PARAGRAPH.RIGHT)
            paragraph.paragraph_format.right_indent = Pt(gap * CHAR)
            paragraph.paragraph_format.keep_with_next = text == issuer
            _set_fonts(paragraph.add_run(text), BODY_FONT, SIZE_3)

    def attachment(self, title: str, *, number: int | None = None) -> None:
        """Start an attachment on a new page: 「附件」 (with its number) in 黑体 at the margin, then its
        title like the document's, one blank line between."""
        paragraph = self._paragraph()
        paragraph.add_run().add_break(WD_BREAK.PAGE)
        label = _("附件") if number is None else _("附件{number}").format(number=number)
        _set_fonts(paragraph.add_run(label), HEADING_FONT, SIZE_3)
        self.blank()
        self.title(title)
        self.blank()

    def landscape_section(self) -> None:
        """Continue on landscape pages (a wide table); margins and page numbers as before."""
        section = self.document.add_section(WD_SECTION_START.NEW_PAGE)
        section.page_width, section.page_height = Mm(297), Mm(210)

    # --- output ----------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()

    def response(self, filename: str) -> HttpResponse:
        """The document as a download named `filename` (Chinese, RFC 5987 `filename*`), never cached."""
        response = HttpResponse(self.to_bytes(), content_type=DOCX_TYPE)
        response["Content-Disposition"] = files.content_disposition(filename)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def document_filename(title: str, day: dt.date) -> str:
    """The name a document is offered under: its title and the day, e.g.
    「渝中区2025年度梯度培育工作情况报告-20261201.docx」; characters a file system refuses become 「-」."""
    safe = "".join("-" if c in '/\\:*?"<>|' else c for c in title)
    return f"{safe}-{day:%Y%m%d}.docx"
