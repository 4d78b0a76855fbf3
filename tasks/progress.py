"""The state of a work item and of a milestone target (management.md §3). Pure: plain values
in, a state code out; no database, table-tested in tests/test_task_progress.py.

A work item is 未开始 not started → 推进中 on track → 已完成待核验 done, awaiting
verification → 已销号 verified; 逾期 overdue when its due quarter has ended and it is not
verified. An item that restates a computed target has no state of its own: it shows the
target's status. A milestone target is achieved when every item tied to it is verified, red
once its year has passed without that, and neutral (a milestone in progress) before.
"""

from __future__ import annotations

import datetime as dt

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
AWAITING_VERIFICATION = "awaiting_verification"
VERIFIED = "verified"
OVERDUE = "overdue"

STATE_LABELS = {
    NOT_STARTED: ("未开始", "Not started"),
    IN_PROGRESS: ("推进中", "On track"),
    AWAITING_VERIFICATION: ("已完成待核验", "Done, awaiting verification"),
    VERIFIED: ("已销号", "Verified"),
    OVERDUE: ("逾期", "Overdue"),
}

# The derived states as choices (the API's enum of a work item's `status`).
STATE_CHOICES = [(code, zh) for code, (zh, _en) in STATE_LABELS.items()]

# What lead units declared by hand before parts existed, as older round snapshots hold it.
LEGACY_LABELS = {"done": ("已完成", "Done")}


def state_label(code: str, english: bool = False) -> str:
    """The label of a derived state, or of a legacy self-declared one (old snapshots)."""
    zh, en = STATE_LABELS.get(code) or LEGACY_LABELS.get(code) or (code, code)
    return en if english else zh


def counts_as_done(code: str) -> bool:
    """Verified (or, in an old snapshot, declared done)."""
    return code in (VERIFIED, "done")


MILESTONE_ACHIEVED = "achieved"
MILESTONE_RED = "red"
MILESTONE_OPEN = "milestone"

_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


def quarter_end(year: int, quarter: int) -> dt.date:
    month, day = _QUARTER_END[quarter]
    return dt.date(year, month, day)


def due_date(due_year: int | None, due_quarter: int | None) -> dt.date | None:
    """The last day of the due quarter (the year's end when only the year is given)."""
    if due_year is None:
        return None
    return quarter_end(due_year, due_quarter or 4)


def item_state(
    *,
    due: dt.date | None,
    verified: bool,
    lead_progress: str | None,
    started: bool,
    today: dt.date,
) -> str:
    """`lead_progress`: the progress the lead unit's latest approved report gives (not_started,
    in_progress, done or None); `started`: any part reported progress."""
    if verified:
        return VERIFIED
    if due is not None and today > due:
        return OVERDUE
    if lead_progress == "done":
        return AWAITING_VERIFICATION
    if started or lead_progress == "in_progress":
        return IN_PROGRESS
    return NOT_STARTED


def milestone_status(*, target_year: int | None, items_verified: list[bool], today: dt.date) -> str:
    """A milestone target's status from the verification of the items tied to it."""
    if items_verified and all(items_verified):
        return MILESTONE_ACHIEVED
    if target_year is not None and today > quarter_end(target_year, 4):
        return MILESTONE_RED
    return MILESTONE_OPEN


def quantity_progress(achieved, target):
    """Achieved ÷ target (a fraction), or None without a target."""
    if achieved is None or target is None or target == 0:
        return None
    return achieved / target
