"""Grading pages (DOMAIN §6), served under the factories namespace by `factories.urls`."""

from django.urls import path

from factories.grading import views as views_grading

urlpatterns = [
    path("grading/runs/", views_grading.RunListView.as_view(), name="run_list"),
    path("grading/runs/start/", views_grading.RunStartView.as_view(), name="run_start"),
    path("grading/runs/<int:pk>/", views_grading.RunDetailView.as_view(), name="run_detail"),
    path(
        "grading/runs/<int:pk>/notice-document/",
        views_grading.RunNoticeDocumentView.as_view(),
        name="run_notice_document",
    ),
    path("grading/runs/<int:pk>/progress/", views_grading.RunProgressView.as_view(), name="run_progress"),
    path(
        "grading/runs/<int:pk>/publish/",
        views_grading.RunActionView.as_view(action="publish"),
        name="run_publish",
    ),
    path(
        "grading/runs/<int:pk>/finalize/",
        views_grading.RunActionView.as_view(action="finalize"),
        name="run_finalize",
    ),
    path(
        "grading/runs/<int:pk>/retry/", views_grading.RunActionView.as_view(action="retry"), name="run_retry"
    ),
    path("grading/proposals/", views_grading.ProposalListView.as_view(), name="proposal_list"),
    path(
        "grading/proposals/<int:pk>/confirm/",
        views_grading.ProposalDecisionView.as_view(action="confirm"),
        name="proposal_confirm",
    ),
    path(
        "grading/proposals/<int:pk>/dismiss/",
        views_grading.ProposalDecisionView.as_view(action="dismiss"),
        name="proposal_dismiss",
    ),
    path("grading/standards/", views_grading.StandardListView.as_view(), name="standard_list"),
    path("grading/standards/<int:pk>/", views_grading.StandardDetailView.as_view(), name="standard_detail"),
    path(
        "grading/standards/<int:pk>/new-version/",
        views_grading.StandardFormView.as_view(),
        name="standard_new_version",
    ),
    path(
        "grading/standards/<int:pk>/edit/",
        views_grading.StandardFormView.as_view(edit=True),
        name="standard_edit",
    ),
    path(
        "grading/standards/<int:pk>/adopt/", views_grading.StandardAdoptView.as_view(), name="standard_adopt"
    ),
    path("grading/grades/", views_grading.GradeListView.as_view(), name="grade_list"),
    path("grading/my-grades/", views_grading.MyGradesView.as_view(), name="my_grades"),
    path(
        "grading/grades/<int:result_pk>/explanation/",
        views_grading.ExplanationView.as_view(),
        name="explanation",
    ),
    path(
        "grading/grades/<int:result_pk>/notice-document/",
        views_grading.ResultNoticeDocumentView.as_view(),
        name="result_notice_document",
    ),
    path(
        "grading/recommendations/",
        views_grading.RecommendationListView.as_view(),
        name="recommendation_list",
    ),
    path("grading/objections/", views_grading.ObjectionListView.as_view(), name="objection_list"),
    path(
        "grading/objections/<int:pk>/", views_grading.ObjectionDetailView.as_view(), name="objection_detail"
    ),
    path(
        "grading/objections/<int:pk>/evidence/<int:n>/",
        views_grading.ObjectionEvidenceView.as_view(),
        name="objection_evidence",
    ),
    path(
        "grading/objections/<int:pk>/<str:action>/",
        views_grading.ObjectionActionView.as_view(),
        name="objection_action",
    ),
    path(
        "grading/my-grades/<int:result_pk>/objection/",
        views_grading.EnterpriseObjectionView.as_view(),
        name="objection_create",
    ),
    path("grading/incidents/", views_grading.IncidentListView.as_view(), name="incident_list"),
    path("grading/incidents/new/", views_grading.IncidentCreateView.as_view(), name="incident_create"),
    path(
        "grading/incidents/<int:pk>/evidence/",
        views_grading.IncidentEvidenceView.as_view(),
        name="incident_evidence",
    ),
]
