"""The cultivation pool B / C / D of other enterprises (DOMAIN §7; Art. 4, 5, 10, 11, 12).

Entry (入库申请 → 培育库成员), supervision records, the district's versioned standard, yearly level
decisions computed by a background job, B-level certification (区县级绿色工厂), irregular reviews
(不定期复核) and the district's annual report to the city. Every row is scoped to the enterprise's
current management unit, like annual submissions: a district user never sees another district's pool.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.files import RandomName, extension
from accounts.jobs import BackgroundJob
from accounts.limits import LONG_TEXT, REPORT_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet
from accounts.transitions import Transition, TransitionTable

CITY_TEMPLATE_CODE = "CQ-CULT-2024"


# --- district standard (Art. 5) ---------------------------------------------------------------------


class DistrictStandardQuerySet(ScopedQuerySet):
    district_lookup = "district"
    # An enterprise sees the standard of its own unit: the methodology is shown to those it affects.
    enterprise_lookup = "district__enterprises"


class DistrictStandard(models.Model):
    """A district's B/C/D standard, a version of the city template CQ-CULT-2024 (Art. 5).

    A change is a new version; the latest version is the one in force. Every level decision names the
    version it used.
    """

    district = models.ForeignKey(
        "factories.District",
        verbose_name=_("管理单位"),
        on_delete=models.PROTECT,
        related_name="pool_standards",
    )
    version = models.PositiveIntegerField(_("版本"))
    parameters = models.JSONField(_("参数"))
    note = BoundedTextField(_("修订说明"), blank=True, max_length=LONG_TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = DistrictStandardQuerySet.as_manager()

    class Meta:
        verbose_name = _("区县培育分级标准")
        verbose_name_plural = _("区县培育分级标准")
        ordering = ["district_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "version"], name="one_row_per_district_standard_version"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.district} {self.parameters.get('code', CITY_TEMPLATE_CODE)} v{self.version}"


# --- applications and membership (Art. 10, 11) ------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("待区县审核")
    ACCEPTED = "accepted", _("已入库")
    REJECTED = "rejected", _("未通过")


class PoolQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"


class PoolApplication(models.Model):
    """An application to join the district's cultivation pool, checked against the Art. 10 conditions.

    ``checklist`` lists each condition with ``passed`` and a ``note``; the register facts (credit code,
    legal form) are checked automatically, the declaration, intention and plan come from the applicant.
    """

    enterprise = models.ForeignKey(
        "factories.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="pool_applications",
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    intention = BoundedTextField(_("书面意愿"), max_length=LONG_TEXT)
    plan = BoundedTextField(_("绿色工厂创建计划"), max_length=LONG_TEXT)
    lawful_declaration = models.BooleanField(_("守法经营声明"), default=False)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.PENDING,
        db_index=True,
    )
    checklist = models.JSONField(_("入库条件核查"), default=list)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = BoundedTextField(_("审核意见"), blank=True)

    objects = PoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("入库申请")
        verbose_name_plural = _("入库申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status="pending"), name="one_pending_pool_application"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_reason=""),
                name="rejected_application_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(_("{enterprise} 入库申请")).format(enterprise=self.enterprise)


POOL_APPLICATION_TRANSITIONS = TransitionTable(
    PoolApplication,
    [
        Transition("accept", (ApplicationStatus.PENDING,), ApplicationStatus.ACCEPTED, "pool.manage"),
        Transition("reject", (ApplicationStatus.PENDING,), ApplicationStatus.REJECTED, "pool.manage"),
        # An enterprise recognised as a green factory needs no cultivation (DOMAIN §3).
        Transition("close", (ApplicationStatus.PENDING,), ApplicationStatus.REJECTED, None),
    ],
    conflict=_("该入库申请已被处理，请刷新页面后查看。"),
)
"""The district decides an entry application once (Art. 10)."""


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("在库培育")
    EXITED = "exited", _("已退出")
    GRADUATED = "graduated", _("已晋级为绿色工厂")


class PoolMembership(models.Model):
    """An enterprise's time in the cultivation pool (入库管理, Art. 11): joined, then exited or graduated."""

    enterprise = models.ForeignKey(
        "factories.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="pool_memberships",
    )
    district = models.ForeignKey(
        "factories.District", verbose_name=_("入库时管理单位"), on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(
        PoolApplication,
        verbose_name=_("入库申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="membership",
    )
    joined_on = models.DateField(_("入库日期"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
        db_index=True,
    )
    exited_on = models.DateField(_("出库日期"), null=True, blank=True)
    exit_reason = BoundedTextField(_("出库原因"), blank=True)

    objects = PoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("培育库成员")
        verbose_name_plural = _("培育库成员")
        ordering = ["-joined_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status="active"), name="one_active_pool_membership"
            ),
            models.CheckConstraint(
                condition=Q(status="active", exited_on__isnull=True)
                | (~Q(status="active") & Q(exited_on__isnull=False)),
                name="left_membership_has_exit_date",
            ),
        ]

    def __str__(self) -> str:
        return str(_("{enterprise}（{status}）")).format(
            enterprise=self.enterprise, status=self.get_status_display()
        )

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE


POOL_MEMBERSHIP_TRANSITIONS = TransitionTable(
    PoolMembership,
    [
        Transition("exit", (MembershipStatus.ACTIVE,), MembershipStatus.EXITED, "pool.exit"),
        # Follows the recognition of the member as a green factory (DOMAIN §3).
        Transition("graduate", (MembershipStatus.ACTIVE,), MembershipStatus.GRADUATED, None),
    ],
    conflict=_("该企业已不在培育库中。"),
)
"""A member leaves the pool once: it exits (voluntary, Art. 4) or graduates."""


# --- supervision (Art. 11(2), (3)) ------------------------------------------------------------------


class SupervisionKind(models.TextChoices):
    ENERGY_INSPECTION = "energy_inspection", _("节能监察")
    ONLINE_MONITORING = "online_monitoring", _("能耗在线监测")
    ASSESSMENT = "assessment", _("绿色生产水平评估")
    DIAGNOSIS = "diagnosis", _("诊断")
    IMPROVEMENT_PATH = "improvement_path", _("提升路径")


SUPERVISED_KINDS = (SupervisionKind.ENERGY_INSPECTION, SupervisionKind.ONLINE_MONITORING)
GUIDED_KINDS = (SupervisionKind.ASSESSMENT, SupervisionKind.DIAGNOSIS)
PLAN_KINDS = (SupervisionKind.IMPROVEMENT_PATH,)


class SupervisionQuerySet(ScopedQuerySet):
    district_lookup = "membership__enterprise__district"
    enterprise_lookup = "membership__enterprise"


class SupervisionRecord(models.Model):
    """A dated supervision or guidance step the district recorded: it makes a member supervised, guided or
    with a plan from that date (DOMAIN §7)."""

    membership = models.ForeignKey(
        PoolMembership,
        verbose_name=_("培育库成员"),
        on_delete=models.PROTECT,
        related_name="supervision_records",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=SupervisionKind.choices)
    date = models.DateField(_("日期"))
    note = BoundedTextField(_("说明"), blank=True, max_length=LONG_TEXT)
    evidence = models.FileField(_("证明材料"), upload_to=RandomName("cultivation/supervision"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("监管与服务记录")
        verbose_name_plural = _("监管与服务记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["membership", "kind", "date"])]

    def __str__(self) -> str:
        return f"{self.membership.enterprise} {self.date} {self.get_kind_display()}"

    @property
    def evidence_download_name(self) -> str:
        """The name the evidence is offered under (the stored file has a random one)."""
        return _("{enterprise}-{kind}证明材料-{date}").format(
            enterprise=self.membership.enterprise.name,
            kind=self.get_kind_display(),
            date=self.date.isoformat(),
        ) + extension(self.evidence.name)


# --- levels (Art. 11) --------------------------------------------------------------------------------


class Level(models.TextChoices):
    """Pool levels as the API names them; B-eligible becomes B only through certification."""

    B_ELIGIBLE = "B_eligible", _("达到B级条件")
    C = "C", _("C级")
    D = "D", _("D级")


LEVEL_ORDER = (Level.D, Level.C, Level.B_ELIGIBLE)


def lower_level(level: str, steps: int = 1) -> str:
    """One level down per step (B-eligible → C → D); D stays D."""
    return LEVEL_ORDER[max(0, LEVEL_ORDER.index(Level(level)) - steps)]


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    SUCCEEDED = "succeeded", _("计算完成")
    FAILED = "failed", _("失败")


class LevelJobQuerySet(ScopedQuerySet):
    district_lookup = "district"


class LevelJob(BackgroundJob):
    """One computation of a district's pool levels for year Y, run as a background job with progress."""

    district = models.ForeignKey(
        "factories.District", verbose_name=_("管理单位"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    standard = models.ForeignKey(
        DistrictStandard, verbose_name=_("分级标准版本"), on_delete=models.PROTECT, related_name="jobs"
    )
    total = models.PositiveIntegerField(_("成员总数"), default=0)
    counts = models.JSONField(_("各级数量"), default=dict, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = LevelJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("培育分级计算")
        verbose_name_plural = _("培育分级计算")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year"],
                condition=Q(status__in=["queued", "running"]),
                name="one_unfinished_level_job_per_district_year",
            )
        ]

    def __str__(self) -> str:
        return str(_("{district} {year}年度培育分级 #{id}")).format(
            district=self.district, year=self.year, id=self.pk
        )


class LevelDecision(models.Model):
    """A pool member's level for year Y with its scores, the gap to B and the standard version used.

    ``computed_level`` is the engine's; ``level`` is the one in effect, one step lower per falsification
    finding of an irregular review (Art. 12). Recomputing the year updates the row in place.
    """

    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="pool_levels"
    )
    membership = models.ForeignKey(
        PoolMembership, verbose_name=_("培育库成员"), on_delete=models.PROTECT, related_name="level_decisions"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    level = models.CharField(_("培育等级"), max_length=10, choices=Level.choices, db_index=True)
    computed_level = models.CharField(_("计算等级"), max_length=10, choices=Level.choices)
    certified_b = models.BooleanField(
        _("已认定为B级"), default=False, help_text=_("写入本年度等级时（或据此认定时）持有有效的B级认定。")
    )
    supervised = models.BooleanField(_("已纳入监管"), default=False)
    guided = models.BooleanField(_("已接受指导服务"), default=False)
    has_plan = models.BooleanField(_("已明确提升路径"), default=False)
    data_status = models.CharField(_("所用数据状态"), max_length=20, blank=True)
    percentiles = models.JSONField(_("指标百分位"), default=dict)
    dimension_scores = models.JSONField(_("维度得分"), default=dict)
    level_score = models.FloatField(_("绿色化水平得分 L"), null=True, blank=True)
    dimension_gaps = models.JSONField(_("各维度距B级差距"), default=dict)
    level_gap = models.FloatField(_("L距B级差距"), null=True, blank=True)
    reasons = models.JSONField(_("判定依据"), default=list)
    benchmark_group = models.CharField(_("对标组"), max_length=8, blank=True)
    benchmark_count = models.PositiveIntegerField(_("对标绿色工厂数"), default=0)
    standard = models.ForeignKey(
        DistrictStandard, verbose_name=_("分级标准版本"), on_delete=models.PROTECT, related_name="decisions"
    )
    job = models.ForeignKey(
        LevelJob,
        verbose_name=_("计算任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    review_downgraded = models.BooleanField(_("复核降级"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("培育等级")
        verbose_name_plural = _("培育等级")
        ordering = ["-year", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="one_pool_level_per_enterprise_year")
        ]
        indexes = [models.Index(fields=["year", "level"])]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year} {self.get_level_display()}"


# --- B-level certification (Art. 11(1)) -------------------------------------------------------------


class CertificationStatus(models.TextChoices):
    APPLIED = "applied", _("已申请，待区县认定")
    CERTIFIED = "certified", _("已认定（区县级绿色工厂）")
    REJECTED = "rejected", _("未予认定")
    UNDER_REVIEW = "under_review", _("等级下降，待区县复核")
    LOST = "lost", _("已取消认定")
    WITHDRAWN = "withdrawn", _("已撤回认定")


OPEN_CERTIFICATION_STATUSES = (
    CertificationStatus.APPLIED,
    CertificationStatus.CERTIFIED,
    CertificationStatus.UNDER_REVIEW,
)
HOLDING_STATUSES = (CertificationStatus.CERTIFIED, CertificationStatus.UNDER_REVIEW)


class CertificationQuerySet(ScopedQuerySet):
    district_lookup = "membership__enterprise__district"
    enterprise_lookup = "membership__enterprise"


class BCertification(models.Model):
    """A B-level certification: the member applies on a B-eligible level, the district certifies it as a
    district-level green factory (区县级绿色工厂) and numbers it; it is lost after district review when a
    later level falls below B, and withdrawn after a falsification finding (Art. 11(1), 12)."""

    membership = models.ForeignKey(
        PoolMembership, verbose_name=_("培育库成员"), on_delete=models.PROTECT, related_name="certifications"
    )
    district = models.ForeignKey(
        "factories.District", verbose_name=_("认定单位"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("依据等级年度"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=CertificationStatus.choices,
        default=CertificationStatus.APPLIED,
        db_index=True,
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    checklist = models.JSONField(_("B级条件核查"), default=dict)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_reason = BoundedTextField(_("审核意见"), blank=True)
    certificate_no = models.CharField(_("认定编号"), max_length=40, blank=True)
    certified_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    review_reason = BoundedTextField(_("复核事由"), blank=True)
    # The district's decision after the level fell (keep or lose the title) is kept apart from the
    # certification decision above, which it used to overwrite on the page.
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("复核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    settle_reason = BoundedTextField(_("复核意见"), blank=True)
    ended_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    end_reason = BoundedTextField(_("终止原因"), blank=True)
    # The verifiable certificate (code and QR), issued when the district certifies (issue 17).
    certificate = models.OneToOneField(
        "factories.Certificate",
        verbose_name=_("证书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="b_certification",
    )

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("B级工厂认定")
        verbose_name_plural = _("B级工厂认定")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(status__in=["applied", "certified", "under_review"]),
                name="one_open_b_certification_per_membership",
            ),
            models.UniqueConstraint(
                fields=["district", "certificate_no"],
                condition=~Q(certificate_no=""),
                name="certificate_no_unique_per_district",
            ),
        ]

    def __str__(self) -> str:
        return self.certificate_no or str(_("{enterprise} B级认定申请")).format(
            enterprise=self.membership.enterprise
        )


B_CERTIFICATION_TRANSITIONS = TransitionTable(
    BCertification,
    [
        Transition("certify", (CertificationStatus.APPLIED,), CertificationStatus.CERTIFIED, "pool.manage"),
        Transition("reject", (CertificationStatus.APPLIED,), CertificationStatus.REJECTED, "pool.manage"),
        Transition("lose", (CertificationStatus.UNDER_REVIEW,), CertificationStatus.LOST, "pool.manage"),
        Transition("keep", (CertificationStatus.UNDER_REVIEW,), CertificationStatus.CERTIFIED, "pool.manage"),
        # A computed level below B sends a held title to district review (DOMAIN §7).
        Transition("review", (CertificationStatus.CERTIFIED,), CertificationStatus.UNDER_REVIEW, None),
        # Exit, graduation or a falsification finding ends an open certification (Art. 11(1), 12).
        Transition("withdraw", OPEN_CERTIFICATION_STATUSES, CertificationStatus.WITHDRAWN, None),
    ],
    conflict=_("该B级认定当前状态为“{status}”，可能已被其他人处理，请刷新页面后查看。"),
)
"""B-level certification (Art. 11(1)): certified or not by the district, reviewed when the level falls."""


# --- evidence of applications (issue 15) -------------------------------------------------------------


class ApplicationEvidence(models.Model):
    """A document (佐证材料) an applicant filed with a pool application or a B-certification application.

    Exactly one of the two applications is set. Stored under a random name (accounts.files) and handed out
    only through views that first found the application among those the user may see; `filename` is the
    name it was uploaded under, `sha256` lets a reviewer tell two copies apart."""

    pool_application = models.ForeignKey(
        PoolApplication,
        verbose_name=_("入库申请"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    certification = models.ForeignKey(
        BCertification,
        verbose_name=_("B级认定申请"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    file = models.FileField(_("佐证材料"), upload_to=RandomName("evidence/cultivation"))
    filename = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请佐证材料")
        verbose_name_plural = _("申请佐证材料")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pool_application__isnull=False, certification__isnull=True)
                | Q(pool_application__isnull=True, certification__isnull=False),
                name="application_evidence_has_one_application",
            )
        ]

    def __str__(self) -> str:
        return self.filename


# --- irregular review (Art. 12) ---------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("复核中")
    CLOSED = "closed", _("已完成")


class ReviewQuerySet(ScopedQuerySet):
    # Enterprises do not see the review file (an unannounced check); its effect shows on their level.
    district_lookup = "membership__enterprise__district"


class IrregularReview(models.Model):
    """An irregular re-verification (不定期复核) of a pool member by the city or its district; a
    falsification finding lowers the member one level and withdraws its B certification (Art. 12)."""

    membership = models.ForeignKey(
        PoolMembership, verbose_name=_("培育库成员"), on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    scope_note = BoundedTextField(_("复核范围"), max_length=LONG_TEXT)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    findings = BoundedTextField(_("复核结论"), blank=True, max_length=LONG_TEXT)
    falsification = models.BooleanField(_("发现弄虚作假"), default=False)
    downgraded_year = models.PositiveSmallIntegerField(_("降级的等级年度"), null=True, blank=True)
    level_before = models.CharField(_("降级前等级"), max_length=10, choices=Level.choices, blank=True)
    level_after = models.CharField(_("降级后等级"), max_length=10, choices=Level.choices, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("不定期复核")
        verbose_name_plural = _("不定期复核")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"], condition=Q(status="open"), name="one_open_review_per_member"
            ),
        ]

    def __str__(self) -> str:
        return str(_("{enterprise} 不定期复核 #{id}")).format(
            enterprise=self.membership.enterprise, id=self.pk
        )


IRREGULAR_REVIEW_TRANSITIONS = TransitionTable(
    IrregularReview,
    [Transition("close", (ReviewStatus.OPEN,), ReviewStatus.CLOSED, "pool.review")],
    conflict=_("该复核已经完成，请刷新页面后查看。"),
)
"""An irregular review is closed once, with its findings (Art. 12)."""


# --- district annual report (Art. 12) ---------------------------------------------------------------


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已报送，待市级确认")
    ACKNOWLEDGED = "acknowledged", _("市级已确认")
    RETURNED = "returned", _("已退回修改")


EDITABLE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class DistrictReportQuerySet(ScopedQuerySet):
    district_lookup = "district"


class DistrictReport(models.Model):
    """A district's annual cultivation report for year Y: figures drafted from the data, the district's
    narrative, submitted to and acknowledged or returned by the city (Art. 12)."""

    district = models.ForeignKey(
        "factories.District",
        verbose_name=_("管理单位"),
        on_delete=models.PROTECT,
        related_name="pool_reports",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    figures = models.JSONField(_("统计数据"), default=dict)
    narrative = BoundedTextField(_("工作情况"), blank=True, max_length=REPORT_TEXT)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, related_name="+"
    )
    generated_at = models.DateTimeField(_("生成时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("市级处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("市级处理时间"), null=True, blank=True)
    decision_comment = BoundedTextField(_("市级意见"), blank=True)
    return_reason = BoundedTextField(_("退回原因"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DistrictReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("区县年度培育报告")
        verbose_name_plural = _("区县年度培育报告")
        ordering = ["-year", "district_id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "year"], name="one_pool_report_per_district_year")
        ]

    def __str__(self) -> str:
        return str(_("{district} {year}年度培育情况报告")).format(district=self.district, year=self.year)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES


DISTRICT_REPORT_TRANSITIONS = TransitionTable(
    DistrictReport,
    [
        # Regenerating the figures and writing the narrative keep the state: only while editable.
        Transition("edit", EDITABLE_REPORT_STATUSES, None, "district_report.submit"),
        Transition("submit", EDITABLE_REPORT_STATUSES, ReportStatus.SUBMITTED, "district_report.submit"),
        Transition(
            "acknowledge", (ReportStatus.SUBMITTED,), ReportStatus.ACKNOWLEDGED, "district_report.decide"
        ),
        Transition("return", (ReportStatus.SUBMITTED,), ReportStatus.RETURNED, "district_report.decide"),
    ],
    conflict=_("该报告当前状态为“{status}”，不能执行此操作，请刷新页面后查看。"),
)
"""The district's annual report: edited and submitted by the district, acknowledged or returned by the city."""
