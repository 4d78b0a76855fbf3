"""The Celery application. Jobs live in each app's `jobs.py` (never `tasks.py`, which is
the plan's app), so autodiscovery is told that module name."""

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")


def _settings_or_exit() -> None:
    """Started as `celery -A dezhou_carbon …` with settings that cannot load (no
    DJANGO_SECRET_KEY outside debugging), say why in one line instead of Celery's 88-line
    traceback. Imported by Django itself, leave errors to Django."""
    if not os.path.basename(sys.argv[0] if sys.argv else "").startswith("celery"):
        return
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.SECRET_KEY  # noqa: B018 (loading the settings is the point)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"celery: {error}\n")
        raise SystemExit(2) from None


_settings_or_exit()

app = Celery("dezhou_carbon")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")
