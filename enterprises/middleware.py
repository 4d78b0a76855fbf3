"""The wall around an enterprise (issue 17 #9): an energy manager's request that names
another enterprise's credit code — in the path, a query parameter or a form/JSON field — is
refused at the door with a zh/en message before any view runs, and audited as an attempt.
The views and services check the same rule (accounts.permissions.can_read_enterprise);
this is the one place that answers every address alike, pages and API, also the ones
added later."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

from accounts import permissions

# An 18-character unified social credit code (GB 32100 alphabet, case-insensitive), not
# part of a longer run of letters and digits.
CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NP-RTUWXYa-hj-np-rtuwxy]{18}(?![0-9A-Za-z])")
ZH = "您只能查看和填报本企业的数据，不能访问其他企业的数据。"
EN = "You can only see and report your own enterprise's data, not another enterprise's."


def other_codes(request, own: str) -> list[str]:
    """Credit codes other than `own` the request names (path, query, a form or JSON body)."""
    texts = [unquote_plus(request.path), unquote_plus(request.META.get("QUERY_STRING", ""))]
    content_type = request.content_type or ""
    if request.method not in ("GET", "HEAD", "OPTIONS") and (
        content_type == "application/x-www-form-urlencoded" or content_type.endswith("json")
    ):
        texts.append(unquote_plus(request.body.decode("utf-8", "replace")))
    found = {match.upper() for text in texts for match in CODE.findall(text)}
    return sorted(code for code in found if code != own)


def wall_refusal(request, user) -> None:
    """For the API's token-authenticated requests (dezhou_carbon.api.ApiViewMixin): the
    same rule as the middleware, raised as a 403 `enterprise_wall` refusal, each named code
    audited as an attempt. Nothing for anyone but an energy manager."""
    if not permissions.is_energy_manager(user):
        return
    named = other_codes(request, user.enterprise.code)
    if not named:
        return
    from dezhou_carbon.exceptions import PermissionRefused
    from enterprises.services import enterprise_access_refused_record

    for code in named[:5]:
        enterprise_access_refused_record(
            user=user, code=code, where=f"{request.method} {request.get_full_path()}"
        )
    raise PermissionRefused(ZH, EN, code="enterprise_wall")


class EnterpriseWallMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and permissions.is_energy_manager(user):
            own = user.enterprise.code
            named = other_codes(request, own)
            if named:
                return self._refuse(request, user, named)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, user, codes: list[str]):
        from django.utils.translation import gettext

        from dezhou_carbon import errors
        from enterprises.services import enterprise_access_refused_record

        for code in codes[:5]:
            enterprise_access_refused_record(
                user=user, code=code, where=f"{request.method} {request.get_full_path()}"
            )
        if errors.is_api(request):
            return errors.api_error(request, 403, "enterprise_wall", ZH, EN)
        return errors.error_page(request, 403, detail=gettext(ZH))
