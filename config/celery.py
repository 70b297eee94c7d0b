"""Celery application. The broker comes from settings (Redis in production, a file broker locally)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("greenfactory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Grading lives in a sub-package of the factories app; its tasks module is found here.
app.autodiscover_tasks(["factories.grading"])
