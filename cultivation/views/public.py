"""The public pages of district-level (B) green factories (issue 17): each district's certified B factories,
readable without signing in. Only public fields; a unit without any B factory in force answers 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from accounts.views_base import PublicPageMixin
from cultivation import public
from factories.certificates import mask_credit_code
from factories.models import District


class PublicDistrictListView(PublicPageMixin, TemplateView):
    template_name = "cultivation/public_districts.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "districts": public.districts_with_b_factories()}


class PublicDistrictView(PublicPageMixin, TemplateView):
    template_name = "cultivation/public_district.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        district = get_object_or_404(District.objects.all(), pk=str(self.kwargs["pk"])[:12])
        rows = list(public.district_b_factories(district))
        if not rows:
            raise Http404
        for row in rows:
            certificate = getattr(row, "certificate", None)
            row.masked_code = mask_credit_code(row.membership.enterprise.credit_code)  # type: ignore[attr-defined]
            row.certificate_code = certificate.code if certificate else ""  # type: ignore[attr-defined]
        return {**super().get_context_data(**kwargs), "district": district, "rows": rows}
