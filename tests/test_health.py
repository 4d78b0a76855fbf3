"""GET /health/: 200 when the database, Redis and recomputing are fine, 503 when one is not;
open to anyone, so it must say nothing that helps an attacker."""

import json
import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from dezhou_carbon.health import release
from indicators.models import RecomputeRequest

HEALTH = "/health/"


def _closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _old_pending_request(age: timedelta) -> RecomputeRequest:
    request = RecomputeRequest.objects.create(scope="", from_year=2024, reason="test")
    # created_at is auto_now_add: age it with an update, as the request would have aged.
    RecomputeRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - age)
    return request


def test_the_url_is_health():
    assert reverse("health") == HEALTH


def test_healthy_answers_200_without_sign_in(client, db):
    response = client.get(HEALTH)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    expected_redis = "ok" if settings.REDIS_URL else "embedded"
    assert body["checks"]["redis"] == expected_redis
    assert body["checks"]["recompute"] == {
        "status": "ok",
        "oldest_pending_age_seconds": None,
        "max_age_seconds": settings.HEALTH_RECOMPUTE_MAX_AGE_SECONDS,
        "running_past_lease": 0,
    }
    assert body["commit"] == release()["commit"]
    assert set(body) == {"status", "checks", "version", "commit", "time"}


def test_a_head_request_works_for_load_balancers(client, db):
    assert client.head(HEALTH).status_code == 200
    assert client.post(HEALTH).status_code == 405


def test_a_young_pending_request_is_healthy_and_its_age_is_reported(client, db, settings):
    settings.HEALTH_RECOMPUTE_MAX_AGE_SECONDS = 600
    _old_pending_request(timedelta(seconds=120))

    response = client.get(HEALTH)

    assert response.status_code == 200
    age = response.json()["checks"]["recompute"]["oldest_pending_age_seconds"]
    assert 120 <= age < 180


def test_an_old_pending_request_makes_it_unhealthy(client, db, settings):
    settings.HEALTH_RECOMPUTE_MAX_AGE_SECONDS = 600
    _old_pending_request(timedelta(seconds=601))
    # A newer request for another scope does not hide the old one.
    RecomputeRequest.objects.create(scope="*", from_year=2025, reason="newer")

    response = client.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["recompute"]["status"] == "error"
    assert body["checks"]["recompute"]["oldest_pending_age_seconds"] >= 601


def test_finished_and_failed_requests_do_not_count(client, db, settings):
    settings.HEALTH_RECOMPUTE_MAX_AGE_SECONDS = 60
    for status in (RecomputeRequest.Status.DONE, RecomputeRequest.Status.FAILED):
        request = _old_pending_request(timedelta(days=3))
        RecomputeRequest.objects.filter(pk=request.pk).update(status=status)

    response = client.get(HEALTH)

    assert response.status_code == 200
    assert response.json()["checks"]["recompute"]["oldest_pending_age_seconds"] is None


def test_a_running_request_past_its_lease_makes_it_unhealthy(client, db):
    """Its worker died and the sweep (beat) has not put it back: nobody will finish it."""
    request = RecomputeRequest.objects.create(scope="", from_year=2024, reason="test")
    RecomputeRequest.objects.filter(pk=request.pk).update(
        status=RecomputeRequest.Status.RUNNING,
        lease_until=timezone.now() - timedelta(minutes=1),
    )

    response = client.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["checks"]["recompute"]["running_past_lease"] == 1


def test_unreachable_redis_makes_it_unhealthy_without_revealing_where(client, db, settings):
    port = _closed_port()
    settings.REDIS_URL = f"redis://:s3cret-redis-password@127.0.0.1:{port}/0"
    settings.HEALTH_REDIS_TIMEOUT_SECONDS = 0.5

    response = client.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"] == "error"
    assert body["checks"]["database"] == "ok"
    text = response.content.decode()
    assert str(port) not in text
    assert "s3cret" not in text
    assert "refused" not in text.lower()


@pytest.mark.parametrize(
    "persona",
    ["outsider", "clerk", "auditor", "administrator"],
)
def test_the_answer_is_the_same_for_everyone(request, client, db, persona):
    anonymous = client.get(HEALTH).json()
    client.force_login(request.getfixturevalue(persona))
    signed_in = client.get(HEALTH).json()
    anonymous.pop("time"), signed_in.pop("time")
    assert signed_in == anonymous


def test_nothing_sensitive_is_in_the_answer(client, db):
    text = client.get(HEALTH).content.decode()
    body = json.loads(text)

    database = connection.settings_dict
    for secret in filter(
        None, [database.get("HOST"), database.get("PASSWORD"), settings.SECRET_KEY]
    ):
        assert str(secret) not in text
    assert str(database["NAME"]) not in text
    if settings.REDIS_URL:
        assert settings.REDIS_URL not in text
    # Only fixed keys with short fixed values: statuses, ages, a version and a commit.
    assert set(body["checks"]) == {"database", "redis", "recompute"}
    assert body["checks"]["database"] in {"ok", "error"}


def test_it_is_not_redirected_to_https(client, db, settings):
    """A monitor probes gunicorn over plain HTTP on the machine itself."""
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(HEALTH).status_code == 200
    assert client.get("/plan/").status_code == 301  # everything else still is


def test_version_and_commit_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEZHOU_VERSION", "2026.3")
    monkeypatch.setenv("DEZHOU_COMMIT", "0123456789abcdef0123456789abcdef01234567")
    release.cache_clear()
    try:
        assert release() == {
            "version": "2026.3",
            "commit": "0123456789abcdef0123456789abcdef01234567",
        }
    finally:
        release.cache_clear()
