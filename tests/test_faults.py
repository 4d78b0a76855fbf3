"""Fault injection against the real services: a worker killed in the middle of a recompute,
the broker down while approvals arrive, the broker restarted with jobs in flight, and the
database server crashed in the middle of an import.

Every test runs its own servers where it stops or kills one (a private redis-server, a
private PostgreSQL cluster, its own Celery worker), so the shared PostgreSQL and Redis are
never touched. After each fault the outcome is checked against the promise of
`indicators/recompute/request_queue.py` and `indicators/services.py`: nothing lost, nothing half-written,
and the stored results equal a full recompute (every value and every trace).
"""

from __future__ import annotations

import contextlib
import csv
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings as django_settings

from accounts.models import User
from indicators.importing import credit_code_check_char
from indicators.models import (
    Figure,
    IndicatorResult,
    RecomputeRequest,
    StatisticalItem,
)
from indicators.recompute import (
    RESULT_FIELDS,
    compute_lock,
    recompute_run,
    recompute_sweep,
    results_recompute,
)
from indicators.reference import coefficient_revise
from reporting.workflow import (
    EntryValue,
    department_items,
    department_period_approve,
    department_period_save,
    department_period_submit,
)
from tasks.models import Department
from tests.helpers import import_rows, worked_example_rows
from tests.services import PrivateRedis, celery_broker_use, wait_for

D = Decimal
JOB_TIMEOUT = 120  # seconds: a recompute, or a worker reconnecting to a restarted broker
COMPARED = [name for name in RESULT_FIELDS if name != "computed_at"]
RESULTS_TABLE = "indicators_indicatorresult"
State = Figure.State


@pytest.fixture
def require_redis(private_redis_server):
    """The worker of these tests uses a private Redis as its broker, which they stop."""
    return private_redis_server.url


# --- Helpers -----------------------------------------------------------------------------


def _results() -> dict[tuple, tuple]:
    """Every stored result by its key, with every field but the time it was computed."""
    return {
        (row["indicator_id"], row["period"], row["scope"], row["variant"]): tuple(
            row[name] for name in COMPARED
        )
        for row in IndicatorResult.objects.values(
            "indicator_id", "period", "scope", "variant", *COMPARED
        )
    }


def _assert_results_equal_a_full_recompute() -> None:
    """Recompute everything from scratch here and compare every stored result with it."""
    stored = _results()
    assert stored, "no results were stored"
    with compute_lock() as acquired:
        assert acquired, "a worker is still computing"
        results_recompute()
    recomputed = _results()
    missing = sorted(recomputed.keys() - stored.keys())
    stale = sorted(stored.keys() - recomputed.keys())
    changed = sorted(
        key for key in stored.keys() & recomputed.keys() if stored[key] != recomputed[key]
    )
    details = [
        f"{key}: stored {dict(zip(COMPARED, stored[key], strict=True))} "
        f"!= recomputed {dict(zip(COMPARED, recomputed[key], strict=True))}"
        for key in changed[:3]
    ]
    problems = len(missing) + len(stale) + len(changed)
    assert problems == 0, (
        f"{len(missing)} results missing (e.g. {missing[:3]}), {len(stale)} stale "
        f"(e.g. {stale[:3]}), {len(changed)} differ from a full recompute:\n" + "\n".join(details)
    )


def _all_requests_done() -> bool:
    return (
        RecomputeRequest.objects.exists()
        and not RecomputeRequest.objects.exclude(status=RecomputeRequest.Status.DONE).exists()
    )


def _wait_all_done(worker) -> None:
    assert wait_for(_all_requests_done, timeout=JOB_TIMEOUT), (
        f"requests not done: {list(RecomputeRequest.objects.values())}\n{worker.log()}"
    )


def _park_intensity_2025():
    return (
        IndicatorResult.objects.filter(
            indicator__code="energy_intensity_iva", period="2025", scope="", variant=""
        )
        .values_list("value", flat=True)
        .first()
    )


def _credit_code(number: int) -> str:
    first17 = f"91371400{number:09d}"
    return first17 + credit_code_check_char(first17)


def _enterprise_rows(enterprises: int, *, first: int = 1, years=(2020, 2025)) -> list[dict]:
    """Every item of the catalogue for `enterprises` generated enterprises: flows in
    `years`, year-to-date growth rates for every quarter after the first year."""
    items = list(StatisticalItem.objects.order_by("order", "code").values_list("code", "frequency"))
    rows = []
    for number in range(first, first + enterprises):
        scope = _credit_code(number)
        for index, (code, frequency) in enumerate(items):
            if code.endswith("_growth_ytd"):
                for year in range(years[0] + 1, years[-1] + 1):
                    for quarter in range(1, 5):
                        rows.append(
                            {
                                "period": f"{year}Q{quarter}",
                                "item": code,
                                "value": "6.5",
                                "scope": scope,
                            }
                        )
                continue
            for year in years:
                value = D(100 * number + 7 * index + (year - years[0]) * 3)
                periods = (
                    [str(year)] if frequency == "year" else [f"{year}Q{q}" for q in range(1, 5)]
                )
                rows.extend(
                    {"period": period, "item": code, "value": str(value), "scope": scope}
                    for period in periods
                )
    return rows


@contextlib.contextmanager
def _results_table_held(database_url: str):
    """Hold an EXCLUSIVE lock on the results table from a connection of our own: a
    recompute then stops at its first write and waits there, holding the compute lock and
    its open transaction — a slow database, made deterministic."""
    connection = psycopg2.connect(
        database_url, connect_timeout=5, options="-c lock_timeout=30s -c statement_timeout=60s"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {RESULTS_TABLE} IN EXCLUSIVE MODE")
        yield connection
    finally:
        connection.rollback()
        connection.close()


def _waiting_on_results(connection) -> int:
    """How many other sessions wait for the lock held by `_results_table_held`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
            [RESULTS_TABLE],
        )
        return cursor.fetchone()[0]


def _advisory_locks_held(database_url: str) -> int:
    """Advisory locks (the compute lock) held in the test database by any session."""
    connection = psycopg2.connect(
        database_url, connect_timeout=5, options="-c statement_timeout=60s"
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


@contextlib.contextmanager
def _clock_moved(delta: timedelta):
    """This process's clock `delta` ahead (a lease expiring without waiting for it)."""
    from django.utils import timezone

    real_now = timezone.now
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real_now() + delta)
        yield


@contextlib.contextmanager
def _broker_down(server: PrivateRedis):
    """Stop the private broker; it is running again afterwards even if the test fails."""
    server.stop()
    celery_broker_use(server.url)
    try:
        yield
    finally:
        if not server.answers():
            server.start()
        celery_broker_use(server.url)


def _revise_coal_coefficient(user, value: str) -> RecomputeRequest:
    """A new raw-coal coefficient: every result of every scope needs recomputing."""
    coefficient_revise(
        key="tce.coal_raw",
        year=0,
        value=D(value),
        unit="tce/t",
        source="fault test",
        tag="S",
        reason="故障注入测试 / fault injection test",
        user=user,
    )
    return RecomputeRequest.objects.get(
        scope=RecomputeRequest.ALL_SCOPES, status__in=["pending", "running"]
    )


# --- 1. A worker killed in the middle of a recompute -----------------------------------------


def test_a_worker_killed_mid_recompute_loses_nothing(
    celery_worker_process, administrator, statistics_office, settings
):
    worker = celery_worker_process
    import_rows(worked_example_rows() + _enterprise_rows(4), user=administrator)
    _wait_all_done(worker)
    before = _results()
    intensity_before = _park_intensity_2025()
    assert intensity_before is not None

    with _results_table_held(worker.database_url) as blocker:
        request = _revise_coal_coefficient(statistics_office, "0.8000")
        # The worker has claimed the request, holds the compute lock and is inside its
        # transaction, waiting to write: the middle of the recompute.
        assert wait_for(lambda: _waiting_on_results(blocker), timeout=JOB_TIMEOUT), worker.log()
        request.refresh_from_db()
        assert (request.status, request.attempts) == ("running", 1)
        worker.kill()
        request.refresh_from_db()
        assert request.status == "running"  # the dead worker's claim, until its lease ends

    # Nothing of the killed recompute was kept, and its session (with the compute lock)
    # is gone once PostgreSQL notices the closed connection.
    assert _results() == before
    assert wait_for(lambda: _advisory_locks_held(worker.database_url) == 0, timeout=30)

    worker.start_another()
    # The broker redelivers the unacknowledged job only after its visibility timeout
    # (2 h); the request's lease says when the sweep may take it back from the dead worker.
    assert recompute_sweep() == 0
    # Beat runs the sweep every two minutes: the first one after the lease ends returns
    # the dead worker's claim to pending, the next one queues it.
    lease_over = settings.RECOMPUTE_LEASE + timedelta(minutes=1)
    with _clock_moved(lease_over):
        assert recompute_sweep() == 0
    request.refresh_from_db()
    assert (request.status, request.attempts) == ("pending", 1)
    with _clock_moved(lease_over + timedelta(minutes=2)):
        assert recompute_sweep() == 1
    assert wait_for(lambda: _park_intensity_2025() != intensity_before, timeout=JOB_TIMEOUT), (
        worker.log()
    )
    _wait_all_done(worker)
    request.refresh_from_db()
    assert request.attempts == 2  # the killed run and the one that finished
    assert "worker lost" in request.last_error
    assert IndicatorResult.objects.exclude(scope="").exists()  # enterprises recomputed too
    # The killed job's message, redelivered by the broker hours later, changes nothing.
    results = _results()
    assert recompute_run(request_id=request.pk) == "gone"
    assert _results() == results
    _assert_results_equal_a_full_recompute()


# --- 2. The broker down while 100 approvals arrive --------------------------------------------

QUARTERLY_DEPARTMENTS = ["DRS", "GRID", "EIT", "ECO", "CON"]
# From the plan's base year: an incremental recompute from a later year does not write the
# base year's empty ("no data") rows that a full recompute writes, which would show here
# as a difference that no fault caused.
APPROVAL_PERIODS = [f"{year}Q{quarter}" for year in range(2020, 2025) for quarter in range(1, 5)]


def _value_for(code: str) -> Decimal:
    """The same value every quarter (no year-on-year change to explain)."""
    return D("6.0") if code.endswith("_growth_ytd") else D("100")


def _department_staff(code: str) -> tuple[User, User]:
    department = Department.objects.get(code=code)
    clerk = User.objects.create_user(
        f"fault.clerk.{code.lower()}", role=User.Role.CLERK, department=department
    )
    head = User.objects.create_user(
        f"fault.head.{code.lower()}", role=User.Role.HEAD, department=department
    )
    return clerk, head


def _enter_submit_approve(code: str, period: str, clerk: User, head: User) -> None:
    department = Department.objects.get(code=code)
    entries = [
        EntryValue(item.code, _value_for(item.code))
        for item in department_items(department, period)
    ]
    department_period_save(department=department, period=period, entries=entries, user=clerk)
    department_period_submit(department=department, period=period, user=clerk)
    department_period_approve(department=department, period=period, user=head)


def test_approvals_while_the_broker_is_down_are_recomputed_once_it_returns(
    celery_worker_process, private_redis_server, park, settings
):
    settings.RECOMPUTE_SWEEP_AFTER = timedelta(0)
    worker = celery_worker_process
    staff = {code: _department_staff(code) for code in QUARTERLY_DEPARTMENTS}
    submissions = [(code, period) for period in APPROVAL_PERIODS for code in QUARTERLY_DEPARTMENTS]
    assert len(submissions) == 100

    with _broker_down(private_redis_server):
        for code, period in submissions:
            _enter_submit_approve(code, period, *staff[code])
            # Saved and approved, and the durable request that covers it is written.
            figures = Figure.objects.filter(department__code=code, period=period, is_latest=True)
            assert figures.exists()
            assert not figures.exclude(state=State.APPROVED).exists()
            assert RecomputeRequest.objects.filter(
                status="pending", from_year__lte=int(period[:4])
            ).exists(), f"no pending request after approving {code} {period}"
        # Nothing could be queued: every enqueue failed, the (coalesced) request waits.
        pending = list(RecomputeRequest.objects.all())
        assert [(r.status, r.attempts, r.from_year) for r in pending] == [("pending", 0, 2020)]
        assert not IndicatorResult.objects.exists()

    approved = Figure.objects.filter(is_latest=True, state=State.APPROVED, counts=True)
    assert approved.count() == sum(
        len(department_items(Department.objects.get(code=code), period))
        for code, period in submissions
    )
    assert recompute_sweep() == 1
    _wait_all_done(worker)
    assert all(r.attempts == 1 for r in RecomputeRequest.objects.all()), list(
        RecomputeRequest.objects.values("pk", "status", "attempts", "last_error")
    )
    assert IndicatorResult.objects.filter(scope="", year=2024).exclude(value=None).exists()
    _assert_results_equal_a_full_recompute()


# --- 3. The broker restarted with jobs in flight ---------------------------------------------


def test_a_broker_restart_with_jobs_in_flight_catches_up(
    celery_worker_process, private_redis_server, administrator, statistics_office, settings
):
    settings.RECOMPUTE_SWEEP_AFTER = timedelta(0)
    worker = celery_worker_process
    import_rows(worked_example_rows(), user=administrator)
    _wait_all_done(worker)
    intensity_before = _park_intensity_2025()

    with _results_table_held(worker.database_url) as blocker:
        running = _revise_coal_coefficient(statistics_office, "0.8000")
        assert wait_for(lambda: _waiting_on_results(blocker), timeout=JOB_TIMEOUT), worker.log()
        # A second change while the first is computing: a new request, its job queued
        # in the broker behind the one in flight.
        queued_rows = [
            {"period": f"2025Q{quarter}", "item": "coal_raw", "value": "61000"}
            for quarter in range(1, 5)
        ]
        import_rows(queued_rows, user=administrator)
        queued = RecomputeRequest.objects.get(status="pending")
        with _broker_down(private_redis_server):
            pass  # stopped and started again: both jobs are gone from the broker
    # The job in flight finishes against the database alone.
    assert wait_for(
        lambda: RecomputeRequest.objects.get(pk=running.pk).status == "done", timeout=JOB_TIMEOUT
    ), worker.log()
    queued.refresh_from_db()
    assert queued.status == "pending"  # its job was lost with the broker's memory

    assert recompute_sweep() == 1
    _wait_all_done(worker)
    assert {
        r.pk: r.attempts for r in RecomputeRequest.objects.filter(pk__in=[running.pk, queued.pk])
    } == {
        running.pk: 1,
        queued.pk: 1,
    }
    assert _park_intensity_2025() != intensity_before
    _assert_results_equal_a_full_recompute()


# --- Found while injecting faults (fixed: an approved import recomputes its enterprises) ---


@pytest.mark.django_db(transaction=True)
def test_an_import_of_enterprise_figures_recomputes_their_results(administrator):
    import_rows(worked_example_rows() + _enterprise_rows(2), user=administrator)
    assert _all_requests_done()  # jobs run in this process (eager) after each commit
    _assert_results_equal_a_full_recompute()


# --- 4. PostgreSQL crashed in the middle of an import ----------------------------------------

IMPORT_ROWS = 20_000
IMPORT_DATABASE = "dezhou_fault_import"
IMPORT_APP = "dezhou_fault_import"
COMMAND_TIMEOUT = 600


def _manage(*args: str, env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _finish(process: subprocess.Popen, timeout: float = COMMAND_TIMEOUT) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait(timeout=30)
        raise


def _import_file(path: Path, items: list[tuple[str, str]], rows: int) -> set[str]:
    """A CSV of `rows` figures of generated enterprises (registered); returns their scopes."""
    scopes = set()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["period", "item", "value", "scope"])
        written, number = 0, 1
        while written < rows:
            scope = _credit_code(900_000 + number)
            scopes.add(scope)
            for index, (code, frequency) in enumerate(items):
                for year in range(2020, 2026):
                    if code.endswith("_growth_ytd"):
                        periods = [] if year == 2020 else [f"{year}Q{q}" for q in range(1, 5)]
                        value = "6.5"
                    else:
                        periods = (
                            [str(year)]
                            if frequency == "year"
                            else [f"{year}Q{q}" for q in range(1, 5)]
                        )
                        value = str(100 * number + 7 * index + year - 2020)
                    for period in periods:
                        if written < rows:
                            writer.writerow([period, code, value, scope])
                            written += 1
            number += 1
    return scopes


def _import_in_transaction(server) -> bool:
    """The import's session is inside its write transaction (it has written something and
    has been at it for a moment): the point to crash the server."""
    rows = server.query(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND backend_xid IS NOT NULL AND now() - xact_start > interval '500 milliseconds'",
        [IMPORT_APP],
    )
    return rows[0][0] > 0


def test_a_database_crash_during_an_import_leaves_it_whole_or_absent(private_postgres, tmp_path):
    server = private_postgres
    server.query(f'CREATE DATABASE "{IMPORT_DATABASE}"')
    log = tmp_path / "manage.log"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DATABASE_URL"}
    }
    env.update(
        {
            "DATABASE_URL": server.url(IMPORT_DATABASE, application_name=IMPORT_APP),
            "CELERY_TASK_ALWAYS_EAGER": "1",  # no broker: the recompute runs in the command
            "PYTHONUNBUFFERED": "1",
        }
    )
    assert _finish(_manage("setup_park", "--skip-checks", env=env, log=log)) == 0, log.read_text()
    items = server.query(
        'SELECT code, frequency FROM indicators_statisticalitem ORDER BY "order", code',
        database=IMPORT_DATABASE,
    )
    path = tmp_path / "large-import.csv"
    scopes = _import_file(path, items, IMPORT_ROWS)
    register = tmp_path / "register.csv"
    register.write_text(
        "code,name,industry,department\n"
        + "".join(f"{scope},企业 {scope},3985,DRS\n" for scope in sorted(scopes)),
        encoding="utf-8",
    )
    registering = _manage("import_enterprises", str(register), "--skip-checks", env=env, log=log)
    assert _finish(registering) == 0, log.read_text()

    def stored() -> tuple[int, int]:
        figures = server.query(
            "SELECT count(*) FROM indicators_figure WHERE scope = ANY(%s)",
            [sorted(scopes)],
            database=IMPORT_DATABASE,
        )[0][0]
        batches = server.query(
            "SELECT count(*) FROM indicators_importbatch WHERE filename = %s",
            [path.name],
            database=IMPORT_DATABASE,
        )[0][0]
        return figures, batches

    command = ("import_statistics", str(path), "--approve", "--skip-checks")
    importing = _manage(*command, env=env, log=log)
    try:
        reached = wait_for(
            lambda: importing.poll() is not None or _import_in_transaction(server),
            timeout=COMMAND_TIMEOUT,
            interval=0.05,
        )
        assert reached
        assert importing.poll() is None, (
            f"the import ended (code {importing.poll()}) before it could be interrupted: "
            f"make IMPORT_ROWS larger\n{log.read_text()}"
        )
        server.restart("immediate")  # every server process quits at once; crash recovery
        code = _finish(importing)
    finally:
        if importing.poll() is None:
            os.killpg(importing.pid, 9)
            importing.wait(timeout=30)
    assert code != 0, f"the import survived the crash?\n{log.read_text()}"
    # Wholly absent (the crash came before the commit, as intended), or — should the
    # commit have won the race with the crash — wholly there; never a part.
    after_crash = stored()
    assert after_crash in {(0, 0), (IMPORT_ROWS, 1)}, (
        f"a crashed import left {after_crash[0]} of its {IMPORT_ROWS} figures behind"
    )

    assert _finish(_manage(*command, env=env, log=log)) == 0, log.read_text()
    figures, batches = stored()
    assert figures == IMPORT_ROWS
    assert batches >= 1
    assert server.query(
        "SELECT count(*) FROM indicators_figure WHERE scope = ANY(%s) "
        "AND state = 'approved' AND is_latest AND counts",
        [sorted(scopes)],
        database=IMPORT_DATABASE,
    ) == [(IMPORT_ROWS,)]
