"""What a person or a script sees when a request fails, whatever failed.

API paths (/api/...) answer the promised JSON envelope — `code`, `message_zh`,
`message_en` and the `request_id` that the response's X-Request-ID header and the server's
log carry too — for a 400, 403, 404, 413 or 500 that DRF never saw (an unknown API path, an
over-size body, an error in a middleware, an unhandled exception). Pages answer a
Chinese-first page in the product's layout (English when chosen) with the request id and a
way back, with DEBUG off as well as on: `handler400/403/404/500` in dezhou_carbon/urls.py
and CSRF_FAILURE_VIEW.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# status -> (code, message_zh, message_en): what the envelope and the page say.
STANDARD = {
    400: ("bad_request", "请求有误，无法处理。", "The request is malformed and cannot be handled."),
    403: ("permission_denied", "您没有访问该页面或执行该操作的权限。", "You are not allowed to see this page or do this."),
    404: ("not_found", "没有找到该页面或对象。", "No such page or object."),
    413: ("too_large", "请求内容过大，已拒绝。", "The request body is too large and was refused."),
    500: ("server_error", "服务器内部错误，已记录；请稍后再试，或把请求编号告诉管理员。", "Internal server error, logged; try again later or give the administrator the request id."),
}  # fmt: skip


def request_id_of(request) -> str:
    return getattr(request, "request_id", "") or ""


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def envelope(request, code: str, message_zh: str, message_en: str, **extra) -> dict:
    return {
        "code": code,
        "message_zh": message_zh,
        "message_en": message_en,
        "request_id": request_id_of(request),
        **extra,
    }


def api_error(request, status: int, code: str | None = None, zh: str = "", en: str = ""):
    standard_code, standard_zh, standard_en = STANDARD.get(status, STANDARD[400])
    body = envelope(request, code or standard_code, zh or standard_zh, en or standard_en)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------- pages


_PAGE_TITLES = {
    # translated at render time: the page is in the user's language
    400: lambda: _("请求有误"),
    403: lambda: _("没有权限"),
    404: lambda: _("页面不存在"),
    413: lambda: _("请求内容过大"),
    500: lambda: _("服务器出错了"),
}
_PAGE_MESSAGES = {
    400: lambda: _("请求有误，无法处理。请返回后检查填写的内容再试。"),
    403: lambda: _("您没有访问该页面或执行该操作的权限。如需权限，请联系本单位负责人或统计办。"),
    404: lambda: _("没有找到该页面或对象：链接可能已过期，或对象已不存在。"),
    413: lambda: _("请求内容过大，已拒绝。"),
    500: lambda: _(
        "服务器内部错误，已记录。请稍后再试；如果问题一直存在，请把下面的请求编号告诉管理员。"
    ),
}


def _way_back(request) -> str:
    """The page the user came from when it is on this site, else empty."""
    referer = request.META.get("HTTP_REFERER", "")
    if not referer:
        return ""
    parts = urlsplit(referer)
    try:
        host = request.get_host()
    except Exception:  # the 400 of a disallowed Host header: no way back but home
        return ""
    if parts.netloc and parts.netloc != host:
        return ""
    if parts.path == request.path:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


# The last resort when even the layout cannot be rendered (the database is down, a
# template is broken): bilingual, self-contained, no template engine.
_PLAIN_500 = """<!DOCTYPE html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>服务器出错了 / Server error</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6">
<h1>服务器出错了（500）</h1>
<p>服务器内部错误，已记录。请稍后再试；如果问题一直存在，请把请求编号告诉管理员。</p>
<p lang="en">Internal server error, logged. Try again later; if it persists, give the
administrator the request id.</p>
<p>请求编号 / Request id: <code>{request_id}</code></p>
<p><a href="/">返回首页 / Home</a></p>
</body></html>"""


def error_page(request, status: int, *, detail: str = "") -> HttpResponse:
    context = {
        "status": status,
        "title": _PAGE_TITLES.get(status, _PAGE_TITLES[400])(),
        "message": _PAGE_MESSAGES.get(status, _PAGE_MESSAGES[400])(),
        "detail": detail,
        "request_id": request_id_of(request),
        "way_back": _way_back(request),
    }
    try:
        content = loader.render_to_string("errors/error.html", context, request=request)
    except Exception:
        if status != 500:
            raise
        logger.exception("the 500 page could not be rendered in the layout")
        content = _PLAIN_500.format(request_id=escape(request_id_of(request)))
    return HttpResponse(content, status=status)


# ---------------------------------------------------------------- Django's handlers


def _detail_of(exception) -> str:
    """A refusal's own words (a PermissionDenied raised with a message for the user);
    Django's internal 404 texts ('No Foo matches the given query.') are not shown."""
    if exception is None or not exception.args:
        return ""
    text = str(exception.args[0])
    return "" if text.startswith(("No ", "Resolver404", "{")) else text


@requires_csrf_token
def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        if is_api(request):
            return api_error(request, 413)
        return error_page(request, 413)
    if is_api(request):
        return api_error(request, 400)
    return error_page(request, 400)


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api(request):
        return api_error(request, 403)
    return error_page(request, 403, detail=_detail_of(exception))


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return api_error(request, 404)
    return error_page(request, 404)


@requires_csrf_token
def server_error(request):
    if is_api(request):
        return api_error(request, 500)
    return error_page(request, 500)


def csrf_failure(request, reason: str = ""):
    """CSRF_FAILURE_VIEW: the form was stale (signed out meanwhile, or opened long ago)."""
    if is_api(request):
        return api_error(
            request,
            403,
            "csrf_failed",
            "CSRF 校验失败：请刷新页面后重试。",
            "CSRF verification failed: reload the page and try again.",
        )
    return error_page(
        request, 403, detail=_("表单已过期或来源无法验证（CSRF 校验失败）：请刷新页面后重新提交。")
    )
