"""Telling factories that their grade was published."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notify


def on_run_published(run: Any) -> None:
    """Each graded enterprise's users learn that the grade is in public notice, with a link to its explanation."""
    enterprise_ids = run.results.values("enterprise_id")
    users = User.objects.filter(role="enterprise", is_active=True, enterprise_id__in=enterprise_ids)
    try:
        url = reverse("factories:my_grades")
    except NoReverseMatch:
        url = ""
    notify(
        users.iterator(),
        kind="grade_published",
        key=f"grade:{run.year}:{run.pk}",
        title=_("{year}年度绿色工厂分级评价结果已公示（{start}至{end}）").format(
            year=run.year, start=run.notice_from, end=run.notice_to
        ),
        body=_("请登录平台查看本企业的等级及评价说明。如有异议，请在公示期内向市经济信息委反映。"),
        url=url,
    )


def _objection_url(objection: Any) -> str:
    try:
        return reverse("factories:objection_detail", args=[objection.pk])
    except NoReverseMatch:
        return ""


def on_objection_filed(objection: Any) -> None:
    """City staff learn of a new objection (in-app and e-mail); a public objector gets a receipt by e-mail."""
    from django.db import transaction

    city = User.objects.filter(role="city", is_active=True)
    notify(
        city.iterator(),
        kind="objection_filed",
        key=f"objection:{objection.pk}:filed",
        title=_("收到关于{enterprise}{year}年度评价结果的异议").format(
            enterprise=objection.enterprise.name, year=objection.run.year
        ),
        body=_("请在公示期内处理；异议处理完毕前，该评价不能正式发布。"),
        url=_objection_url(objection),
    )
    if objection.objector_kind == "public" and objection.email:
        title = _("您提出的异议已收到（编号 {pk}）").format(pk=objection.pk)
        body = _(
            "市经济信息委已收到您关于{enterprise}{year}年度绿色工厂分级评价结果的异议，处理结果将发送到本邮箱。"
        ).format(enterprise=objection.enterprise.name, year=objection.run.year)
        email = objection.email
        transaction.on_commit(lambda: _mail(email, title, body))


def on_objection_decided(objection: Any) -> None:
    """The objector learns the decision and its reason: the public by e-mail, the enterprise in-app and by e-mail."""
    from django.db import transaction

    if objection.status == "accepted":
        title = _("您关于{enterprise}{year}年度评价结果的异议已被采纳").format(
            enterprise=objection.enterprise.name, year=objection.run.year
        )
    else:
        title = _("您关于{enterprise}{year}年度评价结果的异议不予采纳").format(
            enterprise=objection.enterprise.name, year=objection.run.year
        )
    body = _("处理理由：{reason}").format(reason=objection.decision_reason)
    if objection.objector_kind == "public":
        if objection.email:
            email = objection.email
            transaction.on_commit(lambda: _mail(email, title, body))
        return
    users = User.objects.filter(role="enterprise", is_active=True, enterprise_id=objection.enterprise_id)
    notify(
        users.iterator(),
        kind="objection_decided",
        key=f"objection:{objection.pk}:decided",
        title=title,
        body=body,
        url=_objection_url(objection),
    )


def _mail(address: str, title: str, body: str) -> None:
    import logging

    from django.conf import settings
    from django.core.mail import send_mail

    try:
        send_mail(f"[{settings.PLATFORM_NAME}] {title}", body, settings.DEFAULT_FROM_EMAIL, [address])
    except Exception:  # the decision stands even if the mail server is down
        logging.getLogger(__name__).exception("objection e-mail to %s failed", address)
