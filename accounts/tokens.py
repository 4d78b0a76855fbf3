"""API tokens for scripts: a person creates, renews and revokes their own; only a hash is
stored; a token runs out settings.API_TOKEN_DAYS after it was created or last renewed.

Kept apart from accounts/api.py on purpose: DRF imports the authentication class while
`rest_framework.views` itself is being imported, so this module must not import views."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts import permissions
from accounts.models import ApiToken, api_token_expiry
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused

KEY_BYTES = 32
PREFIX_LENGTH = 8
# Recording every use would write on every request; once a minute is enough to tell.
LAST_USED_EVERY = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 20


def key_hash(key: str) -> str:
    """The stored form of a key. Keys are 256 random bits, so a plain SHA-256 suffices
    (no slow password hash is needed against guessing)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(
    *, user, name: str, signed_in_with_token: bool = False
) -> tuple[ApiToken, str]:
    """Create a token for `user` themselves; returns it and its key (never stored)."""
    if not permissions.can_create_api_token(user, signed_in_with_token=signed_in_with_token):
        raise PermissionRefused(
            "只有能使用本系统的人员，在浏览器登录后，才能创建 API 令牌。",
            "Only people who use the product, signed in in the browser, can create API tokens.",
            code="permission_denied",
        )
    name = name.strip()
    if not name:
        raise ApplicationError(
            "请填写令牌名称（例如用途）。",
            "Give the token a name (e.g. what it is for).",
            code="name_required",
        )
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(
            f"有效令牌最多 {MAX_ACTIVE_TOKENS} 个，请先吊销不用的令牌。",
            f"At most {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use.",
            code="too_many_tokens",
        )
    key = secrets.token_urlsafe(KEY_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        expires_at=token_expiry(),
    )
    audit_record(
        actor=user,
        action="api_token_create",
        object_type="api_token",
        object_id=token.pk,
        new_value=token.prefix,
        reason=token.name,
        details={"expires_at": token.expires_at.isoformat()},
    )
    return token, key


def token_expiry():
    return api_token_expiry()


@transaction.atomic
def api_token_renew(*, token: ApiToken, user, signed_in_with_token: bool = False) -> ApiToken:
    """Extend one of the user's own tokens to API_TOKEN_DAYS from now (also an expired
    one: its owner decides). A revoked token stays revoked."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not permissions.can_renew_api_token(
        user, token.user_id, signed_in_with_token=signed_in_with_token
    ):
        raise PermissionRefused(
            "您只能在浏览器登录后续期自己的令牌。",
            "You can only renew your own tokens, signed in in the browser.",
            code="permission_denied",
        )
    if token.revoked_at is not None:
        raise ApplicationError(
            "该令牌已吊销，不能续期；请新建一个令牌。",
            "The token is revoked and cannot be renewed; create a new one.",
            code="token_revoked",
        )
    old = token.expires_at
    token.expires_at = token_expiry()
    token.save(update_fields=["expires_at"])
    audit_record(
        actor=user,
        action="api_token_renew",
        object_type="api_token",
        object_id=token.pk,
        old_value=old.isoformat(),
        new_value=token.expires_at.isoformat(),
        reason=token.name,
    )
    return token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user) -> ApiToken:
    """Revoke one of the user's own tokens (revoking twice changes nothing more)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not permissions.can_revoke_api_token(user, token.user_id):
        raise PermissionRefused(
            "您只能吊销自己的令牌。",
            "You can only revoke your own tokens.",
            code="permission_denied",
        )
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=user,
        action="api_token_revoke",
        object_type="api_token",
        object_id=token.pk,
        old_value=token.prefix,
        reason=token.name,
    )
    return token


class InvalidToken(exceptions.AuthenticationFailed):
    """A token was offered and is no good: HTTP 401 with `WWW-Authenticate` (the exception
    handler sets both; DRF alone answers 403, since the session comes first)."""

    def __init__(self, code: str, message_zh: str, message_en: str):
        super().__init__(message_en, code=code)
        self.refusal_code = code
        self.message_zh = message_zh
        self.message_en = message_en


WWW_AUTHENTICATE = 'Token realm="api"'


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` (or `Bearer <key>`) for scripts; the browser keeps its
    session. A malformed, unknown, revoked or expired key, or one of an inactive person, is
    refused with 401."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        malformed = InvalidToken(
            "token_malformed",
            "Authorization 请求头格式有误，应为“Token <令牌>”。",
            "Malformed Authorization header; send 'Token <key>'.",
        )
        if len(parts) != 2:
            raise malformed
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise malformed from error
        token = (
            ApiToken.objects.select_related("user", "user__department")
            .filter(key_hash=key_hash(key))
            .first()
        )
        if token is None or token.revoked_at is not None:
            raise InvalidToken(
                "token_invalid",
                "令牌无效或已吊销。",
                "Invalid or revoked token.",
            )
        now = timezone.now()
        if token.expires_at <= now:
            local = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
            raise InvalidToken(
                "token_expired",
                f"令牌已于 {local} 到期；请在浏览器登录后，在“API 令牌”页续期或新建令牌。",
                f"The token expired on {local} (Beijing time); renew it or create a new one "
                "on the API tokens page, signed in in the browser.",
            )
        if not token.user.is_active:
            raise InvalidToken("token_invalid", "令牌所属用户已停用。", "User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return WWW_AUTHENTICATE
