from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _workspaces_refresh(**ids) -> None:
    """New results or a newly frozen round: the open workspaces are assembled again (the
    lower apps never import this one; dezhou_carbon.followups)."""
    from pilot.services import workspace_refresh_request

    workspace_refresh_request()


class PilotConfig(AppConfig):
    name = "pilot"
    verbose_name = _("试点进展报告")

    def ready(self) -> None:
        from dezhou_carbon.followups import RESULTS_RECOMPUTED, ROUND_FROZEN, follow

        follow(RESULTS_RECOMPUTED, _workspaces_refresh)
        follow(ROUND_FROZEN, _workspaces_refresh)
