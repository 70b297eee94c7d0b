"""Verifiable certificates (issue 17): a short, random, stable code per certified title, opened by its QR code.

A grade certificate is issued for each factory of a run when the run becomes final; a B certificate (a
district-level green factory) when the district certifies it (cultivation's BCertification points here).
The code is the certificate's public identity: it never changes and reveals nothing (no year, unit or
sequence), so nobody can walk the list of codes.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.scoping import ScopedQuerySet

# Crockford-like alphabet without 0/O, 1/I/L, U: read aloud and typed from paper without mistakes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 30^12 ≈ 5·10^17 codes: unguessable for the few tens of thousands ever issued


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


class CertificateKind(models.TextChoices):
    GRADE = "grade", _("绿色工厂分级评价证书")
    B = "b", _("区县级绿色工厂证书")


class CertificateQuerySet(ScopedQuerySet):
    district_lookup = "enterprise__district"
    enterprise_lookup = "enterprise"


class Certificate(models.Model):
    """One certificate: a grade of a final run (`result`) or a B certification (which points here)."""

    code = models.CharField(_("证书核验码"), max_length=16, unique=True, default=new_code, editable=False)
    kind = models.CharField(_("证书类型"), max_length=8, choices=CertificateKind.choices)
    enterprise = models.ForeignKey(
        "factories.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="certificates"
    )
    result = models.OneToOneField(
        "factories.GradingResult",
        verbose_name=_("评价结果"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate",
    )
    issued_at = models.DateTimeField(_("发证时间"))

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="grade", result__isnull=False)
                | models.Q(kind="b", result__isnull=True),
                name="grade_certificate_has_result",
            )
        ]

    def __str__(self) -> str:
        return self.code
