"""`GET /health/`: is this installation able to do its work? For monitoring and load
balancers, so no sign-in — and therefore nothing in the answer that helps an attacker: no
host names, no connection strings, no error texts (those go to the log), no counts of data.

Checks, each "ok" or "error" (Redis also "embedded" when the product runs without it):
- the database answers `SELECT 1`;
- Redis (the Celery broker and cache) answers PING, when REDIS_URL is set;
- recomputing keeps up: the oldest pending `RecomputeRequest` is younger than
  HEALTH_RECOMPUTE_MAX_AGE (a request stays pending only while no worker takes it: workers
  down, broker lost, or the queue far behind), and no running request outlived its lease
  (its worker died and the sweep has not run: beat is down).

200 when every check is "ok" or "embedded", 503 otherwise. The body says which check failed.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, ERROR, EMBEDDED, UNKNOWN = "ok", "error", "embedded", "unknown"


@cache
def release() -> dict[str, str]:
    """The running version and commit: DEZHOU_VERSION / DEZHOU_COMMIT from the environment
    (the Dockerfile and the deployment docs set them), else the checkout's .git, read as
    files (no git binary needed), else "unknown"."""
    version = os.environ.get("DEZHOU_VERSION", "").strip()
    commit = os.environ.get("DEZHOU_COMMIT", "").strip() or _git_commit(settings.BASE_DIR)
    return {"version": version or UNKNOWN, "commit": commit or UNKNOWN}


def _git_commit(base_dir: Path) -> str:
    git = Path(base_dir) / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:40]
        ref = head.removeprefix("ref: ")
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:40]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(f" {ref}"):
                return line.split(" ", 1)[0][:40]
    except OSError:
        pass
    return ""


def database_check() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health: the database does not answer")
        return ERROR
    return OK


def redis_check() -> str:
    url = settings.REDIS_URL
    if not url:
        return EMBEDDED
    import redis

    timeout = settings.HEALTH_REDIS_TIMEOUT_SECONDS
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except Exception:
        logger.exception("health: Redis does not answer")
        return ERROR
    finally:
        client.close()
    return OK


def recompute_check() -> dict:
    """The oldest pending request's age in whole seconds (None when none is pending), how
    many running requests outlived their lease, and whether both are within bounds."""
    from indicators.models import RecomputeRequest

    now = timezone.now()
    try:
        oldest = (
            RecomputeRequest.objects.filter(status=RecomputeRequest.Status.PENDING)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        stale_running = RecomputeRequest.objects.filter(
            status=RecomputeRequest.Status.RUNNING, lease_until__lt=now
        ).count()
    except Exception:
        logger.exception("health: could not read recompute requests")
        return {"status": UNKNOWN}
    age = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    limit = settings.HEALTH_RECOMPUTE_MAX_AGE_SECONDS
    healthy = (age is None or age <= limit) and stale_running == 0
    return {
        "status": OK if healthy else ERROR,
        "oldest_pending_age_seconds": age,
        "max_age_seconds": limit,
        "running_past_lease": stale_running,
    }


def health_report() -> tuple[bool, dict]:
    """(healthy, body) — the body is safe to show anyone."""
    database = database_check()
    recompute = recompute_check() if database == OK else {"status": UNKNOWN}
    checks = {"database": database, "redis": redis_check(), "recompute": recompute}
    statuses = [database, checks["redis"], recompute["status"]]
    healthy = all(status in (OK, EMBEDDED) for status in statuses)
    body = {
        "status": OK if healthy else ERROR,
        "checks": checks,
        **release(),
        "time": timezone.now().isoformat(timespec="seconds"),
    }
    return healthy, body


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    healthy, body = health_report()
    return JsonResponse(body, status=200 if healthy else 503)
