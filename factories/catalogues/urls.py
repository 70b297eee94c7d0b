from django.urls import path

from factories.catalogues import views

CODE = "<str:code>"

urlpatterns = [
    path("catalogues/", views.CatalogueListView.as_view(), name="catalogue_list"),
    path(f"catalogues/{CODE}/", views.CatalogueDetailView.as_view(), name="catalogue_detail"),
    path(f"catalogues/{CODE}/copy/", views.CatalogueCopyView.as_view(), name="catalogue_copy"),
    path(f"catalogues/{CODE}/adopt/", views.CatalogueAdoptView.as_view(), name="catalogue_adopt"),
    path(
        f"catalogues/{CODE}/fields/new/", views.CatalogueFieldFormView.as_view(), name="catalogue_field_new"
    ),
    path(
        f"catalogues/{CODE}/fields/<int:item>/",
        views.CatalogueFieldFormView.as_view(),
        name="catalogue_field_edit",
    ),
    path(
        f"catalogues/{CODE}/indicators/new/",
        views.CatalogueIndicatorFormView.as_view(),
        name="catalogue_indicator_new",
    ),
    path(
        f"catalogues/{CODE}/indicators/<int:item>/",
        views.CatalogueIndicatorFormView.as_view(),
        name="catalogue_indicator_edit",
    ),
    path(
        f"catalogues/{CODE}/<str:kind>/<int:item>/delete/",
        views.CataloguePartDeleteView.as_view(),
        name="catalogue_part_delete",
    ),
]
