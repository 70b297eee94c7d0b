"""HTML pages for annual data: lists, the data-entry form, review queues, corrections, years, notifications.

Views parse input, call one service or selector and render. Every object is looked up through
`visible_to(user)`, so rows outside the user's scope answer 404; every write is a service call.

The pages live in one module per area; this package re-exports them so `reporting.urls` and other
importers keep using `reporting.views.<Name>`.
"""

from reporting.views.chasing import NonFilerListView, NonFilerRemindView
from reporting.views.common import (
    ACTION_DONE,
    INDICATOR_STATUS_LABELS,
    TRANSITION_LABELS,
    WINDOW_STATE_LABELS,
    typed_preview,
)
from reporting.views.corrections import CorrectionCreateView, CorrectionDecideView, CorrectionListView
from reporting.views.notifications import NotificationListView, NotificationMarkReadView
from reporting.views.reviews import BulkReviewView, CityQueueView, DistrictQueueView, ReviewQueueView
from reporting.views.submissions import (
    AnomalyDismissView,
    IndicatorPreviewView,
    SubmissionActionView,
    SubmissionDetailView,
    SubmissionEditView,
    SubmissionListView,
)
from reporting.views.years import AnomalyScanView, AnomalySettingsView, YearListView

__all__ = [
    "ACTION_DONE",
    "INDICATOR_STATUS_LABELS",
    "TRANSITION_LABELS",
    "WINDOW_STATE_LABELS",
    "AnomalyDismissView",
    "AnomalyScanView",
    "AnomalySettingsView",
    "BulkReviewView",
    "CityQueueView",
    "CorrectionCreateView",
    "CorrectionDecideView",
    "CorrectionListView",
    "DistrictQueueView",
    "IndicatorPreviewView",
    "NonFilerListView",
    "NonFilerRemindView",
    "NotificationListView",
    "NotificationMarkReadView",
    "ReviewQueueView",
    "SubmissionActionView",
    "SubmissionDetailView",
    "SubmissionEditView",
    "SubmissionListView",
    "YearListView",
    "typed_preview",
]
