"""Jobs of the energy budget. Each takes ids, calls one service and is safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def budget_recompute_job(year: int) -> int:
    """Use, forecast and status of the year's approved budget (queued after an approval)."""
    from budgets.services import budgets_recompute

    return budgets_recompute({year})


@shared_task(acks_late=True)
def budget_sweep() -> int:
    """Every approved budget again from the stored results (beat): a recompute whose
    follow-up was lost (a worker died after storing results) is caught up here."""
    from budgets.services import budgets_recompute

    return budgets_recompute()
