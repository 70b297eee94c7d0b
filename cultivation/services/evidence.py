"""Evidence (佐证材料) filed with a pool application or a B-certification application (issue 15).

The files are checked with the same content check as a submission's evidence (`reporting.evidence`:
PDF, OFD, JPG, PNG, XLSX, DOCX by content, size limit, no scripts or macros, no zip bombs) before the
application is created; a refused file refuses the whole application, nothing stored."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from cultivation.models import ApplicationEvidence
from reporting import evidence


def uploads_problems(evidence_files: list[Any] | None) -> tuple[list[Any], list[str]]:
    """The non-empty uploads, and why they cannot be filed (one message per refused file), in words."""
    uploads = [upload for upload in evidence_files or [] if upload]
    limit = settings.EVIDENCE_MAX_FILES_PER_FIELD
    if len(uploads) > limit:
        return uploads, [_("申请的佐证材料最多 {n} 个文件，请合并后上传。").format(n=limit)]
    problems = []
    for upload in uploads:
        if problem := evidence.file_problem(upload):
            problems.append(f"{_filename(upload)}：{problem}")
    return uploads, problems


def _filename(upload: Any) -> str:
    return str(upload.name).replace("\\", "/").rsplit("/", 1)[-1][:200]


def _digest(upload: Any) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def store(uploads: list[Any], *, actor: Any, **application: Any) -> list[ApplicationEvidence]:
    """Store checked uploads on the application (`pool_application=` or `certification=`). Runs inside the
    caller's transaction: when anything fails the rows go with it and the files written so far are
    deleted here."""
    stored: list[ApplicationEvidence] = []
    try:
        for upload in uploads:
            sha256, size = _digest(upload)
            name = _filename(upload)
            item = ApplicationEvidence(
                filename=name, size=size, sha256=sha256, uploaded_by=actor, **application
            )
            stored.append(item)
            item.file.save(name, upload, save=True)
    except BaseException:
        for item in stored:
            if item.file.name:
                item.file.storage.delete(item.file.name)
        raise
    return stored


def discard(stored: list[ApplicationEvidence]) -> None:
    """Delete the stored files of rows whose transaction is failing."""
    for item in stored:
        if item.file.name:
            item.file.storage.delete(item.file.name)


def in_words(stored: list[ApplicationEvidence]) -> str:
    """The audit entry's value: the file names."""
    return "、".join(item.filename for item in stored)
