"""Background jobs of the footprint accounting."""

from celery import shared_task

from footprints import services


@shared_task(name="footprints.jobs.certificate_reminders")
def certificate_reminders() -> int:
    """Daily: remind of certificates ending within 90 days (once per person and certificate)."""
    return services.certificate_expiry_remind()
