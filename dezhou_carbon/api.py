"""API-wide plumbing: error responses in Chinese and English, the checks every API view
shares, and the errors every operation documents in the schema."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dezhou_carbon.errors import request_id_of
from dezhou_carbon.exceptions import ApplicationError

_DRF_MESSAGES_ZH = {
    "not_authenticated": "未登录或登录已过期，请先登录。",
    "authentication_failed": "身份验证失败。",
    "permission_denied": "您没有执行该操作的权限。",
    "not_found": "未找到该对象。",
    "method_not_allowed": "不允许该请求方法。",
    "not_acceptable": "无法按请求的 Accept 格式作答。",
    "throttled": "请求过于频繁，请稍后再试。",
    "parse_error": "请求内容无法解析。",
    "unsupported_media_type": "不支持的请求内容类型。",
    "invalid": "提交的数据有误。",
}
# DRF's own texts are translated into the active language (Chinese by default), so its
# `detail` cannot be the English message: these are DRF's defaults in English.
_DRF_MESSAGES_EN = {
    "not_authenticated": "Authentication credentials were not provided.",
    "authentication_failed": "Incorrect authentication credentials.",
    "permission_denied": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "method_not_allowed": "Method not allowed.",
    "not_acceptable": "Could not satisfy the request Accept header.",
    "throttled": "Request was throttled.",
    "parse_error": "Malformed request.",
    "unsupported_media_type": "Unsupported media type in request.",
    "invalid": "Invalid input.",
}


def _english(exc: drf_exceptions.APIException, code: str) -> str:
    """A detail our code wrote (in English) is kept; DRF's own default, translated into
    the active language, is replaced by its English text."""
    detail = exc.detail
    if not isinstance(detail, str):
        return _DRF_MESSAGES_EN["invalid"]
    if code in _DRF_MESSAGES_EN and (
        str(detail) == str(exc.default_detail)
        or not str(detail).isascii()
        or isinstance(exc, drf_exceptions.MethodNotAllowed | drf_exceptions.Throttled)
    ):
        return _DRF_MESSAGES_EN[code]
    return str(detail)


def exc_www_authenticate() -> str:
    from accounts.tokens import WWW_AUTHENTICATE

    return WWW_AUTHENTICATE


def exception_handler(exc, context):
    """Every error answer has `code`, `message_zh`, `message_en` and the `request_id` (and
    `details` for field errors), whether a service, DRF itself or Django refused the
    request. Anything else (a 500) is left to dezhou_carbon.errors.server_error, which
    answers the same envelope."""
    request = context.get("request")
    if isinstance(exc, ApplicationError):
        return Response(
            {**exc.as_dict(), "request_id": request_id_of(request)}, status=exc.status_code
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {
                "code": "too_large",
                "message_zh": "请求内容过大，已拒绝。",
                "message_en": "The request body is too large and was refused.",
                "request_id": request_id_of(request),
            },
            status=413,
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    codes = exc.get_codes()
    # A refusal of ours (dezhou_carbon/pagination.py) names its code and both messages.
    code = getattr(exc, "refusal_code", None) or (codes if isinstance(codes, str) else "invalid")
    body = {
        "code": code,
        "message_zh": getattr(exc, "message_zh", None) or _DRF_MESSAGES_ZH.get(code, "请求有误。"),
        "message_en": getattr(exc, "message_en", None) or _english(exc, code),
        "request_id": request_id_of(request),
    }
    if not isinstance(exc.detail, str):
        body["details"] = response.data
    response.data = body
    if getattr(exc, "refusal_code", "").startswith("token_"):
        # A token was offered and refused (accounts/tokens.py): 401 with the scheme, not
        # the 403 DRF derives from the session authenticator listed first.
        response.status_code = 401
        response["WWW-Authenticate"] = exc_www_authenticate()
    return response


# --- shared pieces of the API views and their schema --------------------------------------


class ApiViewMixin:
    """Checks every API view shares after authentication and permissions: a query string
    with a NUL character is refused (PostgreSQL cannot compare text with it)."""

    def initial(self, request, *args, **kwargs):
        # The enterprise wall (enterprises/middleware.py) for a request authenticated by an
        # API token, which the middleware cannot see: an energy manager naming another
        # enterprise's credit code anywhere in the request is refused (403, audited) before
        # any permission or view runs.
        self.perform_authentication(request)
        from enterprises.middleware import wall_refusal

        wall_refusal(request._request, request.user)
        super().initial(request, *args, **kwargs)
        for key, values in request.query_params.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise drf_exceptions.ValidationError(
                    {key.replace("\x00", ""): ["Null characters are not allowed."]}
                )


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_STATUSES = {
    "400": "Bad input: message_zh / message_en say why, details list every problem.",
    "401": "A token was sent and is malformed, unknown, revoked or expired "
    "(WWW-Authenticate: Token).",
    "403": "Not signed in, or not allowed: nothing was changed.",
    "404": "No such object (or not visible to you).",
    "409": "Someone changed the data first: details carry both values.",
}


def error_responses_hook(result, generator, request, public):
    """drf-spectacular postprocessing: every operation documents its JSON errors (400, 401
    and 403 everywhere, 404 with a path parameter or a body, 409 for writes), with one Error
    schema."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message_zh": {"type": "string"},
                "message_en": {"type": "string"},
                "request_id": {"type": "string"},
                "details": {},
            },
            "required": ["code", "message_zh", "message_en"],
        },
    )
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            wanted = ["400", "401", "403"]
            if "{" in path or method != "get":  # a write may name an unknown object
                wanted.append("404")
            if method != "get":
                wanted.append("409")
            responses = operation.setdefault("responses", {})
            for status in wanted:
                responses.setdefault(
                    status,
                    {
                        "description": _ERROR_STATUSES[status],
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    },
                )
    return result


class ApiDocsView(SpectacularSwaggerView):
    """The API docs page (Swagger UI). A visitor who is not signed in is sent to sign in
    and comes back here, instead of a bare 403 (the demo's start message links here)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)
