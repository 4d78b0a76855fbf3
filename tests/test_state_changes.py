"""Every state change through one service: the page generation that keeps the cached
overview in step with submission states, rounds and deadlines (issue 13 defects 1 and 2),
the round services used by the admin, the frozen-on-close promise with the broker down
(defect 3), and no domain signals left in the code."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.cache import page_generation, page_generation_bump
from indicators.models import DepartmentPeriod, StatisticalItem
from reporting.models import ReportingRound
from reporting.services import round_close, round_deadline_change, round_open
from reporting.workflow import import_batch_undo
from reports.models import RoundSnapshot
from reports.services import closed_rounds_freeze
from tests.helpers import department_fill, import_rows

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)
PERIOD = "2026Q3"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _overview(client: Client) -> str:
    """The overview as this session sees it (cached per session: same client, same key)."""
    response = client.get(reverse("dashboards:overview"))
    assert response.status_code == 200
    return response.content.decode()


def _drs_state(html: str) -> str:
    return re.search(r'<li data-department="DRS" data-state="([a-z_]+)"', html)[1]


def _deadline_shown(html: str) -> str:
    return re.search(r"(?:截止日期|Deadline) ([0-9-]{10})", html)[1]


def _drs_rows(value: str) -> list[dict]:
    codes = StatisticalItem.objects.filter(department__code="DRS", frequency="quarter").values_list(
        "code", flat=True
    )
    return [{"period": PERIOD, "item": code, "value": value} for code in codes]


@pytest.fixture
def stats_staff(park):
    """The statistics office's admin user (staff: the admin pages serve reference data)."""
    return User.objects.create_user(
        "qian.stats", role=User.Role.STATISTICS_OFFICE, is_staff=True, password="x" * 20
    )


# --- the cached overview follows every state change ------------------------------------------


def test_an_import_and_its_undo_show_at_once_on_the_cached_overview(
    committee_member, clerk, statistics_office
):
    """Defect 1: imports and undo change department periods with QuerySet.update(), which
    leaves updated_at alone; the overview cached under MAX(updated_at) kept showing the
    old state for up to a week."""
    committee = _signed_in(committee_member)
    round_open(period=PERIOD, user=statistics_office)
    department_fill("DRS", PERIOD, user=clerk)
    assert _drs_state(_overview(committee)) == "open"

    outcome = import_rows(_drs_rows("1"), user=statistics_office, approve=False)
    assert DepartmentPeriod.objects.get(department__code="DRS", period=PERIOD).state == (
        "submitted"
    )
    assert _drs_state(_overview(committee)) == "submitted"

    import_batch_undo(batch=outcome.batch, user=statistics_office)
    assert DepartmentPeriod.objects.get(department__code="DRS", period=PERIOD).state == "open"
    assert _drs_state(_overview(committee)) == "open"


def test_a_deadline_moved_in_the_admin_shows_at_once_on_the_cached_overview(
    committee_member, stats_staff
):
    """Defect 2: the stamp counted rounds but not their deadlines."""
    committee = _signed_in(committee_member)
    reporting_round = round_open(period=PERIOD, user=stats_staff)
    assert _deadline_shown(_overview(committee)) == "2026-10-15"

    admin = Client()
    admin.force_login(stats_staff)
    response = admin.post(
        reverse("admin:reporting_reportinground_change", args=[reporting_round.pk]),
        {"deadline": "2026-10-30", "reason": "国庆假期顺延"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    reporting_round.refresh_from_db()
    assert reporting_round.deadline == dt.date(2026, 10, 30)
    event = AuditEvent.objects.get(action="round_deadline_change")
    assert (event.actor, event.old_value, event.new_value, event.reason) == (
        stats_staff,
        "2026-10-15",
        "2026-10-30",
        "国庆假期顺延",
    )
    assert _deadline_shown(_overview(committee)) == "2026-10-30"


def test_the_page_generation_moves_again_once_the_change_commits(
    statistics_office, django_capture_on_commit_callbacks
):
    """A page built between the change and its commit (from the state before) must not be
    read afterwards: the generation moves once more after the commit."""
    reporting_round = round_open(period=PERIOD, user=statistics_office)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        round_deadline_change(
            reporting_round=reporting_round,
            deadline=dt.date(2026, 10, 20),
            user=statistics_office,
            reason="顺延",
        )
    assert page_generation_bump in callbacks
    before = page_generation()
    for callback in callbacks:
        callback()
    assert page_generation() == before + 1


def test_a_refused_change_leaves_the_cached_overview_alone(committee_member, clerk):
    """The generation moves for changes, not for refusals (nothing to rebuild)."""
    _overview(_signed_in(committee_member))
    before = page_generation()
    reporting_round = ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 15)
    )
    with pytest.raises(PermissionRefused):
        round_close(reporting_round=reporting_round, user=clerk)
    assert page_generation() == before


# --- the round services --------------------------------------------------------------------


def test_closing_a_round_is_audited_once_and_freezes_it(
    statistics_office, django_capture_on_commit_callbacks
):
    reporting_round = round_open(period=PERIOD, user=statistics_office)
    with django_capture_on_commit_callbacks(execute=True):
        round_close(reporting_round=reporting_round, user=statistics_office, reason="按期结束")
    reporting_round.refresh_from_db()
    assert reporting_round.state == "closed"
    assert RoundSnapshot.objects.filter(reporting_round=reporting_round).exists()
    closing = AuditEvent.objects.get(action="round_close")
    assert (closing.actor, closing.period, closing.old_value, closing.new_value) == (
        statistics_office,
        PERIOD,
        "open",
        "closed",
    )
    round_close(reporting_round=reporting_round, user=statistics_office)  # again: no-op
    assert AuditEvent.objects.filter(action="round_close").count() == 1


def test_round_changes_are_refused_to_others_and_out_of_rule(
    statistics_office, clerk, committee_member
):
    reporting_round = round_open(period=PERIOD, user=statistics_office)
    for person in (clerk, committee_member):
        with pytest.raises(PermissionRefused):
            round_close(reporting_round=reporting_round, user=person)
        with pytest.raises(PermissionRefused):
            round_deadline_change(
                reporting_round=reporting_round,
                deadline=dt.date(2026, 11, 1),
                user=person,
                reason="x",
            )

    def change(deadline, reason="顺延"):
        return round_deadline_change(
            reporting_round=reporting_round,
            deadline=deadline,
            user=statistics_office,
            reason=reason,
        )

    with pytest.raises(ApplicationError) as no_reason:
        change(dt.date(2026, 11, 1), reason="  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(ApplicationError) as too_early:
        change(dt.date(2026, 9, 29))
    assert too_early.value.code == "invalid"
    round_close(reporting_round=reporting_round, user=statistics_office)
    with pytest.raises(ApplicationError) as closed:
        change(dt.date(2026, 11, 1))
    assert closed.value.code == "invalid_state"
    reporting_round.refresh_from_db()
    assert reporting_round.deadline == dt.date(2026, 10, 15)
    assert not AuditEvent.objects.filter(action="round_deadline_change").exists()


def test_the_admin_closes_a_round_through_the_service(stats_staff):
    reporting_round = round_open(period=PERIOD, user=stats_staff)
    admin = Client()
    admin.force_login(stats_staff)
    url = reverse("admin:reporting_reportinground_change", args=[reporting_round.pk])
    page = admin.get(url).content.decode()
    assert 'name="state"' not in page  # the state changes only through round_close
    response = admin.post(
        url, {"deadline": "2026-10-15", "close_round": "on", "reason": "全部报齐"}
    )
    assert response.status_code == 302
    reporting_round.refresh_from_db()
    assert reporting_round.state == "closed"
    assert AuditEvent.objects.get(action="round_close").reason == "全部报齐"
    assert admin.get(reverse("admin:reporting_reportinground_add")).status_code == 403


def test_a_round_closed_while_the_broker_is_down_is_frozen_by_the_sweep(
    private_redis_server, statistics_office, django_capture_on_commit_callbacks
):
    """Defect 3: the closing's queued freeze is lost with the broker down; the closed round
    without a snapshot is the durable record, and the beat sweep freezes it."""
    from dezhou_carbon.celery import app
    from reports.jobs import round_freeze_sweep
    from tests.services import celery_broker_use

    reporting_round = round_open(period=PERIOD, user=statistics_office)
    private_redis_server.stop()
    celery_broker_use(private_redis_server.url)
    app.conf.task_always_eager = False  # publish for real, to the stopped broker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            round_close(reporting_round=reporting_round, user=statistics_office)
    finally:
        app.conf.task_always_eager = True
    reporting_round.refresh_from_db()
    assert reporting_round.state == "closed"
    assert not RoundSnapshot.objects.filter(reporting_round=reporting_round).exists()

    assert round_freeze_sweep.delay().get() == 1  # the beat job, run here
    snapshot = RoundSnapshot.objects.get(reporting_round=reporting_round)
    assert snapshot.taken_by is None
    assert closed_rounds_freeze() == 0  # frozen once, never retaken


def test_the_freeze_sweep_runs_under_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "reports.jobs.round_freeze_sweep" in tasks


# --- no domain signals ---------------------------------------------------------------------

APP_DIRS = [
    "accounts",
    "audit",
    "dashboards",
    "dezhou_carbon",
    "indicators",
    "reporting",
    "reports",
    "tasks",
]
MODEL_SIGNALS = re.compile(
    r"\b(pre_save|post_save|pre_delete|post_delete|m2m_changed|pre_init|post_init)\b"
    r"|django\.db\.models\.signals"
)
# Sign-ins have no service of ours (the login view is Django's): their audit records and
# the session clocks hang on the authentication signals, connected in accounts.
AUTH_SIGNAL_MODULES = {"accounts/signin_audit.py", "accounts/sessions.py"}


def _sources():
    for app in APP_DIRS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_no_model_signals_and_auth_signals_only_in_accounts():
    model_signals = [name for name, text in _sources() if MODEL_SIGNALS.search(text)]
    assert model_signals == []
    receivers = {
        name
        for name, text in _sources()
        if re.search(r"@receiver\b|\.connect\(\w|from django\.dispatch import", text)
    }
    assert receivers <= AUTH_SIGNAL_MODULES, receivers - AUTH_SIGNAL_MODULES


def test_the_engine_follows_up_without_importing_the_dashboards():
    """After a recompute the dashboards sync warnings and the energy budget follows the new
    results: registered by those apps."""
    from dezhou_carbon.followups import RESULTS_RECOMPUTED, ROUND_CLOSED, ROUND_FROZEN, followups

    assert [f.__module__ for f in followups(RESULTS_RECOMPUTED)] == [
        "dashboards.apps",
        "budgets.apps",
        "pilot.apps",
    ]
    assert [f.__module__ for f in followups(ROUND_CLOSED)] == ["reports.apps"]
    assert [f.__module__ for f in followups(ROUND_FROZEN)] == ["pilot.apps"]
