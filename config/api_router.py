"""The /api/v1/ routes. Each app's api module registers its own viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from cultivation import api as cultivation_api
from factories import api as factories_api
from factories.catalogues import api as catalogues_api
from factories.grading import api as api_grading
from reporting import api as reporting_api

router = DefaultRouter()
accounts_api.register(router)
factories_api.register(router)
catalogues_api.register(router)
api_grading.register(router)
reporting_api.register(router)
cultivation_api.register(router)


urlpatterns = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("me/", accounts_api.MeView.as_view(), name="me"),
    *router.urls,
]
