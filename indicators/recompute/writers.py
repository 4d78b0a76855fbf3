"""Writing result rows: one interface (`ResultWriter`), two writers behind it.

- `OrmWriter`, any database: per chunk, delete the chunk's stale results and upsert its
  rows with bulk_create.
- `CopyWriter`, PostgreSQL: the same rows and values sent as COPY text (`RowFormatter`),
  merged by a helper thread on the same connection and transaction while the engine
  computes the next chunk.

Both store the same rows (tests/test_result_writers.py); `result_writer` picks one.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import itertools
import json
import queue
import threading

from django.db import connection
from django.utils import timezone

from indicators.models import IndicatorResult, results_traces_resolve, trace_key
from indicators.recompute.rows import RESULT_FIELDS, ResultRow, result_instance

# The columns of indicator_result_unique, the key a recompute upserts by.
RESULT_KEY = "scope, year, indicator_id, period, variant"
CHUNK_ROWS = 20_000  # rows computed before they are handed to the database
CHUNK_SCOPES = 400  # at most this many scopes per chunk (keeps IN lists short on SQLite)


class ResultWriter:
    """What the engine asks of a writer. A writer lives for one recompute, inside its
    transaction; `written` and `deleted` count the rows it stored and removed.

    - `write(scopes, rows)`: store the rows computed for these scopes (every result of
      theirs from the recompute's first year on); their stored results not among the rows
      go.
    - `finish(leftover_scopes)`: after the last chunk: write what is still queued, and
      remove every result of scopes that have no counting figures any more.
    - `database()`: a context manager to hold around any other use of the connection while
      the writer may be using it.
    - `read`: None (the caller reads figures itself), or a callable that queues reading a
      queryset in turn with the writing (see selectors.counting_inputs_stream).
    - `stop()`: end at once without writing what is queued (the transaction is being
      rolled back); a no-op after `finish`.
    """

    written = 0
    deleted = 0
    read = None

    def write(self, scopes: list[str], rows: list[ResultRow]) -> None:
        raise NotImplementedError

    def finish(self, leftover_scopes: list[str]) -> None:
        raise NotImplementedError

    def database(self):
        return contextlib.nullcontext()

    def stop(self) -> None:
        pass


def copy_supported() -> bool:
    """Whether this connection can COPY (PostgreSQL through psycopg2's copy_expert)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


def result_writer(
    *,
    existing,
    copy: bool,
    from_year: int | None,
    computed_at: str,
    stored_traces: frozenset[str],
) -> ResultWriter:
    """The writer of one recompute: COPY where the connection supports it (`copy`), else
    the ORM writer over `existing`, the stored results the recompute may replace."""
    if copy:
        return CopyWriter(from_year=from_year, computed_at=computed_at, stored_traces=stored_traces)
    return OrmWriter(existing)


CHUNK_ROWS = 20_000  # rows computed before they are handed to the database
CHUNK_SCOPES = 400  # at most this many scopes per chunk (keeps IN lists short on SQLite)


class OrmWriter(ResultWriter):
    """Any database: per chunk, delete the chunk's stale results and upsert its rows with
    bulk_create (the behaviour the engine always had)."""

    def __init__(self, existing):
        self.existing = existing
        self.deleted = 0
        self.written = 0

    def write(self, scopes: list[str], rows: list[ResultRow]) -> None:
        new_keys = {row.key() for row in rows}
        stale = [
            pk
            for pk, indicator_id, period, scope, variant in self.existing.filter(
                scope__in=scopes
            ).values_list("pk", "indicator_id", "period", "scope", "variant")
            if (indicator_id, period, scope, variant) not in new_keys
        ]
        self._delete(stale)
        now = timezone.now()
        results = [result_instance(row, now) for row in rows]
        results_traces_resolve(results)
        IndicatorResult.objects.bulk_create(
            results,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["scope", "year", "indicator", "period", "variant"],
            update_fields=RESULT_FIELDS,
        )
        self.written += len(rows)

    def finish(self, leftover_scopes: list[str]) -> None:
        """Scopes with stored results but no counting figures any more lose them."""
        for start in range(0, len(leftover_scopes), CHUNK_SCOPES):
            chunk = leftover_scopes[start : start + CHUNK_SCOPES]
            self._delete(list(self.existing.filter(scope__in=chunk).values_list("pk", flat=True)))

    def _delete(self, pks: list[int]) -> None:
        for start in range(0, len(pks), 5000):
            IndicatorResult.objects.filter(pk__in=pks[start : start + 5000]).delete()
        self.deleted += len(pks)


def copy_escape(text: str) -> str:
    """A string in PostgreSQL's COPY text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


# target, target value, pending base, path value, status, completion, time progress,
# required annual change, projection: all empty, as on every enterprise row.
_EMPTY_TARGET_FIELDS = "\\N\t\\N\tf\t\\N\t\t\\N\t\\N\t\\N\t\\N"


class _IdTexts(dict):
    """int → its decimal text, made on first use (a lookup costs a third of `str`)."""

    __slots__ = ()

    def __missing__(self, number: int) -> str:
        text = self[number] = str(number)
        return text


class RowFormatter:
    """Result rows (ResultRow) as the text lines of `COPY` into the results table, with
    the id of their method trace (`trace_key`: from its content, so no process asks the
    database for it), and each distinct trace as a line of `COPY` into the traces'
    staging table the first time this formatter meets it."""

    def __init__(self, computed_at: str, *, stored_traces: frozenset[str] = frozenset()):
        self.computed_at = computed_at
        # id(method) → (trace id, method): rows share method dicts (see rows.scope_result_rows),
        # so most rows are recognised by identity. The dict is kept, so its id stays its own.
        self.by_identity: dict[int, tuple[str, dict]] = {}
        # The ids of the traces sent, or stored already (traces are never deleted): a
        # recompute over stored results sends none of its few thousand traces again.
        self.sent: set[str] = set(stored_traces)
        self.texts: dict[str, str] = {}  # scopes and variants in COPY text format
        self.heads: dict[tuple, tuple[str, object]] = {}  # see format
        self.new_methods: list[str] = []

    def _method_id(self, method: dict) -> str:
        """The id of this trace (as COPY text), sending the trace the first time.

        Enterprise rows share one dict per trace (see rows.scope_result_rows), so a dict is
        hashed (`trace_key`) only the first time it is met; park rows, a few hundred, each
        bring their own. The dict is kept, so its id can never stand for another one."""
        known = self.by_identity.get(id(method))
        if known is None:
            trace_id = str(trace_key(method))
            if trace_id not in self.sent:
                self.sent.add(trace_id)
                text = copy_escape(json.dumps(method, ensure_ascii=False))
                self.new_methods.append(f"{trace_id}\t{text}\n")
            known = self.by_identity[id(method)] = (trace_id, method)
        return known[0]

    def format(self, rows: list[ResultRow]) -> tuple[bytes, bytes]:
        """(the traces not sent before, the rows) in COPY text."""
        lines = []
        append = lines.append
        texts, heads = self.texts, self.heads
        method_id, computed_at = self._method_id, self.computed_at
        # A figure's id is in ~14 rows of its scope (every window and indicator using it):
        # its text is made once per batch.
        id_text = _IdTexts().__getitem__
        null = "\\N"
        for (
            indicator,
            period,
            year,
            quarter,
            scope,
            variant,
            value,
            change_vs_base,
            change_yoy,
            target_id,
            target_value,
            target_pending_base,
            path_value,
            status,
            completion,
            time_progress,
            required_annual_change,
            projection,
            provisional,
            method,
            figure_ids,
        ) in rows:
            scope_text = texts.get(scope)
            if scope_text is None:
                scope_text = texts[scope] = copy_escape(scope)
            variant_text = texts.get(variant)
            if variant_text is None:
                variant_text = texts[variant] = copy_escape(variant)
            # The key's leading fields repeat for every scope: their text is made once.
            head_key = (id(indicator), period, year, quarter)
            head = heads.get(head_key)
            if head is None:
                text = (
                    f"{indicator.pk}\t{copy_escape(period)}\t{year}\t"
                    f"{null if quarter is None else quarter}\t"
                )
                head = heads[head_key] = (text, indicator)  # kept: its id stays its own
            if (
                target_id is None
                and target_value is None
                and path_value is None
                and completion is None
                and time_progress is None
                and required_annual_change is None
                and projection is None
                and not target_pending_base
                and not status
            ):
                tail = _EMPTY_TARGET_FIELDS  # enterprise rows
            elif target_id is None and target_value is None and path_value is None:
                # Park rows without a target: most fields empty.
                tail = (
                    f"{null}\t{null}\t{'t' if target_pending_base else 'f'}\t{null}\t"
                    f"{copy_escape(status)}\t"
                    f"{null if completion is None else str(completion)}\t"
                    f"{null if time_progress is None else str(time_progress)}\t"
                    f"{null if required_annual_change is None else str(required_annual_change)}\t"
                    f"{null if projection is None else str(projection)}"
                )
            else:
                tail = "\t".join(
                    (
                        null if target_id is None else str(target_id),
                        null if target_value is None else str(target_value),
                        "t" if target_pending_base else "f",
                        null if path_value is None else str(path_value),
                        copy_escape(status),
                        null if completion is None else str(completion),
                        null if time_progress is None else str(time_progress),
                        null if required_annual_change is None else str(required_annual_change),
                        null if projection is None else str(projection),
                    )
                )
            # str(), not the f-string's format(): a third of the cost for a Decimal.
            append(
                f"{head[0]}{scope_text}\t"
                f"{variant_text}\t{null if value is None else str(value)}\t"
                f"{null if change_vs_base is None else str(change_vs_base)}\t"
                f"{null if change_yoy is None else str(change_yoy)}\t{tail}\t"
                f"{'t' if provisional else 'f'}\t{method_id(method)}\t"
                f"{{{','.join(map(id_text, figure_ids))}}}\t{computed_at}\n"
            )
        methods = "".join(self.new_methods).encode()
        self.new_methods = []
        return methods, "".join(lines).encode()


class CopyWriter(ResultWriter):
    """PostgreSQL: the same rows and values bulk_create would write, sent with COPY.

    Per chunk: the traces not sent before are stored (MethodTrace, ids from their
    content); when the chunk's scopes have no stored result, the rows are COPYed straight
    into the results table; otherwise they go to a temporary table, and the new keys are
    inserted, the stored rows that differ updated (identical ones are not rewritten) and
    stale ones deleted, each only when there are some (see `_merge`). A helper thread does
    this on the same connection and transaction while the engine computes the next chunk
    (the database and Python each keep a core busy); the main thread only formats text (or
    passes on the workers')."""

    _sequence = itertools.count(1)

    def __init__(
        self,
        *,
        from_year: int | None,
        computed_at: str | None = None,
        stored_traces: frozenset[str] = frozenset(),
    ):
        self.from_year = from_year
        suffix = next(self._sequence)
        self.chunk_table = f"recompute_chunk_{suffix}"
        self.traces_table = f"recompute_traces_{suffix}"
        self.computed_at = computed_at or timezone.now().isoformat()
        self.formatter = RowFormatter(self.computed_at, stored_traces=stored_traces)
        self.deleted = 0
        self.written = 0
        columns = self._columns()
        target = [*columns, "trace_id", "input_figure_ids", "computed_at"]
        self.copy_columns = ", ".join(target)
        updates = [f"{name}_id" if name in ("target", "trace") else name for name in RESULT_FIELDS]
        self.insert_sql = (
            f"INSERT INTO indicators_indicatorresult ({', '.join(target)}) "
            f"SELECT {', '.join('t.' + c for c in target)} FROM {self.chunk_table} t"
        )
        self.upsert_sql = (
            f"{self.insert_sql} ON CONFLICT ({RESULT_KEY}) DO UPDATE SET "
            + ", ".join(f"{name} = EXCLUDED.{name}" for name in updates)
        )
        self.insert_new_sql = f"{self.insert_sql} ON CONFLICT ({RESULT_KEY}) DO NOTHING"
        in_scopes = "r.scope = ANY(%s)" + (" AND r.year >= %s" if from_year is not None else "")
        # A stored row that already holds exactly what was computed (value, status, trace
        # and figure ids alike) is left as it is: rewriting it (or locking it, as
        # ON CONFLICT DO UPDATE does even when its WHERE is false) would only cost a dead
        # tuple, five index entries and the WAL. Its computed_at stays the time it last
        # changed.
        compared = [name for name in updates if name != "computed_at"]
        new_value = {name: f"n.{name}" for name in updates}
        self.update_changed_sql = (
            "UPDATE indicators_indicatorresult r SET "
            + ", ".join(f"{name} = {new_value[name]}" for name in updates)
            + f" FROM {self.chunk_table} n"
            f" WHERE {in_scopes} AND r.year = n.year AND r.indicator_id = n.indicator_id"
            " AND r.period = n.period AND r.scope = n.scope AND r.variant = n.variant"
            f" AND ({', '.join('r.' + name for name in compared)}) IS DISTINCT FROM"
            f" ({', '.join(new_value[name] for name in compared)})"
        )
        # One pass over the chunk joined with its stored rows: how many of the computed
        # rows are stored, and how many of those differ. The statements that insert,
        # update and delete run only when there is something for them to do.
        self.check_sql = (
            "SELECT count(*), count(*) FILTER (WHERE"
            f" ({', '.join('r.' + name for name in compared)}) IS DISTINCT FROM"
            f" ({', '.join(new_value[name] for name in compared)}))"
            f" FROM {self.chunk_table} n"
            f" JOIN indicators_indicatorresult r ON {in_scopes}"
            " AND r.year = n.year AND r.indicator_id = n.indicator_id AND r.period = n.period"
            " AND r.scope = n.scope AND r.variant = n.variant"
        )
        self.stale_sql = (
            f"DELETE FROM indicators_indicatorresult r WHERE {in_scopes}"
            f" AND NOT EXISTS (SELECT 1 FROM {self.chunk_table} t WHERE "
            "t.year = r.year AND t.indicator_id = r.indicator_id AND t.period = r.period "
            "AND t.scope = r.scope AND t.variant = r.variant)"
        )
        self.stored_sql = f"SELECT count(*) FROM indicators_indicatorresult r WHERE {in_scopes}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.chunk_table} ON COMMIT DROP AS "
                f"SELECT {self.copy_columns} FROM indicators_indicatorresult WITH NO DATA"
            )
            # The traces a chunk sends, before they are stored.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.traces_table} (id uuid NOT NULL, "
                "document jsonb NOT NULL) ON COMMIT DROP"
            )
            # The chunk (~20,000 rows) joined with the chunk's stored rows:
            # with the default 4 MB these joins sort and hash in batches on disk. Only for
            # this transaction (or savepoint), and set back in `finish`.
            cursor.execute("SHOW work_mem")
            self.work_mem = cursor.fetchone()[0]
            cursor.execute("SET LOCAL work_mem = '64MB'")
        connection.ensure_connection()
        self.dbapi = connection.connection  # psycopg2: one connection, safe across threads
        self.integrity_error = connection.Database.IntegrityError
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.stopping = False
        # libpq runs one command at a time and psycopg2 does not hold its connection lock
        # through a COPY: every use of the connection while the thread lives takes this.
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._work, name="recompute-writer", daemon=True)
        self.thread.start()

    @staticmethod
    def _columns() -> list[str]:
        """The row columns before the method (ResultRow without method and figure ids)."""
        names = ["indicator_id" if f == "indicator" else f for f in ResultRow._fields]
        return names[: names.index("method")]

    # --- The helper thread ---

    def _work(self) -> None:
        cursor = self.dbapi.cursor()
        try:
            while (job := self.jobs.get()) is not None:
                kind, *arguments = job
                if self.error is not None or self.stopping:  # only drain the queue
                    if kind == "read":
                        arguments[-1].set_exception(
                            self.error or RuntimeError("the recompute writer stopped")
                        )
                    continue
                try:
                    with self.lock:
                        if kind == "read":
                            sql, params, future = arguments
                            cursor.execute(sql, params)
                            future.set_result(cursor.fetchall())
                        else:
                            self._merge(cursor, *arguments)
                except BaseException as error:
                    self.error = error
                    if kind == "read":
                        arguments[-1].set_exception(error)
        finally:
            cursor.close()

    def read(self, queryset):
        """Queue reading `queryset`'s rows in the thread, in turn with the writing; return
        a callable that waits for them (see selectors.counting_inputs_stream)."""
        sql, params = queryset.query.sql_with_params()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._submit(("read", sql, params, future))

        def rows() -> list[tuple]:
            error = future.exception()
            if error is not None:
                with connection.wrap_database_errors:
                    raise error
            return future.result()

        return rows

    @staticmethod
    def _copy(cursor, table: str, columns: str, data: bytes) -> None:
        cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN", io.BytesIO(data), size=len(data) + 1
        )

    def _to_chunk_table(self, cursor, rows: bytes) -> None:
        cursor.execute(f"TRUNCATE {self.chunk_table}")
        if rows:
            self._copy(cursor, self.chunk_table, self.copy_columns, rows)

    def _merge(
        self, cursor, scopes: list[str], methods: bytes, rows: bytes, row_count: int
    ) -> None:
        if methods:
            # The traces first met in this chunk; those stored before (by an earlier run)
            # are left as they are. In id order, so two writers storing the same traces
            # could never wait on each other. (DELETE: a TRUNCATE per chunk cost ~20 ms.)
            cursor.execute(f"DELETE FROM {self.traces_table}")
            self._copy(cursor, self.traces_table, "id, document", methods)
            cursor.execute(
                "INSERT INTO indicators_methodtrace (id, document) "
                f"SELECT id, document FROM {self.traces_table} ORDER BY id "
                "ON CONFLICT (id) DO NOTHING"
            )
        params = [scopes] if self.from_year is None else [scopes, self.from_year]
        if not rows:  # scopes without figures: every stored result of theirs goes
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.stale_sql, params)
            self.deleted += cursor.rowcount
            return
        cursor.execute(self.stored_sql, params)
        stored = cursor.fetchone()[0]
        if stored:
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.check_sql, params)
            already_stored, changed = cursor.fetchone()
            if already_stored < row_count:  # new keys (rows stored meanwhile are left)
                cursor.execute(self.insert_new_sql)
            if changed or already_stored < row_count:
                # Stored rows that differ, and any stored by another transaction meanwhile.
                cursor.execute(self.update_changed_sql, params)
            # Stale results: stored, no longer computed. The anti-join that finds them reads
            # every stored row of the chunk again, so it runs only when there are some.
            if already_stored < stored:
                cursor.execute(self.stale_sql, params)
                self.deleted += cursor.rowcount
            return
        # No stored result of these scopes: nothing to compare or update, so the rows go
        # straight into the table (one write of each row instead of two). Should another
        # transaction have stored some in the meantime, the upsert runs instead.
        cursor.execute("SAVEPOINT recompute_insert")
        try:
            self._copy(cursor, "indicators_indicatorresult", self.copy_columns, rows)
        except self.integrity_error:
            cursor.execute("ROLLBACK TO SAVEPOINT recompute_insert")
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.upsert_sql)
        cursor.execute("RELEASE SAVEPOINT recompute_insert")

    def _raise_failure(self) -> None:
        """Raise what failed in the thread, as Django's database errors are raised."""
        if self.error is not None:
            with connection.wrap_database_errors:
                raise self.error

    def _submit(self, job) -> None:
        while True:
            self._raise_failure()
            try:
                self.jobs.put(job, timeout=1)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    raise RuntimeError("the recompute writer stopped") from None

    def close(self) -> None:
        """Wait for every chunk to be written (the thread ends); raise what failed."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        self._raise_failure()

    def database(self):
        """A reusable context manager to hold around any other use of the connection
        while the thread lives; it raises what failed in the thread (the transaction is
        aborted then)."""
        return self

    def __enter__(self):
        self.lock.acquire()
        try:
            self._raise_failure()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.lock.release()

    def stop(self) -> None:
        """End the helper thread without writing what is still queued (something failed
        and the transaction is rolled back); a no-op once `close` has run."""
        if self.thread.is_alive():
            self.stopping = True
            self.jobs.put(None)
            self.thread.join()

    # --- The main thread ---

    def write(self, scopes: list[str], rows: list[ResultRow]) -> None:
        methods, text = self.formatter.format(rows)
        self.write_text(scopes, methods, text, len(rows))

    def write_text(self, scopes: list[str], methods: bytes, rows: bytes, row_count: int) -> None:
        """Queue rows already in COPY text (see RowFormatter) for writing."""
        self._submit(("merge", list(scopes), methods, rows, row_count))
        self.written += row_count

    def finish(self, leftover_scopes: list[str]) -> None:
        """Write what is queued, then remove the results of scopes without figures."""
        for start in range(0, len(leftover_scopes), CHUNK_SCOPES):
            self._submit(("merge", leftover_scopes[start : start + CHUNK_SCOPES], b"", b"", 0))
        self.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.chunk_table}, {self.traces_table}")
            cursor.execute("SELECT set_config('work_mem', %s, true)", [self.work_mem])
