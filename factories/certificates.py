"""Verifiable certificates (issue 17): issuing, the QR code, and what a certificate's public page says.

Issuing happens inside the service that grants the title (`grading_run_finalize`, `b_certification_certify`)
and is audited (`certificate.issue`). What a certificate says and whether it still stands depends on the
kind: grading (factories.grading.public) and the pool (cultivation.public) each register a reader in
`READERS` from their app's `ready()`, so the registry, which serves `/verify/<code>/`, imports neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import segno
from django.db import models
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from accounts import audit
from factories.models import Certificate, CertificateKind, Enterprise, GradingResult


class CertificateState(models.TextChoices):
    """What a certificate's status page says (the four answers of issue 17). Worded in the certificate's own
    context: elsewhere 「有效」 is an account's or a record's state and reads differently in English."""

    VALID = "valid", pgettext_lazy("certificate status", "有效")
    SUPERSEDED = "superseded", pgettext_lazy("certificate status", "已被新的评价结果替代")
    DOWNGRADED = "downgraded", pgettext_lazy("certificate status", "已降级")
    REVOKED = "revoked", pgettext_lazy("certificate status", "已撤销")


@dataclass
class CertificateFacts:
    """Everything a certificate's public pages show: only public fields (no indicator value, no full code)."""

    title: str
    holder: str
    credit_code: str  # masked
    body: str
    lines: list[tuple[str, str]]
    issuer: str
    issued_on: dt.date
    state: str = CertificateState.VALID
    state_on: dt.date | None = None
    state_note: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, URL) of the public notice pages

    @property
    def state_label(self) -> str:
        return str(CertificateState(self.state).label)


Reader = Callable[[Certificate], "CertificateFacts | None"]
READERS: dict[str, Reader] = {}
"""kind → the function that tells a certificate's facts (None: not public, the page answers 404)."""


def mask_credit_code(code: str) -> str:
    """A unified social credit code with its middle hidden: the first 4 and last 4 characters stay."""
    if len(code) <= 8:
        return "*" * len(code)
    return code[:4] + "*" * (len(code) - 8) + code[-4:]


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline SVG element (generated here; no external service)."""
    qr = segno.make(url, error="m")
    svg: str = qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)
    return svg


def issue_for_results(*, actor: Any, results: Iterable[GradingResult], run: Any) -> int:
    """A grade certificate for each result of a run that becomes final (once: a result keeps its code).
    One audit entry per run names the number issued; each certificate carries its issue time."""
    now = timezone.now()
    have = set(Certificate.objects.filter(result__run=run).values_list("result_id", flat=True))
    fresh = [
        Certificate(kind=CertificateKind.GRADE, enterprise_id=r.enterprise_id, result_id=r.pk, issued_at=now)
        for r in results
        if r.pk not in have
    ]
    Certificate.objects.bulk_create(fresh, batch_size=2000)
    if fresh:
        audit.record(
            actor=actor,
            action="certificate.issue",
            obj=run,
            changes={"kind": [None, CertificateKind.GRADE], "issued": [0, len(fresh)]},
        )
    return len(fresh)


def issue_one(
    *, actor: Any, enterprise: Enterprise, kind: str, issued_at: dt.datetime | None = None
) -> Certificate:
    """One certificate (a B certification's), audited."""
    certificate = Certificate.objects.create(
        kind=kind, enterprise=enterprise, issued_at=issued_at or timezone.now()
    )
    audit.record(
        actor=actor,
        action="certificate.issue",
        obj=certificate,
        changes={"kind": [None, kind], "code": [None, certificate.code]},
    )
    return certificate


def facts(code: str) -> tuple[Certificate, CertificateFacts] | None:
    """The certificate with this code and what its public pages say, or None (unknown or not public)."""
    certificate = Certificate.objects.select_related("enterprise").filter(code=code.upper()).first()
    if certificate is None or certificate.kind not in READERS:
        return None
    told = READERS[certificate.kind](certificate)
    return None if told is None else (certificate, told)
