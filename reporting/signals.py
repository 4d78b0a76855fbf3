"""Sign-ins and failed sign-ins go to the audit trail (who, when, from where)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.services import audit_record


def _address(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:64]


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="login", details={"ip": _address(request)})


@receiver(user_login_failed)
def record_failed_login(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        actor=f"? {username}",
        action="login_failed",
        details={"ip": _address(request), "username": username},
    )
