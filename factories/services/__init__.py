"""Every write of the factories app: the register (`register.py`) and grading (`grading.py`)."""

from factories.services.register import (
    CONTACT_FIELDS,
    ENTERPRISE_FIELDS,
    RECOGNITION_HOOKS,
    REVOCATION_BAN_YEARS,
    district_merge,
    enterprise_create,
    enterprise_update,
    green_factory_recognize,
    green_factory_revoke,
)

__all__ = [
    "CONTACT_FIELDS",
    "ENTERPRISE_FIELDS",
    "RECOGNITION_HOOKS",
    "REVOCATION_BAN_YEARS",
    "district_merge",
    "enterprise_create",
    "enterprise_update",
    "green_factory_recognize",
    "green_factory_revoke",
]
