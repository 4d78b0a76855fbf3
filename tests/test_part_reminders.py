"""Reminders and the completeness board cover the units' task parts like their figures
(issue 16 item 2): a unit with open parts not reported in the quarter's round is reminded
before and after the deadline (once each) and shows on the board with reported / due."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from reporting.models import Notification, ReportingRound
from reporting.services import reminders_send
from tasks.models import Department, PartReport, WorkItemPart
from tasks.selectors import part_completeness
from tasks.workflow import part_report_return, part_report_submit

pytestmark = pytest.mark.django_db
PERIOD = "2026Q3"
DEADLINE = dt.date(2026, 10, 20)


@pytest.fixture
def quarter(park, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ReportingRound.objects.create(period=PERIOD, year=2026, quarter=3, deadline=DEADLINE)


def _person(username, role, code):
    return User.objects.create_user(
        username=username, role=role, department=Department.objects.get(code=code)
    )


def _report_every_part(code, user):
    """Every open part of a unit reported in the quarter (as the service leaves them)."""
    parts = WorkItemPart.objects.filter(department__code=code, work_item__verified_at__isnull=True)
    PartReport.objects.bulk_create(
        PartReport(
            part=part,
            period=PERIOD,
            progress="in_progress",
            narrative="推进中",
            submitted_by=user,
            submitted_at=timezone.now(),
        )
        for part in parts
    )
    return parts.count()


def _row(page, code):
    match = re.search(rf'<tr data-unit="{code}"[^>]*>.*?</tr>', page, flags=re.S)
    assert match, code
    return match.group(0)


def test_units_that_have_not_reported_their_parts_are_reminded_once_each(
    quarter, other_clerk, clerk
):
    eit_clerk = _person("qian.eit", User.Role.CLERK, "EIT")
    _report_every_part("EIT", eit_clerk)
    part_report_submit(
        part=WorkItemPart.objects.get(work_item__code="5.1", department__code="ECO"),
        period=PERIOD, progress="in_progress", narrative="推进中", user=other_clerk,
    )  # fmt: skip
    eco_due = WorkItemPart.objects.filter(department__code="ECO").count()

    assert reminders_send(today=DEADLINE - dt.timedelta(days=30)) == 0  # too early
    reminders_send(today=DEADLINE - dt.timedelta(days=1))
    near = Notification.objects.get(user=other_clerk, kind="parts_deadline_near")
    assert f"还有 {eco_due - 1} 项工作要点分工未报送" in near.message_zh
    assert f"{eco_due - 1} part(s)" in near.message_en
    assert near.link == reverse("tasks:todo")
    assert Notification.objects.filter(user=clerk, kind="parts_deadline_near").exists()
    # A unit that reported every open part is not reminded of its parts.
    assert not Notification.objects.filter(user=eit_clerk, kind__startswith="parts_").exists()
    # Once per person, however often the job runs.
    reminders_send(today=DEADLINE)
    assert Notification.objects.filter(user=other_clerk, kind="parts_deadline_near").count() == 1

    reminders_send(today=DEADLINE + dt.timedelta(days=1))
    passed = Notification.objects.get(user=other_clerk, kind="parts_deadline_passed")
    assert "已于 2026-10-20 截止" in passed.message_zh


def test_a_returned_report_counts_as_not_reported_and_a_yearly_round_has_no_parts(
    park, other_clerk
):
    ReportingRound.objects.create(period=PERIOD, year=2026, quarter=3, deadline=DEADLINE)
    eco_head = _person("zhou.eco.head", User.Role.HEAD, "ECO")
    report = part_report_submit(
        part=WorkItemPart.objects.get(work_item__code="5.1", department__code="ECO"),
        period=PERIOD, progress="in_progress", narrative="推进中", user=other_clerk,
    )  # fmt: skip
    eco = {r.department.code: r for r in part_completeness(PERIOD)}["ECO"]
    assert (eco.reported, eco.returned) == (1, 0)
    part_report_return(report=report, user=eco_head, comment="请补充数量")
    eco = {r.department.code: r for r in part_completeness(PERIOD)}["ECO"]
    assert (eco.reported, eco.returned, eco.missing) == (0, 1, eco.due)
    # Every unit with parts is on the board (the plan gives parts to twelve of the thirteen).
    with_parts = Department.objects.filter(work_item_parts__isnull=False).distinct().count()
    assert len(part_completeness(PERIOD)) == with_parts >= 12

    from tasks.workflow import part_report_reminders_send

    yearly = ReportingRound(period="2026", year=2026, quarter=None, deadline=DEADLINE)
    assert part_report_reminders_send(reporting_round=yearly, kind="deadline_near") == 0


def test_the_board_shows_each_units_parts_late_after_the_deadline_in_fixed_queries(
    quarter, other_clerk, committee_member
):
    quarter.deadline = timezone.localdate() - dt.timedelta(days=1)
    quarter.save()
    eit_clerk = _person("qian.eit", User.Role.CLERK, "EIT")
    part_report_submit(
        part=WorkItemPart.objects.get(work_item__code="5.1", department__code="ECO"),
        period=PERIOD, progress="in_progress", narrative="推进中", user=other_clerk,
    )  # fmt: skip
    client = Client()
    client.force_login(committee_member)
    url = reverse("reporting:board", args=[PERIOD])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    eco = _row(page, "ECO")
    due = WorkItemPart.objects.filter(department__code="ECO").count()
    assert f'data-due="{due}" data-reported="1"' in eco
    assert "data-late" in eco

    eit_due = _report_every_part("EIT", eit_clerk)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    eit = _row(page, "EIT")
    assert f'data-due="{eit_due}" data-reported="{eit_due}"' in eit
    assert "data-late" not in eit
    assert len(many) == len(few)

    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(committee_member)
    assert "Task parts reported" in english.get(url).content.decode()
