"""The district grading standard (Art. 5): its versions and a new version by the district."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import InvalidInput, NotAllowed, StateConflict
from accounts.permissions import can
from accounts.views_base import RightRequiredMixin, show_domain_error_on_form, signed_in
from cultivation import services
from cultivation.forms import StandardForm
from cultivation.levels import DEFAULT_POOL_STANDARD, pool_standard_to_dict
from cultivation.models import DistrictStandard
from factories.models import District


def own_district_id(user: Any) -> str | None:
    """The unit a user belongs to: a district clerk's own, an enterprise's unit; None for whole-city staff."""
    if user.sees_whole_city:
        return None
    return user.district_id or getattr(user.enterprise, "district_id", None)  # type: ignore[no-any-return]


def visible_district(user: Any, code: str) -> District:
    """The unit whose standard the user may read: any for whole-city staff, its own otherwise (else 404)."""
    district = get_object_or_404(District, pk=code)
    if not user.sees_whole_city and district.pk != own_district_id(user):
        raise Http404
    return district


class StandardRedirectView(RightRequiredMixin, View):
    """A district's or enterprise's own unit; city staff pick one (first unit with a pool by default)."""

    right = "pool.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = signed_in(request)
        code = (
            request.GET.get("district")
            or own_district_id(user)
            or DistrictStandard.objects.order_by("district_id").values_list("district_id", flat=True).first()
            or District.objects.order_by("code").values_list("code", flat=True).first()
        )
        if not code:
            raise Http404
        return redirect("cultivation:standard_detail", code)


class StandardDetailView(RightRequiredMixin, TemplateView):
    """A unit's pool standard: its versions, the one in force against the template; its district edits it."""

    rights = {"get": "pool.view", "post": "pool.manage"}
    template_name = "cultivation/standard_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = signed_in(self.request)
        district = visible_district(user, self.kwargs["code"])
        versions = list(
            DistrictStandard.objects.filter(district=district)
            .select_related("created_by")
            .order_by("-version")
        )
        template = pool_standard_to_dict(DEFAULT_POOL_STANDARD)
        current = versions[0].parameters if versions else template
        can_edit = can(user, "pool.manage") and user.district_id == district.pk
        context.update(
            district=district,
            versions=versions,
            in_force=versions[0] if versions else None,
            current=current,
            template=template,
            rows=[
                (label, current.get(key), template[key])
                for label, key in (
                    (_("B级：各维度得分下限 D_k"), "b_dimension_min"),
                    (_("B级：绿色化水平得分下限 L"), "b_level_min"),
                    (_("C级：绿色化水平得分下限 L"), "c_level_min"),
                )
            ],
            can_edit=can_edit,
            districts=District.objects.order_by("code") if user.sees_whole_city else None,
        )
        if can_edit:
            context.setdefault(
                "form",
                StandardForm(initial={k: current[k] for k in StandardForm.base_fields if k in current}),
            )
        return context

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        district = visible_district(request.user, code)
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                standard = services.district_standard_new_version(
                    actor=request.user,
                    district=district,
                    parameters=form.parameters(),
                    note=form.cleaned_data["note"],
                )
            except NotAllowed as error:
                raise PermissionDenied(str(error.message)) from error
            except (InvalidInput, StateConflict) as error:
                show_domain_error_on_form(form, error)
            else:
                messages.success(
                    request,
                    str(_("已建立分级标准第{version}版，下次计算等级时生效。")).format(
                        version=standard.version
                    ),
                )
                return redirect("cultivation:standard_detail", district.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)
