"""A content security policy for every page: scripts only from this server (no inline
script, no eval), nothing loaded from anywhere else — parks run on intranets. And NUL
characters refused at the door."""

import re

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Plotly sets style attributes on the chart elements it draws.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# Swagger UI's page (served from the installed sidecar package) starts itself with one
# inline script; that page alone may run inline script, still never eval.
DOCS_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            docs = request.path.startswith("/api/docs")
            response["Content-Security-Policy"] = DOCS_POLICY if docs else POLICY
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        return response


class RefuseNulCharactersMiddleware:
    """A NUL character in a request's parameters or form fields is refused with a 400 before
    any view reads it (issue 14 #5): PostgreSQL cannot store or compare text with one, so it
    surfaced as HTTP 500 in the entry form, the plan board, history and audit filters.

    Checked: the query string (every page and API), a urlencoded or JSON body (the raw bytes,
    so `\\u0000` in JSON too), and a multipart form's fields (not its files' contents). A view
    that installs its own upload handlers exempts itself from CSRF at the door for that
    (reporting/upload_views.py, DRF's views); its form is not read here, since reading it
    would take that from it: DRF's fields refuse NUL themselves."""

    # `\u0000` escaped in JSON text, but not a literal backslash before `u0000` (`\\u0000`):
    # an even run of backslashes before it is text, an odd one an escape.
    _JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._query_has_nul(request) or self._body_has_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or not request.content_type.startswith("multipart/"):
            return None
        if getattr(view_func, "csrf_exempt", False):
            return None
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return self._refuse(request)
        return None

    @staticmethod
    def _query_has_nul(request) -> bool:
        if "%00" in request.META.get("QUERY_STRING", "") or "\x00" in request.path:
            return True
        return any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        )

    def _body_has_nul(self, request) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.content_type or ""
        if content_type == "application/x-www-form-urlencoded":
            return b"\x00" in request.body or b"%00" in request.body
        if content_type == "application/json" or content_type.endswith("+json"):
            return b"\x00" in request.body or bool(self._JSON_NUL.search(request.body))
        return False

    @staticmethod
    def _refuse(request):
        from dezhou_carbon import errors

        zh = "请求中含有空字符（NUL），已拒绝；请删除后重新提交。"
        en = "The request contains a NUL character and was refused; remove it and try again."
        if errors.is_api(request):
            return errors.api_error(request, 400, "null_character", zh, en)
        from django.utils.translation import gettext

        return errors.error_page(request, 400, detail=gettext(zh))
