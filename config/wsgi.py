"""WSGI entry point for gunicorn.

Each worker loads the URL configuration, and through it every view, before its first request, then sets
the objects loaded so far aside from the cyclic garbage collector (``gc.freeze``): they live as long as
the process, and every collection used to rescan them, some 10–20 ms of a list request that allocates
many objects (issue 19, cold pages). Objects created later are collected as before.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def _settle() -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view now, not on the first request)
    gc.collect()
    gc.freeze()


_settle()
