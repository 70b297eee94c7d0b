"""HTML views for annual data reporting (placeholder until the pages land)."""

from accounts.views_base import ScopedDetailView, ScopedListView
from reporting.models import AnnualSubmission


class SubmissionListView(ScopedListView):
    model = AnnualSubmission
    template_name = "reporting/submission_list.html"


class SubmissionDetailView(ScopedDetailView):
    model = AnnualSubmission
    template_name = "reporting/submission_detail.html"
