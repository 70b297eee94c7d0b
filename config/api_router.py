"""The /api/v1/ routes. Every app registers its viewsets here, so the URL map is in one place."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from accounts.api_views import AuditEntryViewSet, MeView, TokenView, UserViewSet
from factories.api import DistrictViewSet, IndustryViewSet

router = DefaultRouter()
router.register("districts", DistrictViewSet, basename="district")
router.register("industries", IndustryViewSet, basename="industry")
router.register("users", UserViewSet, basename="user")
router.register("audit", AuditEntryViewSet, basename="audit")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    *router.urls,
]
