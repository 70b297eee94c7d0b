"""Base classes and helpers for HTML views: the right each request needs (from the one table of rights),
the scoped object or list (NetBox's `restrict()`: `visible_to(user)` applied by the base, so no view can
forget it), sortable and filterable lists, service forms, and the one way to show a domain error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.generic import DetailView, FormView, ListView

from accounts import datacache
from accounts.errors import DomainError, InvalidInput, NotAllowed, StateConflict
from accounts.i18n import in_language
from accounts.models import User
from accounts.permissions import can

# Rendered into cached pages instead of the CSRF token, and replaced by the asker's token when served.
CSRF_PLACEHOLDER = "csrf-placeholder-2f7c4e91"


def signed_in(request: HttpRequest) -> User:
    """The user of a view that the base classes have already made sign in, typed as the platform's User."""
    return cast(User, request.user)


class CachedPageMixin:
    """Serve a GET page from `datacache` while nothing it read has changed.

    The key holds the full path with its query, the viewer (user, role, unit), the language and the date;
    the tables are recorded while the page renders, so no view lists them. Not cached: pages with pending
    messages (they show once), pages that add messages, non-200 answers and anything that writes. The CSRF
    token is rendered as a placeholder and each asker gets their own.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parent = super().get  # type: ignore[misc]
        if not datacache.enabled() or len(messages.get_messages(request)):
            return parent(request, *args, **kwargs)  # type: ignore[no-any-return]

        def render() -> str:
            response = parent(request, *args, **kwargs)
            if not isinstance(response, TemplateResponse) or response.status_code != 200:
                raise datacache.Uncacheable(response)
            response.context_data = {**(response.context_data or {}), "csrf_token": CSRF_PLACEHOLDER}
            response.render()
            if len(messages.get_messages(request)):
                raise datacache.Uncacheable(response)
            return response.content.decode()

        page = datacache.fetch(datacache.page_key("page", request), render)
        if isinstance(page, HttpResponseBase):
            if isinstance(page, TemplateResponse) and page.is_rendered:
                page.content = page.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
            return cast(HttpResponse, page)
        return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


PUBLIC_MAX_AGE = 300
"""Seconds a browser or a shared cache may keep a public page (the 公示 pages and certificate status)."""


class PublicPageMixin:
    """A page anyone may read without signing in (公示, certificate status): GET (a TemplateView), the same for everybody.

    The rendered page is kept in `datacache` under its path, language and date (not the viewer: it shows
    nothing personal and has no form, so no CSRF token), recomputed the moment a table it read changes;
    the answer says `Cache-Control: public, max-age=…` (`public_max_age`, shorter while a notice runs).
    A page for an object that is not public answers 404 (the view raises Http404, which is never cached).
    """

    public_max_age = PUBLIC_MAX_AGE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        parent = super().get  # type: ignore[misc]

        def render() -> tuple[str, int]:
            response = parent(request, *args, **kwargs)
            if not isinstance(response, TemplateResponse) or response.status_code != 200:
                raise datacache.Uncacheable(response)
            response.render()
            return response.content.decode(), self.max_age_for(response)

        # The absolute URL (scheme and host too): a certificate's QR code carries the address it was asked on.
        key = (
            "public",
            request.build_absolute_uri(),
            translation.get_language(),
            timezone.localdate().isoformat(),
        )
        page = datacache.fetch(key, render)
        if isinstance(page, HttpResponseBase):
            response = cast(HttpResponse, page)
            max_age = self.public_max_age
        else:
            content, max_age = page
            response = HttpResponse(content)
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=max_age)
        return response

    def max_age_for(self, response: TemplateResponse) -> int:
        return int((response.context_data or {}).get("public_max_age") or self.public_max_age)


# --- rights -----------------------------------------------------------------------------------------


class RightRequiredMixin(LoginRequiredMixin):
    """Sign-in, then the right of `accounts.permissions.PERMISSIONS` this request needs (403 without it).

    `right` names the right of every method; `rights` names one per HTTP method (`"get"`, `"post"`) or,
    on views whose URL routes a workflow step (`<action>`), one per step; a step not listed answers 404.
    The right is checked before anything is read, unless `check_after_lookup`: then the scoped object is
    looked up first, so a row outside the user's scope answers 404 before a refusal (as the services do).
    """

    right: str | None = None
    rights: Mapping[str, str] = {}
    check_after_lookup = False
    step_kwarg = "action"

    request: HttpRequest
    kwargs: dict[str, Any]

    @classmethod
    def right_for(cls, method: str, step: str = "") -> str | None:
        """The right a request with this method (and routed step) needs, as declared by the class."""
        if step:
            return cls.rights.get(step)
        method = "get" if method.lower() == "head" else method.lower()
        return cls.rights.get(method, cls.right)

    def required_right(self) -> str:
        step = str(self.kwargs.get(self.step_kwarg) or "")
        right = self.right_for(self.request.method or "get", step)
        if right is None:
            if step:
                raise Http404
            raise PermissionDenied  # a method the view does not declare a right for is refused
        return right

    def check_right(self) -> None:
        """403 unless the user holds the right this request needs."""
        if not can(self.request.user, self.required_right()):
            raise PermissionDenied

    def authorize(self) -> None:
        """Run before the handler: the right (the scoped base looks the object up first when asked to)."""
        self.check_right()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        method = (request.method or "").lower()
        # A method the view has no handler for answers 405, which says nothing about the role.
        if method in getattr(self, "http_method_names", ()) and hasattr(self, method):
            self.authorize()
        return super().dispatch(request, *args, **kwargs)


class ScopedObjectMixin(RightRequiredMixin):
    """The view's rows are `model.objects.visible_to(user)` (narrowed by `refine_queryset`); its object is
    looked up among them, so another unit's or enterprise's row answers 404."""

    model: Any
    pk_url_kwarg = "pk"
    lookup_field = "pk"
    _url_object: Any = None

    def authorize(self) -> None:
        if self.check_after_lookup:
            self.get_object()  # 404 outside the scope, then the right: still before the handler runs
        else:
            self.check_right()

    def scoped_queryset(self) -> QuerySet:
        """Every row of `model` the user may see."""
        return self.model._default_manager.visible_to(self.request.user)  # type: ignore[no-any-return]

    def get_queryset(self) -> QuerySet:
        return self.refine_queryset(self.scoped_queryset())

    def refine_queryset(self, queryset: QuerySet) -> QuerySet:
        """Hook for select_related, annotations and filters; the scope is already applied."""
        return queryset

    def get_object(self, queryset: QuerySet | None = None, **lookup: Any) -> Any:
        """The object the URL names (or the one `lookup` names, e.g. from a form) among the user's rows."""
        if queryset is None and not lookup and self._url_object is not None:
            return self._url_object
        obj = get_object_or_404(
            self.get_queryset() if queryset is None else queryset,
            **(lookup or {self.lookup_field: self.kwargs[self.pk_url_kwarg]}),
        )
        if queryset is None and not lookup:
            self._url_object = obj
            if self.check_after_lookup:
                self.check_right()
        return obj


class ScopedDetailView(ScopedObjectMixin, DetailView):
    """One scoped object on a page."""


class JobProgressView(ScopedObjectMixin):
    """JSON {status, progress, done, total, message} of one background job (accounts/jobs.py) in the
    user's scope, which static/js/app.js polls; never cached. Subclasses name the right and the model
    (or scoped_queryset) and may add fields or word the message."""

    def message(self, job: Any) -> str:
        return str(getattr(job, "error", "") or "")

    def extra(self, job: Any) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = self.get_object()
        response = JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "done": job.done,
                "total": job.total,
                **self.extra(job),
                "message": self.message(job),
            }
        )
        response["Cache-Control"] = "no-store"
        return response


def sort_headers(request: HttpRequest, columns: list[tuple[str | None, Any]]) -> list[dict[str, Any]]:
    """Table headers whose links keep the filters, drop the page and toggle the sort direction; a column
    whose key is None is not sortable."""
    current = request.GET.get("sort", "")
    headers = []
    for key, label in columns:
        header: dict[str, Any] = {"label": label, "key": key}
        if key:
            ascending, descending = current == key, current == f"-{key}"
            query = request.GET.copy()
            query.pop("page", None)
            query["sort"] = f"-{key}" if ascending else key
            header["url"] = f"?{query.urlencode()}"
            header["aria_sort"] = "ascending" if ascending else "descending" if descending else ""
        headers.append(header)
    return headers


class ScopedListView(CachedPageMixin, ScopedObjectMixin, ListView):
    """The one list base: scoped rows, narrowed by `refine_queryset`, filtered by the API's FilterSet
    (`filterset_class`), sorted by `?sort=` among `ordering_fields`, paged, with sortable `headers`.

    Context: `headers` (from `columns`), `values` (the filter inputs as typed: `filter_params`, or every
    query parameter but sort and page), `filtered`, `querystring` (without the page), `current_sort`,
    `total` and `filterset`.
    """

    paginate_by = 25
    paginator_class = datacache.LargeTablePaginator
    ordering_fields: dict[str, str] = {}
    default_ordering: list[str] | None = None
    columns: list[tuple[str | None, Any]] = []
    filterset_class: Any = None
    filterset: Any = None
    filter_params: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet:
        queryset = self.refine_queryset(self.scoped_queryset())
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset)
            queryset = self.filterset.qs
        ordering = self.get_ordering()
        return queryset.order_by(*ordering) if ordering else queryset

    def known_total(self) -> int | None:
        """The number of rows of the list as filtered when a summary table knows it exactly without counting
        (e.g. `factories.tallies.enterprise_count` when `unfiltered()`); None: the paginator counts."""
        return None

    def unfiltered(self) -> bool:
        """No query parameter but the sort and the page has a value: the list shows every row in scope."""
        return not any(
            value
            for key, values in self.request.GET.lists()
            if key not in ("sort", "page")
            for value in values
        )

    def get_paginator(
        self,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        **kwargs: Any,
    ) -> Any:
        total = self.known_total()
        if total is not None:
            kwargs["total"] = total
        return super().get_paginator(queryset, per_page, orphans, allow_empty_first_page, **kwargs)

    def get_ordering(self) -> Any:
        key = self.request.GET.get("sort", "")
        field = self.ordering_fields.get(key.lstrip("-"))
        if field:
            return [("-" if key.startswith("-") else "") + field, "pk"]
        return self.default_ordering

    def filter_values(self) -> dict[str, str]:
        """The filter inputs as typed, for the form above the table."""
        if self.filter_params:
            return {name: self.request.GET.get(name, "") for name in self.filter_params}
        return {k: self.request.GET.get(k, "") for k in self.request.GET if k not in ("sort", "page")}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        values = self.filter_values()
        paginator = context.get("paginator")
        context.update(
            querystring=query.urlencode(),
            current_sort=self.request.GET.get("sort", ""),
            headers=sort_headers(self.request, self.columns),
            values=values,
            filtered=any(values.values()),
            filterset=self.filterset,
            total=paginator.count if paginator else len(context["object_list"]),
        )
        return context


# --- links --------------------------------------------------------------------------------------------


def audit_url(obj: Model) -> str:
    """The audit trail filtered to one object ("" when the audit pages are not installed)."""
    try:
        return (
            reverse("accounts:audit")
            + "?"
            + urlencode({"object_type": obj._meta.label_lower, "object_id": obj.pk})
        )
    except NoReverseMatch:
        return ""


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The posted or queried `next` when it points back into this site, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# --- domain errors ------------------------------------------------------------------------------------


def domain_error_texts(error: DomainError) -> list[str]:
    """A service's refusal as sentences in the active language: its field messages (each already says
    what is wrong), or its message when it names no field."""
    texts = [str(in_language(text)) for texts in error.field_errors.values() for text in texts]
    return texts or [str(in_language(error.message))]


def show_domain_error(request: HttpRequest, error: DomainError) -> None:
    """The one way a page shows a service's refusal: as error messages above the page."""
    for text in domain_error_texts(error):
        messages.error(request, text)


def show_domain_error_on_form(
    form: Form, error: DomainError, field_map: Mapping[str, str] | None = None
) -> None:
    """The same refusal next to the inputs of a form that is shown again (the typed text stays): each field
    message on its field (`field_map` renames service fields to form fields), the rest above the form."""
    for name, texts in error.field_errors.items():
        field = (field_map or {}).get(name, name)
        for text in texts:
            form.add_error(field if field in form.fields else None, str(in_language(text)))
    if not error.field_errors:
        form.add_error(None, str(in_language(error.message)))


class ServiceFormView(RightRequiredMixin, FormView):
    """A form whose `save()` calls a service: invalid input stays on the form, a state conflict is shown as
    a message, a refusal of the role is a 403; success redirects with a message."""

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            result = form.save()  # type: ignore[attr-defined]
        except InvalidInput:
            return self.form_invalid(form)  # the form has put the service's errors on its fields
        except StateConflict as error:
            return self.on_conflict(form, error)
        except NotAllowed as error:
            raise PermissionDenied(str(error.message)) from error
        messages.success(self.request, self.get_success_message(result))
        return HttpResponseRedirect(self.get_success_url_for(result))

    def on_conflict(self, form: Form, error: StateConflict) -> HttpResponse:
        show_domain_error(self.request, error)
        return self.form_invalid(form)

    def get_success_message(self, result: Any) -> str:
        return str(_("已保存。"))

    def get_success_url_for(self, result: Any) -> str:
        raise NotImplementedError
