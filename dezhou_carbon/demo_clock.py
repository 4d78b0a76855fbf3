"""The demo's clock (`setup_park --demo` only): the demo replays a park's history through
the real services, and each step must carry the date it would have had — a quarter's
submissions inside that quarter's reporting window, its approvals a day or two later —
or the assessment reads every unit as late. `demo_at(moment)` runs a block as if it were
`moment`: `django.utils.timezone.now` (and so `localdate`, auto_now fields and audit
events) reads `moment` plus the time elapsed in the block. Never later than the real now:
a step planned in the future happens now.

Only the demo loader uses it, in one thread (the management command or a test calling
it); nothing that serves requests does."""

from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.utils import timezone

PARK_TIME = ZoneInfo("Asia/Shanghai")
_lock = threading.RLock()


def park_moment(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    """`day` at `hour`:`minute` in the park (Asia/Shanghai), aware."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARK_TIME)


@contextmanager
def demo_at(moment: dt.datetime):
    """Run the block as if it were `moment` (capped at the real now)."""
    with _lock:
        real_now = timezone.now
        started = real_now()
        offset = started - min(moment, started)

        def now() -> dt.datetime:
            return real_now() - offset

        timezone.now = now
        try:
            yield
        finally:
            timezone.now = real_now


def on_day(day: dt.date, hour: int = 9, minute: int = 30):
    """`demo_at` the park's `day` at `hour`:`minute`."""
    return demo_at(park_moment(day, hour, minute))
