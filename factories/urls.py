from django.urls import path

from factories import views
from factories.catalogues.urls import urlpatterns as catalogue_urlpatterns
from factories.grading.urls import urlpatterns as grading_urlpatterns

app_name = "factories"

urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/new/", views.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseEditView.as_view(), name="enterprise_edit"),
    path("my-enterprise/", views.MyEnterpriseView.as_view(), name="my_enterprise"),
    path("green-factories/", views.GreenFactoryListView.as_view(), name="greenfactory_list"),
    path(
        "green-factories/recognize/", views.GreenFactoryRecognizeView.as_view(), name="greenfactory_recognize"
    ),
    path(
        "green-factories/<int:pk>/revoke/", views.GreenFactoryRevokeView.as_view(), name="greenfactory_revoke"
    ),
    *grading_urlpatterns,
    *catalogue_urlpatterns,
]
