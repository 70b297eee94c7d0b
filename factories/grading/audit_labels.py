"""Grading's audit actions in words, and the pages its objects open at (accounts/audit.py)."""

from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts import audit
from factories.words import standard_parameters_words

audit.register_actions(
    {
        "grading_standard.create": pgettext_lazy("audit", "新建分级评价标准"),
        "grading_standard.update": pgettext_lazy("audit", "修改分级评价标准"),
        "grading_standard.adopt": pgettext_lazy("audit", "启用分级评价标准"),
        "grading_standard.retire": pgettext_lazy("audit", "停用分级评价标准"),
        "grading_run.start": pgettext_lazy("audit", "发起分级评价"),
        "grading_run.retry": pgettext_lazy("audit", "重新运行分级评价"),
        "grading_run.publish": pgettext_lazy("audit", "公示分级评价结果"),
        "grading_run.finalize": pgettext_lazy("audit", "确定分级评价结果"),
        "grading_run.supersede": pgettext_lazy("audit", "以新一轮评价取代分级评价"),
        "incident.record": pgettext_lazy("audit", "登记安全环保事件"),
        "revocation.propose": pgettext_lazy("audit", "提出撤销建议"),
        "revocation.confirm": pgettext_lazy("audit", "确认撤销建议"),
        "revocation.dismiss": pgettext_lazy("audit", "不予撤销"),
        "objection.file": pgettext_lazy("audit", "提出公示异议"),
        "objection.accept": pgettext_lazy("audit", "采纳公示异议"),
        "objection.reject": pgettext_lazy("audit", "不予采纳公示异议"),
        "objection.link_run": pgettext_lazy("audit", "为公示异议关联重新评价"),
        "objection.throttled": pgettext_lazy("audit", "因提交过于频繁拒收公示异议"),
    }
)
audit.register_link("factories.gradingrun", "factories:run_detail", "grading_run.view")
audit.register_link("factories.gradingstandard", "factories:standard_detail", "grading_standard.view")
audit.register_link("factories.objection", "factories:objection_detail", "objection.view")
audit.register_fields("factories.gradingrun", {"pending": gettext_lazy("开始时仍在审核中的数据")})
audit.register_values("factories.gradingstandard", "parameters", standard_parameters_words)
