"""Follow-ups of a state change that another app acts on, registered by that app.

A lower app (indicators, reporting) must not import the apps built on it (dashboards,
reports): that is how import circles across apps start. So the one service of a state
change announces it by name once it has committed, and the app that follows up registers
its follow-up in its `AppConfig.ready()`. Unlike model signals, nothing fires on a plain
`save()`: only the service announces, and every event and its follow-ups are listed here.

- RESULTS_RECOMPUTED (indicators.jobs.recompute_job, after a recompute stored new results)
  → dashboards: queue `warnings_sync` (new results may raise or update warnings);
  → budgets: recompute the approved budgets' use, forecast and status in the same job
  (a yellow or red budget raises its warning through dashboards.services.warning_raise);
  the budgets' beat sweep catches up a follow-up that was lost.
- ROUND_CLOSED (reporting.services.round_close, after the closing commits)
  → reports: queue `round_snapshot_job` (freeze the round's report data). A closed round
  left unfrozen (broker down) is frozen by the reports' beat sweep.
- ROUND_FROZEN (reports.services.round_snapshot_take, after a new snapshot commits)
  → pilot: ask the open annual-report workspaces to be assembled again (they read the
  year's snapshot). The pilot also follows RESULTS_RECOMPUTED the same way; its beat sweep
  rebuilds a workspace whose request was lost or whose build is old.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable

logger = logging.getLogger(__name__)

RESULTS_RECOMPUTED = "results_recomputed"
ROUND_CLOSED = "round_closed"
ROUND_FROZEN = "round_frozen"
EVENTS = {RESULTS_RECOMPUTED, ROUND_CLOSED, ROUND_FROZEN}

_followups: dict[str, list[Callable[..., object]]] = defaultdict(list)


def follow(event: str, followup: Callable[..., object]) -> None:
    """Register `followup(**ids)` for `event` (once: registering it again changes nothing)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if followup not in _followups[event]:
        _followups[event].append(followup)


def followups(event: str) -> list[Callable[..., object]]:
    return list(_followups[event])


def announce(event: str, **ids: int) -> None:
    """Run every follow-up of `event` with the ids of what changed. Follow-ups queue jobs;
    one that fails (the broker down) is logged and the others still run: each event has a
    durable record behind it that a sweep acts on later."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for followup in followups(event):
        try:
            followup(**ids)
        except Exception:
            logger.warning("follow-up %s of %s failed", followup, event, exc_info=True)
