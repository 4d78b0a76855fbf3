from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _budget_recompute_followup() -> None:
    """After a recompute stored new results: the budgets' use, forecast and status follow
    in the same job (the engine never imports this app; dezhou_carbon.followups)."""
    from budgets.services import budgets_recompute

    budgets_recompute()


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = _("用能预算")

    def ready(self) -> None:
        from dezhou_carbon.followups import RESULTS_RECOMPUTED, follow

        follow(RESULTS_RECOMPUTED, _budget_recompute_followup)
