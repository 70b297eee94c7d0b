"""HTML pages of the district cultivation pool (DOMAIN §7; Art. 4, 5, 10, 11, 12).

Thin like the API they mirror: every object is looked up through `visible_to(user)` (another district's
row answers 404), every write is one call to a `cultivation.services` function, and a service refusal
comes back as a message or as field errors next to the kept input, never as a server error.

The pages live in one module per subject; this package re-exports them for `cultivation.urls`.
"""

from cultivation.views.applications import (
    ApplicationCreateView,
    ApplicationDecideView,
    ApplicationDetailView,
    ApplicationEvidenceView,
    ApplicationListView,
)
from cultivation.views.certifications import (
    CertificateView,
    CertificationApplyView,
    CertificationDecideView,
    CertificationDetailView,
    CertificationEvidenceView,
    CertificationListView,
    RecommendedListView,
)
from cultivation.views.common import (
    LEVEL_CSS,
    REASON_TEXTS,
    PoolListView,
    PostActionView,
    decorate_decision,
    level_label,
    posted_year,
    reason_texts,
    selected_district,
    years_choice,
)
from cultivation.views.documents import ReportDocumentView, report_document
from cultivation.views.home import TOP_GAPS, HomeView, cockpit, enterprise_status
from cultivation.views.levels import (
    LevelJobDetailView,
    LevelJobProgressView,
    LevelJobStartView,
    LevelListView,
    job_message,
)
from cultivation.views.members import (
    MemberActionView,
    MemberDetailView,
    MemberListView,
    SupervisionEvidenceView,
)
from cultivation.views.public import PublicDistrictListView, PublicDistrictView
from cultivation.views.reports import (
    REPORT_ROWS,
    ReportActionView,
    ReportDetailView,
    ReportGenerateView,
    ReportListView,
)
from cultivation.views.reviews import ReviewDetailView, ReviewListView
from cultivation.views.standards import (
    StandardDetailView,
    StandardRedirectView,
    own_district_id,
    visible_district,
)

__all__ = [
    "LEVEL_CSS",
    "REASON_TEXTS",
    "REPORT_ROWS",
    "TOP_GAPS",
    "ApplicationCreateView",
    "ApplicationDecideView",
    "ApplicationDetailView",
    "ApplicationEvidenceView",
    "ApplicationListView",
    "CertificateView",
    "CertificationApplyView",
    "CertificationDecideView",
    "CertificationDetailView",
    "CertificationEvidenceView",
    "CertificationListView",
    "HomeView",
    "LevelJobDetailView",
    "LevelJobProgressView",
    "LevelJobStartView",
    "LevelListView",
    "MemberActionView",
    "MemberDetailView",
    "MemberListView",
    "PoolListView",
    "PostActionView",
    "PublicDistrictListView",
    "PublicDistrictView",
    "RecommendedListView",
    "ReportActionView",
    "ReportDetailView",
    "ReportDocumentView",
    "ReportGenerateView",
    "ReportListView",
    "ReviewDetailView",
    "ReviewListView",
    "StandardDetailView",
    "StandardRedirectView",
    "SupervisionEvidenceView",
    "cockpit",
    "decorate_decision",
    "enterprise_status",
    "job_message",
    "level_label",
    "own_district_id",
    "posted_year",
    "reason_texts",
    "report_document",
    "selected_district",
    "visible_district",
    "years_choice",
]
