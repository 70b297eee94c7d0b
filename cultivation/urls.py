from django.urls import path

from cultivation import views

app_name = "cultivation"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("applications/", views.ApplicationListView.as_view(), name="application_list"),
    path("applications/new/", views.ApplicationCreateView.as_view(), name="application_create"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application_detail"),
    path(
        "applications/<int:pk>/evidence/<int:evidence_id>/",
        views.ApplicationEvidenceView.as_view(),
        name="application_evidence",
    ),
    path(
        "applications/<int:pk>/<str:action>/",
        views.ApplicationDecideView.as_view(),
        name="application_decide",
    ),
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/<str:action>/", views.MemberActionView.as_view(), name="member_action"),
    path(
        "supervision/<int:pk>/evidence/", views.SupervisionEvidenceView.as_view(), name="supervision_evidence"
    ),
    path("standards/", views.StandardRedirectView.as_view(), name="standard_home"),
    path("standards/<str:code>/", views.StandardDetailView.as_view(), name="standard_detail"),
    path("levels/", views.LevelListView.as_view(), name="level_list"),
    path("levels/compute/", views.LevelJobStartView.as_view(), name="level_job_start"),
    path("levels/jobs/<int:pk>/", views.LevelJobDetailView.as_view(), name="level_job_detail"),
    path("levels/jobs/<int:pk>/progress/", views.LevelJobProgressView.as_view(), name="level_job_progress"),
    path("certifications/", views.CertificationListView.as_view(), name="certification_list"),
    path("certifications/apply/", views.CertificationApplyView.as_view(), name="certification_apply"),
    path("certifications/recommended/", views.RecommendedListView.as_view(), name="recommended"),
    path("certifications/<int:pk>/", views.CertificationDetailView.as_view(), name="certification_detail"),
    path("certifications/<int:pk>/certificate/", views.CertificateView.as_view(), name="certificate"),
    path(
        "certifications/<int:pk>/evidence/<int:evidence_id>/",
        views.CertificationEvidenceView.as_view(),
        name="certification_evidence",
    ),
    path(
        "certifications/<int:pk>/<str:action>/",
        views.CertificationDecideView.as_view(),
        name="certification_decide",
    ),
    path("reviews/", views.ReviewListView.as_view(), name="review_list"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="review_detail"),
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/generate/", views.ReportGenerateView.as_view(), name="report_generate"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/document/", views.ReportDocumentView.as_view(), name="report_document"),
    path("reports/<int:pk>/<str:action>/", views.ReportActionView.as_view(), name="report_action"),
]
