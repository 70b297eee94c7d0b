"""Reporting years: their windows and submission counts; the city opens years and moves windows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import InvalidInput
from accounts.permissions import can
from accounts.views_base import (
    RightRequiredMixin,
    ScopedObjectMixin,
    show_domain_error,
    show_domain_error_on_form,
)
from reporting import anomalies, selectors, services
from reporting.forms import AnomalySettingsForm, YearOpenForm, YearWindowForm
from reporting.models import AnnualSubmission, AnomalyScan, ReportingYear, SubmissionStatus
from reporting.views.common import _window


class YearListView(ScopedObjectMixin, TemplateView):
    """Reporting years and their windows for everyone; the city opens years and moves windows."""

    rights = {"get": "reporting_year.view", "post": "reporting_year.manage"}
    model = ReportingYear
    template_name = "reporting/year_list.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("form") == "window":
            return self.update_window()
        form = YearOpenForm(request.POST)
        if form.is_valid():
            try:
                services.reporting_year_open(actor=request.user, **form.cleaned_data)
            except InvalidInput as error:
                show_domain_error_on_form(form, error)
            else:
                messages.success(request, _("{year}年度已开放填报。").format(year=form.cleaned_data["year"]))
                return redirect("reporting:year_list")
        return self.render_page(open_form=form)

    def update_window(self) -> HttpResponse:
        form = YearWindowForm(self.request.POST)
        if form.is_valid():
            data = form.cleaned_data
            reporting_year = self.get_object(year=data["year"])
            try:
                services.reporting_year_update(
                    actor=self.request.user,
                    reporting_year=reporting_year,
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    reason=data["reason"],
                )
            except InvalidInput as error:
                show_domain_error_on_form(form, error)
            else:
                messages.success(self.request, _("{year}年度填报窗口已调整。").format(year=data["year"]))
                return redirect("reporting:year_list")
        return self.render_page(window_form=form)

    def render_page(
        self, open_form: YearOpenForm | None = None, window_form: YearWindowForm | None = None
    ) -> HttpResponse:
        user = self.request.user
        manage = can(user, "reporting_year.manage")
        counts: dict[int, dict[str, int]] = {}
        for row in AnnualSubmission.objects.visible_to(user).values("year", "status").annotate(n=Count("pk")):
            counts.setdefault(row["year"], {})[row["status"]] = row["n"]
        bound_year = window_form.data.get("year") if window_form is not None else None
        scans: dict[int, AnomalyScan] = {}
        if can(user, "anomaly.scan"):
            for scan in AnomalyScan.objects.order_by("year", "created_at", "pk"):
                scans[scan.year] = scan  # the latest of each year
        rows: list[dict[str, Any]] = []
        for reporting_year in ReportingYear.objects.visible_to(user):
            by_status = counts.get(reporting_year.year, {})
            form = None
            if manage:
                form = (
                    window_form
                    if bound_year == str(reporting_year.year)
                    else YearWindowForm(
                        initial={
                            "year": reporting_year.year,
                            "opens_on": reporting_year.opens_on,
                            "closes_on": reporting_year.closes_on,
                        }
                    )
                )
            rows.append(
                {
                    "window": _window(reporting_year),
                    "total": sum(by_status.values()),
                    "counts": [
                        (label, by_status.get(value, 0), value) for value, label in SubmissionStatus.choices
                    ],
                    "form": form,
                    "scan": scans.get(reporting_year.year),
                }
            )
        if manage and open_form is None:
            last_year = services.today().year - 1
            opened = {row["window"]["year"].year for row in rows}
            open_form = YearOpenForm(initial={"year": None if last_year in opened else last_year})
        return self.render_to_response(
            self.get_context_data(
                rows=rows,
                open_form=open_form,
                can_manage=manage,
                can_scan=can(user, "anomaly.scan"),
                can_configure_anomalies=can(user, "anomaly.configure"),
            )
        )


class AnomalyScanView(RightRequiredMixin, View):
    """The city checks a year's submitted data for anomalies again, once its data is complete."""

    right = "anomaly.scan"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, year: int) -> HttpResponse:
        try:
            services.anomaly_scan_request(actor=request.user, year=year)
        except InvalidInput as error:
            show_domain_error(request, error)
        else:
            messages.success(
                request,
                _("已开始检查{year}年度数据的异常，完成后审核队列和数据详情页将显示新的异常提示。").format(
                    year=year
                ),
            )
        return redirect("reporting:year_list")


class AnomalySettingsView(RightRequiredMixin, TemplateView):
    """The city reads and changes the thresholds of the anomaly flags, with who changed them when."""

    right = "anomaly.configure"
    template_name = "reporting/anomaly_settings.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        current = anomalies.thresholds()
        form = AnomalySettingsForm(
            initial={
                "z_threshold": f"{current.z.normalize():f}",
                "full_renewable_kwh": current.full_renewable_kwh,
            }
        )
        return self.render_page(form, current)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AnomalySettingsForm(request.POST)
        if form.is_valid():
            try:
                services.anomaly_settings_change(actor=request.user, **form.cleaned_data)
            except InvalidInput as error:
                show_domain_error_on_form(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "异常提示阈值已调整。此后提交的数据按新阈值检查；已有的提示在下次检查年度数据时重新计算。"
                    ),
                )
                return redirect("reporting:anomaly_settings")
        return self.render_page(form, anomalies.thresholds())

    def render_page(self, form: AnomalySettingsForm, current: anomalies.Thresholds) -> HttpResponse:
        return self.render_to_response(
            self.get_context_data(
                form=form,
                current=current,
                z_range=[f"{bound.normalize():f}" for bound in anomalies.Z_RANGE],
                kwh_range=anomalies.KWH_RANGE,
                changes=selectors.anomaly_settings_changes(self.request.user),
            )
        )
