"""Structured logs: with LOG_FORMAT=json every line is one JSON object carrying the request
id that the response echoes; the id is the proxy's when it is a safe token."""

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings

from dezhou_carbon.logging import JsonFormatter, PlainFormatter, RequestContextFilter


@pytest.fixture
def json_lines():
    """Every log line written during the test, formatted by JsonFormatter, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


def test_a_request_gets_an_id_that_is_echoed_and_logged(client, db, json_lines):
    response = client.get("/health/")

    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    access = [line for line in json_lines() if line["logger"] == "dezhou_carbon.request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == request_id
    assert line["path"] == "/health/"
    assert line["status"] == 200
    assert line["method"] == "GET"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["user_id"] is None
    assert line["time"].endswith("+00:00")


def test_two_requests_get_different_ids(client, db):
    assert client.get("/health/")["X-Request-ID"] != client.get("/health/")["X-Request-ID"]


def test_the_proxys_request_id_is_honoured(client, db, json_lines):
    response = client.get("/health/", HTTP_X_REQUEST_ID="nginx-4f2a9c")

    assert response["X-Request-ID"] == "nginx-4f2a9c"
    assert {line["request_id"] for line in json_lines()} == {"nginx-4f2a9c"}


@pytest.mark.parametrize(
    "offered",
    [
        pytest.param("abc\ninjected line", id="newline_case"),
        pytest.param("x" * 129, id="too_long_case"),
        pytest.param('a"b', id="quote_case"),
    ],
)
def test_an_unsafe_request_id_is_replaced(client, db, offered):
    response = client.get("/health/", HTTP_X_REQUEST_ID=offered)

    assert response["X-Request-ID"] != offered
    assert len(response["X-Request-ID"]) == 32


def test_lines_written_inside_a_request_carry_its_id_and_the_user(client, clerk, json_lines):
    client.force_login(clerk)

    response = client.get("/reporting/", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 200
    access = [line for line in json_lines() if line["logger"] == "dezhou_carbon.request"]
    assert access[0]["user_id"] == clerk.pk
    assert access[0]["request_id"] == "req-1"


def test_a_server_error_is_logged_with_its_request_id_and_traceback(client, db, json_lines):
    """Django's own error line (logger django.request) carries the id and the exception."""
    client.raise_request_exception = False
    from django.test import override_settings
    from django.urls import path

    def broken(request):
        raise RuntimeError("boom in the view")

    urlconf = type("urls", (), {"urlpatterns": [path("broken/", broken)]})
    with override_settings(ROOT_URLCONF=urlconf):
        response = client.get("/broken/", HTTP_X_REQUEST_ID="req-500")

    assert response.status_code == 500
    errors = [line for line in json_lines() if line["logger"] == "django.request"]
    assert errors
    assert errors[0]["request_id"] == "req-500"
    assert errors[0]["status"] == 500
    assert "RuntimeError: boom in the view" in errors[0]["exception"]
    assert errors[0]["level"] == "ERROR"


def test_outside_a_request_the_request_fields_are_null_and_extras_are_kept():
    record = logging.LogRecord("dezhou.jobs", logging.WARNING, __file__, 1, "%s 份", ("三",), None)
    record.scope = "DRS"

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "三 份"
    assert line["logger"] == "dezhou.jobs"
    assert line["level"] == "WARNING"
    assert (line["request_id"], line["user_id"], line["path"]) == (None, None, None)
    assert line["scope"] == "DRS"


def test_the_plain_format_shows_the_request_id_only_when_there_is_one():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    assert PlainFormatter().format(record).endswith(" INFO x hello")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    record.request_id = "abc"
    assert PlainFormatter().format(record).endswith(" INFO x [abc] hello")


def _configured_logging_output(log_format: str) -> str:
    """What the settings' LOGGING writes to stderr in a fresh process."""
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('dezhou_carbon.check').warning('配置 %s', 'ok')"
    )
    env = {
        **os.environ,
        "LOG_FORMAT": log_format,
        "DJANGO_SETTINGS_MODULE": "dezhou_carbon.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr


def test_log_format_json_configures_json_lines():
    lines = _configured_logging_output("json").strip().splitlines()

    entry = json.loads(lines[-1])
    assert entry["message"] == "配置 ok"
    assert entry["logger"] == "dezhou_carbon.check"
    assert entry["level"] == "WARNING"


def test_the_default_is_plain_text():
    line = _configured_logging_output("plain").strip().splitlines()[-1]
    assert line.endswith("WARNING dezhou_carbon.check 配置 ok")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def _trace_level(env: dict[str, str]) -> int:
    """The level of Celery's per-job log in a fresh process with these settings."""
    script = (
        "import logging, django; django.setup(); "
        "print(logging.getLogger('celery.app.trace').getEffectiveLevel())"
    )
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE", "REDIS", "CELERY"))
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "dezhou_carbon.settings",
            "DJANGO_DEBUG": "1",
            **env,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_jobs_run_in_process_do_not_log_each_success_but_a_worker_does():
    # scripts/demo names each step as it starts; without Redis every job runs in-process
    # and Celery's "succeeded" line for each (hundreds while the demo loads) buried them.
    assert _trace_level({}) >= logging.WARNING
    assert _trace_level({"REDIS_URL": "redis://127.0.0.1:6379/15"}) <= logging.INFO
