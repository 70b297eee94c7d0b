from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.views import HomeView, PingView
from cultivation import views as cultivation_views
from factories import views_public
from factories.grading import views as grading_views

# The public pages (公示, issue 17), readable without signing in: grading's notices, the districts' B
# factories (the pool) and the certificates (the registry), under one namespace.
gongshi_urlpatterns = [
    path("", grading_views.NoticeIndexView.as_view(), name="index"),
    path("runs/<int:pk>/", grading_views.NoticeRunView.as_view(), name="run"),
    path("districts/", cultivation_views.PublicDistrictListView.as_view(), name="districts"),
    path("districts/<str:pk>/", cultivation_views.PublicDistrictView.as_view(), name="district"),
    path("certificates/<str:code>/", views_public.CertificatePublicView.as_view(), name="certificate"),
    path("language/<str:code>/", views_public.PublicLanguageView.as_view(), name="language"),
]

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("ping/", PingView.as_view(), name="ping"),
    path("gongshi/", include((gongshi_urlpatterns, "gongshi"))),
    path("verify/<str:code>/", views_public.CertificateVerifyView.as_view(), name="verify"),
    # Account management writes accounts that name a unit or an enterprise: the registry floor serves it.
    path("accounts/users/", include("factories.urls_users")),
    # Self-registration opens enterprise accounts and may propose a register entry: the registry floor too.
    path("accounts/register/", include("factories.urls_registration")),
    path("accounts/", include("accounts.urls")),
    # The public objection form of a run in notice (公示); the notice pages themselves link to it.
    path("gongshi/runs/", include("factories.grading.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("factories/", include("factories.urls")),
    path("reporting/", include("reporting.urls")),
    path("cultivation/", include("cultivation.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_router", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api_docs.html"),
        name="api-docs",
    ),
]

# The platform's own error pages (Chinese, in the site's frame; JSON under /api/): accounts/views_errors.py.
handler400 = "accounts.views_errors.bad_request"
handler403 = "accounts.views_errors.permission_denied"
handler404 = "accounts.views_errors.page_not_found"
handler500 = "accounts.views_errors.server_error"

# No route serves MEDIA_ROOT, not even with DEBUG on: exports, uploaded workbooks and evidence go out only
# through the views that check the right and the row's scope (accounts/files.py).
