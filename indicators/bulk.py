"""The fast path of a large import on PostgreSQL: the rows go to the server with one COPY
into a temporary table, and the new versions are written with one INSERT … SELECT, instead
of a Figure instance per row and bulk_create (which had Django prepare ~2 million field
values for 100,000 rows).

It keeps every promise of `indicators.services.figure_record` for imports: the same locks in the
same order (the department-periods, then the newest version of each key in primary-key
order), rows equal to the newest version change nothing, a changed key gets the next
version number and supersedes the version it replaces (whose flags change first, so the
partial unique constraints hold at every statement), approved figures stop counting when
an approved import replaces them, and the department-periods change state as
`figure_record` leaves them. Only the rows whose key already has figures are handled one by one
in Python; a first load of 100,000 figures reads none.

Called by `services.statistics_import` inside its transaction, on PostgreSQL only
(`available()`); SQLite and any other database keep `figure_record`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction

from dezhou_carbon.exceptions import ApplicationError, ConflictError
from indicators.importing import ImportColumns
from indicators.locks import assert_writable, department_periods_lock
from indicators.models import Figure, ImportBatch, StatisticalItem
from indicators.numbers import decimal_text

State = Figure.State
STAGE = "figure_import_stage"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def available() -> bool:
    """True on PostgreSQL through psycopg2 (its cursors have copy_expert)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


@dataclass
class BulkOutcome:
    created: int = 0
    unchanged: int = 0
    revised_approved: int = 0
    first_year: int | None = None  # the earliest year among the created versions
    scopes: set = field(default_factory=set)  # the scopes of the created versions
    changed_pairs: set = field(default_factory=set)
    changes: Sequence[dict] = ()
    periods: dict = field(default_factory=dict)  # the locked department-periods


@dataclass(frozen=True)
class _Latest:
    id: int
    value: Decimal
    note: str
    state: str
    counts: bool
    version: int


class _Changes(Sequence):
    """The import's diff (`ImportOutcome.changes`), one dict per row that differs from the
    newest version, built when read: callers show the first thousand at most."""

    def __init__(self, columns: ImportColumns, indices: Sequence[int], latest: dict):
        self.columns, self.indices, self.latest = columns, indices, latest

    def __len__(self) -> int:
        return len(self.indices)

    def _change(self, index: int) -> dict:
        c = self.columns
        current = self.latest.get((c.item_codes[index], c.periods[index], c.scopes[index]))
        return {
            "line": c.lines[index],
            "item": c.item_codes[index],
            "period": c.periods[index],
            "scope": c.scopes[index],
            "old": decimal_text(current.value) if current else None,
            "old_state": current.state if current else None,
            "new": decimal_text(Decimal(c.values[index])),
        }

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self._change(i) for i in self.indices[at]]
        return self._change(self.indices[at])

    def __iter__(self) -> Iterator[dict]:
        return (self._change(i) for i in self.indices)

    def __eq__(self, other) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented


def _copy_stage(cursor, columns: ImportColumns) -> None:
    notes = columns.notes
    if any(notes):
        escaped = {note: note.translate(_COPY_ESCAPES) for note in set(notes)}
        notes = [escaped[note] for note in notes]
    # Every field is plain text without tabs or newlines (checked by the parser: periods
    # and scopes canonical, item codes from the catalogue, values plain decimals), so
    # the rows are joined in C; only notes are escaped.
    text = "\n".join(
        map(
            "\t".join,
            zip(
                map(str, columns.lines),
                columns.item_codes,
                columns.periods,
                columns.scopes,
                columns.values,
                notes,
                strict=True,
            ),
        )
    )
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE} (line integer NOT NULL, item_code text NOT NULL, "
        "period varchar(7) NOT NULL, scope varchar(18) NOT NULL, value numeric(24, 6) NOT NULL, "
        "note text NOT NULL, version integer NOT NULL DEFAULT 1, supersedes_id bigint, "
        "skip boolean NOT NULL DEFAULT false) ON COMMIT DROP"
    )
    cursor.cursor.copy_expert(
        f"COPY {STAGE} (line, item_code, period, scope, value, note) FROM STDIN",
        io.StringIO(text + "\n"),
    )


def figures_import_bulk(
    columns: ImportColumns,
    items: dict[str, StatisticalItem],
    *,
    user,
    state: str,
    reason: str,
    batch: ImportBatch,
    now,
) -> BulkOutcome:
    """Write a new version for every row whose value or note differs from the newest one
    (see the module's docstring). Must run inside a transaction."""
    department_of = {code: item.department_id for code, item in items.items()}
    pairs = set(
        zip(map(department_of.__getitem__, columns.item_codes), columns.periods, strict=True)
    )
    periods = department_periods_lock(pairs)
    code_of = {item.pk: code for code, item in items.items()}
    outcome = BulkOutcome()
    with connection.cursor() as cursor:
        _copy_stage(cursor, columns)
        key_join = (
            f"FROM indicators_figure f JOIN indicators_statisticalitem i ON i.id = f.item_id "
            f"JOIN {STAGE} s ON s.item_code = i.code AND s.period = f.period AND s.scope = f.scope"
        )
        # The newest version of each key, locked in primary-key order as figure_record does.
        cursor.execute(
            "SELECT f.id, f.item_id, f.period, f.scope, f.value, f.note, f.state, f.counts, "
            f"f.version {key_join} WHERE f.is_latest ORDER BY f.id FOR UPDATE OF f"
        )
        latest = {
            (code_of[item_id], period, scope): _Latest(pk, value, note, row_state, counts, version)
            for pk, item_id, period, scope, value, note, row_state, counts, version in cursor
        }
        # The highest version of each key, withdrawn versions included.
        cursor.execute(
            f"SELECT i.code, f.period, f.scope, max(f.version) {key_join} GROUP BY 1, 2, 3"
        )
        highest = {(code, period, scope): top for code, period, scope, top in cursor}

        n = len(columns)
        change_indices: Sequence[int] = range(n)
        adjusted: list[tuple[int, int, int | None, bool]] = []  # line, version, supersedes, skip
        superseded: list[int] = []
        uncounted: list[int] = []
        revised_keys: list[tuple] = []
        if highest:
            change_indices = []
            c = columns
            for index in range(n):
                key = (c.item_codes[index], c.periods[index], c.scopes[index])
                if key not in highest:
                    change_indices.append(index)
                    continue
                previous = latest.get(key)
                value, note = Decimal(c.values[index]), c.notes[index]
                if previous is None or previous.value != value or previous.note != note:
                    change_indices.append(index)
                if (
                    previous is not None
                    and previous.value == value
                    and previous.note == note
                    and (state != State.APPROVED or previous.state == State.APPROVED)
                ):
                    outcome.unchanged += 1
                    adjusted.append((c.lines[index], 1, None, True))
                    continue
                adjusted.append(
                    (c.lines[index], highest[key] + 1, previous.id if previous else None, False)
                )
                if previous is not None:
                    superseded.append(previous.id)
                    if previous.state == State.APPROVED:
                        outcome.revised_approved += 1
                    if state == State.APPROVED:
                        if previous.counts:
                            uncounted.append(previous.id)
                        else:
                            revised_keys.append(key)
        if revised_keys:
            # The counting version may be older than the newest one (a draft revision).
            wanted = set(revised_keys)
            cursor.execute(
                f"SELECT f.id, i.code, f.period, f.scope {key_join} WHERE f.counts "
                "ORDER BY f.id FOR UPDATE OF f"
            )
            uncounted += [pk for pk, *key in cursor if tuple(key) in wanted]

        skipped = {line for line, _version, _supersedes, skip in adjusted if skip}
        kept: Sequence[int] = range(n)
        if skipped:
            kept = [i for i, line in enumerate(columns.lines) if line not in skipped]
        outcome.created = len(kept)
        outcome.changed_pairs = (
            pairs
            if not skipped
            else {(department_of[columns.item_codes[i]], columns.periods[i]) for i in kept}
        )
        if kept:
            outcome.first_year = (
                min(columns.years[i] for i in kept) if skipped else min(columns.years)
            )
            outcome.scopes = {columns.scopes[i] for i in kept} if skipped else set(columns.scopes)
        if state != State.APPROVED:
            # Landing figures approved is itself an approval; every other write respects
            # the lock (as in figure_record).
            assert_writable(periods, outcome.changed_pairs, now)
        if not reason.strip() and outcome.revised_approved:
            raise ApplicationError(
                "修订已审核的数据须填写修订原因。",
                "Revising an approved figure needs a reason.",
                code="reason_required",
            )
        # Flags of replaced versions change before the new rows exist, so the partial
        # unique constraints (one latest, one counting version per key) hold throughout.
        if superseded:
            cursor.execute(
                "UPDATE indicators_figure SET is_latest = false WHERE id = ANY(%s)", [superseded]
            )
        if uncounted:
            cursor.execute(
                "UPDATE indicators_figure SET counts = false WHERE id = ANY(%s)", [uncounted]
            )
        if adjusted:
            lines, versions, supersedes, skips = (list(x) for x in zip(*adjusted, strict=True))
            cursor.execute(
                f"UPDATE {STAGE} s SET version = a.version, supersedes_id = a.supersedes, "
                "skip = a.skip FROM unnest(%s::integer[], %s::integer[], %s::bigint[], "
                "%s::boolean[]) AS a (line, version, supersedes, skip) WHERE s.line = a.line",
                [lines, versions, supersedes, skips],
            )
        approved = state == State.APPROVED
        submitted = state in (State.SUBMITTED, State.APPROVED)
        try:
            with transaction.atomic():
                cursor.execute(
                    "INSERT INTO indicators_figure (item_id, department_id, period, year, "
                    "quarter, scope, value, version, supersedes_id, is_latest, counts, state, "
                    "note, reason, entered_by_id, entered_at, submitted_by_id, submitted_at, "
                    "decided_by_id, decided_at, decision_comment, import_batch_id) "
                    "SELECT i.id, i.department_id, s.period, substr(s.period, 1, 4)::smallint, "
                    "CASE WHEN length(s.period) = 6 THEN substr(s.period, 6, 1)::smallint END, "
                    "s.scope, s.value, s.version, s.supersedes_id, true, %s, %s, s.note, "
                    "CASE WHEN s.supersedes_id IS NULL THEN '' ELSE %s END, %s, %s, %s, %s, "
                    f"%s, %s, '', %s FROM {STAGE} s JOIN indicators_statisticalitem i "
                    "ON i.code = s.item_code WHERE NOT s.skip ORDER BY s.line",
                    [
                        approved,
                        state,
                        reason,
                        user.pk,
                        now,
                        user.pk if submitted else None,
                        now if submitted else None,
                        user.pk if approved else None,
                        now if approved else None,
                        batch.pk,
                    ],
                )
        except IntegrityError as error:
            raise ConflictError(
                "数据已被他人同时修改，请刷新后重试。",
                "Someone else saved this figure at the same moment; reload and try again.",
                code="conflict",
            ) from error
    outcome.changes = _Changes(columns, change_indices, latest)
    outcome.periods = periods
    return outcome
