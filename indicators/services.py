"""Every write to figures: entering a version, the workflow (submit, approve, return) and
imports. Each service is one transaction that also writes its audit record and, when
approved data changed, the durable recompute request (see indicators/recompute.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators.importing import ImportRow, ParseResult
from indicators.models import Figure, ImportBatch, StatisticalItem
from indicators.recompute import recompute_request

State = Figure.State


def period_label(year: int, quarter: int | None) -> str:
    return f"{year}Q{quarter}" if quarter else str(year)


def _value_text(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


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
    keys = {(i.item.pk, period_label(i.year, i.quarter), i.scope) for i in inputs}
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


def _record(
    inputs: list[FigureInput],
    *,
    user,
    state: str,
    reason: str,
    batch: ImportBatch | None = None,
    expected_versions: dict[tuple, int] | None = None,
) -> RecordOutcome:
    """Write a new version for every input whose value or note differs from the newest one.
    Must run inside a transaction."""
    now = timezone.now()
    latest = _lock_latest(inputs)
    outcome = RecordOutcome()
    superseded: list[Figure] = []
    uncounted: list[Figure] = []
    for data in inputs:
        key = (data.item.pk, period_label(data.year, data.quarter), data.scope)
        previous = latest.get(key)
        if expected_versions is not None and key in expected_versions:
            current_version = previous.version if previous else 0
            if current_version != expected_versions[key]:
                raise ConflictError(
                    "数据已被他人修改，请刷新后重试。",
                    "Someone else changed this figure first; reload and try again.",
                    code="conflict",
                    details={
                        "your_value": _value_text(data.value),
                        "current_value": _value_text(previous.value) if previous else None,
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
        figure = Figure(
            item=data.item,
            department_id=data.item.department_id,
            period=key[1],
            year=data.year,
            quarter=data.quarter,
            scope=data.scope,
            value=data.value,
            version=(previous.version + 1) if previous else 1,
            supersedes=previous,
            is_latest=True,
            counts=state == State.APPROVED,
            state=state,
            note=data.note,
            reason=reason if previous else "",
            entered_by=user,
            import_batch=batch,
        )
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
    return outcome


def figure_enter(
    *,
    item: StatisticalItem,
    year: int,
    quarter: int | None,
    value: Decimal,
    user,
    scope: str = "",
    note: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Figure | None:
    """Save a draft value as a new version (None when it equals the newest version).
    `expected_version` (the version the person saw; 0 for none) refuses a lost update."""
    if not permissions.can_enter_figures(user, item.department_id):
        raise PermissionRefused(
            "您只能填报本部门的数据。",
            "You can only enter your own department's figures.",
            code="permission_denied",
        )
    data = FigureInput(item, year, quarter, scope, Decimal(value), note)
    key = (item.pk, period_label(year, quarter), scope)
    with transaction.atomic():
        expected = {key: expected_version} if expected_version is not None else None
        outcome = _record(
            [data], user=user, state=State.DRAFT, reason=reason, expected_versions=expected
        )
        if not outcome.created:
            return None
        figure = outcome.created[0]
        figure = Figure.objects.get(item=item, period=key[1], scope=scope, is_latest=True)
        audit_record(
            actor=user,
            action="figure_enter",
            object_type="figure",
            object_id=figure.pk,
            department_code=item.department.code,
            period=figure.period,
            old_value=_value_text(figure.supersedes.value) if figure.supersedes_id else None,
            new_value=_value_text(figure.value),
            reason=reason,
            details={"item": item.code, "scope": scope, "version": figure.version},
        )
        return figure


def _transition(
    figures: Iterable[Figure],
    *,
    user,
    allowed_from: set[str],
    to: str,
    action: str,
    comment: str = "",
) -> list[Figure]:
    figures = list(
        Figure.objects.select_for_update()
        .filter(pk__in=[f.pk for f in figures])
        .select_related("item", "department")
        .order_by("pk")
    )
    if not figures:
        raise ApplicationError(
            "没有可处理的数据。", "There are no figures to process.", code="empty"
        )
    now = timezone.now()
    changed = []
    for figure in figures:
        if not figure.is_latest:
            raise ApplicationError(
                f"{figure.item.code} {figure.period} 已有更新的版本。",
                f"{figure.item.code} {figure.period} has a newer version.",
                code="stale",
            )
        if figure.state not in allowed_from:
            raise ApplicationError(
                f"{figure.item.code} {figure.period} 当前状态为“{figure.get_state_display()}”，"
                "不能执行该操作。",
                f"{figure.item.code} {figure.period} is {figure.state}; that action is not allowed.",
                code="invalid_state",
            )
        old_state = figure.state
        figure.state = to
        if to == State.SUBMITTED:
            figure.submitted_by, figure.submitted_at = user, now
        else:
            figure.decided_by, figure.decided_at = user, now
            figure.decision_comment = comment
        if to == State.APPROVED:
            Figure.objects.filter(
                item_id=figure.item_id, period=figure.period, scope=figure.scope, counts=True
            ).update(counts=False)
            figure.counts = True
        figure.save()
        changed.append(figure)
        audit_record(
            actor=user,
            action=action,
            object_type="figure",
            object_id=figure.pk,
            department_code=figure.department.code,
            period=figure.period,
            old_value=old_state,
            new_value=to,
            reason=comment,
            details={
                "item": figure.item.code,
                "version": figure.version,
                "value": _value_text(figure.value),
            },
        )
    return changed


def _require(check: bool, zh: str, en: str) -> None:
    if not check:
        raise PermissionRefused(zh, en, code="permission_denied")


@transaction.atomic
def figures_submit(*, figures: Iterable[Figure], user) -> list[Figure]:
    """Submit drafts (or returned figures) of the user's department for approval."""
    figures = list(figures)
    for figure in figures:
        _require(
            permissions.can_enter_figures(user, figure.department_id),
            "您只能提交本部门的数据。",
            "You can only submit your own department's figures.",
        )
    return _transition(
        figures,
        user=user,
        allowed_from={State.DRAFT, State.RETURNED},
        to=State.SUBMITTED,
        action="submit",
    )


@transaction.atomic
def figures_approve(*, figures: Iterable[Figure], user, comment: str = "") -> list[Figure]:
    """Approve submitted figures: they count from now on, and the results of their years
    and every later year are queued for recomputing (after commit)."""
    figures = list(figures)
    for figure in figures:
        _require(
            permissions.can_approve(user, figure.department_id),
            "只有本部门负责人可以审核。",
            "Only the department's head can approve.",
        )
    changed = _transition(
        figures,
        user=user,
        allowed_from={State.SUBMITTED},
        to=State.APPROVED,
        action="approve",
        comment=comment,
    )
    recompute_request(from_year=min(f.year for f in changed), reason="approve")
    return changed


@transaction.atomic
def figures_return(*, figures: Iterable[Figure], user, comment: str) -> list[Figure]:
    """Return submitted figures to the department with a comment."""
    if not comment.strip():
        raise ApplicationError(
            "退回时必须填写意见。",
            "A comment is required to return figures.",
            code="comment_required",
        )
    figures = list(figures)
    for figure in figures:
        _require(
            permissions.can_approve(user, figure.department_id),
            "只有本部门负责人可以退回。",
            "Only the department's head can return figures.",
        )
    return _transition(
        figures,
        user=user,
        allowed_from={State.SUBMITTED},
        to=State.RETURNED,
        action="return",
        comment=comment,
    )


# --- Imports ------------------------------------------------------------------------------


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
                "old": _value_text(current.value) if current else None,
                "old_state": current.state if current else None,
                "new": _value_text(row.value),
            }
        )
    return changes


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
    if parsed.errors:
        errors = [e.__dict__ for e in parsed.errors]
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
        outcome = _record(
            inputs,
            user=user,
            state=State.APPROVED if approve else State.SUBMITTED,
            reason=f"导入 / import {filename}".strip(),
            batch=batch,
        )
        batch.created_count = len(outcome.created)
        batch.unchanged_count = outcome.unchanged
        batch.save(update_fields=["created_count", "unchanged_count"])
        audit_record(
            actor=user,
            action="import",
            object_type="import",
            object_id=batch.pk,
            reason=filename,
            details={
                "sha256": parsed.sha256,
                "rows": len(inputs),
                "created": len(outcome.created),
                "unchanged": outcome.unchanged,
                "revised_approved": outcome.revised_approved,
                "approved": approve,
            },
        )
        if approve and outcome.created:
            recompute_request(
                from_year=min(f.year for f in outcome.created), reason=f"import {batch.pk}"
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
