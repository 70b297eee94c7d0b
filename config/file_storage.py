"""Where stored files live (evidence, export files, uploaded workbooks, letters): Django's storage API, always.

`FILE_STORAGE=local` (the default): the media volume, MEDIA_ROOT (FileSystemStorage). `FILE_STORAGE=s3`: any
S3-compatible object store through django-storages' S3Storage (boto3), configured by the variables below.
Every FileField uses the "default" storage, so the switch moves all stored files at once; code reads and
writes them only through the storage (`field.open()`, `field.save()`, `storage.delete()`), never by a path.

Objects are private: stored without a public-read ACL (`AWS_DEFAULT_ACL`, default `private`; empty sends no
ACL, for stores that refuse ACLs), their URLs are signed (`querystring_auth`) and expire after
`AWS_QUERYSTRING_EXPIRE` seconds, an existing name is never overwritten, and a file read spills to a temporary
file beyond `AWS_S3_MAX_MEMORY_SIZE` bytes instead of being held in memory. Downloads still go through the
permission-checked views (accounts/files.py): they stream the object through Django by default, or, with
`FILE_DOWNLOAD_REDIRECT_SECONDS` set, answer with a pre-signed URL valid for that many seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
# A file read from the store is spooled to memory up to this size, then to a temporary file on disk.
S3_SPOOL_BYTES = 2 * 1024 * 1024


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = (env.get(name) or "").strip()
    try:
        return int(text) if text else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {text!r}.") from None


def default_storage(env: Mapping[str, str]) -> dict[str, Any]:
    """The "default" entry of STORAGES for the environment `env` (os.environ in settings)."""
    kind = (env.get("FILE_STORAGE") or "local").strip().lower()
    if kind in ("local", "filesystem"):
        return dict(LOCAL)
    if kind != "s3":
        raise ImproperlyConfigured(f"FILE_STORAGE must be 'local' or 's3', not {kind!r}.")
    bucket = (env.get("AWS_STORAGE_BUCKET_NAME") or "").strip()
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (see docker-compose.yml).")
    if (env.get("PROTECTED_MEDIA_PREFIX") or "").strip():
        raise ImproperlyConfigured(
            "PROTECTED_MEDIA_PREFIX hands files to nginx from MEDIA_ROOT; with FILE_STORAGE=s3 leave it unset."
        )
    acl = env.get("AWS_DEFAULT_ACL", "private").strip()
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": (env.get("AWS_S3_ENDPOINT_URL") or "").strip() or None,
        "region_name": (env.get("AWS_S3_REGION_NAME") or "").strip() or None,
        # Many S3-compatible stores want path-style addresses (`endpoint/bucket/key`): AWS_S3_ADDRESSING_STYLE=path.
        "addressing_style": (env.get("AWS_S3_ADDRESSING_STYLE") or "").strip() or None,
        "location": (env.get("AWS_LOCATION") or "").strip().strip("/"),
        "default_acl": acl or None,
        "querystring_auth": True,
        "querystring_expire": _int(env, "AWS_QUERYSTRING_EXPIRE", 60),
        "signature_version": "s3v4",
        "file_overwrite": False,
        "max_memory_size": S3_SPOOL_BYTES,
        "use_ssl": (env.get("AWS_S3_USE_SSL") or "true").strip().lower() not in ("0", "false", "no", "off"),
    }
    # Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, which boto3 also reads itself (or an instance role).
    for option, name in (("access_key", "AWS_ACCESS_KEY_ID"), ("secret_key", "AWS_SECRET_ACCESS_KEY")):
        if value := (env.get(name) or "").strip():
            options[option] = value
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def redirect_seconds(env: Mapping[str, str]) -> int:
    """FILE_DOWNLOAD_REDIRECT_SECONDS: 0 (the default) streams downloads through Django; more, with the S3
    storage, answers a permitted download with a pre-signed URL valid that long."""
    seconds = _int(env, "FILE_DOWNLOAD_REDIRECT_SECONDS", 0)
    if seconds < 0 or seconds > 3600:
        raise ImproperlyConfigured("FILE_DOWNLOAD_REDIRECT_SECONDS must be between 0 and 3600.")
    return seconds
