"""What every page's template knows about the signed-in user: its rights and its navigation.

Navigation entries name no right of their own: an entry is shown when its URL is installed and the user
holds the right its view declares for GET, so the menu and the pages cannot disagree. The one exception is
the API description (`api-docs`, no data and no right): enterprise fillers work on the pages, so their menu
leaves it out (the page itself stays open to them, as the API does).

「通知」 carries the number of unread notifications on every page: one COUNT, only when the menu is drawn,
kept by the data cache while the notification table is unchanged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from accounts import datacache
from accounts.models import Notification, Role
from accounts.permissions import Rights, can

# (label, url name); entries whose URL is not installed yet are skipped.
NAVIGATION: list[tuple[Any, str]] = [
    (_("首页"), "home"),
    (_("企业名录"), "factories:enterprise_list"),
    (_("本企业信息"), "factories:my_enterprise"),
    (_("绿色工厂"), "factories:greenfactory_list"),
    (_("填报年度"), "reporting:year_list"),
    (_("年度数据填报"), "reporting:submission_list"),
    (_("未填报企业"), "reporting:non_filers"),
    (_("区县审核"), "reporting:district_queue"),
    (_("市级复核"), "reporting:city_queue"),
    (_("更正申请"), "reporting:correction_list"),
    (_("分级评价"), "factories:run_list"),
    (_("评价标准"), "factories:standard_list"),
    (_("评价结果"), "factories:grade_list"),
    (_("事故与违规"), "factories:incident_list"),
    (_("撤销建议"), "factories:proposal_list"),
    (_("公示异议"), "factories:objection_list"),
    (_("推荐名单"), "factories:recommendation_list"),
    (_("培育库"), "cultivation:home"),
    (_("统计看板"), "reporting:dashboard"),
    (_("审核一致性"), "reporting:oversight"),
    (_("同行对标"), "reporting:benchmarks"),
    (_("数据导入"), "reporting:import_list"),
    (_("导出"), "reporting:export_list"),
    (_("通知"), "reporting:notification_list"),
    (_("用户管理"), "users:user_list"),
    (_("企业注册审核"), "registrations:queue"),
    (_("审计记录"), "accounts:audit"),
    (_("接口文档"), "api-docs"),
]

# Entries left out of some roles' menus although the page is open to them (see the module's docstring).
HIDDEN_FOR: dict[str, set[str]] = {"api-docs": {Role.ENTERPRISE}}
# The entry that shows the number of unread notifications.
NOTIFICATIONS = "reporting:notification_list"


@cache
def page_right(url_name: str) -> tuple[str, str | None] | None:
    """The URL of a navigation entry and the right its view needs for GET (None: every signed-in user);
    None when the URL is not installed."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    view = resolve(url).func
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    right_for = getattr(view_class, "right_for", None)
    return url, right_for("get") if right_for is not None else None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    # A session still owing its second sign-in step (accounts.middleware.TwoFactorMiddleware) gets no menu.
    if user is not None and user.is_authenticated and not getattr(request, "twofactor_gate", ""):
        for label, url_name in NAVIGATION:
            entry = page_right(url_name)
            if entry is None or getattr(user, "role", None) in HIDDEN_FOR.get(url_name, ()):
                continue
            url, right = entry
            if right is not None and not can(user, right):
                continue
            active = request.path == url if url == "/" else request.path.startswith(url)
            item: dict[str, Any] = {"label": label, "url": url, "active": active}
            if url_name == NOTIFICATIONS:
                item["count"] = unread_counter(user)
            items.append(item)
    return {"nav_items": items, "platform_name": settings.PLATFORM_NAME}


def unread_counter(user: Any) -> Any:
    """The user's unread notifications, counted when a template first asks (templates call a callable)."""
    counted: list[int] = []

    def count() -> int:
        if not counted:
            counted.append(datacache.cached_count(Notification.objects.visible_to(user).unread()))
        return counted[0]

    return count


def rights(request: HttpRequest) -> dict[str, Any]:
    """`rights` in templates: `{% if rights.grading_manage %}` asks the table for `grading.manage`."""
    return {"rights": Rights(getattr(request, "user", None))}
