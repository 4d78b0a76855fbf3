"""API-wide plumbing: error responses in Chinese and English."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dezhou_carbon.exceptions import ApplicationError

_DRF_MESSAGES_ZH = {
    "not_authenticated": "未登录或登录已过期，请先登录。",
    "authentication_failed": "身份验证失败。",
    "permission_denied": "您没有执行该操作的权限。",
    "not_found": "未找到该对象。",
    "method_not_allowed": "不允许该请求方法。",
    "throttled": "请求过于频繁，请稍后再试。",
    "parse_error": "请求内容无法解析。",
    "unsupported_media_type": "不支持的请求内容类型。",
    "invalid": "提交的数据有误。",
}


def exception_handler(exc, context):
    """Every 4xx answer has `code`, `message_zh` and `message_en` (and `details` for
    field errors), whether a service or DRF itself refused the request."""
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "invalid"
    message_en = exc.detail if isinstance(exc.detail, str) else "Invalid input."
    body = {
        "code": code,
        "message_zh": _DRF_MESSAGES_ZH.get(code, "请求有误。"),
        "message_en": str(message_en),
    }
    if not isinstance(exc.detail, str):
        body["details"] = response.data
    response.data = body
    return response
