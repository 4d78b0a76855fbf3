"""Telling people things: a notification in the product, and by e-mail where asked."""

import logging

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from reporting.models import Notification

logger = logging.getLogger(__name__)


def notify(
    users,
    *,
    kind: str,
    message_zh: str,
    message_en: str,
    link: str = "",
    dedupe_key: str = "",
    email: bool = False,
) -> int:
    """Notify each user once (a `dedupe_key` makes repeated calls no-ops); with `email`,
    also send a bilingual e-mail after commit. Returns how many were notified."""
    sent = 0
    for user in users:
        try:
            with transaction.atomic():
                Notification.objects.create(
                    user=user,
                    kind=kind,
                    message_zh=message_zh,
                    message_en=message_en,
                    link=link,
                    dedupe_key=dedupe_key,
                )
        except IntegrityError:
            continue  # already notified for this key
        sent += 1
        if email and user.email:
            transaction.on_commit(
                lambda address=user.email: _send(address, message_zh, message_en), robust=True
            )
    return sent


def _send(address: str, message_zh: str, message_en: str) -> None:
    try:
        send_mail(
            subject=f"[德州经开区碳达峰] {message_zh[:40]}",
            message=f"{message_zh}\n\n{message_en}",
            from_email=None,
            recipient_list=[address],
        )
    except Exception:  # the notification in the product stands; the mail server may be down
        logger.warning("could not e-mail %s", address, exc_info=True)


def notifications_mark_read(user) -> int:
    """Mark every unread notification of `user` read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
