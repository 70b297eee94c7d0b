"""The actions accounts records, in words (sign-in, two-factor, passwords, API tokens)."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import audit

audit.register_actions(
    {
        "auth.login": pgettext_lazy("audit", "登录"),
        "auth.logout": pgettext_lazy("audit", "退出登录"),
        "auth.login_failed": pgettext_lazy("audit", "登录失败"),
        "auth.lockout": pgettext_lazy("audit", "因多次登录失败锁定账户"),
        "auth.activate": pgettext_lazy("audit", "激活账户"),
        "auth.password_change": pgettext_lazy("audit", "修改密码"),
        "auth.password_reset": pgettext_lazy("audit", "重置密码"),
        "auth.password_reset_request": pgettext_lazy("audit", "申请找回密码"),
        "auth.2fa_enable": pgettext_lazy("audit", "启用两步验证"),
        "auth.2fa_disable": pgettext_lazy("audit", "停用两步验证"),
        "auth.2fa_verify": pgettext_lazy("audit", "通过两步验证"),
        "auth.2fa_failed": pgettext_lazy("audit", "两步验证失败"),
        "auth.2fa_reset": pgettext_lazy("audit", "重置两步验证"),
        "auth.2fa_recovery_used": pgettext_lazy("audit", "使用恢复码登录"),
        "auth.2fa_recovery_regenerate": pgettext_lazy("audit", "重新生成恢复码"),
        "token.issue": pgettext_lazy("audit", "签发API令牌"),
        "token.revoke": pgettext_lazy("audit", "吊销API令牌"),
        "export.request": pgettext_lazy("audit", "导出"),
    }
)
audit.register_fields(
    "*",
    {
        "kind": _("导出内容"),
        "filters": _("筛选条件"),
    },
)
