"""Celery jobs of the reporting calendar."""

from celery import shared_task


@shared_task
def reminders_send() -> int:
    """Deadline reminders (daily under beat; each person gets each reminder once)."""
    from reporting.services import reminders_send as send

    return send()
