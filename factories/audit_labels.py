"""The register's audit actions in words, and the pages its objects open at (accounts/audit.py)."""

from django.utils.translation import pgettext_lazy

from accounts import audit

audit.register_actions(
    {
        "enterprise.create": pgettext_lazy("audit", "登记企业"),
        "enterprise.update": pgettext_lazy("audit", "修改企业信息"),
        "enterprise.transfer": pgettext_lazy("audit", "变更企业管理单位"),
        "district.merge": pgettext_lazy("audit", "合并区县"),
        "green_factory.recognize": pgettext_lazy("audit", "认定绿色工厂"),
        "green_factory.upgrade": pgettext_lazy("audit", "升级绿色工厂级别"),
        "green_factory.revoke": pgettext_lazy("audit", "撤销绿色工厂称号"),
        "registration.submit": pgettext_lazy("audit", "提交企业注册申请"),
        "registration.approve": pgettext_lazy("audit", "通过企业注册申请"),
        "registration.reject": pgettext_lazy("audit", "驳回企业注册申请"),
        "registration.resend": pgettext_lazy("audit", "重发账户激活邮件"),
        "registration.throttled": pgettext_lazy("audit", "因提交过于频繁拒收企业注册申请"),
        "user.create": pgettext_lazy("audit", "开通账户"),
        "user.update": pgettext_lazy("audit", "修改账户"),
        "user.deactivate": pgettext_lazy("audit", "停用账户"),
        "user.reactivate": pgettext_lazy("audit", "重新启用账户"),
        "user.reset_password": pgettext_lazy("audit", "重置账户密码"),
        "certificate.issue": pgettext_lazy("audit", "颁发证书"),
        "catalogue.copy": pgettext_lazy("audit", "复制指标目录为草案"),
        "catalogue.update": pgettext_lazy("audit", "修改指标目录草案"),
        "catalogue.field": pgettext_lazy("audit", "修改指标目录草案的数据项"),
        "catalogue.indicator": pgettext_lazy("audit", "修改指标目录草案的指标"),
        "catalogue.remove": pgettext_lazy("audit", "从指标目录草案中删除条目"),
        "catalogue.adopt": pgettext_lazy("audit", "采用指标目录"),
    }
)
audit.register_link("factories.enterprise", "factories:enterprise_detail", "enterprise.view")
audit.register_link("accounts.user", "users:user_detail", "users.manage")
audit.register_link("factories.registrationrequest", "registrations:detail", "registration.view")
