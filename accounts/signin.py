"""Signing in behind a park's NAT and reverse proxy, with django-axes counting failures.

Axes locks out a (username, client address) pair, never a whole address: a department shares
one NAT address, so locking by address alone would let one person's typos — or anyone who
knows a colleague's username — shut the whole office out (settings.py, AXES_*).
"""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext


def client_address(request) -> str:
    """The address the person's browser connects from.

    Behind our reverse proxy (`DJANGO_BEHIND_PROXY`), REMOTE_ADDR is the proxy itself; each
    trusted proxy appends the address it received the request from to X-Forwarded-For, so
    the client is the entry `DJANGO_PROXY_COUNT` places from the right. Entries further left
    are whatever the browser sent and are never trusted. Without a proxy, or when the header
    is shorter than the proxy chain (a request that bypassed the proxy), REMOTE_ADDR."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.PROXY_COUNT
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count][:64]
    return remote[:64]


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return gettext(
        "登录失败次数过多：该账号在此地址已暂时锁定，请 %(minutes)d 分钟后再试。"
        "如忘记密码，请联系系统管理员。"
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """The sign-in page again, saying why and for how long (status 429), instead of axes'
    bare text. The form is unbound: binding it would authenticate once more."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": str(username)[:150]})
    context = {
        "form": form,
        "lockout_message": lockout_message(),
        "next": request.POST.get("next", request.GET.get("next", "")),
    }
    return render(request, "accounts/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
