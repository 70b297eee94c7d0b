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

With the files in an S3-compatible bucket (FILE_STORAGE=s3, config/file_storage.py) Django streams the object
through the view by default: the bucket then stays private and need not be reachable from the users'
browsers (typically it sits on an internal network), and nothing but the view ever hands a file out. Where
the bucket is reachable and the traffic should bypass the application servers, FILE_DOWNLOAD_REDIRECT_SECONDS
makes the view answer — after the same permission check — with a pre-signed URL valid that many seconds,
carrying the Chinese download name and `no-store`.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.deconstruct import deconstructible
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

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
    ".ofd": "application/ofd",
    ".zip": "application/zip",
}

# The OpenAPI answer of an evidence download: a PDF or image as it was uploaded, or opaque bytes.
EVIDENCE_RESPONSES = {
    (200, media_type): OpenApiTypes.BINARY
    for media_type in (
        "application/pdf",
        "application/ofd",
        "image/jpeg",
        "image/png",
        CONTENT_TYPES[".xlsx"],
        CONTENT_TYPES[".docx"],
        "application/octet-stream",
    )
}

# The path parameter of the evidence routes (…/evidence/{evidence_id}/…): the file's number.
EVIDENCE_ID = OpenApiParameter("evidence_id", int, OpenApiParameter.PATH, description="佐证材料编号")


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


def owned_file(files: Any, file_id: Any) -> Any:
    """One of an object's stored files (``submission.evidence``, ``application.evidence``) by the id in the
    URL; anything else — another object's file, an id that is not a number — answers 404."""
    text = str(file_id)
    item = files.filter(pk=int(text)).first() if text.isascii() and text.isdigit() else None
    if item is None:
        raise Http404
    return item


def download(file: FieldFile, filename: str) -> HttpResponseBase:
    """Send a stored file that the calling view has already authorised, as an attachment named `filename`.

    Streams it (FileResponse) from whichever storage holds it, or with `PROTECTED_MEDIA_PREFIX` set lets nginx
    send it, or with FILE_DOWNLOAD_REDIRECT_SECONDS and an S3 storage redirects to a pre-signed URL. Never cached by
    browsers or proxies, never sniffed into another type. A row without a file, or whose file is gone
    from storage, answers 404.
    """
    if not file or not file.name:
        raise Http404
    content_type = CONTENT_TYPES.get(extension(file.name), "application/octet-stream")
    prefix = getattr(settings, "PROTECTED_MEDIA_PREFIX", "")
    seconds = getattr(settings, "FILE_DOWNLOAD_REDIRECT_SECONDS", 0)
    response: HttpResponseBase
    storage: Any = file.storage
    if seconds and hasattr(storage, "bucket_name"):  # an S3 storage: a short-lived signed URL
        if not storage.exists(file.name):
            raise Http404
        response = HttpResponseRedirect(
            storage.url(
                file.name,
                parameters={
                    "ResponseContentDisposition": content_disposition(filename),
                    "ResponseContentType": content_type,
                    "ResponseCacheControl": "private, no-store",
                },
                expire=seconds,
            )
        )
        response["Cache-Control"] = "private, no-store"
        return response
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
    ".ofd": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".docx": (b"PK\x03\x04",),
}
IMAGE_KINDS = {"png": "PNG", "jpeg": "JPEG"}
# Extension → the kind of content it names (`sniff`); the kind → the extension a nameless file is given.
DOCUMENT_KINDS = {
    ".pdf": "pdf",
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".ofd": "ofd",
    ".xlsx": "xlsx",
    ".docx": "docx",
}
KIND_EXTENSIONS = {
    "pdf": ".pdf",
    "png": ".png",
    "jpeg": ".jpg",
    "ofd": ".ofd",
    "xlsx": ".xlsx",
    "docx": ".docx",
}
# A scan or photo (authorisation letters, objection and incident evidence); evidence (佐证材料) of annual data
# also takes the documents enterprises keep: OFD (the national e-invoice and e-document format), XLSX, DOCX.
SCAN_TYPES = frozenset({".pdf", ".png", ".jpg", ".jpeg"})
EVIDENCE_TYPES = frozenset(DOCUMENT_KINDS)
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


def document_problem(
    upload: Any, *, max_bytes: int, deep: bool = False, accept: frozenset[str] = SCAN_TYPES
) -> tuple[str, int] | None:
    """What is wrong with an uploaded document, or None: ("empty" | "type" | "size" | "content" | "active", size).

    `accept` names the extensions the caller's form takes (by default a scan or photo: PDF, JPG, PNG). The
    content must be what the name says: its first bytes, and with `deep` the whole file — a PDF's
    end-of-file mark and no script or launch action in it ("active"), an image that Pillow opens, verifies
    and decodes, an OFD, XLSX or DOCX whose zip container holds the parts of its kind and inflates to a
    sane size (a zip bomb is "content"). Each caller words the problem for its own form.
    """
    if upload is None:
        return ("empty", 0)
    suffix = PurePosixPath(getattr(upload, "name", "") or "").suffix.lower()
    if suffix not in accept:
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
    if deep:
        kind = sniff(data)
        if kind is None or DOCUMENT_KINDS.get(suffix) != kind:
            return ("content", 0)
        return _deep_problem(kind, data)
    if not data.startswith(DOCUMENT_SIGNATURES[suffix]):
        return ("content", 0)
    return None


def evidence_problem(upload: Any, *, max_bytes: int) -> tuple[str, int] | None:
    """`document_problem` for evidence (佐证材料), recognised by content: any of EVIDENCE_TYPES.

    A name without an extension is fine (the content says what the file is, and the upload's name gets
    that extension); a name whose extension is not an evidence type is refused ("type"), and one that
    names another type than the content is ("content", e.g. a renamed executable).
    """
    if upload is None:
        return ("empty", 0)
    name = str(getattr(upload, "name", "") or "")
    if not PurePosixPath(name).suffix:
        upload.seek(0)
        head = upload.read(max_bytes + 1)
        upload.seek(0)
        kind = sniff(head)
        if kind is None:
            return ("type", 0) if head else ("empty", 0)
        upload.name = name + KIND_EXTENSIONS[kind]
    return document_problem(upload, max_bytes=max_bytes, deep=True, accept=EVIDENCE_TYPES)


def sniff(data: bytes) -> str | None:
    """The document kind the bytes are ("pdf", "png", "jpeg", "ofd", "xlsx", "docx"), whatever the name."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "OFD.xml" in names:
        return "ofd"
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def _deep_problem(kind: str, data: bytes) -> tuple[str, int] | None:
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            return ("content", 0)
        return ("active", 0) if _pdf_is_active(data) else None
    if kind in IMAGE_KINDS:
        return ("content", 0) if _broken_image(data, IMAGE_KINDS[kind]) else None
    return _zip_problem(kind, data)


# A name in a PDF may spell letters as #xx (`/J#61vaScript`); these names run code or other programs.
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#]+)")
# Embedded files alone are not refused (electronic invoices embed their XML), nor /AA or /OpenAction, which
# only point at actions: what the actions would run is what is named here.
_PDF_ACTIVE_NAMES = {b"JavaScript", b"JS", b"Launch", b"RichMedia", b"XFA"}
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


def _pdf_is_active(data: bytes) -> bool:
    """True when the PDF's objects name a script, a launch action, rich media or an XFA form.

    Objects are read outside the streams (page content, fonts and images are binary and would match by
    chance) and inside object streams, which hide dictionaries compressed; inflating stops at a bound."""
    import zlib

    texts, position, budget = [], 0, MAX_UNZIPPED_BYTES
    for match in _PDF_STREAM.finditer(data):
        texts.append(data[position : match.start()])
        position = match.end()
        if b"/ObjStm" not in data[max(match.start() - 512, 0) : match.start()] or budget <= 0:
            continue
        try:
            text = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(text)
        texts.append(text)
    texts.append(data[position:])
    for text in texts:
        for name in _PDF_NAME.findall(text):
            if b"#" in name:
                name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), name)
            if name in _PDF_ACTIVE_NAMES:
                return True
    return False


# A zip container (OFD, XLSX, DOCX) may hold this many members inflating to at most this many bytes in all,
# none more than MAX_ZIP_RATIO times its compressed size: an office file of a few MB is far below each.
MAX_ZIP_MEMBERS = 2000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 200
_ZIP_CHUNK = 1024 * 1024


def _zip_problem(kind: str, data: bytes) -> tuple[str, int] | None:
    """An OFD, XLSX or DOCX that is not a sane zip container: too many members, encrypted, macros, or
    inflating beyond the bounds (checked by inflating, not by trusting the sizes the archive declares)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return ("content", 0)
            left = MAX_UNZIPPED_BYTES
            for member in members:
                if member.flag_bits & 0x1 or member.filename.lower().endswith("vbaproject.bin"):
                    return ("active", 0)
                if member.file_size > left or member.file_size > MAX_ZIP_RATIO * max(
                    member.compress_size, 1024
                ):
                    return ("content", 0)
                read = 0
                with archive.open(member) as handle:
                    while chunk := handle.read(_ZIP_CHUNK):
                        read += len(chunk)
                        if read > left or read > MAX_ZIP_RATIO * max(member.compress_size, 1024):
                            return ("content", 0)
                left -= read
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError):
        return ("content", 0)
    except Exception:  # a corrupt deflate stream raises zlib.error
        return ("content", 0)
    return None


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"
