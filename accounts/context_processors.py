"""Navigation per role: each entry names the permission it needs and is shown only if its URL exists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import can

# (label, url name, permission or role set); entries whose URL is not installed yet are skipped.
NAVIGATION: list[tuple[Any, str, Any]] = [
    (_("首页"), "home", None),
    (_("企业名录"), "factories:enterprise_list", {"city", "district", "auditor"}),
    (_("本企业信息"), "factories:my_enterprise", {"enterprise"}),
    (_("绿色工厂"), "factories:greenfactory_list", {"city", "district", "auditor"}),
    (_("填报年度"), "reporting:year_list", None),
    (_("年度数据填报"), "reporting:submission_list", None),
    (_("区县审核"), "reporting:district_queue", {"district"}),
    (_("市级复核"), "reporting:city_queue", {"city"}),
    (_("更正申请"), "reporting:correction_list", {"city", "district", "enterprise", "auditor"}),
    (_("分级评价"), "factories:run_list", {"city", "auditor"}),
    (_("评价标准"), "factories:standard_list", None),
    (_("评价结果"), "factories:grade_list", None),
    (_("事故与违规"), "factories:incident_list", {"city", "auditor"}),
    (_("推荐名单"), "factories:recommendation_list", {"city", "district", "auditor"}),
    (_("培育库"), "cultivation:home", None),
    (_("统计看板"), "reporting:dashboard", None),
    (_("数据导入"), "reporting:import_list", {"city", "district"}),
    (_("导出"), "reporting:export_list", None),
    (_("通知"), "reporting:notification_list", None),
    (_("审计记录"), "accounts:audit", "audit.view"),
    (_("接口文档"), "api-docs", None),
]


def _allowed(user: Any, rule: Any) -> bool:
    if rule is None:
        return True
    if isinstance(rule, str):
        return can(user, rule)
    return user.role in rule


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        for label, url_name, rule in NAVIGATION:
            if not _allowed(user, rule):
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            active = request.path == url if url == "/" else request.path.startswith(url)
            items.append({"label": label, "url": url, "active": active})
    return {"nav_items": items, "platform_name": settings.PLATFORM_NAME}
