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


# --- uploaded documents (evidence, authorisation letters) -------------------------------------------------

# Extension → the first bytes every file of that type starts with; the content must match the name.
DOCUMENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
# A scan or a phone photo has well under this; a small file claiming more is a decompression bomb.
MAX_IMAGE_PIXELS = 60_000_000


def _broken_image(data: bytes, expected_format: str) -> bool:
    """True unless Pillow opens the bytes as an intact image of the expected format (header, chunks, pixels)."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected_format or image.width * image.height > MAX_IMAGE_PIXELS:
                    return True
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception:
        return True
    return False


def document_problem(upload: Any, *, max_bytes: int, deep: bool = False) -> tuple[str, int] | None:
    """What is wrong with an uploaded PDF, JPG or PNG, or None: ("empty" | "type" | "size" | "content", size).

    The content must be what the name says: its first bytes, and with `deep` also a PDF's end-of-file mark
    and an image that Pillow opens, verifies and decodes. Each caller words the problem for its own form.
    """
    if upload is None:
        return ("empty", 0)
    suffix = PurePosixPath(getattr(upload, "name", "") or "").suffix.lower()
    if suffix not in DOCUMENT_SIGNATURES:
        return ("type", 0)
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        return ("size", size)
    upload.seek(0)
    data = upload.read(max_bytes + 1 if deep else 16)
    upload.seek(0)
    if not data:
        return ("empty", 0)
    if deep and len(data) > max_bytes:
        return ("size", len(data))
    if not data.startswith(DOCUMENT_SIGNATURES[suffix]):
        return ("content", 0)
    if deep and (
        b"%%EOF" not in data[-2048:] if suffix == ".pdf" else _broken_image(data, IMAGE_FORMATS[suffix])
    ):
        return ("content", 0)
    return None


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"
