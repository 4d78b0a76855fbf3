"""The Celery application. Jobs live in each app's `jobs.py` (never `tasks.py`, which is
the plan's app), so autodiscovery is told that module name."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")

app = Celery("dezhou_carbon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
