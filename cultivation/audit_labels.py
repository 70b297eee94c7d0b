"""The pool's audit actions in words, and the pages its objects open at (accounts/audit.py)."""

from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts import audit
from factories.words import peer_group_label, standard_parameters_words
from reporting.models import SubmissionStatus

audit.register_actions(
    {
        "district_standard.create": pgettext_lazy("audit", "制定区县级标准"),
        "district_standard.new_version": pgettext_lazy("audit", "发布区县级标准新版本"),
        "pool_application.submit": pgettext_lazy("audit", "提交入库申请"),
        "pool_application.accept": pgettext_lazy("audit", "同意入库"),
        "pool_application.reject": pgettext_lazy("audit", "驳回入库申请"),
        "pool_membership.join": pgettext_lazy("audit", "纳入培育库"),
        "pool_membership.exit": pgettext_lazy("audit", "移出培育库"),
        "pool_membership.graduate": pgettext_lazy("audit", "培育毕业"),
        "supervision_record.add": pgettext_lazy("audit", "登记监督检查"),
        "level_job.start": pgettext_lazy("audit", "发起培育等级测算"),
        "level_decision.compute": pgettext_lazy("audit", "测算培育等级"),
        "level_decision.recompute": pgettext_lazy("audit", "重新测算培育等级"),
        "level_decision.review_downgrade": pgettext_lazy("audit", "复核降级"),
        "b_certification.apply": pgettext_lazy("audit", "申请B级认定"),
        "b_certification.under_review": pgettext_lazy("audit", "启动B级认定复核"),
        "b_certification.certify": pgettext_lazy("audit", "认定B级"),
        "b_certification.reject": pgettext_lazy("audit", "不予认定B级"),
        "b_certification.keep": pgettext_lazy("audit", "保留B级认定"),
        "b_certification.lose": pgettext_lazy("audit", "取消B级认定"),
        "b_certification.withdraw": pgettext_lazy("audit", "撤回B级认定申请"),
        "irregular_review.open": pgettext_lazy("audit", "发起不定期复核"),
        "irregular_review.close": pgettext_lazy("audit", "完成不定期复核"),
        "district_report.generate": pgettext_lazy("audit", "生成区县年度报告"),
        "district_report.regenerate": pgettext_lazy("audit", "重新生成区县年度报告"),
        "district_report.edit": pgettext_lazy("audit", "修改区县年度报告"),
        "district_report.submit": pgettext_lazy("audit", "报送区县年度报告"),
        "district_report.acknowledge": pgettext_lazy("audit", "确认收到区县年度报告"),
        "district_report.return": pgettext_lazy("audit", "退回区县年度报告"),
        "demo.backdate": pgettext_lazy("audit", "恢复演示数据的历史日期"),
    }
)
# The files filed with an application (issue 15) are named in its submit / apply entry.
audit.register_fields("cultivation.poolapplication", {"evidence": gettext_lazy("佐证材料")})
audit.register_fields("cultivation.bcertification", {"evidence": gettext_lazy("佐证材料")})
audit.register_link("cultivation.poolapplication", "cultivation:application_detail", "pool.view")
audit.register_link("cultivation.poolmembership", "cultivation:member_detail", "pool.view")
audit.register_link("cultivation.bcertification", "cultivation:certification_detail", "pool.view")
audit.register_link("cultivation.irregularreview", "cultivation:review_detail", "pool_review.view")
audit.register_link("cultivation.districtreport", "cultivation:report_detail", "district_report.view")

# A level decision names the state of the submission it used and the peer group it compared with by code.
audit.register_values(
    "cultivation.leveldecision",
    "data_status",
    lambda value, changes: str(SubmissionStatus(value).label) if value in SubmissionStatus.values else value,
)
audit.register_values(
    "cultivation.leveldecision", "benchmark_group", lambda value, changes: peer_group_label(str(value))
)
audit.register_values("cultivation.districtstandard", "parameters", standard_parameters_words)
