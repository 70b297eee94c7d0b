from django.urls import path, re_path

from reporting import views
from reporting.dashboards import views as dashboard_views
from reporting.views import benchmarks as benchmark_views
from reporting.views import evidence as evidence_views
from reporting.views import files as file_views
from reporting.views import oversight as oversight_views

app_name = "reporting"

urlpatterns = [
    path("submissions/", views.SubmissionListView.as_view(), name="submission_list"),
    path(
        "submissions/<int:enterprise_id>/<int:year>/edit/",
        views.SubmissionEditView.as_view(),
        name="submission_edit",
    ),
    path("submissions/<int:pk>/", views.SubmissionDetailView.as_view(), name="submission_detail"),
    path(
        "submissions/<int:pk>/evidence/", evidence_views.EvidenceUploadView.as_view(), name="evidence_upload"
    ),
    path(
        "submissions/<int:pk>/evidence/<int:evidence_id>/",
        evidence_views.EvidenceDownloadView.as_view(),
        name="evidence_download",
    ),
    path(
        "submissions/<int:pk>/evidence/<int:evidence_id>/remove/",
        evidence_views.EvidenceRemoveView.as_view(),
        name="evidence_remove",
    ),
    path("submissions/<int:pk>/notes/", evidence_views.FieldNoteView.as_view(), name="field_note_add"),
    path("submissions/<int:pk>/correction/", views.CorrectionCreateView.as_view(), name="correction_create"),
    re_path(
        r"^submissions/(?P<pk>[0-9]+)/(?P<action>submit|approve|verify|return)/$",
        views.SubmissionActionView.as_view(),
        name="submission_action",
    ),
    path("submissions/<int:pk>/dismiss-anomaly/", views.AnomalyDismissView.as_view(), name="anomaly_dismiss"),
    path("anomaly-settings/", views.AnomalySettingsView.as_view(), name="anomaly_settings"),
    path("years/<int:year>/anomaly-scan/", views.AnomalyScanView.as_view(), name="anomaly_scan"),
    path("indicator-preview/", views.IndicatorPreviewView.as_view(), name="indicator_preview"),
    path("review/district/", views.DistrictQueueView.as_view(), name="district_queue"),
    path("review/city/", views.CityQueueView.as_view(), name="city_queue"),
    re_path(r"^review/bulk/(?P<action>approve|verify)/$", views.BulkReviewView.as_view(), name="bulk_review"),
    path("non-filers/", views.NonFilerListView.as_view(), name="non_filers"),
    path("non-filers/remind/", views.NonFilerRemindView.as_view(), name="non_filer_remind"),
    path("corrections/", views.CorrectionListView.as_view(), name="correction_list"),
    path("corrections/<int:pk>/decide/", views.CorrectionDecideView.as_view(), name="correction_decide"),
    path("years/", views.YearListView.as_view(), name="year_list"),
    path("notifications/", views.NotificationListView.as_view(), name="notification_list"),
    path("notifications/read/", views.NotificationMarkReadView.as_view(), name="notification_mark_read"),
    path("oversight/", oversight_views.OversightView.as_view(), name="oversight"),
    path("benchmarks/", benchmark_views.BenchmarkView.as_view(), name="benchmarks"),
    path("dashboard/", dashboard_views.DashboardView.as_view(), name="dashboard"),
    path("exports/", file_views.ExportListView.as_view(), name="export_list"),
    path("exports/<int:pk>/download/", file_views.ExportDownloadView.as_view(), name="export_download"),
    path("exports/<int:pk>/progress/", file_views.ExportProgressView.as_view(), name="export_progress"),
    path("imports/", file_views.ImportListView.as_view(), name="import_list"),
    path("imports/template/", file_views.ImportTemplateView.as_view(), name="import_template"),
    path("imports/<int:pk>/", file_views.ImportDetailView.as_view(), name="import_detail"),
    path("imports/<int:pk>/download/", file_views.ImportDownloadView.as_view(), name="import_download"),
    path("imports/<int:pk>/progress/", file_views.ImportProgressView.as_view(), name="import_progress"),
]
