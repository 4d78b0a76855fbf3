from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _round_freeze_queue(*, reporting_round_id: int) -> None:
    from reports.jobs import round_snapshot_job

    round_snapshot_job.delay(reporting_round_id)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报告与导出")

    def ready(self) -> None:
        from dezhou_carbon.followups import ROUND_CLOSED, follow

        # A round is frozen when it closes; rounds left unfrozen (broker down) are frozen
        # by the sweep (reports.jobs.round_freeze_sweep).
        follow(ROUND_CLOSED, _round_freeze_queue)
