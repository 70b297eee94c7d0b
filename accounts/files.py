"""Stored files (exports, uploaded workbooks, evidence): random names, and one way to hand them out.

Nothing under MEDIA_ROOT is ever served by URL, in any mode: there is no `/media/` route (not even with
DEBUG on) and no web-server location for it. A file leaves the platform only through a view that has
checked the right and looked its row up among the rows the user may see (so another unit's file answers
404, an anonymous visitor is sent to sign in or gets 401), and that view answers with `download()`.

Stored names are random (`RandomName`: 192 bits from `secrets`, no date, no kind, no user), so a name
that leaks (a log line, a backup listing) tells nothing and cannot be guessed from another. The person
downloading still gets a readable Chinese name, sent in `Content-Disposition` as RFC 5987
`filename*=UTF-8''…` with a plain ASCII fallback for old clients.

Behind nginx, `download()` can hand the sending to nginx instead of streaming through Python: set
`PROTECTED_MEDIA_PREFIX` (e.g. `/protected-media/`) and declare that prefix as an `internal` location
aliased to MEDIA_ROOT, e.g. ``location /protected-media/ { internal; alias /data/media/; }``. The
permission check stays in the view; nginx only follows its `X-Accel-Redirect`, and a client asking for
that prefix directly gets nginx's 404. Unset (the default and the shipped docker-compose), Django streams.
"""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.deconstruct import deconstructible
from drf_spectacular.types import OpenApiTypes

# Bytes of randomness in a stored name: 24 bytes = 192 bits (token_urlsafe gives 32 characters).
NAME_BYTES = 24

# The types a stored file is sent as, by its extension; anything else goes out as opaque bytes.
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}

# The OpenAPI answer of an evidence download: a PDF or image as it was uploaded, or opaque bytes.
EVIDENCE_RESPONSES = {
    (200, media_type): OpenApiTypes.BINARY
    for media_type in ("application/pdf", "image/jpeg", "image/png", "application/octet-stream")
}


def extension(name: str | None) -> str:
    """The lower-case extension of `name` when it is one the platform stores (".xlsx", ".pdf"…), else ""."""
    suffix = PurePosixPath(name or "").suffix.lower()
    return suffix if suffix in CONTENT_TYPES else ""


@deconstructible
class RandomName:
    """`upload_to` for every FileField: `<folder>/<32 random URL-safe characters><extension>`.

    The uploaded or generated name only lends its extension (when it is a known one); the folder says
    what kind of file it is, nothing about who or when.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        return f"{self.folder}/{secrets.token_urlsafe(NAME_BYTES)}{extension(filename)}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the real name as RFC 5987 `filename*=UTF-8''…`."""
    suffix = extension(filename)
    plain = all(c.isascii() and (c.isalnum() or c in "-_. ") for c in filename) and filename.strip(". ")
    fallback = filename if plain else f"download{suffix}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(file: FieldFile, filename: str) -> HttpResponseBase:
    """Send a stored file that the calling view has already authorised, as an attachment named `filename`.

    Streams it (FileResponse), or with `PROTECTED_MEDIA_PREFIX` set lets nginx send it. Never cached by
    browsers or proxies, never sniffed into another type. A row without a file, or whose file is gone
    from storage, answers 404.
    """
    if not file or not file.name:
        raise Http404
    content_type = CONTENT_TYPES.get(extension(file.name), "application/octet-stream")
    prefix = getattr(settings, "PROTECTED_MEDIA_PREFIX", "")
    response: HttpResponseBase
    if prefix:
        if not file.storage.exists(file.name):
            raise Http404
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(file.name)
    else:
        try:
            handle = file.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
