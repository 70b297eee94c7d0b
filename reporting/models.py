"""Reporting years, annual submissions with their review chain, corrections and notifications (Art. 7, 9, 12)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import datacache
from accounts.files import RandomName
from accounts.jobs import BackgroundJob
from accounts.limits import LONG_TEXT, SHORT_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet
from accounts.transitions import Transition, TransitionTable
from factories.indicators import DEFAULT_CATALOGUE_VERSION
from factories.models import CatalogueVersion


class ReportingYearQuerySet(ScopedQuerySet):
    shared_with_all = True


class ReportingYear(models.Model):
    """The city opens year Y (data of calendar year Y) with a reporting window (DOMAIN §5)."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    opens_on = models.DateField(_("填报开始日期"))
    closes_on = models.DateField(_("填报截止日期"))
    catalogue = models.ForeignKey(
        CatalogueVersion,
        to_field="code",
        db_column="catalogue_version",
        on_delete=models.PROTECT,
        default=DEFAULT_CATALOGUE_VERSION,
        related_name="reporting_years",
        verbose_name=_("指标目录"),
    )
    sector_catalogues = models.ManyToManyField(
        CatalogueVersion,
        blank=True,
        related_name="sector_years",
        verbose_name=_("行业变体目录"),
        help_text=_("重点行业企业按其所属行业使用的目录；其余企业使用本年度的指标目录。"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReportingYearQuerySet.as_manager()

    class Meta:
        verbose_name = _("填报年度")
        verbose_name_plural = _("填报年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")), name="window_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return str(_("{year}年度")).format(year=self.year)

    @property
    def catalogue_version(self) -> str:
        """The code of the year's default catalogue, e.g. "GBT36132-2018" (what readers used before the FK)."""
        return str(self.catalogue_id)

    @property
    def sector_catalogue_codes(self) -> list[str]:
        return sorted(c.code for c in self.sector_catalogues.all())

    def catalogue_for(self, division: str | None) -> str:
        """The catalogue an enterprise of industry division `division` reports on this year: the sector
        variant bound to its division when the year names one, else the year's catalogue (§4)."""
        if division:
            for variant in sorted(self.sector_catalogues.all(), key=lambda c: c.code):
                if division in (variant.industry_divisions or []):
                    return variant.code
        return self.catalogue_version

    def window_state(self, today: dt.date) -> str:
        """'not_open' before the window, 'open' inside it, 'closed' after it (late submissions still accepted)."""
        if today < self.opens_on:
            return "not_open"
        return "open" if today <= self.closes_on else "closed"


class SubmissionStatus(models.TextChoices):
    """The review chain of DOMAIN §5; each status carries its badge colour for the UI."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待区县审核")
    DISTRICT_APPROVED = "district_approved", _("区县已审核，待市级复核")
    CITY_VERIFIED = "city_verified", _("市级已复核（锁定）")


STATUS_COLOURS = {
    SubmissionStatus.DRAFT: "#757575",
    SubmissionStatus.SUBMITTED: "#1565c0",
    SubmissionStatus.DISTRICT_APPROVED: "#6a1b9a",
    SubmissionStatus.CITY_VERIFIED: "#1b5e20",
}


class SubmissionQuerySet(ScopedQuerySet):
    # Scope follows the enterprise's current unit (access moves with a merger); `district` keeps
    # the unit the data was filed under.
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"


class AnnualSubmission(models.Model):
    """One enterprise's raw green-manufacturing figures for one calendar year (Art. 7).

    Raw inputs are stored as decimal strings keyed by the catalogue's field names, so a new
    indicator catalogue needs no schema change; `None` (absent) means not reported, 0 means none.
    """

    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="submissions"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey(
        "factories.District",
        verbose_name=_("填报时管理单位"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("提交时企业所属的管理单位；管理单位撤并后仍保留原单位。"),
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DRAFT,
        db_index=True,
    )
    late = models.BooleanField(_("逾期提交"), default=False)
    catalogue_version = models.CharField(_("指标目录版本"), max_length=32, default=DEFAULT_CATALOGUE_VERSION)
    raw_values = models.JSONField(_("原始数据"), default=dict, blank=True)
    explanation = BoundedTextField(_("情况说明"), blank=True, max_length=LONG_TEXT)
    yoy_flags = models.JSONField(_("同比异常字段"), default=list, blank=True)
    anomaly_flags = models.JSONField(
        _("异常提示"),
        default=list,
        blank=True,
        help_text="reporting.anomalies: {kind, field_or_indicator, message, figures, dismissed}; reviewers only",
    )
    indicators = models.JSONField(_("派生指标"), default=dict, blank=True)
    major_changes = models.JSONField(
        _("重大事项变更"),
        default=dict,
        blank=True,
        help_text="reporting.declarations: {kind: {changed, changed_on, description}}",
    )
    compliance = models.JSONField(
        _("合规性自我声明"), default=dict, blank=True, help_text="reporting.declarations: COMPLIANCE_KEYS"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("区县审核时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("市级复核时间"), null=True, blank=True)
    return_reason = BoundedTextField(_("退回原因"), blank=True)
    evidence_requested = models.JSONField(
        _("退回时要求补充佐证材料的项目"),
        default=list,
        blank=True,
        help_text="raw field names or indicator codes a reviewer asked evidence for when returning the data",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        ordering = ["-year", "enterprise__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_submission_per_enterprise_year")
        ]
        indexes = [
            models.Index(fields=["year", "status"]),
            models.Index(fields=["district", "year"]),
            models.Index(fields=["year", "id"], name="submission_year_id"),
        ]

    def __str__(self) -> str:
        return str(_("{enterprise} {year}年度数据")).format(enterprise=self.enterprise, year=self.year)

    @property
    def open_anomalies(self) -> list[dict[str, Any]]:
        """The anomaly flags no reviewer has dismissed yet."""
        return [flag for flag in self.anomaly_flags or [] if not flag.get("dismissed")]


SUBMISSION_TRANSITIONS = TransitionTable(
    AnnualSubmission,
    [
        Transition(
            "submit",
            (SubmissionStatus.DRAFT,),
            SubmissionStatus.SUBMITTED,
            "submission.submit",
            label=_("提交"),
        ),
        Transition(
            "approve",
            (SubmissionStatus.SUBMITTED,),
            SubmissionStatus.DISTRICT_APPROVED,
            "submission.approve",
            label=_("区县审核通过"),
        ),
        Transition(
            "verify",
            (SubmissionStatus.DISTRICT_APPROVED,),
            SubmissionStatus.CITY_VERIFIED,
            "submission.verify",
            label=_("市级复核通过"),
        ),
        Transition(
            "return",
            (SubmissionStatus.SUBMITTED, SubmissionStatus.DISTRICT_APPROVED),
            SubmissionStatus.DRAFT,
            "submission.return",
            label=_("退回修改"),
        ),
    ],
    refused=_("无法{action}：该年度数据当前状态为“{status}”。"),
    conflict=_("无法{action}：该年度数据当前状态为“{status}”，可能已被其他人处理，请刷新页面后查看。"),
)
"""The review chain (DOMAIN §5): enterprise or district submits, the district approves, the city verifies."""


class SubmissionTransition(models.Model):
    """Each state change of a submission: actor, time, reason (DOMAIN §5)."""

    submission = models.ForeignKey(AnnualSubmission, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=20, choices=SubmissionStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=SubmissionStatus.choices)
    action = models.CharField(_("操作"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    reason = BoundedTextField(_("原因"), blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} → {self.to_status}"


class SubmissionVersion(models.Model):
    """A locked version of a submission's data; a correction keeps the old version visible (DOMAIN §5)."""

    submission = models.ForeignKey(AnnualSubmission, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    raw_values = models.JSONField(_("原始数据"))
    indicators = models.JSONField(_("派生指标"))
    catalogue_version = models.CharField(_("指标目录版本"), max_length=32)
    reason = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )

    class Meta:
        verbose_name = _("数据版本")
        verbose_name_plural = _("数据版本")
        ordering = ["submission", "version"]
        constraints = [models.UniqueConstraint(fields=["submission", "version"], name="one_row_per_version")]

    def __str__(self) -> str:
        return f"{self.submission_id} v{self.version}"


class EvidenceQuerySet(ScopedQuerySet):
    district_lookup = "submission__enterprise__district"
    enterprise_lookup = "submission__enterprise"


class SubmissionEvidence(models.Model):
    """A document (佐证材料) backing one figure of a submission: a raw field or an indicator (issue 15).

    Stored under a random name (accounts.files) and handed out only through permission-checked views;
    `filename` is the name it was uploaded under, `sha256` lets a reviewer tell two copies apart."""

    submission = models.ForeignKey(AnnualSubmission, on_delete=models.CASCADE, related_name="evidence")
    # Blank for a file filed with a correction request (`correction`), which backs the request as a whole.
    field = models.CharField(_("数据项或指标"), max_length=64, blank=True)
    correction = models.ForeignKey(
        "CorrectionRequest",
        verbose_name=_("更正申请"),
        on_delete=models.CASCADE,
        related_name="evidence",
        null=True,
        blank=True,
    )
    file = models.FileField(_("佐证材料"), upload_to=RandomName("evidence/submissions"))
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = BoundedTextField(_("说明"), blank=True, max_length=SHORT_TEXT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["submission", "field", "id"]
        indexes = [models.Index(fields=["submission", "field"], name="evidence_submission_field")]

    def __str__(self) -> str:
        return self.filename


class SubmissionFieldNote(models.Model):
    """A reviewer's revision note (修订备注) on one figure of a submission: kept for good, so the history
    shows what was asked of each figure, by whom and when (issue 15)."""

    submission = models.ForeignKey(AnnualSubmission, on_delete=models.CASCADE, related_name="field_notes")
    field = models.CharField(_("数据项或指标"), max_length=64)
    note = BoundedTextField(_("修订备注"), max_length=SHORT_TEXT)
    status = models.CharField(_("当时状态"), max_length=20, choices=SubmissionStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("修订备注")
        verbose_name_plural = _("修订备注")
        ordering = ["submission", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.field}"


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("待市级审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class CorrectionQuerySet(ScopedQuerySet):
    district_lookup = "submission__enterprise__district"
    enterprise_lookup = "submission__enterprise"


class CorrectionRequest(models.Model):
    """A request to change locked (city-verified) data: reason and new values, decided by the city (DOMAIN §5)."""

    submission = models.ForeignKey(AnnualSubmission, on_delete=models.PROTECT, related_name="corrections")
    reason = BoundedTextField(_("更正原因"))
    new_values = models.JSONField(_("更正后的数值"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = BoundedTextField(_("审批意见"), blank=True)

    objects = CorrectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("更正申请")
        verbose_name_plural = _("更正申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission"],
                condition=Q(status="pending"),
                name="one_pending_correction_per_submission",
            )
        ]

    def __str__(self) -> str:
        return str(_("{submission} 更正申请")).format(submission=self.submission)


CORRECTION_TRANSITIONS = TransitionTable(
    CorrectionRequest,
    [
        Transition("approve", (CorrectionStatus.PENDING,), CorrectionStatus.APPROVED, "correction.decide"),
        Transition("reject", (CorrectionStatus.PENDING,), CorrectionStatus.REJECTED, "correction.decide"),
    ],
    conflict=_("该更正申请已被处理，请刷新页面。"),
)
"""The city decides a correction of locked data once (DOMAIN §5)."""


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ExportJobQuerySet:
        """An export belongs to whoever requested it; nobody else can see or download it."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(requested_by=user)


class ExportJob(BackgroundJob):
    """An Excel export built in the background (accounts.jobs), downloadable only by its requester."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("导出内容"), max_length=32)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    file_format = models.CharField(_("格式"), max_length=8, default="xlsx")
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    file = models.FileField(upload_to=RandomName("exports"), blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The watchdog's pass reads the few unfinished exports among all of them.
            models.Index(
                fields=["status"], condition=Q(status__in=["queued", "running"]), name="export_unfinished"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def download_name(self) -> str:
        """The name the file is offered under (year, title and request date), not the stored random name."""
        from accounts import exports

        return exports.filename(
            exports.REGISTRY.get(self.kind), self.kind, self.created_at, self.file_format, self.filters
        )


class ImportStatus(models.TextChoices):
    """An upload is stored queued; the job runner validates it (running) and ends it validated, invalid or
    refused; `succeeded` is the runner's own end state, which an import never keeps; failed = the worker
    broke on it (the job's `error` says so)."""

    QUEUED = "queued", _("排队等待校验")
    RUNNING = "running", _("正在校验")
    SUCCEEDED = "succeeded", _("校验完成")
    FAILED = "failed", _("校验出错")
    VALIDATED = "validated", _("校验通过，待导入")
    INVALID = "invalid", _("校验未通过")
    COMMITTED = "committed", _("已导入")
    REFUSED = "refused", _("文件被拒绝")


class ImportJobQuerySet(ScopedQuerySet):
    """City staff and auditors see every import; a district user its unit's; others nothing."""

    district_lookup = "district"


class ImportJob(BackgroundJob):
    """An uploaded annual-data workbook: dry run first (every error by sheet, row and column), then commit.

    The dry run is a background job (accounts.jobs): `done` counts the data rows read, `total` estimates
    them from the sheet. `errors` keeps at most `IMPORT_MAX_ERRORS` of the `error_count` errors found."""

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        "factories.District", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    file = models.FileField(upload_to=RandomName("imports"), blank=True)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    status = models.CharField(
        _("状态"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    row_count = models.PositiveIntegerField(_("数据行数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    parsed = models.JSONField(
        default=dict,
        blank=True,
        help_text="rows read at the dry run, so the commit re-checks without re-parsing",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("数据导入")
        verbose_name_plural = _("数据导入")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The watchdog's pass reads the few unfinished imports among all of them.
            models.Index(
                fields=["status"], condition=Q(status__in=["queued", "running"]), name="import_unfinished"
            )
        ]

    @property
    def errors_omitted(self) -> int:
        """Errors found but not kept (beyond IMPORT_MAX_ERRORS)."""
        return max(self.error_count - len(self.errors), 0)

    @property
    def finished(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def progress(self) -> int:
        """Percent of the rows read (estimated); 100 once the validation has ended, whatever its verdict."""
        if self.finished:
            return 100
        return min(int(100 * self.done / self.total), 99) if self.total else 0

    def __str__(self) -> str:
        return f"{self.file_name} ({self.year})"

    @property
    def download_name(self) -> str:
        """The uploaded workbook's own name (the stored file has a random one)."""
        return self.file_name or f"{self.year}年度数据导入.xlsx"


class ReminderKind(models.TextChoices):
    """Why a reminder went out: a clerk chased a non-filer (催报), the close date passed (逾期), or items
    waited in a review queue longer than `REVIEW_REMINDER_DAYS`."""

    MANUAL = "manual", _("人工催报")
    OVERDUE = "overdue", _("逾期未报通知")
    REVIEW_DISTRICT = "review_district", _("区县待审提醒")
    REVIEW_CITY = "review_city", _("市级待复核提醒")


class ReminderChannel(models.TextChoices):
    IN_APP = "in_app", _("站内通知")
    IN_APP_EMAIL = "in_app_email", _("站内通知和电子邮件")


class ReminderQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"


class Reminder(models.Model):
    """A reminder sent about one enterprise-year: who was reminded, by whom, when and how.

    Automatic reminders are recorded once per enterprise, year, kind and `round` (0 for the overdue notice;
    the number of review steps so far for a reviewer reminder, so data that comes back into a queue can be
    reminded of again), so a task that runs twice sends nothing twice."""

    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="reminders"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类型"), max_length=20, choices=ReminderKind.choices)
    round = models.PositiveIntegerField(default=0)
    channel = models.CharField(_("方式"), max_length=20, choices=ReminderChannel.choices)
    recipients = models.PositiveIntegerField(_("接收人数"), default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("催报人"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(_("时间"), auto_now_add=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("催报记录")
        verbose_name_plural = _("催报记录")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "year", "kind", "sent_at"], name="reminder_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "kind", "round"],
                condition=~Q(kind="manual"),
                name="one_automatic_reminder_per_round",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.kind}"


class AnomalyScan(BackgroundJob):
    """A run of the anomaly checks over one year's submitted data (reporting.anomalies), started by the
    city or a management command when the year's data is complete; `done` counts the submissions checked."""

    year = models.PositiveSmallIntegerField(_("年度"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    flagged = models.PositiveIntegerField(_("有异常提示的数据"), default=0)

    class Meta:
        verbose_name = _("异常检查")
        verbose_name_plural = _("异常检查")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year} #{self.pk}"


class AnomalySettings(models.Model):
    """The city's thresholds for the anomaly flags (issue 18): each change is a new row, so the latest one
    is in force and the earlier ones say who set what when. Without a row the defaults of the settings
    (`ANOMALY_Z_THRESHOLD`, `ANOMALY_FULL_RENEWABLE_KWH`) apply."""

    z_threshold = models.DecimalField(_("稳健z值阈值"), max_digits=4, decimal_places=2)
    full_renewable_kwh = models.PositiveBigIntegerField(_("全部绿电提示的用电量下限（kWh）"))
    reason = BoundedTextField(_("调整理由"), max_length=SHORT_TEXT, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("调整人")
    )
    changed_at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异常提示阈值")
        verbose_name_plural = _("异常提示阈值")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"|z| > {self.z_threshold} · {self.full_renewable_kwh} kWh"


datacache.DERIVED["reporting_submissiontally"] = {"reporting_annualsubmission", "factories_enterprise"}


class SubmissionTally(models.Model):
    """Submissions of one year by the enterprise's current unit, status and lateness (issue 19, cold pages).

    Kept exact by PostgreSQL triggers (migration 0019) in the same transaction as every write to the
    submissions, and moved when an enterprise changes unit; read through `reporting.tallies`. See
    `factories.models.tallies` for why the triggers rather than each service keep it.
    """

    district = models.ForeignKey(
        "factories.District", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20)
    late = models.BooleanField(default=False)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year", "status", "late"], name="submission_tally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.year} {self.status} {self.late} {self.n}"
