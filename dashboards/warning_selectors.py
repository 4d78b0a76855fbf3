"""Reads of early warnings shared by the warning pages (dashboards/warning_views.py) and
the API (dashboards/api.py): the list's filters, its counts and order, and which action a
person may take on a warning. Who sees and who answers is decided by
`accounts.permissions` (can_see_warning, can_answer_warning, can_sign_off_warning,
can_close_warnings) and, as queries, by `EarlyWarning.objects.visible_to / live / overdue`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, Q, Value, When

from accounts import permissions
from dashboards.models import EarlyWarning, overdue_condition
from tasks.models import Department

State = EarlyWarning.State
Level = EarlyWarning.Level
NO_DEPARTMENT = "none"  # the department filter's value for data anomalies (no owner)
LIVE = "live"  # the state filter's default: every warning not yet closed
ALL = "all"

# Each action of the response loop, and the state a warning must be in for it.
EXPECTED_STATE = {
    "acknowledge": State.OPEN,
    "sign_off": State.SUBMITTED,
    "resolve": State.ACKNOWLEDGED,
    "close": State.RESOLVED,
}


def may_see(user, warning: EarlyWarning) -> bool:
    return permissions.can_see_warning(user, warning.department_id)


def may_take(user, warning: EarlyWarning, action: str) -> bool:
    """May `user` take `action` on this warning at all (whatever its state)? A head may
    try to sign off; the service refuses the one who wrote the response (four eyes)."""
    if action in ("acknowledge", "resolve", "attach"):
        return permissions.can_answer_warning(user, warning.department_id)
    if action == "sign_off":
        return warning.department_id is not None and permissions.can_approve(
            user, warning.department_id
        )
    if action == "close":
        return permissions.can_close_warnings(user)
    return False


def next_action(user, warning: EarlyWarning) -> str:
    """The action `user` may take now, at the warning's state ("" when none): the head who
    wrote the response waits for another head to sign it off."""
    action = next(
        (
            name
            for name, state in EXPECTED_STATE.items()
            if warning.state == state and may_take(user, warning, name)
        ),
        "",
    )
    if action == "sign_off" and not permissions.can_sign_off_warning(
        user, warning.department_id, [warning.acknowledged_by_id]
    ):
        return ""
    return action


@dataclass
class Filters:
    state: str = LIVE
    level: str = ""
    department: str = ""
    flag: str = ""

    @classmethod
    def from_query(cls, query, *, departments: list[Department]) -> Filters:
        """The filters asked for; an unknown value is ignored (the filter is off)."""
        state = query.get("state", LIVE)
        level = query.get("level", "")
        department = query.get("department", "")
        flag = query.get("flag", "")
        codes = {d.code for d in departments} | {NO_DEPARTMENT}
        return cls(
            state=state if state in {LIVE, ALL, *State.values} else LIVE,
            level=level if level in Level.values else "",
            department=department if department in codes else "",
            flag=flag if flag in ("overdue", "escalated") else "",
        )

    def apply(self, warnings, now):
        if self.state == LIVE:
            warnings = warnings.live()
        elif self.state != ALL:
            warnings = warnings.filter(state=self.state)
        if self.level:
            warnings = warnings.filter(level=self.level)
        if self.department == NO_DEPARTMENT:
            warnings = warnings.filter(department__isnull=True)
        elif self.department:
            warnings = warnings.filter(department__code=self.department)
        if self.flag == "overdue":
            warnings = warnings.overdue(now)
        elif self.flag == "escalated":
            warnings = warnings.filter(escalated_at__isnull=False).live()
        return warnings

    @property
    def query_string(self) -> str:
        """These filters as a query string (the pager's links keep them)."""
        return urlencode({key: value for key, value in self.__dict__.items() if value})


STATE_ORDER = Case(
    *(When(state=state, then=Value(index)) for index, state in enumerate(State.values)),
    output_field=IntegerField(),
)
# Live before closed, red before yellow, newest first.
LIST_ORDER = (
    STATE_ORDER,
    Case(When(level=Level.RED, then=Value(0)), default=Value(1)),
    "-created_at",
    "-pk",
)


def warning_list(user, filters: Filters, now):
    """The warnings `user` may see under `filters`, in the list's order (one query)."""
    visible = EarlyWarning.objects.visible_to(user).select_related("department", "target")
    return filters.apply(visible, now).order_by(*LIST_ORDER)


def warning_counts(user, now) -> dict[str, int]:
    """One query over what `user` may see: warnings per state, live ones per level,
    overdue and escalated live ones."""
    live = ~Q(state=State.CLOSED)
    return EarlyWarning.objects.visible_to(user).aggregate(
        total=Count("pk"),
        live=Count("pk", filter=live),
        **{state: Count("pk", filter=Q(state=state)) for state in State.values},
        red=Count("pk", filter=live & Q(level=Level.RED)),
        yellow=Count("pk", filter=live & Q(level=Level.YELLOW)),
        overdue=Count("pk", filter=overdue_condition(now)),
        escalated=Count("pk", filter=live & Q(escalated_at__isnull=False)),
    )
