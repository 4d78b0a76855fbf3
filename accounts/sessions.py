"""Signed-in sessions end after a period without activity and, active or not, a fixed time
after signing in (ASVS 7.3.1, 7.3.2). Both limits come from settings
(`DJANGO_SESSION_IDLE_MINUTES`, `DJANGO_SESSION_ABSOLUTE_HOURS`).

The session stores two timestamps: when the person signed in, and when they were last seen.
"Last seen" is written at most once per `SESSION_ACTIVITY_RESOLUTION` so that reading pages
does not write the session on every request; a session therefore ends between the idle
timeout and the idle timeout plus that resolution after the last request, never earlier.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext

from audit.services import audit_record

SIGNED_IN_AT = "dezhou_signed_in_at"
LAST_SEEN_AT = "dezhou_last_seen_at"


def _stamp(moment: datetime) -> float:
    return moment.timestamp()


def _moment(stamp) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(stamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@receiver(user_logged_in, dispatch_uid="accounts.sessions.session_start")
def session_start(sender, request, user, **kwargs):
    """A new sign-in starts both clocks (also when the same person signs in again within
    a session, which Django keeps rather than replaces)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = _stamp(timezone.now())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now


def session_expiry_reason(session, now: datetime) -> str:
    """Why a signed-in session with these stored timestamps has ended at `now`: "absolute",
    "idle", or "" while it is still valid."""
    signed_in_at = _moment(session.get(SIGNED_IN_AT))
    last_seen_at = _moment(session.get(LAST_SEEN_AT))
    if signed_in_at is not None and now - signed_in_at >= settings.SESSION_ABSOLUTE_TIMEOUT:
        return "absolute"
    # "Last seen" may lag the real last request by up to the resolution (see above).
    idle_limit = settings.SESSION_IDLE_TIMEOUT + settings.SESSION_ACTIVITY_RESOLUTION
    if last_seen_at is not None and now - last_seen_at >= idle_limit:
        return "idle"
    return ""


def expiry_message(reason: str) -> str:
    if reason == "absolute":
        hours = settings.SESSION_ABSOLUTE_TIMEOUT / timedelta(hours=1)
        return gettext("您已登录超过 %(hours)g 小时，为安全起见已自动退出，请重新登录。") % {
            "hours": hours
        }
    minutes = settings.SESSION_IDLE_TIMEOUT / timedelta(minutes=1)
    return gettext("您已 %(minutes)g 分钟没有操作，为安全起见已自动退出，请重新登录。") % {
        "minutes": minutes
    }


class SessionTimeoutMiddleware:
    """Signs a person out when their session is too old or has been idle too long, with a
    message on the next page (the sign-in page, where they are sent) and an audit record.
    Token-authenticated API calls have no session and are not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        session = request.session
        now = timezone.now()
        if SIGNED_IN_AT not in session:
            # A session from before these limits existed: its clocks start now.
            session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = _stamp(now)
            return
        reason = session_expiry_reason(session, now)
        if reason:
            signed_in_at = _moment(session.get(SIGNED_IN_AT))
            last_seen_at = _moment(session.get(LAST_SEEN_AT))
            audit_record(
                actor=user,
                action="session_expired",
                reason=reason,
                details={
                    "signed_in_at": signed_in_at.isoformat() if signed_in_at else None,
                    "last_seen_at": last_seen_at.isoformat() if last_seen_at else None,
                },
            )
            logout(request)  # flushes the session; the request continues signed out
            messages.info(request, expiry_message(reason))
            return
        last_seen_at = _moment(session.get(LAST_SEEN_AT))
        if last_seen_at is None or now - last_seen_at >= settings.SESSION_ACTIVITY_RESOLUTION:
            session[LAST_SEEN_AT] = _stamp(now)
