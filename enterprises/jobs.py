"""Celery jobs of the enterprises app. Each calls one service and is safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def enterprise_checks(force: bool = False) -> int:
    """After new results (a recompute follows every approval): reconciliation warnings for
    the recent periods and the designation suggestions. Skipped while the results
    generation is the one already checked; returns the number of warnings raised."""
    from enterprises.services import enterprise_checks_run

    return enterprise_checks_run(force=force)


@shared_task(acks_late=True)
def gap_precompute() -> int:
    """The intensity page's attribution for the current results generation."""
    from enterprises.views import gap_contexts_precompute

    return gap_contexts_precompute()


@shared_task(acks_late=True)
def plan_deadlines() -> int:
    """Daily: every unfinished plan measure past its due quarter raises (or turns red) its
    warning, owned by the supervising department. Safe to run twice (one live warning per
    measure)."""
    from enterprises.work_services import plan_deadlines_sweep

    return len(plan_deadlines_sweep())
