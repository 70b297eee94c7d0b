"""Grading standards, grading runs and their per-factory results, incidents and revocation proposals (§6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.files import RandomName, extension
from accounts.jobs import BackgroundJob
from accounts.limits import LONG_TEXT, BoundedTextField
from accounts.scoping import ScopedQuerySet
from accounts.transitions import Transition, TransitionTable


class Grade(models.TextChoices):
    """The grades of a green factory, highest first (Art. 3, 6; DOMAIN §6.8), with the name the policy
    gives each and its colour: chart fills use it, and the badges of app.css match it."""

    AAAA = "AAAA", _("领军")
    AAA = "AAA", _("先进")
    AA = "AA", _("较好")
    A = "A", _("基本")

    @property
    def colour(self) -> str:
        return _GRADE_COLOURS[self]

    @classmethod
    def at_least(cls, lowest: Grade) -> list[str]:
        """The values of ``lowest`` and every grade above it (Art. 8 recommends AA and above)."""
        values = cls.values
        return values[: values.index(lowest) + 1]

    @classmethod
    def label_of(cls, value: str) -> str:
        """The name of a grade value, or "" for a value that is not a grade (a band of another standard)."""
        return str(cls(value).label) if value in cls.values else ""


# Greens, the darker the higher the grade; charts outline the light ones so they stand out on white.
_GRADE_COLOURS: dict[str, str] = {
    Grade.AAAA: "#1b5e20",
    Grade.AAA: "#388e3c",
    Grade.AA: "#81c784",
    Grade.A: "#c8e6c9",
}


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("草案")
    ADOPTED = "adopted", _("已采用")


class GradingStandardQuerySet(ScopedQuerySet):
    shared_with_all = True  # the methodology is public to everyone it affects


class GradingStandard(models.Model):
    """A versioned city grading standard (Art. 5, 6): weights, α, band quotas and floors, incident effects.

    A change is a new version. A version used by a published run is frozen.
    """

    code = models.CharField(_("标准代码"), max_length=32)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=StandardStatus.choices, default=StandardStatus.DRAFT
    )
    parameters = models.JSONField(_("参数"))
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    note = BoundedTextField(_("修订说明"), blank=True, max_length=LONG_TEXT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = GradingStandardQuerySet.as_manager()

    class Meta:
        verbose_name = _("分级评价标准")
        verbose_name_plural = _("分级评价标准")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="one_row_per_standard_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def catalogue_code(self) -> str:
        """The indicator catalogue version the standard grades, e.g. "GBT36132-2025" (§6)."""
        return str((self.parameters or {}).get("catalogue_version") or "")


class RunStatus(models.TextChoices):
    """Run states (API.md): published = 公示 (notice period), final = 正式发布."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    SUCCEEDED = "succeeded", _("计算完成（草稿）")
    FAILED = "failed", _("失败")
    PUBLISHED = "published", _("公示中")
    FINAL = "final", _("已正式发布")
    SUPERSEDED = "superseded", _("已被替代")


# States of a run that was published at some point: its standard version stays frozen.
ONCE_PUBLISHED = (RunStatus.PUBLISHED, RunStatus.FINAL, RunStatus.SUPERSEDED)


class GradingRunQuerySet(ScopedQuerySet):
    shared_with_all = False

    def visible_to(self, user):  # type: ignore[no-untyped-def]
        """Runs (with every factory's numbers) are for city staff and auditors."""
        if getattr(user, "is_authenticated", False) and user.is_active and user.sees_whole_city:
            return self
        return self.none()

    def official(self) -> GradingRunQuerySet:
        return self.filter(is_simulation=False)

    def published(self) -> GradingRunQuerySet:
        """Official runs in notice or final; a superseded run is neither (it left these states)."""
        return self.official().filter(status__in=[RunStatus.PUBLISHED, RunStatus.FINAL])


class GradingRun(BackgroundJob):
    """One grading of year Y against one standard version, with every intermediate number stored (§6).

    Computed as a background job (accounts.jobs): queued → running → succeeded or failed; publication then
    moves a succeeded run on to published and final.
    """

    year = models.PositiveSmallIntegerField(_("评价年度"), db_index=True)
    standard = models.ForeignKey(
        GradingStandard, verbose_name=_("评价标准"), on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    is_simulation = models.BooleanField(
        _("模拟运行"), default=False, help_text=_("以标准草案试算，不可发布。")
    )
    total = models.PositiveIntegerField(_("工厂总数"), default=0)
    phase = models.CharField(_("阶段"), max_length=32, blank=True)
    input_hash = models.CharField(_("输入数据指纹"), max_length=64, blank=True)
    note = BoundedTextField(_("说明"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_from = models.DateField(_("公示开始"), null=True, blank=True)
    notice_to = models.DateField(_("公示结束"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    finalized_at = models.DateTimeField(_("正式发布时间"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("被替代为")
    )
    # What the city knew when it started an official run after the reporting window (Art. 7, 9): how many
    # population members had verified data, how many were still under review (by district) or had none,
    # and, when it went ahead with data still under review, why.
    data_counts = models.JSONField(_("开始时的数据情况"), default=dict, blank=True)
    pending_total = models.PositiveIntegerField(_("开始时仍在审核中的数据"), default=0)
    pending_reason = BoundedTextField(_("审核未完成仍开始评价的理由"), blank=True)
    notice_notified_at = models.DateTimeField(_("公示通知发送时间"), null=True, blank=True)

    objects = GradingRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("分级评价运行")
        verbose_name_plural = _("分级评价运行")
        ordering = ["-year", "-created_at", "-id"]

    def __str__(self) -> str:
        kind = _("预评价/模拟") if self.is_simulation else _("评价")
        return f"{self.year}年度{kind} #{self.pk}"

    @property
    def progress(self) -> int:
        if self.status in (RunStatus.SUCCEEDED, RunStatus.PUBLISHED, RunStatus.FINAL, RunStatus.SUPERSEDED):
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_published(self) -> bool:
        return self.status in (RunStatus.PUBLISHED, RunStatus.FINAL)


GRADING_RUN_TRANSITIONS = TransitionTable(
    GradingRun,
    [
        # Queued → running → succeeded / failed is the worker's claim, not a step a person takes.
        Transition(
            "publish",
            (RunStatus.SUCCEEDED,),
            RunStatus.PUBLISHED,
            "grading.manage",
            conflict=_("只有计算完成的评价可以发布公示（当前状态：{status}）。"),
        ),
        Transition(
            "finalize",
            (RunStatus.PUBLISHED,),
            RunStatus.FINAL,
            "grading.manage",
            conflict=_("只有公示中的评价可以正式发布。"),
        ),
        # A newer run of the year published over this one replaces it: automatic, a consequence of that publish.
        Transition(
            "supersede",
            (RunStatus.PUBLISHED, RunStatus.FINAL),
            RunStatus.SUPERSEDED,
            None,
            conflict=_("只有公示中或已正式发布的评价可以被替代。"),
        ),
        # A running run qualifies only once its worker stopped sending heartbeats (the service says when).
        Transition(
            "retry",
            (RunStatus.FAILED, RunStatus.RUNNING),
            RunStatus.QUEUED,
            "grading.manage",
            conflict=_("只有失败或已停止响应的评价可以重新运行。"),
        ),
    ],
)
"""A finished run is published for notice (公示), then made final; a failed or stalled one is retried (Art. 8)."""


class GradingResultQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"

    def published(self) -> GradingResultQuerySet:
        """Results of the current published run of each year (公示 or final, not superseded) whose notice
        has begun: a notice scheduled for a later day shows nothing before that day."""
        return self.filter(showing_results("run__"))


def showing_results(prefix: str = "") -> Q:
    """The runs whose results are published today (`GradingResultQuerySet.published`), as a condition on a
    run reached through `prefix` (the grade tallies ask it too)."""
    return Q(
        **{
            f"{prefix}is_simulation": False,
            f"{prefix}status__in": [RunStatus.PUBLISHED, RunStatus.FINAL],
            f"{prefix}superseded_by__isnull": True,
            f"{prefix}notice_from__lte": timezone.localdate(),
        }
    )


class GradingResult(models.Model):
    """One factory's grade in one run, with L, S, C, q, every D_k and percentile, and the deciding rules."""

    run = models.ForeignKey(GradingRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey("factories.Enterprise", on_delete=models.PROTECT, related_name="grades")
    year = models.PositiveSmallIntegerField(_("年度"))
    district = models.ForeignKey(
        "factories.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("评价时管理单位")
    )
    industry = models.ForeignKey("factories.Industry", on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("级别"), max_length=10)
    grade = models.CharField(_("等级"), max_length=4, db_index=True)
    computed_grade = models.CharField(_("计算等级"), max_length=4, blank=True)
    decided_by = models.CharField(_("决定规则"), max_length=40)
    level_score = models.FloatField(_("绿色化水平得分 L"), null=True)
    improvement_score = models.FloatField(_("绿色化提升得分 S"), null=True)
    composite_score = models.FloatField(_("综合得分 C"), null=True)
    q = models.FloatField(null=True)
    peer_group = models.CharField(_("对标组"), max_length=8, blank=True)
    peer_count = models.PositiveIntegerField(_("对标组规模"), default=0)
    revocation_proposed = models.BooleanField(_("建议撤销"), default=False)
    flags = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    details = models.JSONField(default=dict, help_text="percentiles, dimension scores, rates, next band")

    objects = GradingResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        ordering = ["run", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="one_result_per_factory_per_run")
        ]
        indexes = [
            models.Index(fields=["year", "grade"]),
            models.Index(fields=["year", "id"], name="result_year_id"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.grade}"


class IncidentKind(models.TextChoices):
    ENVIRONMENTAL = "environmental", _("环保事故")
    SAFETY = "safety", _("安全事故")
    QUALITY = "quality", _("质量事故")
    FALSIFICATION = "falsification", _("弄虚作假")


class IncidentSeverity(models.TextChoices):
    GENERAL = "general", _("一般")
    LARGE = "large", _("较大")
    MAJOR = "major", _("重大")
    ESPECIALLY_MAJOR = "especially_major", _("特别重大")


class IncidentQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"


class Incident(models.Model):
    """An accident or falsification recorded by the city (Art. 9); it acts on the grade of its year."""

    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="incidents"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=IncidentKind.choices)
    severity = models.CharField(_("等级"), max_length=16, choices=IncidentSeverity.choices)
    occurred_on = models.DateField(_("发生日期"))
    description = BoundedTextField(_("情况描述"), max_length=LONG_TEXT)
    evidence = models.FileField(_("证明材料"), upload_to=RandomName("evidence"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("事故与违规")
        verbose_name_plural = _("事故与违规")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.enterprise} {self.occurred_on} {self.get_kind_display()}（{self.get_severity_display()}）"
        )

    @property
    def year(self) -> int:
        return self.occurred_on.year

    @property
    def evidence_download_name(self) -> str:
        """The name the evidence is offered under (the stored file has a random one)."""
        return _("{enterprise}-{kind}证明材料-{date}").format(
            enterprise=self.enterprise.name, kind=self.get_kind_display(), date=self.occurred_on.isoformat()
        ) + extension(self.evidence.name)


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    CONFIRMED = "confirmed", _("已确认撤销")
    DISMISSED = "dismissed", _("不予撤销")


class RevocationProposalQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"

    def pending(self) -> RevocationProposalQuerySet:
        """Proposals a second city user has still to decide (a simulation proposes nothing)."""
        return self.filter(status=ProposalStatus.PROPOSED).filter(
            Q(run__isnull=True) | Q(run__is_simulation=False)
        )


class ProposalSource(models.TextChoices):
    """Where a revocation proposal comes from: a grading run (Art. 9 overrides) or the register itself."""

    RUN = "run", _("分级评价提出")
    REGISTER = "register", _("名录直接提出")


class RevocationProposal(models.Model):
    """A revocation proposed by a run or from the register; it takes effect only when a second city user
    confirms it (Art. 9), and a run's proposal only once the run's results are final (正式发布).

    A register proposal has no run: it carries the reason and the revocation date its proposer gave.
    """

    run = models.ForeignKey(
        GradingRun, null=True, blank=True, on_delete=models.CASCADE, related_name="revocation_proposals"
    )
    enterprise = models.ForeignKey("factories.Enterprise", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="revocation_proposals"
    )
    reason = models.CharField(_("原因"), max_length=40)
    reason_text = BoundedTextField(_("撤销原因说明"), blank=True)
    revoked_on = models.DateField(_("拟撤销日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = BoundedTextField(_("处理意见"), blank=True)

    objects = RevocationProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("撤销建议")
        verbose_name_plural = _("撤销建议")
        ordering = ["-run_id", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "enterprise"], name="one_proposal_per_factory_per_run"),
            # Race-free: two clicks on "revoke" cannot leave two pending register proposals.
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status="proposed", run__isnull=True),
                name="one_pending_register_proposal_per_factory",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_by__isnull=False),
                name="decided_proposal_names_decider",
            ),
            models.CheckConstraint(
                condition=Q(run__isnull=False) | Q(proposed_by__isnull=False, revoked_on__isnull=False),
                name="register_proposal_names_proposer_and_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} ({self.reason})"

    @property
    def source(self) -> str:
        return ProposalSource.REGISTER if self.run_id is None else ProposalSource.RUN

    def get_source_display(self) -> str:
        return str(ProposalSource(self.source).label)


REVOCATION_TRANSITIONS = TransitionTable(
    RevocationProposal,
    [
        Transition("confirm", (ProposalStatus.PROPOSED,), ProposalStatus.CONFIRMED, "incident.manage"),
        Transition("dismiss", (ProposalStatus.PROPOSED,), ProposalStatus.DISMISSED, "incident.manage"),
    ],
    conflict=_("该撤销建议已被处理。"),
)
"""A revocation proposal is decided once by a second city user: confirmed, or dismissed (Art. 9)."""


class ObjectorKind(models.TextChoices):
    PUBLIC = "public", _("社会公众")
    ENTERPRISE = "enterprise", _("被评价企业")


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待处理")
    ACCEPTED = "accepted", _("已采纳")
    REJECTED = "rejected", _("不予采纳")


class RemedyKind(models.TextChoices):
    """How an accepted objection is put right (issue 17): the data, an incident, or the method."""

    CORRECTION = "correction", _("数据更正")
    INCIDENT = "incident", _("事故与违规记录")
    METHOD_NOTE = "method_note", _("方法说明")


class ObjectionQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"

    def open(self) -> ObjectionQuerySet:
        return self.filter(status=ObjectionStatus.PENDING)


class Objection(models.Model):
    """An objection (异议) to a published grade, filed during the notice period (公示期) by anyone or by the
    graded enterprise; the city accepts or rejects it with a reason. An accepted one names its remedy (a data
    correction, an incident record or a methodological note) and, once the year is graded again, the new run
    whose differences against the objected run are kept with it."""

    run = models.ForeignKey(
        GradingRun, verbose_name=_("评价运行"), on_delete=models.PROTECT, related_name="objections"
    )
    result = models.ForeignKey(
        GradingResult, verbose_name=_("评价结果"), on_delete=models.PROTECT, related_name="objections"
    )
    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="objections"
    )
    objector_kind = models.CharField(_("异议人类型"), max_length=10, choices=ObjectorKind.choices)
    name = models.CharField(_("异议人姓名"), max_length=50)
    email = models.EmailField(_("电子邮箱"), max_length=254, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    statement = BoundedTextField(_("异议内容"), max_length=LONG_TEXT)
    indicators = models.JSONField(_("涉及指标"), default=list, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ObjectionStatus.choices,
        default=ObjectionStatus.PENDING,
        db_index=True,
    )
    decision_reason = BoundedTextField(_("处理理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    remedy_kind = models.CharField(_("纠正方式"), max_length=12, choices=RemedyKind.choices, blank=True)
    # The correction request lives on the reporting floor, above this one: named by its id.
    remedy_correction_id = models.PositiveIntegerField(_("更正申请编号"), null=True, blank=True)
    remedy_incident = models.ForeignKey(
        Incident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("事故记录"),
    )
    remedy_note = BoundedTextField(_("方法说明"), blank=True)
    new_run = models.ForeignKey(
        GradingRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("重新评价"),
    )
    new_run_diff = models.JSONField(_("重新评价与原公示结果的差异"), default=dict, blank=True)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_by__isnull=False),
                name="decided_objection_names_decider",
            ),
        ]

    def __str__(self) -> str:
        return str(_("关于{enterprise}{year}年度评价结果的异议 #{pk}")).format(
            enterprise=self.enterprise, year=self.run.year, pk=self.pk
        )


class ObjectionEvidence(models.Model):
    """One evidence file of an objection (PDF, JPG or PNG), stored under a random name (accounts.files)."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("证明材料"), upload_to=RandomName("objections"))
    original_name = models.CharField(_("原文件名"), max_length=200)

    class Meta:
        verbose_name = _("异议证明材料")
        verbose_name_plural = _("异议证明材料")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        return _("异议{pk}-证明材料{n}").format(pk=self.objection_id, n=self.pk) + extension(self.file.name)


OBJECTION_TRANSITIONS = TransitionTable(
    Objection,
    [
        Transition("accept", (ObjectionStatus.PENDING,), ObjectionStatus.ACCEPTED, "objection.decide"),
        Transition("reject", (ObjectionStatus.PENDING,), ObjectionStatus.REJECTED, "objection.decide"),
    ],
    conflict=_("该异议已被处理。"),
)
"""An objection is decided once by the city: accepted (with its remedy) or rejected, with a written reason."""
