"""HTML pages of green-factory grading (DOMAIN §6): runs, standards, published grades, explanation
cards, the recommendation list, incidents and revocation proposals. The HTML mirrors api_grading.

Views are thin: runs come from `selectors.runs_for(user)`, grades from `selectors.published_grades(user)`
(out-of-scope rows answer 404), and every write is one call to factories.grading.services.

The pages are split by subject: shared labels and helpers (`common.py`), runs and revocation decisions
(`runs.py`), standards (`standards.py`), published grades, explanation cards and recommendations
(`results.py`), incidents (`incidents.py`) the list of revocation proposals (`proposals.py`) and the Word documents of a grading (`documents.py`). Every public name is re-exported here for factories.urls.
"""

from factories.grading.views.common import (
    EFFECT_LABELS,
    FALSIFICATION_REVOKE,
    INDICATOR_STATUS,
    NO_IMPROVEMENT_CAUSES,
    OVERRIDE_CODES,
    PHASE_MESSAGES,
    PROPOSAL_BADGES,
    PROPOSAL_REASONS,
    PUBLISHED_STATES,
    REASON_TEXTS,
    RUN_BADGES,
    ReasonWriter,
    f2,
    run_badge,
)
from factories.grading.views.documents import (
    ResultNoticeDocumentView,
    RunNoticeDocumentView,
    notice_document,
    result_document,
)
from factories.grading.views.incidents import IncidentCreateView, IncidentEvidenceView, IncidentListView
from factories.grading.views.objections import (
    EnterpriseObjectionView,
    ObjectionActionView,
    ObjectionDetailView,
    ObjectionEvidenceView,
    ObjectionListView,
    PublicObjectionView,
)
from factories.grading.views.proposals import ProposalListView
from factories.grading.views.public import NoticeIndexView, NoticeRunView
from factories.grading.views.results import (
    ExplanationView,
    GradeListView,
    MyGradesView,
    RecommendationListView,
    published_years,
)
from factories.grading.views.runs import (
    ProposalDecisionView,
    RunActionView,
    RunDetailView,
    RunListView,
    RunProgressView,
    RunStartView,
)
from factories.grading.views.standards import (
    StandardAdoptView,
    StandardDetailView,
    StandardFormView,
    StandardListView,
    describe_standard,
    effect_label,
    standard_in_force_or_none,
    used_by_published_run,
)

__all__ = [
    "EFFECT_LABELS",
    "FALSIFICATION_REVOKE",
    "INDICATOR_STATUS",
    "NO_IMPROVEMENT_CAUSES",
    "OVERRIDE_CODES",
    "PHASE_MESSAGES",
    "PROPOSAL_BADGES",
    "PROPOSAL_REASONS",
    "PUBLISHED_STATES",
    "REASON_TEXTS",
    "RUN_BADGES",
    "EnterpriseObjectionView",
    "ExplanationView",
    "GradeListView",
    "IncidentCreateView",
    "IncidentEvidenceView",
    "IncidentListView",
    "MyGradesView",
    "NoticeIndexView",
    "NoticeRunView",
    "ObjectionActionView",
    "ObjectionDetailView",
    "ObjectionEvidenceView",
    "ObjectionListView",
    "ProposalDecisionView",
    "ProposalListView",
    "PublicObjectionView",
    "ReasonWriter",
    "RecommendationListView",
    "ResultNoticeDocumentView",
    "RunActionView",
    "RunDetailView",
    "RunListView",
    "RunNoticeDocumentView",
    "RunProgressView",
    "RunStartView",
    "StandardAdoptView",
    "StandardDetailView",
    "StandardFormView",
    "StandardListView",
    "describe_standard",
    "effect_label",
    "f2",
    "notice_document",
    "published_years",
    "result_document",
    "run_badge",
    "standard_in_force_or_none",
    "used_by_published_run",
]
