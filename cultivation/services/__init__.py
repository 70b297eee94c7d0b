"""Every write of the cultivation pool: entry, exit, supervision and the district standard (`pool.py`),
levels, B certification and irregular reviews (`levels.py`), and the district's annual report
(`reports.py`)."""

from cultivation.services.levels import (
    b_certification_apply,
    b_certification_certify,
    b_certification_confirm_loss,
    b_certification_keep,
    b_certification_reject,
    b_checklist,
    gaps_text,
    irregular_review_close,
    irregular_review_open,
    level_job_execute,
    level_job_resume_stale,
    level_job_start,
)
from cultivation.services.pool import (
    application_checklist,
    district_standard_in_force,
    district_standard_new_version,
    membership_exit,
    membership_graduate,
    pool_application_accept,
    pool_application_reject,
    pool_application_submit,
    supervision_record_add,
)
from cultivation.services.reports import (
    district_report_acknowledge,
    district_report_generate,
    district_report_return,
    district_report_save_narrative,
    district_report_submit,
)

__all__ = [
    "application_checklist", "b_certification_apply", "b_certification_certify", "b_certification_confirm_loss",
    "b_certification_keep", "b_certification_reject", "b_checklist", "district_report_acknowledge",
    "district_report_generate", "district_report_return", "district_report_save_narrative",
    "district_report_submit", "district_standard_in_force", "district_standard_new_version", "gaps_text",
    "irregular_review_close", "irregular_review_open", "level_job_execute", "level_job_resume_stale",
    "level_job_start", "membership_exit", "membership_graduate", "pool_application_accept",
    "pool_application_reject", "pool_application_submit", "supervision_record_add",
]
