"""The public certificate pages (issue 17): the printable certificate with its QR code, and the status page
the QR code opens (`/verify/<code>/`), both readable without signing in; and a plain link to switch the
public pages' language (a form would need a CSRF token, which a page shared by everybody cannot carry).

Which certificate says what is told by the reader its kind registered (factories.certificates.READERS):
an unknown code, or a certificate whose title was never made public, answers 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.views_base import PublicPageMixin
from factories import certificates


class _CertificateMixin(PublicPageMixin, TemplateView):
    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        code = str(self.kwargs["code"])[:16]
        found = certificates.facts(code)
        if found is None:
            raise Http404
        certificate, facts = found
        verify_url = self.request.build_absolute_uri(reverse("verify", args=[certificate.code]))
        return {
            **super().get_context_data(**kwargs),
            "certificate": certificate,
            "facts": facts,
            "verify_url": verify_url,
            "qr_svg": certificates.qr_svg(verify_url),
        }


class CertificatePublicView(_CertificateMixin):
    """The printable certificate (A4 print layout) carrying the QR code of its status page."""

    template_name = "factories/certificate_public.html"


class CertificateVerifyView(_CertificateMixin):
    """What the QR code opens: valid / superseded / downgraded / revoked, with the dates."""

    template_name = "factories/certificate_verify.html"
    public_max_age = 60  # a revocation should show within a minute


class PublicLanguageView(View):
    """`/gongshi/language/<code>/?next=…`: remember the language in its cookie and go back."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, code: str) -> HttpResponseRedirect:
        target = request.GET.get("next") or reverse("gongshi:index")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("gongshi:index")
        response = HttpResponseRedirect(target)
        if code in {c for c, _name in settings.LANGUAGES}:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
