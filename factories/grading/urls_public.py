"""Public objection form of a run in notice (公示), without sign-in; mounted at /gongshi/runs/ by config/urls.py."""

from django.urls import path

from factories.grading.views import PublicObjectionView

app_name = "objections"

urlpatterns = [
    path("<int:run_id>/objections/new/", PublicObjectionView.as_view(), name="public_new"),
]
