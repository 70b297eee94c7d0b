"""The district's annual cultivation report (Art. 12) as a Word document in 公文 layout, to be signed and
sent to the city on paper: the same stored figures as the report page (`report_display`), the district's
narrative, the 落款 of the district bureau."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.documents import (
    CITY_COMMISSION,
    MEASURES,
    OfficialDocument,
    document_filename,
    list_separator,
)
from accounts.views_base import ScopedObjectMixin
from cultivation.models import DistrictReport
from cultivation.views.reports import report_display
from factories.models import District
from factories.models.register import UnitKind

# Units whose bureau is a 经济和信息化委员会 of their own; new areas and zones have an 经信部门 (the measures'
# own 主送 line names them so).
BUREAU_UNITS = (UnitKind.DISTRICT, UnitKind.COUNTY, UnitKind.AUTONOMOUS_COUNTY)


def district_bureau(district: District) -> str:
    """The district's 经信 bureau as it signs: 「渝中区经济和信息化委员会」, 「两江新区经信部门」."""
    if district.kind in BUREAU_UNITS:
        return _("{unit}经济和信息化委员会").format(unit=district.name)
    return _("{unit}经信部门").format(unit=district.name)


def report_title(report: DistrictReport) -> str:
    return _("{bureau}\n关于{year}年度绿色工厂梯度培育情况的报告").format(
        bureau=district_bureau(report.district), year=report.year
    )


def report_document(report: DistrictReport) -> OfficialDocument:
    """The report of `report.district` for `report.year`, from the figures stored when it was generated."""
    display = report_display(report)
    figures = report.figures
    district = report.district
    issuer = district_bureau(district)
    document = OfficialDocument(
        title=report_title(report), addressee=str(CITY_COMMISSION), subject=str(report), author=issuer
    )
    document.paragraph(
        _(
            "根据{measures}第十二条“各区县经信部门应每年度向市经济信息委报送绿色工厂梯度培育情况”的规定，现将{unit}{year}年度绿色工厂梯度培育情况报告如下。"
        ).format(measures=MEASURES, unit=district.name, year=report.year)
    )

    document.heading(_("一、培育库基本情况"))
    level_counts = list_separator().join(
        _("{level}{count}家").format(level=label, count=count) for label, _css, count in display["level_rows"]
    )
    document.paragraph(
        _(
            "截至{year}年12月31日，本地区梯度培育库在库企业{pool}家，其中{levels}，尚未评定等级{none}家。"
            "本年度新入库{entries}家，退出{exits}家，晋级为绿色工厂{graduations}家；"
            "年末有效的区县级绿色工厂（B级）{held}家。"
        ).format(
            year=report.year,
            pool=figures.get("pool_size", 0),
            levels=level_counts,
            none=figures.get("levels_not_computed", 0),
            entries=figures.get("entries", 0),
            exits=figures.get("exits", 0),
            graduations=figures.get("graduations", 0),
            held=figures.get("certified_b_total", 0),
        )
    )
    document.table(
        [_("项目"), _("数量（家）")],
        [(str(label), value) for label, value in display["rows"]]
        + [
            (_("年末等级：{level}").format(level=label), count)
            for label, _css, count in display["level_rows"]
        ],
        numeric=[1],
        widths_mm=[118, 38],
        caption=_("{year}年度梯度培育统计表").format(year=report.year),
    )

    document.heading(_("二、等级变化情况"))
    if display["moves"]:
        document.paragraph(
            _("与上一年度相比，等级上升{up}家、下降{down}家，名单如下。").format(
                up=figures.get("upgrades", 0), down=figures.get("downgrades", 0)
            )
        )
        document.table(
            [_("序号"), _("企业名称"), _("上年度等级"), _("本年度等级"), _("变化")],
            [
                (
                    index,
                    move["name"],
                    move["from_label"],
                    move["to_label"],
                    _("上升") if move["up"] else _("下降"),
                )
                for index, move in enumerate(display["moves"], start=1)
            ],
            numeric=[0],
            widths_mm=[14, 64, 28, 28, 22],
        )
    else:
        document.paragraph(_("本年度在库企业等级与上一年度相比没有变化。"))

    document.heading(_("三、区县级绿色工厂认定和推荐情况"))
    document.paragraph(
        _(
            "本年度新认定B级工厂（区县级绿色工厂）{new}家。按第十一条，年末有效的区县级绿色工厂{held}家推荐申报市级绿色工厂。"
        ).format(new=figures.get("certifications", 0), held=figures.get("certified_b_total", 0))
    )
    recommended = figures.get("recommended", [])
    if recommended:
        document.table(
            [_("序号"), _("企业名称"), _("认定证书编号")],
            [(index, row["name"], row["certificate_no"]) for index, row in enumerate(recommended, start=1)],
            numeric=[0],
            widths_mm=[14, 92, 50],
        )

    document.heading(_("四、不定期复核情况"))
    document.paragraph(
        _("本年度对在库企业开展不定期复核{reviews}次，其中发现弄虚作假{falsifications}次。").format(
            reviews=figures.get("reviews", 0), falsifications=figures.get("falsifications", 0)
        )
    )

    document.heading(_("五、分级标准"))
    document.paragraph(
        _("本地区现行梯度培育分级标准为第{version}版；本年度等级评定所用版本：{versions}。").format(
            version=figures.get("standard_in_force", 1),
            versions=list_separator().join(
                _("第{version}版").format(version=v) for v in figures.get("standard_versions", [])
            )
            or "—",
        )
    )

    document.heading(_("六、本年度培育工作情况"))
    paragraphs = [line.strip() for line in report.narrative.splitlines() if line.strip()]
    for text in paragraphs or [_("（未填写）")]:
        document.paragraph(text)

    document.paragraph(_("特此报告。"))
    signed_on = timezone.localdate(report.submitted_at) if report.submitted_at else timezone.localdate()
    document.signature(issuer, signed_on)
    return document


class ReportDocumentView(ScopedObjectMixin, View):
    """The report as a Word document, for whoever may see the report page (another district's: 404)."""

    right = "district_report.view"
    model = DistrictReport

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("district")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        report: DistrictReport = self.get_object()
        title = _("{unit}{year}年度绿色工厂梯度培育情况报告").format(
            unit=report.district.name, year=report.year
        )
        return report_document(report).response(document_filename(title, timezone.localdate()))
