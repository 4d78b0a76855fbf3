from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _warnings_sync_queue() -> None:
    from dashboards.jobs import warnings_sync

    warnings_sync.delay()


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("管委会看板")

    def ready(self) -> None:
        from dezhou_carbon.followups import RESULTS_RECOMPUTED, follow

        follow(RESULTS_RECOMPUTED, _warnings_sync_queue)  # new results may raise warnings
