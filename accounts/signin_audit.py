"""Sign-ins, failed sign-ins and lockouts go to the audit trail (who, when, from where).

Django's and django-axes's authentication signals are the only entry points to a sign-in
(the login view is theirs), so these receivers are connected explicitly by `connect()`,
called from AccountsConfig.ready(). The product's own state changes use no signals."""

from datetime import timedelta

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.utils import timezone

from accounts.signin import client_address
from audit.models import AuditEvent
from audit.services import audit_record


def _address(request) -> str:
    # The same address django-axes counts failures against (the client behind the proxy).
    return client_address(request) if request is not None else ""


def record_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="login", details={"ip": _address(request)})


def record_failed_login(sender, credentials, request=None, **kwargs):
    """Every refused sign-in, including those refused because of a lockout."""
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=f"? {username}",
        action="login_failed",
        details={"ip": _address(request), "username": username},
    )


def record_lockout(sender, request, username, ip_address, **kwargs):
    """One record when a (username, address) pair gets locked out. Axes signals again on
    each attempt refused during the lockout; those are already `login_failed` records."""
    username = str(username or "")[:150]
    ip_address = str(ip_address or "")[:64]
    cooloff = settings.AXES_COOLOFF_TIME or timedelta(0)
    already = AuditEvent.objects.filter(
        action="login_locked_out",
        at__gte=timezone.now() - cooloff,
        details__username=username,
        details__ip=ip_address,
    )
    if cooloff and already.exists():
        return
    audit_record(
        actor=f"? {username}",
        action="login_locked_out",
        details={
            "ip": ip_address,
            "username": username,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(cooloff.total_seconds() // 60),
        },
    )


def connect() -> None:
    user_logged_in.connect(record_login, dispatch_uid="accounts.signin_audit.login")
    user_login_failed.connect(record_failed_login, dispatch_uid="accounts.signin_audit.failed")
    user_locked_out.connect(record_lockout, dispatch_uid="accounts.signin_audit.locked_out")
