"""The COPY text of a full recompute, hashed: proof that a change to the engine's code
left what it writes unchanged (see docs/performance.md, "Same COPY text").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou_bench \\
        .venv/bin/python bench/copy_hash.py

Run it on a database `bench/run.py` built (the name must contain "bench"). In one
transaction that is rolled back at the end, it empties the results and traces tables and
runs `results_recompute()` — the full recompute from empty results, so every trace is sent
— while it hashes, in the order they reach the writer, the COPY text of every chunk's rows
and traces. The time of the run (`computed_at`, the last field of each row) is replaced
by a fixed text, so two runs on the same data hash the same. The database keeps what it
held.

Prints and, with --json PATH, writes: the SHA-256 of the rows, of the traces (in the order
sent) and of the distinct trace lines sorted, and their counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
FIXED_TIME = b"COMPUTED_AT"


def copy_writer_class():
    """The engine's COPY writer, wherever the engine keeps it (before the move to the
    `indicators.recompute` package it was the private `_CopyWriter` of the module)."""
    try:
        from indicators.recompute.writers import CopyWriter

        return CopyWriter
    except ImportError:
        from indicators import recompute

        return recompute._CopyWriter


class Hashes:
    def __init__(self):
        self.rows = hashlib.sha256()
        self.traces = hashlib.sha256()
        self.trace_lines: set[bytes] = set()
        self.row_count = 0
        self.trace_count = 0
        self.chunks = 0

    def add(self, computed_at: str, methods: bytes, rows: bytes, row_count: int) -> None:
        self.chunks += 1
        self.rows.update(rows.replace(computed_at.encode(), FIXED_TIME))
        self.row_count += row_count
        self.traces.update(methods)
        for line in methods.splitlines():
            self.trace_lines.add(line)
            self.trace_count += 1

    def summary(self) -> dict:
        distinct = hashlib.sha256(b"\n".join(sorted(self.trace_lines))).hexdigest()
        return {
            "rows_sha256": self.rows.hexdigest(),
            "rows": self.row_count,
            "chunks": self.chunks,
            "traces_sha256": self.traces.hexdigest(),
            "traces_sent": self.trace_count,
            "distinct_traces_sha256": distinct,
            "distinct_traces": len(self.trace_lines),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    parts = urlparse(url)
    if "bench" not in parts.path or parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        sys.exit("copy_hash: DATABASE_URL must name a loopback database containing 'bench'")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz"
    )
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    os.environ.pop("REDIS_URL", None)  # no job reaches a broker
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    import django

    django.setup()
    from django.db import connection, transaction

    from indicators.recompute import results_recompute

    writer_class = copy_writer_class()
    hashes = Hashes()
    original = writer_class.write_text

    def write_text(self, scopes, methods, rows, row_count):
        hashes.add(self.computed_at, methods, rows, row_count)
        return original(self, scopes, methods, rows, row_count)

    writer_class.write_text = write_text

    class Rollback(Exception):
        pass

    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE indicators_indicatorresult, indicators_methodtrace CASCADE"
                )
            stats = results_recompute()
            raise Rollback
    except Rollback:
        pass
    finally:
        writer_class.write_text = original
    result = {
        **hashes.summary(),
        "scopes": stats.scopes,
        "written": stats.written,
        "seconds": round(time.perf_counter() - started, 1),
        "database": parts.path.lstrip("/"),
    }
    for name, value in result.items():
        print(f"{name}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
