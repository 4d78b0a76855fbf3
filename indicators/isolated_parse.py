"""Spreadsheets are parsed in a child process with a memory limit, so that no workbook can
take the server (or the worker, or `import_statistics`) down with it.

The sheet-extent scan in `indicators.importing` refuses the workbooks we know to be
dangerous (a cell at XFD1048576 made calamine ask for ~550 GB and abort the whole process,
uncatchably). This module stands behind it for the ones we do not know: the child sets
RLIMIT_AS (and a CPU limit) on itself before it reads a byte of the file, parses it with
`parse_import_file`, and hands back the result as JSON (never pickle: the child has read
hostile input, so the parent trusts nothing it sends beyond plain data). A child that runs
out of memory, crashes, aborts or overruns its time becomes an ImportFileError (zh/en),
which the caller audits like any other refusal.

CSV is read in the calling process: its parser streams and its memory is bounded by the
file's size limit.

Run as `python -m indicators.isolated_parse` only by `parse_import_file_isolated`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

_BASE_DIR = Path(__file__).resolve().parent.parent
# Exit codes of the child (anything else, or a signal, is a crash).
_EXIT_OK = 0
_EXIT_MEMORY = 3


def _result_to_json(result) -> dict:
    rows = result.rows
    return {
        "rows": [
            [
                r.line,
                r.period,
                r.year,
                r.quarter,
                r.item_code,
                format(r.value, "f"),
                r.original_value,
                r.original_unit,
                r.scope,
                r.note,
            ]
            for r in rows
        ],
        "errors": [_error_to_list(e) for e in result.errors],
        "warnings": [_error_to_list(e) for e in result.warnings],
        "encoding": result.encoding,
        "sha256": result.sha256,
        "sheet": result.sheet,
    }


def _error_to_list(error) -> list:
    return [error.line, error.column, error.code, error.message_zh, error.message_en, error.value]


def _result_from_json(data: dict):
    from indicators.importing import ImportRow, ParseResult, RowError

    def error(values) -> RowError:
        line, column, code, zh, en, value = values
        return RowError(int(line), str(column), str(code), str(zh), str(en), str(value))

    rows = []
    for line, period, year, quarter, code, value, raw, unit, scope, note in data["rows"]:
        rows.append(
            ImportRow(
                line=int(line),
                period=str(period),
                year=int(year),
                quarter=None if quarter is None else int(quarter),
                item_code=str(code),
                value=Decimal(str(value)),
                original_value=str(raw),
                original_unit=str(unit),
                scope=str(scope),
                note=str(note),
            )
        )
    return ParseResult(
        rows=rows,
        errors=[error(e) for e in data["errors"]],
        warnings=[error(w) for w in data["warnings"]],
        encoding=str(data["encoding"]),
        sha256=str(data["sha256"]),
        sheet=str(data["sheet"]),
    )


def _refusal(code: str, zh: str, en: str, **details):
    from indicators.importing import ImportFileError

    return ImportFileError(zh, en, code=code, details=details or None)


def parse_import_file_isolated(
    content: bytes,
    filename: str,
    items,
    *,
    max_bytes: int,
    max_rows: int,
    memory_mb: int | None = None,
    timeout_seconds: float | None = None,
):
    """`parse_import_file` for an .xlsx in a child process limited to `memory_mb` of
    address space and `timeout_seconds` (defaults: settings IMPORT_XLSX_MEMORY_MB and
    IMPORT_XLSX_TIMEOUT_SECONDS); any other file in this process. Same result, same
    ImportFileError refusals, plus `parse_memory` and `parse_timeout` for a child that
    died or overran."""
    from indicators.importing import parse_import_file

    suffix = filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
    if suffix != "xlsx" or len(content) > max_bytes:
        return parse_import_file(content, filename, items, max_bytes=max_bytes, max_rows=max_rows)
    if memory_mb is None or timeout_seconds is None:
        from django.conf import settings

        memory_mb = memory_mb or settings.IMPORT_XLSX_MEMORY_MB
        timeout_seconds = timeout_seconds or settings.IMPORT_XLSX_TIMEOUT_SECONDS
    request = {
        "filename": filename,
        "items": [
            [spec.code, spec.unit, spec.frequency, spec.non_negative] for spec in items.values()
        ],
        "max_bytes": max_bytes,
        "max_rows": max_rows,
        "memory_mb": memory_mb,
        "cpu_seconds": max(1, int(timeout_seconds) + 1),
    }
    answer = _run_child(request, content, memory_mb, timeout_seconds)
    if answer.get("kind") == "result":
        return _result_from_json(answer["result"])
    return _raise_refused(answer)


def read_table_isolated(content: bytes, filename: str, *, max_bytes: int):
    """`indicators.importing.read_table` for an .xlsx in a child process with the same
    memory and time limits as `parse_import_file_isolated` (any other file in this
    process): ``(table, formula cells without a value, encoding)``, the same refusals, plus
    `parse_memory` and `parse_timeout`. For row formats that check rows themselves (a
    unit's task parts)."""
    from django.conf import settings

    from indicators.importing import read_table

    suffix = filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
    if suffix != "xlsx" or len(content) > max_bytes:
        return read_table(content, filename, max_bytes=max_bytes)
    memory_mb = settings.IMPORT_XLSX_MEMORY_MB
    timeout_seconds = settings.IMPORT_XLSX_TIMEOUT_SECONDS
    request = {
        "mode": "table",
        "filename": filename,
        "max_bytes": max_bytes,
        "memory_mb": memory_mb,
        "cpu_seconds": max(1, int(timeout_seconds) + 1),
    }
    answer = _run_child(request, content, memory_mb, timeout_seconds)
    if answer.get("kind") == "table":
        table = [[str(cell) for cell in row] for row in answer["table"]]
        cells = {(int(r), int(c)) for r, c in answer["formula_cells"]}
        return table, cells, "xlsx"
    return _raise_refused(answer)


def _run_child(request: dict, content: bytes, memory_mb: int, timeout_seconds: float) -> dict:
    """Run the reader in a child limited to `memory_mb` and `timeout_seconds`: its answer
    (a result, a table or a refusal), or `parse_timeout` / `parse_memory` when it overran
    or died. The one runner of both the figure and the table reads."""
    header = json.dumps(request, ensure_ascii=True).encode() + b"\n"
    try:
        completed = subprocess.run(
            [sys.executable, "-E", "-s", "-m", "indicators.isolated_parse"],
            input=header + content,
            capture_output=True,
            timeout=timeout_seconds,
            cwd=_BASE_DIR,
            env={"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        completed = None
    if completed is None or completed.returncode == -signal.SIGXCPU:
        raise _refusal(
            "parse_timeout",
            f"读取该工作簿超过 {timeout_seconds:g} 秒仍未完成，已停止并拒绝。请检查工作簿是否"
            "含有大量空白或格式化的单元格，另存为只含数据表的 .xlsx 后重试",
            f"Reading the workbook took more than {timeout_seconds:g} s and was stopped; "
            "refused. Check it for large blank or formatted areas and save just the table "
            "as a new .xlsx",
            limit_seconds=timeout_seconds,
        )
    if completed.returncode == _EXIT_OK:
        try:
            answer = json.loads(completed.stdout)
        except ValueError:
            answer = None
        if isinstance(answer, dict) and answer.get("kind") in ("result", "table", "refused"):
            return answer
    raise _refusal(
        "parse_memory",
        f"读取该工作簿需要超过 {memory_mb} MB 内存（或读取程序异常退出），已拒绝。请删除"
        "表格之外的单元格和格式，另存为只含数据表的 .xlsx 后重试",
        f"Reading the workbook needs more than {memory_mb} MB of memory (or the reader "
        "stopped abnormally); refused. Delete the cells and formatting outside the table "
        "and save just the table as a new .xlsx",
        limit_mb=memory_mb,
        exit_status=completed.returncode,
    )


def _raise_refused(answer: dict):
    from indicators.importing import ImportFileError

    raise ImportFileError(
        str(answer["message_zh"]),
        str(answer["message_en"]),
        code=str(answer["code"]),
        details=answer.get("details"),
    )


# ---------------------------------------------------------------- the child


def _child_main() -> int:
    import resource

    request = json.loads(sys.stdin.buffer.readline())
    limit = int(request["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    cpu = int(request["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort leaves no core file behind
    content = sys.stdin.buffer.read()

    # The parser is pure; importing the `dezhou_carbon` package would start Celery's app
    # (its __init__), which the child neither needs nor should pay memory for.
    import types

    package = types.ModuleType("dezhou_carbon")
    package.__path__ = [str(_BASE_DIR / "dezhou_carbon")]
    sys.modules.setdefault("dezhou_carbon", package)

    from indicators.importing import ImportFileError, ItemSpec, parse_import_file, read_table

    if request.get("mode") == "table":
        try:
            try:
                table, cells, _encoding = read_table(
                    content, request["filename"], max_bytes=int(request["max_bytes"])
                )
                answer = {"kind": "table", "table": table, "formula_cells": sorted(cells or ())}
            except ImportFileError as refusal:
                answer = {"kind": "refused", **refusal.as_dict()}
            del content
            sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode())
            sys.stdout.buffer.flush()
        except MemoryError:
            return _EXIT_MEMORY
        return _EXIT_OK

    items = {
        code: ItemSpec(code, unit, frequency, bool(non_negative))
        for code, unit, frequency, non_negative in request["items"]
    }
    try:
        try:
            result = parse_import_file(
                content,
                request["filename"],
                items,
                max_bytes=int(request["max_bytes"]),
                max_rows=int(request["max_rows"]),
            )
            answer = {"kind": "result", "result": _result_to_json(result)}
        except ImportFileError as refusal:
            answer = {"kind": "refused", **refusal.as_dict()}
        del content
        sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False, default=str).encode())
        sys.stdout.buffer.flush()
    except MemoryError:
        return _EXIT_MEMORY
    return _EXIT_OK


if __name__ == "__main__":
    sys.exit(_child_main())
