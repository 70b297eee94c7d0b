"""The URL map of the single sign-on tests: the platform's, with single sign-on on (its two routes, built
by the same function config/urls.py reaches through accounts/urls.py), and the in-suite identity provider
(django-oidc-provider) at /openid/. Imported only while the tests switch single sign-on on."""

from django.urls import URLPattern, URLResolver, include, path

from accounts import oidc
from accounts import urls as accounts_urls
from config import urls as platform

# config.urls was imported with single sign-on off; this is accounts' map as it is when it is on.
_accounts = ([*accounts_urls.urlpatterns, *oidc.urlpatterns()], "accounts")


def _with_sso(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if isinstance(pattern, URLResolver) and pattern.namespace == "accounts":
        return path("accounts/", include(_accounts))
    return pattern


urlpatterns = [
    path("openid/", include("oidc_provider.urls", namespace="oidc_provider")),
    *(_with_sso(pattern) for pattern in platform.urlpatterns),
]
