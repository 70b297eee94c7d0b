"""Certificates (issue 17) for what was granted before they existed: every result of a final run and every
B certification that was certified (also one that ended since: its status page says so). Each gets a
random code; the audit trail records the issue as the platform's (no actor)."""

import secrets

from django.db import migrations

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def _code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(ALPHABET) for _i in range(12))
        if code not in taken:
            taken.add(code)
            return code


def issue(apps, schema_editor):  # type: ignore[no-untyped-def]
    Certificate = apps.get_model("factories", "Certificate")
    GradingResult = apps.get_model("factories", "GradingResult")
    BCertification = apps.get_model("cultivation", "BCertification")
    AuditEntry = apps.get_model("accounts", "AuditEntry")
    taken = set(Certificate.objects.values_list("code", flat=True))
    results = (
        GradingResult.objects.filter(run__is_simulation=False, run__finalized_at__isnull=False)
        .filter(certificate__isnull=True)
        .select_related("run")
    )
    fresh = [
        Certificate(
            code=_code(taken),
            kind="grade",
            enterprise_id=r.enterprise_id,
            result_id=r.pk,
            issued_at=r.run.finalized_at,
        )
        for r in results.iterator(chunk_size=2000)
    ]
    Certificate.objects.bulk_create(fresh, batch_size=2000)
    count_b = 0
    for certification in BCertification.objects.filter(certified_at__isnull=False, certificate__isnull=True):
        certificate = Certificate.objects.create(
            code=_code(taken),
            kind="b",
            enterprise_id=certification.membership.enterprise_id,
            issued_at=certification.certified_at,
        )
        BCertification.objects.filter(pk=certification.pk).update(certificate=certificate)
        count_b += 1
    if fresh or count_b:
        AuditEntry.objects.create(
            action="certificate.issue",
            object_type="factories.certificate",
            object_id="-",
            object_repr="certificates for titles granted before issue 17",
            changes={"grade": [0, len(fresh)], "b": [0, count_b]},
        )

class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("cultivation", "0006_b_certification_certificate"),
        ("factories", "0012_certificates"),
    ]

    operations = [migrations.RunPython(issue, migrations.RunPython.noop)]
