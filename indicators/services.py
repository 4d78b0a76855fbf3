"""Every write to figures: entering a version, the workflow (submit, approve, return) and
imports. Each service is one transaction that also writes its audit record and, when
approved data changed, the durable recompute request (see indicators/recompute/request_queue.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators import bulk
from indicators.cache import page_changed
from indicators.importing import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    ImportColumns,
    ImportFileError,
    ImportRow,
    ParseResult,
    RowError,
)
from indicators.isolated_parse import parse_import_file_isolated
from indicators.locks import assert_writable, department_periods_lock
from indicators.models import (
    DepartmentPeriod,
    Figure,
    ImportBatch,
    RecomputeRequest,
    StatisticalItem,
)
from indicators.numbers import decimal_text
from indicators.periods import period_code, quarter_text
from indicators.recompute import recompute_request

State = Figure.State


# Beyond this many enterprises, one request for every scope is cheaper than one per scope
# (each request is a row, a job and a scan of the scope's figures).
MAX_SCOPES_PER_REQUEST = 50


def recompute_scopes(scopes: set[str]) -> set[str]:
    """The scopes an approved import must have recomputed: those of its new figures (the
    park is ""), or every scope when the import touched many enterprises."""
    if len(scopes) > MAX_SCOPES_PER_REQUEST:
        return {RecomputeRequest.ALL_SCOPES}
    return scopes


def _import_applied(
    batch: ImportBatch,
    *,
    user,
    created: int,
    unchanged: int,
    revised_approved: int,
    first_year: int | None,
    scopes: set[str],
) -> None:
    """What every applied import ends with, whichever writer wrote its figures: the batch's
    counts, the audit event, and (when it landed approved figures) the recompute request of
    the scopes and years it touched — in the import's transaction."""
    batch.created_count = created
    batch.unchanged_count = unchanged
    batch.save(update_fields=["created_count", "unchanged_count"])
    audit_record(
        actor=user,
        action="import",
        object_type="import",
        object_id=batch.pk,
        reason=batch.filename,
        details={
            "sha256": batch.sha256,
            "rows": batch.row_count,
            "created": created,
            "unchanged": unchanged,
            "revised_approved": revised_approved,
            "approved": batch.approve,
        },
    )
    if batch.approve and created:
        recompute_request(
            from_year=first_year, reason=f"import {batch.pk}", scopes=recompute_scopes(scopes)
        )


@dataclass(frozen=True)
class FigureInput:
    """One value to record for (item, period, scope)."""

    item: StatisticalItem
    year: int
    quarter: int | None
    scope: str
    value: Decimal
    note: str = ""
    line: int | None = None


def _lock_latest(inputs: Iterable[FigureInput]) -> dict[tuple, Figure]:
    """The newest version of each key, locked (SELECT … FOR UPDATE) in a stable order."""
    keys = {(i.item.pk, period_code(i.year, i.quarter), i.scope) for i in inputs}
    if not keys:
        return {}
    item_ids = {k[0] for k in keys}
    periods = {k[1] for k in keys}
    candidates = (
        Figure.objects.select_for_update()
        .filter(is_latest=True, item_id__in=item_ids, period__in=periods)
        .order_by("pk")
    )
    return {
        (f.item_id, f.period, f.scope): f
        for f in candidates
        if (f.item_id, f.period, f.scope) in keys
    }


@dataclass
class RecordOutcome:
    created: list[Figure] = field(default_factory=list)
    unchanged: int = 0
    revised_approved: int = 0
    changed_pairs: set = field(default_factory=set)


def _max_versions(keys: set[tuple]) -> dict[tuple, int]:
    """The highest version number of each key (withdrawn versions included)."""
    if not keys:
        return {}
    rows = (
        Figure.objects.filter(item_id__in={k[0] for k in keys}, period__in={k[1] for k in keys})
        .values("item_id", "period", "scope")
        .annotate(highest=Max("version"))
    )
    return {(r["item_id"], r["period"], r["scope"]): r["highest"] for r in rows}


def _periods_after_write(periods: dict, changed_pairs: set, *, state: str, user, now) -> None:
    """The department-periods whose figures changed take the state the new versions put
    them in (with `QuerySet.update()`, which leaves `updated_at` alone: cached pages
    follow the page generation, bumped here)."""
    page_changed()
    touched = DepartmentPeriod.objects.filter(pk__in=[periods[p].pk for p in changed_pairs])
    if state == State.APPROVED:
        # History loaded as approved closes its periods as a head's approval does.
        touched.update(state=DepartmentPeriod.State.APPROVED, decided_by=user, decided_at=now)
    elif state == State.SUBMITTED:
        # Imported figures arrive for the department head's review, unless the department
        # still has drafts there: then it completes and submits the period itself.
        with_drafts = set(
            Figure.objects.filter(
                is_latest=True,
                state__in=[State.DRAFT, State.RETURNED],
                department_id__in={pair[0] for pair in changed_pairs},
                period__in={pair[1] for pair in changed_pairs},
            ).values_list("department_id", "period")
        )
        touched.exclude(pk__in=[periods[pair].pk for pair in changed_pairs & with_drafts]).update(
            state=DepartmentPeriod.State.SUBMITTED, submitted_by=user, submitted_at=now
        )
    else:
        # A correction under a lock exception reopens the period until it is approved again.
        touched.filter(state=DepartmentPeriod.State.APPROVED).update(
            state=DepartmentPeriod.State.OPEN
        )


def figure_record(
    inputs: list[FigureInput],
    *,
    user,
    state: str,
    reason: str,
    batch: ImportBatch | None = None,
    expected_versions: dict[tuple, int] | None = None,
    enterprise_period: bool = False,
) -> RecordOutcome:
    """Write a new version for every input whose value or note differs from the newest one.
    Must run inside a transaction. Locks, in this order: the department-periods (refusing
    a change to a submitted or approved one without a lock exception), then the newest
    version of each key. `enterprise_period`: an enterprise's own quarter (enterprises.
    quarters), whose caller holds and checks the enterprise-period lock instead; its
    figures are never the park's, and leave the departments' periods alone."""
    now = timezone.now()
    if enterprise_period:
        assert all(i.scope for i in inputs), "an enterprise's quarter has enterprise scopes only"
    periods = (
        {}
        if enterprise_period
        else department_periods_lock(
            {(i.item.department_id, period_code(i.year, i.quarter)) for i in inputs}
        )
    )
    latest = _lock_latest(inputs)
    keys = {(i.item.pk, period_code(i.year, i.quarter), i.scope) for i in inputs}
    highest = _max_versions(keys)
    outcome = RecordOutcome()
    superseded: list[Figure] = []
    uncounted: list[Figure] = []
    changed_pairs: set[tuple[int, str]] = set()
    missing_reason: list[tuple[StatisticalItem, str]] = []
    for data in inputs:
        key = (data.item.pk, period_code(data.year, data.quarter), data.scope)
        previous = latest.get(key)
        if expected_versions is not None and key in expected_versions:
            current_version = previous.version if previous else 0
            if current_version != expected_versions[key]:
                raise ConflictError(
                    "数据已被他人修改，请刷新后重试。",
                    "Someone else changed this figure first; reload and try again.",
                    code="conflict",
                    details={
                        "item": data.item.code,
                        "your_value": decimal_text(data.value),
                        "current_value": decimal_text(previous.value) if previous else None,
                        "current_version": current_version,
                        "current_by": previous.entered_by.get_username()
                        if previous and previous.entered_by
                        else None,
                    },
                )
        same_as_newest = (
            previous is not None and previous.value == data.value and previous.note == data.note
        )
        if same_as_newest and (state != State.APPROVED or previous.state == State.APPROVED):
            outcome.unchanged += 1
            continue
        if previous is not None and previous.state == State.APPROVED and not reason.strip():
            missing_reason.append((data.item, key[1]))
        changed_pairs.add((data.item.department_id, key[1]))
        figure = Figure(
            item=data.item,
            department_id=data.item.department_id,
            period=key[1],
            year=data.year,
            quarter=data.quarter,
            scope=data.scope,
            value=data.value,
            version=highest.get(key, 0) + 1,
            supersedes=previous,
            is_latest=True,
            counts=state == State.APPROVED,
            state=state,
            note=data.note,
            reason=reason if previous else "",
            entered_by=user,
            import_batch=batch,
        )
        highest[key] = figure.version
        if state in (State.SUBMITTED, State.APPROVED):
            figure.submitted_by, figure.submitted_at = user, now
        if state == State.APPROVED:
            figure.decided_by, figure.decided_at = user, now
        if previous is not None:
            previous.is_latest = False
            superseded.append(previous)
            if previous.state == State.APPROVED:
                outcome.revised_approved += 1
            if state == State.APPROVED and previous.counts:
                previous.counts = False
                uncounted.append(previous)
        if state == State.APPROVED and previous is not None and not previous.counts:
            # The counting version may be older than the newest one (a draft revision).
            older_counting = Figure.objects.filter(
                item_id=key[0], period=key[1], scope=key[2], counts=True
            )
            for old in older_counting.select_for_update():
                old.counts = False
                uncounted.append(old)
        outcome.created.append(figure)
    if enterprise_period:
        changed_pairs = set()
    if state != State.APPROVED:
        # Landing figures approved is itself an approval (administrators loading or revising
        # history, audited as such); every other write respects the lock.
        assert_writable(periods, changed_pairs, now)
    if missing_reason:
        item, period = missing_reason[0]
        raise ApplicationError(
            f"修订已审核的数据“{item.name_zh} {quarter_text(period)}”须填写修订原因。",
            f"Revising the approved figure '{item.code} {quarter_text(period, 'en')}' needs a reason.",
            code="reason_required",
        )
    # Flags of replaced versions change before the new rows exist, so the partial unique
    # constraints (one latest, one counting version per key) hold at every statement.
    Figure.objects.bulk_update(superseded, ["is_latest"], batch_size=2000)
    Figure.objects.bulk_update(uncounted, ["counts"], batch_size=2000)
    try:
        with transaction.atomic():
            Figure.objects.bulk_create(outcome.created, batch_size=2000)
    except IntegrityError as error:
        raise ConflictError(
            "数据已被他人同时修改，请刷新后重试。",
            "Someone else saved this figure at the same moment; reload and try again.",
            code="conflict",
        ) from error
    _periods_after_write(periods, changed_pairs, state=state, user=user, now=now)
    outcome.changed_pairs = changed_pairs
    return outcome


@dataclass
class ImportOutcome:
    batch: ImportBatch | None
    dry_run: bool
    row_count: int
    to_create: int
    unchanged: int
    revised_approved: int
    changes: list[dict]


def _changes_preview(rows: list[ImportRow], items: dict[str, StatisticalItem]) -> list[dict]:
    """Per row: the value now in force (if any) and the value the import would write."""
    latest = {
        (f.item_id, f.period, f.scope): f
        for f in Figure.objects.filter(
            is_latest=True,
            item_id__in={items[r.item_code].pk for r in rows},
            period__in={r.period for r in rows},
        ).only("item_id", "period", "scope", "value", "note", "state", "version")
    }
    changes = []
    for row in rows:
        current = latest.get((items[row.item_code].pk, row.period, row.scope))
        if current is not None and current.value == row.value and current.note == row.note:
            continue
        changes.append(
            {
                "line": row.line,
                "item": row.item_code,
                "period": row.period,
                "scope": row.scope,
                "old": decimal_text(current.value) if current else None,
                "old_state": current.state if current else None,
                "new": decimal_text(row.value),
            }
        )
    return changes


def import_file_read(
    *,
    content: bytes,
    filename: str,
    items,
    user,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    department_code: str = "",
    period: str = "",
    source: str = "file",
) -> ParseResult:
    """Read an import file (CSV here, xlsx in a child process with a memory and time limit:
    indicators/isolated_parse.py) and check every row. A file refused as a whole raises
    ImportFileError after writing the audit record "import_file_refused" in its own
    transaction, so the refusal stays on record whatever the caller rolls back. The one
    entry point for reading an uploaded or named file: the department's upload page and
    `import_statistics` alike."""
    try:
        return parse_import_file_isolated(
            content, filename, items, max_bytes=max_bytes, max_rows=max_rows
        )
    except ImportFileError as refusal:
        with transaction.atomic():
            audit_record(
                actor=user,
                action="import_file_refused",
                object_type="import",
                department_code=department_code,
                period=period,
                reason=filename[:255],
                details={
                    "code": refusal.code,
                    "source": source,
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "message_en": refusal.message_en,
                    "limits": refusal.details if isinstance(refusal.details, dict) else None,
                },
            )
        raise


def unregistered_scope_errors(parsed: ParseResult) -> list[RowError]:
    """A row error (at its first line) for each enterprise scope that is not in the
    enterprise register: figures come only for registered enterprises (the statistics
    office registers first)."""
    from enterprises.selectors import registered_codes

    if parsed.columns is not None:
        lines, scopes = parsed.columns.lines, parsed.columns.scopes
    else:
        lines, scopes = [r.line for r in parsed.rows], [r.scope for r in parsed.rows]
    unknown = set(scopes) - {""}
    unknown -= registered_codes(unknown)
    errors = []
    for line, scope in zip(lines, scopes, strict=True):
        if scope in unknown:
            unknown.discard(scope)
            errors.append(
                RowError(
                    line,
                    "scope",
                    "unregistered_scope",
                    f"统一社会信用代码为 {scope} 的企业不在企业名录中，请先由统计办登记该企业",
                    f"The enterprise {scope} is not in the enterprise register; the statistics "
                    "office registers it first",
                    scope,
                )
            )
            if not unknown:
                break
    return errors


def statistics_import(
    *,
    parsed: ParseResult,
    user,
    filename: str = "",
    source: str = "file",
    approve: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Import parsed rows all or nothing. Rows equal to the newest version change nothing
    (so a repeated file is a no-op); a row that changes an approved figure becomes a new
    version with the old one kept. `approve` lands the figures approved (administrators
    loading history) and queues the recompute; otherwise they arrive submitted, awaiting
    the department head. Any row error refuses the whole file and writes nothing but the
    audit record of the refusal."""
    if not permissions.can_run_imports(user):
        raise PermissionRefused(
            "只有统计办可以导入数据。",
            "Only the statistics office can import statistics.",
            code="permission_denied",
        )
    if approve and not permissions.can_approve_on_import(user):
        raise PermissionRefused(
            "只有系统管理员可以导入即审核。",
            "Only an administrator can import figures as approved.",
            code="permission_denied",
        )
    scope_errors = unregistered_scope_errors(parsed)
    if parsed.errors or scope_errors:
        errors = [e.__dict__ for e in [*parsed.errors, *scope_errors]]
        with transaction.atomic():
            ImportBatch.objects.create(
                sha256=parsed.sha256,
                filename=filename,
                source=source,
                status=ImportBatch.Status.REJECTED,
                approve=approve,
                row_count=len(parsed.rows) + len({e.line for e in parsed.errors}),
                errors=errors[:1000],
                created_by=user,
            )
            audit_record(
                actor=user,
                action="import_rejected",
                object_type="import",
                reason=filename,
                details={"sha256": parsed.sha256, "errors": len(errors)},
            )
        raise ApplicationError(
            f"文件有 {len(errors)} 处错误，未导入任何数据。",
            f"The file has {len(errors)} error(s); nothing was imported.",
            code="import_rejected",
            details=errors,
        )
    items = {i.code: i for i in StatisticalItem.objects.all()}
    if not dry_run and bulk.available():
        return _statistics_import_bulk(
            parsed=parsed, items=items, user=user, filename=filename, source=source, approve=approve
        )
    changes = _changes_preview(parsed.rows, items)
    if dry_run:
        return ImportOutcome(
            None,
            True,
            len(parsed.rows),
            len(changes),
            len(parsed.rows) - len(changes),
            sum(1 for c in changes if c["old_state"] == State.APPROVED),
            changes,
        )
    inputs = [
        FigureInput(items[r.item_code], r.year, r.quarter, r.scope, r.value, r.note, r.line)
        for r in parsed.rows
    ]
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            sha256=parsed.sha256,
            filename=filename,
            source=source,
            status=ImportBatch.Status.APPLIED,
            approve=approve,
            row_count=len(inputs),
            created_by=user,
        )
        outcome = figure_record(
            inputs,
            user=user,
            state=State.APPROVED if approve else State.SUBMITTED,
            reason=f"导入 / import {filename}".strip(),
            batch=batch,
        )
        _import_applied(
            batch,
            user=user,
            created=len(outcome.created),
            unchanged=outcome.unchanged,
            revised_approved=outcome.revised_approved,
            first_year=min((f.year for f in outcome.created), default=None),
            scopes={f.scope for f in outcome.created},
        )
    return ImportOutcome(
        batch,
        False,
        len(inputs),
        len(outcome.created),
        outcome.unchanged,
        outcome.revised_approved,
        changes,
    )


def _columns_of(rows: list[ImportRow]) -> ImportColumns:
    return ImportColumns(
        lines=[r.line for r in rows],
        periods=[r.period for r in rows],
        years=[r.year for r in rows],
        quarters=[r.quarter for r in rows],
        item_codes=[r.item_code for r in rows],
        values=[str(r.value) for r in rows],  # Decimal(str(d)) is d, digit for digit
        original_values=[r.original_value for r in rows],
        original_units=[r.original_unit for r in rows],
        scopes=[r.scope for r in rows],
        notes=[r.note for r in rows],
    )


def _statistics_import_bulk(
    *, parsed: ParseResult, items: dict, user, filename: str, source: str, approve: bool
) -> ImportOutcome:
    """statistics_import on PostgreSQL: the same transaction, records and outcome, with the
    figures written by indicators.bulk (COPY + INSERT … SELECT)."""
    columns = parsed.columns if parsed.columns is not None else _columns_of(parsed.rows)
    state = State.APPROVED if approve else State.SUBMITTED
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            sha256=parsed.sha256,
            filename=filename,
            source=source,
            status=ImportBatch.Status.APPLIED,
            approve=approve,
            row_count=len(columns),
            created_by=user,
        )
        now = timezone.now()
        outcome = bulk.figures_import_bulk(
            columns,
            items,
            user=user,
            state=state,
            reason=f"导入 / import {filename}".strip(),
            batch=batch,
            now=now,
        )
        _periods_after_write(
            outcome.periods, outcome.changed_pairs, state=state, user=user, now=now
        )
        _import_applied(
            batch,
            user=user,
            created=outcome.created,
            unchanged=outcome.unchanged,
            revised_approved=outcome.revised_approved,
            first_year=outcome.first_year,
            scopes=outcome.scopes,
        )
    return ImportOutcome(
        batch,
        False,
        len(columns),
        outcome.created,
        outcome.unchanged,
        outcome.revised_approved,
        outcome.changes,
    )
