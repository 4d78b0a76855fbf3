"""A round that closes is frozen for its report (if a report request has not frozen it
already): the snapshot job is queued once the closing commits."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from reporting.models import ReportingRound


@receiver(post_save, sender=ReportingRound, dispatch_uid="reports_freeze_closed_round")
def freeze_closed_round(sender, instance: ReportingRound, raw: bool = False, **kwargs) -> None:
    if raw or instance.state != ReportingRound.State.CLOSED:
        return
    from reports.models import RoundSnapshot

    if RoundSnapshot.objects.filter(reporting_round_id=instance.pk).exists():
        return
    from reports.jobs import round_snapshot_job

    transaction.on_commit(lambda pk=instance.pk: round_snapshot_job.delay(pk), robust=True)
