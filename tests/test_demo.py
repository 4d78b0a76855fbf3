"""The demo looks like a park (issue 15, "Demo data that looks like a park" and the
newcomer's first hour): named people approve through the real workflow (never their own
submission), every item a department reports is filled, quarters follow the seasons, work
items and warnings stand in each state, and the summary counts what it raised."""

import re
from collections import defaultdict
from decimal import Decimal

import pytest

from accounts.demo import CURRENT_PERIOD, REPORTING_DEPARTMENTS, WORKFLOW_FROM_YEAR, demo_setup
from accounts.models import User
from accounts.services import SYSTEM_USERNAME
from dashboards.models import EarlyWarning
from indicators.demo import SEASONS, UNUSED_FUELS, demo_rows
from indicators.models import DepartmentPeriod, Figure, StatisticalItem
from tasks.models import WorkItem

pytestmark = pytest.mark.django_db


def test_the_demo_looks_like_a_park_and_a_second_run_changes_nothing(park, settings, tmp_path):
    """One demo run (it takes a while) read by every check below, then a second run."""
    settings.MEDIA_ROOT = tmp_path
    progress = []
    demo = (demo_setup(progress.append), progress)
    _every_reporting_department_has_a_named_clerk_and_head(demo)
    _quarters_since_2025_were_approved_by_the_head_not_the_submitter(demo)
    _the_current_quarter_is_mid_round(demo)
    _every_item_a_department_reports_is_filled_zeros_for_unused_fuels(demo)
    _work_items_and_warnings_stand_in_each_state(demo)
    _the_summary_counts_the_warnings_it_raised_and_shows_progress(demo)
    _every_step_is_dated_inside_its_quarters_round(demo)
    _the_2025_assessment_grades_most_units_good_or_excellent(demo)
    _running_the_demo_again_changes_nothing(demo)


def _every_reporting_department_has_a_named_clerk_and_head(demo):
    for code in REPORTING_DEPARTMENTS:
        staff = User.objects.filter(department__code=code)
        roles = set(staff.values_list("role", flat=True))
        assert {User.Role.CLERK, User.Role.HEAD} <= roles, code
        assert all(person.get_full_name() for person in staff), code


def _quarters_since_2025_were_approved_by_the_head_not_the_submitter(demo):
    rows = DepartmentPeriod.objects.filter(period__gte=str(WORKFLOW_FROM_YEAR)).select_related(
        "submitted_by", "decided_by"
    )
    approved = [row for row in rows if row.state == DepartmentPeriod.State.APPROVED]
    assert len(approved) >= 6 * 5  # six departments, five quarters at least
    for row in approved:
        assert row.decided_by.role == User.Role.HEAD
        assert row.submitted_by.role == User.Role.CLERK
        assert row.decided_by_id != row.submitted_by_id
    approvers = Figure.objects.filter(state=Figure.State.APPROVED).values_list(
        "decided_by__username", flat=True
    )
    assert SYSTEM_USERNAME not in set(approvers)


def _the_current_quarter_is_mid_round(demo):
    states = dict(
        DepartmentPeriod.objects.filter(period=CURRENT_PERIOD).values_list(
            "department__code", "state"
        )
    )
    assert states["DRS"] == "approved"
    assert states["NRB"] == "approved"  # the park's energy through Q3 is approved (budgets.demo)
    assert states["CON"] == "submitted"
    assert states["EIT"] == "open"
    assert states["ECO"] == "returned"


def _every_item_a_department_reports_is_filled_zeros_for_unused_fuels(demo):
    filled = defaultdict(set)
    for item, period in Figure.objects.filter(is_latest=True).values_list("item__code", "period"):
        filled[period].add(item)
    quarterly = set(
        StatisticalItem.objects.filter(
            frequency=StatisticalItem.Frequency.QUARTER, department__isnull=False
        ).values_list("code", flat=True)
    )
    for period in ("2021Q1", "2024Q4", "2025Q2", "2026Q2"):
        assert quarterly <= filled[period], (period, quarterly - filled[period])
    zeros = Figure.objects.filter(item__code__in=UNUSED_FUELS, period="2025Q3", is_latest=True)
    assert sorted(zeros.values_list("value", flat=True)) == [Decimal(0)] * len(UNUSED_FUELS)


def test_quarters_follow_the_seasons_and_add_up_to_their_year():
    values = defaultdict(dict)
    for row in demo_rows():
        values[row["period"]][row["item"]] = Decimal(row["value"])
    heat = [values[f"2025Q{q}"]["heat_purchased"] for q in (1, 2, 3)]
    assert len(set(heat)) == 3  # not the same three quarters
    assert heat[0] > 2 * heat[2]  # winter heating
    pv = [values[f"2025Q{q}"]["electricity_pv"] for q in (1, 2, 3, 4)]
    assert max(pv) in (pv[1], pv[2])  # solar peaks in spring and summer
    for item, shares in SEASONS.items():
        assert sum(shares) == 1, item


def _work_items_and_warnings_stand_in_each_state(demo):
    from tasks.models import PartReport

    # Work items have no hand-set status: their parts are reported in every state.
    states = set(PartReport.objects.values_list("state", flat=True))
    assert {"submitted", "approved", "cosigned"} <= states
    assert WorkItem.objects.filter(verified_at__isnull=False).exists()
    states = set(EarlyWarning.objects.values_list("state", flat=True))
    assert {"open", "acknowledged"} <= states
    assert states & {"resolved", "closed"}


def _the_summary_counts_the_warnings_it_raised_and_shows_progress(demo):
    lines, progress = demo
    summary = next(line for line in lines if "new warnings" in line)
    new = int(re.search(r"(\d+) new warnings", summary).group(1))
    assert new == EarlyWarning.objects.count() > 0
    assert len(progress) >= 5  # the steps of the long part are told as they start


def _every_step_is_dated_inside_its_quarters_round(demo):
    """Issue 20 item 1: the workflow's steps carry the days they would have had, not the
    day the demo was loaded: each quarter's first submission inside its round (the one
    late submission aside), the approvals after it, the 2025 work items verified in
    December 2025, the warnings raised after the 2026Q3 deadline and answered days later."""
    import datetime as dt

    from django.utils import timezone

    from accounts.demo import LATE, RETURNED
    from audit.models import AuditEvent
    from reporting.models import ReportingRound

    deadlines = dict(ReportingRound.objects.values_list("period", "deadline"))
    submits = AuditEvent.objects.filter(object_type="department_period", action="submit")
    first = {}
    for code, period, at in submits.order_by("at").values_list("department_code", "period", "at"):
        first.setdefault((code, period), timezone.localdate(at))
    assert len(first) >= 6 * 7
    for (code, period), day in first.items():
        ended = dt.date.fromisoformat(str(deadlines[period])) - dt.timedelta(days=15)
        assert day > ended, (code, period, day)  # after the period ended
        assert (day <= deadlines[period]) is ((code, period) not in LATE), (code, period, day)
    returned = set(
        AuditEvent.objects.filter(object_type="department_period", action="return")
        .exclude(period="2026Q3")
        .values_list("department_code", "period")
    )
    assert returned == RETURNED
    for row in DepartmentPeriod.objects.filter(state=DepartmentPeriod.State.APPROVED).exclude(
        period__lt=str(WORKFLOW_FROM_YEAR)
    ):
        assert row.decided_at > row.submitted_at, row
        assert timezone.localdate(row.decided_at) <= deadlines[row.period] + dt.timedelta(days=5), (
            row
        )
    verified = WorkItem.objects.filter(due_year=2025).values_list("verified_at", flat=True)
    assert verified
    assert all(dt.date(2025, 12, 1) <= timezone.localdate(at) <= dt.date(2025, 12, 31)
               for at in verified)  # fmt: skip
    raised = {
        timezone.localdate(w.created_at)
        for w in EarlyWarning.objects.filter(kind__in=["status", "deadline"]).exclude(
            title_zh__contains="一企一策"
        )
    }
    assert min(raised) == dt.date(2026, 10, 16)
    answered = EarlyWarning.objects.filter(signed_off_at__isnull=False)
    assert answered.exists()
    for warning in answered:
        assert warning.signed_off_at > warning.created_at


def _the_2025_assessment_grades_most_units_good_or_excellent(demo):
    """With the steps dated, the 2025 scores read the park's year: most units 良好 or 优秀,
    two weaker (CON: a late submission and a red target; DRS: targets without data, 79.73
    before the committee's +2 in assessment.demo), nobody 不合格."""
    from collections import Counter

    from assessment import selectors

    rows = [row for row in selectors.year_scores(2025) if row["grade"] != "not_assessed"]
    grades = Counter(row["grade"] for row in rows)
    assert len(rows) >= 8
    assert grades["excellent"] + grades["good"] >= len(rows) - 2, grades
    assert grades["fail"] == 0, grades
    weaker = {row["department"] for row in rows if row["grade"] not in ("excellent", "good")}
    assert weaker == {"CON", "DRS"}, rows


def _running_the_demo_again_changes_nothing(demo):
    figures = Figure.objects.count()
    periods = list(DepartmentPeriod.objects.order_by("pk").values_list("state", flat=True))
    lines = demo_setup()
    assert Figure.objects.count() == figures
    assert list(DepartmentPeriod.objects.order_by("pk").values_list("state", flat=True)) == (
        periods
    )
    assert "0 new warnings" in next(line for line in lines if "new warnings" in line)
