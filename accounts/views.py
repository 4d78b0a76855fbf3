"""The signed-in person's own pages: their API tokens (create — the key is shown once —,
renew, revoke). Writes go through accounts/tokens.py; this view only reads the form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import permissions
from accounts.models import ApiToken
from accounts.tokens import api_token_create, api_token_renew, api_token_revoke
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import says


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request):
    """Your API tokens with their expiry; create one (its key is shown on this answer
    only), renew one for another API_TOKEN_DAYS, or revoke one."""
    if not permissions.can_hold_api_token(request.user):
        raise PermissionDenied
    new_key = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                token, new_key = api_token_create(
                    user=request.user, name=request.POST.get("name", "")[:200]
                )
                messages.success(
                    request,
                    _("已创建令牌“%(name)s”。请立即复制保存：密钥只显示这一次。")
                    % {"name": token.name},
                )
            elif action in ("renew", "revoke"):
                token = get_object_or_404(ApiToken, pk=_int(request.POST.get("token")))
                if action == "renew":
                    token = api_token_renew(token=token, user=request.user)
                    messages.success(
                        request,
                        _("已将令牌“%(name)s”续期至 %(date)s。")
                        % {
                            "name": token.name,
                            "date": timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M"),
                        },
                    )
                else:
                    token = api_token_revoke(token=token, user=request.user)
                    messages.success(request, _("已吊销令牌“%(name)s”。") % {"name": token.name})
            else:
                messages.error(request, _("未知的操作。"))
                status = 400
        except PermissionRefused as error:
            raise PermissionDenied(says(error)) from error
        except ApplicationError as error:
            messages.error(request, says(error))
            status = 400
        if new_key is None and status == 200:
            return redirect("tokens")
    now = timezone.now()
    tokens = list(ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id"))
    for token in tokens:
        token.expired = token.expires_at <= now
        token.days_left = max((token.expires_at - now).days, 0)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "new_key": new_key, "token_days": _token_days()},
        status=status,
    )


def _token_days() -> int:
    from django.conf import settings

    return settings.API_TOKEN_DAYS


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
