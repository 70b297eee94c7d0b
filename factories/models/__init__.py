"""Models of the factories app: the register (units, industries, enterprises, green factories) and grading."""

from factories.models.grading import (
    GradingResult,
    GradingRun,
    GradingStandard,
    Incident,
    IncidentKind,
    IncidentSeverity,
    ProposalStatus,
    RevocationProposal,
    RunStatus,
    StandardStatus,
)
from factories.models.register import (
    District,
    DistrictTransfer,
    Enterprise,
    GreenFactory,
    GreenFactoryStatus,
    Industry,
    LegalForm,
    Sequence,
    Tier,
    UnitKind,
)

__all__ = [
    "District",
    "DistrictTransfer",
    "Enterprise",
    "GradingResult",
    "GradingRun",
    "GradingStandard",
    "GreenFactory",
    "GreenFactoryStatus",
    "Incident",
    "IncidentKind",
    "IncidentSeverity",
    "Industry",
    "LegalForm",
    "ProposalStatus",
    "RevocationProposal",
    "RunStatus",
    "Sequence",
    "StandardStatus",
    "Tier",
    "UnitKind",
]
