"""Concurrency invariants on a real PostgreSQL (ecosystem_reliability §3.5, §3.8 R1–R4).

Every test here commits (`transactional_db`) and starts threads, each with a database
connection of its own, released together by a `threading.Barrier`. Each thread records
what happened to it (a result or the exception) and closes its connection; the test then
judges the outcomes and the stored state. Every wait is bounded: a thread that does not
finish in time fails the test instead of hanging the run, and every thread's statements
are cut off by `statement_timeout`.

Run with `-s` to see the outcome counts of the races.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection

from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, ConflictError
from indicators import recompute
from indicators.models import DepartmentPeriod, Figure, ImportBatch, RecomputeRequest
from indicators.recompute import request_queue
from reporting.workflow import (
    EntryValue,
    department_period_approve,
    department_period_save,
    department_period_submit,
)
from tasks.models import Department
from tests.helpers import department_fill, import_rows

D = Decimal
THREAD_TIMEOUT = 60  # seconds: the barrier, each thread's statements, joining the threads
ITEM = "coal_raw"  # a quarterly DRS item
# Periods follow each other a year apart, so whether last year's import won its race decides
# whether this year's 0 is a -100 % change (a soft finding that blocks the submission unless
# explained). The note explains it, so the race alone decides the outcome.
RACE_NOTE = {ITEM: "并发测试：与导入同时提交"}
PeriodState = DepartmentPeriod.State
FigureState = Figure.State


# --- running calls together -------------------------------------------------------------


@dataclass
class Outcome:
    """What one thread's call returned, or the exception it raised."""

    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def label(self) -> str:
        """`ok`, the code of an ApplicationError, or the exception's type and message."""
        if self.error is None:
            return "ok"
        if isinstance(self.error, ApplicationError):
            return self.error.code
        return f"{type(self.error).__name__}: {self.error}"


def run_together(*calls: Callable[[], object], timeout: float = THREAD_TIMEOUT) -> list[Outcome]:
    """Run each call in a thread of its own, all released at once by a barrier once every
    thread holds its own connection. Returns the outcomes in the order of `calls`."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    outcomes = [Outcome() for _ in calls]

    def run(outcome: Outcome, call: Callable[[], object]) -> None:
        try:
            with connection.cursor() as cursor:  # connect before the race starts
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, false)", [f"{int(timeout)}s"]
                )
            barrier.wait()
            outcome.value = call()
        except BaseException as error:  # judged by the test, in the main thread
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(outcome, call), daemon=True)
        for outcome, call in zip(outcomes, calls, strict=True)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 2 * timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} thread(s) still running after {2 * timeout} s (a hang)"
    return outcomes


def report(message: str) -> None:
    """Outcome counts, for information (visible with `pytest -s`)."""
    sys.stdout.write(f"\n{message}\n")


def delayed(seconds: float, call: Callable[[], object]) -> Callable[[], object]:
    """`call` after `seconds` (0: at once)."""

    def later():
        if seconds > 0:
            time.sleep(seconds)
        return call()

    return later


def assert_no_database_error(outcomes: list[Outcome]) -> None:
    """No deadlock, lock timeout, IntegrityError or other database error reached a caller:
    every refusal is an ApplicationError a person can act on."""
    for outcome in outcomes:
        error = outcome.error
        if error is None or isinstance(error, ApplicationError):
            continue
        if isinstance(error, DatabaseError) and "deadlock" in str(error).lower():
            pytest.fail(f"deadlock: {error}")
        raise AssertionError(f"unexpected {outcome.label}") from error


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def concurrent_db(require_postgres, transactional_db, park):
    """Committed data that every thread's connection sees (skips without PostgreSQL)."""
    return park


@pytest.fixture
def drs(concurrent_db) -> Department:
    return Department.objects.get(code="DRS")


@pytest.fixture
def no_eager_recompute(monkeypatch):
    """Approvals still write their durable recompute request, but the job is not run in
    the approving thread after commit (test 4 exercises the recompute on its own)."""
    queued: list[int] = []
    monkeypatch.setattr(request_queue, "recompute_enqueue", queued.append)
    return queued


def drs_clerks(clerk: User, drs: Department, count: int) -> list[User]:
    """The DRS clerk persona and `count - 1` more DRS clerks."""
    others = [
        User.objects.create_user(
            username=f"drs.clerk{n:02d}", password="x", role=User.Role.CLERK, department=drs
        )
        for n in range(2, count + 1)
    ]
    return [clerk, *others]


def text(value) -> str:
    """A value as services show it in conflict details (indicators.services._value_text)."""
    return format(D(value).normalize(), "f")


def versions_of(period: str, item: str = ITEM) -> list[Figure]:
    return list(
        Figure.objects.filter(item__code=item, period=period, scope="")
        .select_related("entered_by")
        .order_by("version")
    )


# --- R1: fifty clerks save one figure at once ----------------------------------------------


@pytest.mark.parametrize(
    ("period", "loaded_version"),
    [("2011Q1", 0), ("2011Q2", 1)],
    ids=["first-entry", "revision-of-v1"],
)
def test_fifty_concurrent_saves_of_one_figure_one_wins_and_nothing_is_lost(
    concurrent_db, drs, clerk, period, loaded_version
):
    """Invariant (R1): when 50 clerks save the same figure, each passing the version they
    loaded, exactly one save wins and 49 are refused with a conflict that shows both
    values; exactly one new version exists, holding the winner's value; the audit trail
    has exactly one figure_enter for it. Nothing is lost silently."""
    clerks = drs_clerks(clerk, drs, 50)
    if loaded_version:
        department_period_save(
            department=drs, period=period, entries=[EntryValue(ITEM, D("500"))], user=clerk
        )
    before = versions_of(period)
    assert [f.version for f in before] == list(range(1, loaded_version + 1))
    values = [D(1000 + n) for n in range(len(clerks))]

    def save(person: User, value: Decimal) -> Callable[[], list[Figure]]:
        return lambda: department_period_save(
            department=drs,
            period=period,
            entries=[EntryValue(ITEM, value, expected_version=loaded_version)],
            user=person,
        )

    outcomes = run_together(*(save(p, v) for p, v in zip(clerks, values, strict=True)))

    assert_no_database_error(outcomes)
    report(f"R1 {period}: {dict(Counter(o.label for o in outcomes))}")
    winners = [n for n, outcome in enumerate(outcomes) if outcome.ok]
    assert len(winners) == 1, [o.label for o in outcomes]
    winner = winners[0]
    winner_value, winner_clerk = values[winner], clerks[winner]
    [created] = outcomes[winner].value
    assert (created.version, created.value) == (loaded_version + 1, winner_value)

    for n, outcome in enumerate(outcomes):
        if n == winner:
            continue
        assert isinstance(outcome.error, ConflictError), outcome.label
        assert outcome.error.code == "conflict"
        assert outcome.error.status_code == 409
        details = outcome.error.details
        assert details["item"] == ITEM
        assert details["your_value"] == text(values[n])
        assert details["current_value"] == text(winner_value)
        assert details["current_version"] == loaded_version + 1
        assert details["current_by"] == winner_clerk.username

    after = versions_of(period)
    assert [f.version for f in after] == list(range(1, loaded_version + 2))
    newest = after[-1]
    assert newest.pk == created.pk
    assert (newest.value, newest.entered_by, newest.is_latest) == (
        winner_value,
        winner_clerk,
        True,
    )
    assert [f.pk for f in after if f.is_latest] == [newest.pk]
    assert newest.supersedes_id == (before[-1].pk if before else None)

    entries = AuditEvent.objects.filter(
        action="figure_enter", department_code="DRS", period=period, details__item=ITEM
    )
    assert entries.count() == loaded_version + 1
    [audit] = entries.filter(details__version=loaded_version + 1)
    assert (audit.object_id, audit.actor, audit.new_value) == (
        str(newest.pk),
        winner_clerk,
        text(winner_value),
    )


# --- R3: an import racing an approval --------------------------------------------------------

IMPORTED = D("123")


ITERATIONS = 32
STAGGER = 0.08  # seconds: the widest head start one side gets


def fresh_periods(first_year: int, count: int = ITERATIONS) -> list[str]:
    return [f"{first_year + n // 4}Q{n % 4 + 1}" for n in range(count)]


def staggers(count: int = ITERATIONS) -> list[tuple[float, float]]:
    """(delay of the workflow side, delay of the import side) per iteration: from the
    import STAGGER seconds late, through releases at the same instant (the middle
    iterations, the real races), to the workflow STAGGER seconds late — so both orders
    of arrival at the lock happen, not only the one the faster code path favours."""
    pairs = []
    for n in range(count):
        offset = STAGGER * (2 * n / (count - 1) - 1)  # -STAGGER … +STAGGER
        if abs(offset) < STAGGER / 4:
            offset = 0.0
        pairs.append((max(offset, 0.0), max(-offset, 0.0)))
    return pairs


def import_changed_value(period: str, statistics_office: User) -> Callable[[], object]:
    return lambda: import_rows(
        [{"period": period, "item": ITEM, "value": str(IMPORTED)}],
        user=statistics_office,
        approve=False,
    )


def assert_period_consistent(drs: Department, period: str) -> DepartmentPeriod:
    """The invariant of R3 for one department-period: an approved period was not changed
    after its approval (no figure entered after decided_at) and all its newest figures
    are approved and count; a period that is not approved has no approved or counting
    figure."""
    row = DepartmentPeriod.objects.get(department=drs, period=period)
    figures = Figure.objects.filter(department=drs, period=period)
    latest = list(figures.filter(is_latest=True).select_related("item"))
    assert latest, period
    if row.state == PeriodState.APPROVED:
        late = list(figures.filter(entered_at__gt=row.decided_at).values_list("pk", "version"))
        assert not late, f"{period}: figures created after the approval: {late}"
        unapproved = [(f.item.code, f.state) for f in latest if f.state != FigureState.APPROVED]
        assert not unapproved, f"{period} is approved with unapproved figures {unapproved}"
        assert all(f.counts for f in latest)
    else:
        assert not [f for f in latest if f.state == FigureState.APPROVED], period
        assert not figures.filter(counts=True).exists(), period
    return row


def imported_figure(period: str) -> Figure | None:
    return Figure.objects.filter(
        item__code=ITEM, period=period, scope="", import_batch__isnull=False
    ).first()


def test_an_import_racing_an_approval_never_lands_in_the_approved_period(
    concurrent_db, drs, clerk, head, statistics_office, no_eager_recompute
):
    """Invariant (R3, submitted period): the head approves a filled, submitted period while
    the statistics office imports a changed value for it, 32 times (fresh periods from
    2024Q1). The import is always refused — period_submitted when it reaches the lock
    before the approval, period_locked after — and writes nothing; the approval always
    succeeds; no figure is entered after decided_at and every newest figure is approved;
    no deadlock or database error reaches anyone. Both orders of arrival occur."""
    counts: Counter = Counter()
    for period, (approve_delay, import_delay) in zip(fresh_periods(2013), staggers(), strict=True):
        department_fill("DRS", period, user=clerk, notes=RACE_NOTE)
        department_period_submit(department=drs, period=period, user=clerk)

        approval, upload = run_together(
            delayed(
                approve_delay,
                lambda period=period: department_period_approve(
                    department=drs, period=period, user=head
                ),
            ),
            delayed(import_delay, import_changed_value(period, statistics_office)),
        )

        assert_no_database_error([approval, upload])
        counts[(f"approve:{approval.label}", f"import:{upload.label}")] += 1
        assert approval.ok, approval.label
        assert upload.label in {"period_submitted", "period_locked"}, upload.label
        row = assert_period_consistent(drs, period)
        assert row.state == PeriodState.APPROVED
        assert imported_figure(period) is None
        assert [f.value for f in versions_of(period)] == [D(0)]
    report(f"R3 submitted period: {dict(counts)}")
    assert not ImportBatch.objects.filter(status=ImportBatch.Status.APPLIED).exists()
    imports = Counter(upload for _approval, upload in counts.elements())
    assert set(imports) == {"import:period_submitted", "import:period_locked"}, counts


def test_an_import_racing_submit_and_approve_of_an_open_period_never_lands_after_approval(
    concurrent_db, drs, clerk, head, statistics_office, no_eager_recompute
):
    """Invariant (R3, open period): the clerk submits and the head then approves a filled
    open period while the statistics office imports a changed value for it, 32 times.
    Either the import lands first (the department still has drafts there, so the period
    stays open and the imported figure is submitted with the clerk's; the head then
    approves it with the rest), or the submit comes first and the import is refused
    (period_submitted or period_locked) and writes nothing. Either way the period ends
    approved with only approved, counting newest figures, never a figure after
    decided_at, and no deadlock. Both orders occur."""
    counts: Counter = Counter()

    def submit_then_approve(period: str) -> str:
        try:
            department_period_submit(department=drs, period=period, user=clerk)
        except ApplicationError as error:
            return f"submit refused: {error.code}"
        department_period_approve(department=drs, period=period, user=head)
        return "approved"

    for period, (workflow_delay, import_delay) in zip(fresh_periods(2000), staggers(), strict=True):
        department_fill("DRS", period, user=clerk, notes=RACE_NOTE)

        workflow, upload = run_together(
            delayed(workflow_delay, lambda period=period: submit_then_approve(period)),
            delayed(import_delay, import_changed_value(period, statistics_office)),
        )

        assert_no_database_error([workflow, upload])
        counts[(workflow.value, f"import:{upload.label}")] += 1
        row = assert_period_consistent(drs, period)
        assert workflow.value == "approved", workflow.label
        assert row.state == PeriodState.APPROVED
        figure = imported_figure(period)
        if upload.ok:  # the import came first and was approved with the rest
            assert figure is not None
            assert figure.is_latest
            assert (figure.value, figure.state) == (IMPORTED, FigureState.APPROVED)
        else:  # the submit came first: the import was refused and wrote nothing
            assert upload.label in {"period_submitted", "period_locked"}, upload.label
            assert figure is None
            assert [f.value for f in versions_of(period)] == [D(0)]
    report(f"R3 open period: {dict(counts)}")
    import_outcomes = {upload for _workflow, upload in counts}
    assert any(outcome != "import:ok" for outcome in import_outcomes), counts
    assert "import:ok" in import_outcomes, counts


def test_approving_a_period_an_import_submitted_leaves_no_unapproved_figure(
    concurrent_db, drs, clerk, head, statistics_office, no_eager_recompute
):
    """Invariant (R3's, without a race): the clerk has saved every DRS figure as a draft;
    the statistics office imports one changed value, which makes the period submitted;
    the head approves what is submitted. Either a step is refused, or the approved period
    holds only approved, counting figures (no draft left behind in a locked period)."""
    period = "2012Q1"
    department_fill("DRS", period, user=clerk, notes=RACE_NOTE)
    try:
        import_changed_value(period, statistics_office)()
        department_period_approve(department=drs, period=period, user=head)
    except ApplicationError:
        pass
    assert_period_consistent(drs, period)


# --- R4: twenty saves of the same new key ------------------------------------------------------


def test_twenty_concurrent_upserts_of_a_new_key_keep_one_row_per_version(concurrent_db, drs, clerk):
    """Invariant (R4): 20 clerks save the same new figure at once without a version check.
    No IntegrityError (nor any database error) reaches them (a ConflictError would be
    acceptable); there is exactly one row per version number, the versions run 1..n for
    the n saves that succeeded, each supersedes the one before, and exactly one — the
    highest — is the newest. The audit trail has one figure_enter per version."""
    period = "2012Q3"
    clerks = drs_clerks(clerk, drs, 20)
    values = [D(2000 + n) for n in range(len(clerks))]

    def save(person: User, value: Decimal) -> Callable[[], list[Figure]]:
        return lambda: department_period_save(
            department=drs,
            period=period,
            entries=[EntryValue(ITEM, value, expected_version=None)],
            user=person,
        )

    outcomes = run_together(*(save(p, v) for p, v in zip(clerks, values, strict=True)))

    assert not [o for o in outcomes if isinstance(o.error, IntegrityError)]
    assert_no_database_error(outcomes)
    assert all(o.ok or isinstance(o.error, ConflictError) for o in outcomes)
    report(f"R4: {dict(Counter(o.label for o in outcomes))}")
    saved = [n for n, outcome in enumerate(outcomes) if outcome.ok]
    assert saved

    figures = versions_of(period)
    numbers = [f.version for f in figures]
    assert numbers == list(range(1, len(saved) + 1)), numbers
    for older, newer in itertools.pairwise(figures):
        assert newer.supersedes_id == older.pk
    assert [f.version for f in figures if f.is_latest] == [len(saved)]
    by_value = {f.value: f for f in figures}
    assert len(by_value) == len(figures)
    for n in saved:
        [created] = outcomes[n].value
        assert by_value[values[n]].pk == created.pk
        assert by_value[values[n]].entered_by == clerks[n]
    assert AuditEvent.objects.filter(
        action="figure_enter", period=period, details__item=ITEM
    ).count() == len(saved)


# --- two recomputes never interleave -------------------------------------------------------


@dataclass
class ComputeProbe:
    """Wraps results_recompute: counts computations running at once; the first one
    (the holder) signals that it is computing and waits to be released."""

    inside: threading.Event
    release: threading.Event
    active: int = 0
    most_at_once: int = 0
    calls: int = 0

    def __post_init__(self):
        self.guard = threading.Lock()
        self.real = recompute.results_recompute

    def __call__(self, **kwargs):
        with self.guard:
            self.active += 1
            self.calls += 1
            self.most_at_once = max(self.most_at_once, self.active)
        try:
            self.inside.set()
            self.release.wait(THREAD_TIMEOUT / 4)
            return self.real(**kwargs)
        finally:
            with self.guard:
                self.active -= 1


@pytest.fixture
def probe(monkeypatch, concurrent_db) -> ComputeProbe:
    compute = ComputeProbe(threading.Event(), threading.Event())
    monkeypatch.setattr(request_queue, "results_recompute", compute)
    return compute


def pending_request(scope: str, from_year: int = 2020) -> RecomputeRequest:
    return RecomputeRequest.objects.create(scope=scope, from_year=from_year, reason="test")


def holding_then(probe: ComputeProbe, call: Callable[[], object]) -> Callable[[], object]:
    """`call` once the holder is computing, then release the holder."""

    def second():
        assert probe.inside.wait(THREAD_TIMEOUT / 2), "the holder never started computing"
        try:
            return call()
        finally:
            probe.release.set()

    return second


def test_a_recompute_run_while_another_computes_returns_busy(
    probe, administrator, no_eager_recompute
):
    """Invariant: while one recompute_run computes (it holds the advisory lock), a second
    recompute_run on another request returns "busy" at once without claiming its
    request, which stays pending for a retry; the two computations never overlap. The
    retry then computes."""
    import_rows(
        [{"period": "2024Q1", "item": ITEM, "value": "100"}], user=administrator, approve=True
    )  # something to compute (and a pending request of the park)
    first = RecomputeRequest.objects.get(scope="", status=RecomputeRequest.Status.PENDING)
    second = pending_request(RecomputeRequest.ALL_SCOPES)

    holder, other = run_together(
        lambda: recompute.recompute_run(request_id=first.pk),
        holding_then(probe, lambda: recompute.recompute_run(request_id=second.pk)),
    )

    assert_no_database_error([holder, other])
    report(f"recompute_run vs recompute_run: holder={holder.value}, other={other.value}")
    assert (holder.value, other.value) == ("done", "busy")
    assert (probe.calls, probe.most_at_once) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RecomputeRequest.Status.DONE
    assert (second.status, second.attempts) == (RecomputeRequest.Status.PENDING, 0)

    probe.release.set()
    assert recompute.recompute_run(request_id=second.pk) == "done"
    second.refresh_from_db()
    assert second.status == RecomputeRequest.Status.DONE


def test_the_nightly_reconciliation_and_a_recompute_run_never_interleave(
    probe, administrator, no_eager_recompute
):
    """Invariant: the nightly full recompute and a recompute_run take the same advisory
    lock: while the nightly one computes, recompute_run returns "busy" and leaves its
    request pending; while a recompute_run computes, the nightly one computes nothing."""
    import_rows(
        [{"period": "2024Q1", "item": ITEM, "value": "100"}], user=administrator, approve=True
    )
    request = RecomputeRequest.objects.get(scope="", status=RecomputeRequest.Status.PENDING)

    nightly, run = run_together(
        recompute.full_recompute_and_reconcile,
        holding_then(probe, lambda: recompute.recompute_run(request_id=request.pk)),
    )
    assert_no_database_error([nightly, run])
    assert run.value == "busy"
    assert nightly.value.scopes >= 1
    assert (probe.calls, probe.most_at_once) == (1, 1)
    request.refresh_from_db()
    assert (request.status, request.attempts) == (RecomputeRequest.Status.PENDING, 0)

    probe.inside.clear()
    probe.release.clear()
    run, nightly = run_together(
        lambda: recompute.recompute_run(request_id=request.pk),
        holding_then(probe, recompute.full_recompute_and_reconcile),
    )
    assert_no_database_error([nightly, run])
    report(f"recompute_run vs nightly: run={run.value}, nightly scopes={nightly.value.scopes}")
    assert run.value == "done"
    assert nightly.value.scopes == 0
    assert nightly.value.differences == []
    assert (probe.calls, probe.most_at_once) == (2, 1)


def test_recompute_runs_released_together_never_compute_at_once(
    probe, administrator, no_eager_recompute
):
    """Invariant: four recompute_runs on four pending requests, released together, never
    compute at the same time; each returns "done" or "busy", a busy one's request stays
    pending, and whichever computes first holds the others off."""
    import_rows(
        [{"period": "2024Q1", "item": ITEM, "value": "100"}], user=administrator, approve=True
    )
    requests = [
        RecomputeRequest.objects.get(scope="", status=RecomputeRequest.Status.PENDING),
        pending_request(RecomputeRequest.ALL_SCOPES),
        pending_request("91371400MA3C00000A"),
        pending_request("91371400MA3C00001D"),
    ]
    probe.release.set()  # no holder: the computations just race
    real = probe.real

    def slow(**kwargs):  # wide enough that the racers meet the lock
        time.sleep(0.5)
        return real(**kwargs)

    probe.real = slow

    outcomes = run_together(
        *(lambda pk=r.pk: recompute.recompute_run(request_id=pk) for r in requests)
    )

    assert_no_database_error(outcomes)
    values = Counter(o.value for o in outcomes)
    report(f"four recompute_runs at once: {dict(values)}")
    assert set(values) <= {"done", "busy"}
    assert values["done"] >= 1
    assert values["busy"] >= 1
    assert probe.most_at_once == 1
    for outcome, request in zip(outcomes, requests, strict=True):
        request.refresh_from_db()
        expected = "done" if outcome.value == "done" else "pending"
        assert request.status == expected
