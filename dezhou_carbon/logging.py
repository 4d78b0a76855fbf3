"""Logs a machine can read: one JSON object per line when LOG_FORMAT=json (production, for
journald, Docker or a log shipper), plain text otherwise (development). Every line written
while a web request is being served carries that request's id, so one request's lines can be
found together — in the product's log and, through the X-Request-ID header that nginx sets
and the response echoes, in nginx's access log and the user's browser.

Standard library only (no logging package to install). `RequestIdMiddleware` comes first in
MIDDLEWARE; settings.LOGGING picks `JsonFormatter` or `PlainFormatter`, which both add the
request's fields themselves (`RequestContextFilter` does the same for any other handler).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "X-Request-ID"
# Honour an incoming id only when it cannot inject anything into a log line or a header.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

access_logger = logging.getLogger("dezhou_carbon.request")


@dataclass
class RequestContext:
    request_id: str
    path: str
    request: Any  # the HttpRequest, to read its user once authentication has resolved it


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "dezhou_request", default=None
)

# Attributes every LogRecord has: anything else on a record came from `extra=` and is kept.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
# Added by RequestContextFilter, or Django objects that are no use in a log line.
_NOT_EXTRA = {
    "request_id", "user_id", "path", "status", "status_code", "duration_ms", "request",
    "server_time", "request_tag",
}  # fmt: skip


def current_request_id() -> str | None:
    """The id of the request being served in this thread or task, if any."""
    context = _current.get()
    return context.request_id if context else None


def _user_id(request: Any) -> int | str | None:
    """The signed-in user's id — only if authentication already looked the user up: a log
    line must never cause a database query of its own."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)  # SimpleLazyObject until first used
    from django.utils.functional import empty

    if wrapped is empty:
        return None
    return wrapped.pk if getattr(wrapped, "is_authenticated", False) else None


class RequestContextFilter(logging.Filter):
    """Puts request_id, user_id and path on every record (None outside a request), so both
    formatters can use them."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else None
        if not hasattr(record, "user_id"):
            record.user_id = _user_id(context.request) if context else None
        if not hasattr(record, "path"):
            record.path = context.path if context else None
        if not hasattr(record, "status"):
            record.status = getattr(record, "status_code", None)  # Django's request loggers
        if not hasattr(record, "duration_ms"):
            record.duration_ms = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    user_id, path, status, duration_ms, then any `extra=` fields and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        RequestContextFilter().filter(record)  # also correct when the filter is not wired
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": record.request_id,
            "user_id": record.user_id,
            "path": record.path,
            "status": record.status,
            "duration_ms": record.duration_ms,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and key not in _NOT_EXTRA and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = "".join(traceback.format_exception(*record.exc_info))
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """The development format, with the request id when there is one."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(request_tag)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        RequestContextFilter().filter(record)
        record.request_tag = f"[{record.request_id}] " if record.request_id else ""
        return super().format(record)


class RequestIdMiddleware:
    """Gives each request an id — the proxy's X-Request-ID when it is a safe token, else a
    new one — for every log line written while serving it; echoes it in the response; and
    writes one access line (method, path, status, duration, user) when the response is
    ready. First in MIDDLEWARE, so redirects and errors of later middleware get the id too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = offered if _SAFE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(RequestContext(request_id, request.path, request))
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                },
            )
            return response
        finally:
            _current.reset(token)
