"""A unit's task parts as a spreadsheet: the columns of the export (which is also the
template) and the check of every row of a filled-in file. Pure: cells as text in, rows and
row errors (line, column, reason in zh/en) out; no database. Table-tested in
tests/test_part_import.py.

What the service does with the rows (report each through tasks.workflow.part_report_submit,
all or nothing) is tasks/part_import.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from indicators.importing import (
    ImportFileError,
    RowError,
    _header_key,
    _show,
    _trunc,
    clean_note,
    parse_period,
)
from indicators.numbers import NumberRefused, parse_number

MAX_ROWS = 2000
MAX_NARRATIVE = 5000

# (key, Chinese header, English header, read back on import)
COLUMNS = [
    ("work_item", "工作要点编号", "Work item", True),
    ("title", "工作要点", "Title", False),
    ("role", "本单位角色", "Role of the unit", False),
    ("due", "完成时限", "Due", False),
    ("target", "目标数量", "Target quantity", False),
    ("unit", "计量单位", "Unit", True),
    ("period", "报送期间", "Period", True),
    ("progress", "进展", "Progress", True),
    ("quantity", "完成数量", "Quantity achieved", True),
    ("narrative", "进展情况", "Narrative", True),
    ("state", "当前状态", "Current state", False),
]
REQUIRED = ("work_item", "period", "progress", "narrative")
_ZH = {key: zh for key, zh, _en, _read in COLUMNS}
_LOOKUP = {
    _header_key(name): key for key, zh, en, read in COLUMNS if read for name in (key, zh, en)
}

# The progress a unit reports: the stored code, its Chinese label or its English label.
PROGRESS = {
    "not_started": ("未开始", "Not started"),
    "in_progress": ("推进中", "In progress"),
    "done": ("已完成", "Done"),
}
_PROGRESS_LOOKUP = {
    _header_key(name): code for code, labels in PROGRESS.items() for name in (code, *labels)
}


@dataclass(frozen=True)
class PartSpec:
    """What a row may say about one of the unit's parts: its work item's quantity unit
    ("" when the item has no quantity)."""

    work_item: str
    unit: str


@dataclass(frozen=True)
class PartRow:
    line: int
    work_item: str
    period: str
    progress: str
    quantity: Decimal | None
    unit: str
    narrative: str


@dataclass
class PartFile:
    rows: list[PartRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0  # template rows left empty: nothing to report for those parts


def _map_header(header: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, raw in enumerate(header):
        key = _LOOKUP.get(_header_key(raw))
        if key is None:
            continue
        if key in found:
            raise ImportFileError(
                f"表头中“{found[key][1]}”与“{raw.strip()}”是同一列（{_ZH[key]}），请只保留一列",
                f"Header columns '{found[key][1]}' and '{raw.strip()}' are the same column "
                f"({key}); keep only one",
                code="duplicate_columns",
            )
        found[key] = (index, raw.strip())
    missing = [key for key in REQUIRED if key not in found]
    if missing:
        shown = ", ".join(h.strip() for h in header if h.strip())[:200]
        raise ImportFileError(
            f"表头不匹配：缺少必填列 {'、'.join(_ZH[k] for k in missing)}。请使用本页导出的模板；"
            f"读到的表头为：{shown}",
            f"Header mismatch: required column(s) missing: {', '.join(missing)}. Use the "
            f"template exported from this page; found: {shown}",
            details={"missing": missing},
            code="missing_columns",
        )
    return found


def parse_part_table(
    table: list[list[str]],
    parts: Mapping[str, PartSpec],
    *,
    period: str,
    formula_cells: set[tuple[int, int]] | None = None,
    max_rows: int = MAX_ROWS,
) -> PartFile:
    """Check every row of a filled-in template against the unit's own parts (by work item
    code) and the quarter being reported (`period`). A row whose progress, quantity and
    narrative are all empty is a part left unreported (skipped). Raises ImportFileError
    when the file as a whole is refused (no header, missing columns, too many rows)."""
    formula_cells = formula_cells or set()
    start = next((i for i, row in enumerate(table) if any(c.strip() for c in row)), None)
    if start is None:
        raise ImportFileError("文件中没有数据", "The file has no data", code="empty")
    columns = _map_header(table[start])
    body = table[start + 1 :]
    if len(body) > max_rows:
        raise ImportFileError(
            f"文件有 {len(body)} 行，超过上限 {max_rows} 行",
            f"The file has {len(body)} rows; the limit is {max_rows}",
            code="too_many_rows",
        )
    result = PartFile()
    seen: dict[str, int] = {}
    for offset, cells in enumerate(body):
        index = start + 1 + offset
        line = index + 1

        def cell(key: str, cells=cells) -> str:
            if key not in columns:
                return ""
            position = columns[key][0]
            return cells[position].strip() if position < len(cells) else ""

        errors: list[RowError] = []

        def error(key, code, zh, en, value="", errors=errors, line=line):
            header = columns[key][1] if key in columns else _ZH[key]
            errors.append(RowError(line, header, code, zh, en, _trunc(value)))

        for key, (position, _header) in columns.items():
            if (index, position) in formula_cells:
                error(
                    key,
                    "formula",
                    "单元格是没有计算结果的公式，请填写数值或文字",
                    "The cell is a formula without a value; type the value",
                )
        if not any(c.strip() for c in cells):
            continue
        if not (cell("progress") or cell("quantity") or cell("narrative")):
            result.skipped += 1
            continue
        code = cell("work_item")
        spec = parts.get(code)
        if not code:
            error("work_item", "required", "请填写工作要点编号", "The work item code is missing")
        elif spec is None:
            error(
                "work_item",
                "no_such_part",
                f"本单位在工作要点“{_show(code)}”中没有分工（或已销号）",
                f"Your unit has no open part of work item '{_show(code)}'",
                code,
            )
        elif code in seen:
            error(
                "work_item",
                "duplicate",
                f"工作要点 {code} 在第 {seen[code]} 行已填写，每项只能填写一行",
                f"Work item {code} is already on line {seen[code]}; one row per item",
                code,
            )
        else:
            seen[code] = line
        raw_period = cell("period")
        parsed = parse_period(raw_period) if raw_period else None
        if not raw_period:
            error("period", "required", "请填写报送期间", "The period is missing")
        elif parsed is None or parsed[0] != period:
            error(
                "period",
                "wrong_period",
                f"报送期间应为本季度 {period}，而不是“{_show(raw_period)}”",
                f"The period must be the open quarter {period}, not '{_show(raw_period)}'",
                raw_period,
            )
        progress = _PROGRESS_LOOKUP.get(_header_key(cell("progress")))
        if not cell("progress"):
            error("progress", "required", "请填写进展", "The progress is missing")
        elif progress is None:
            error(
                "progress",
                "invalid",
                f"进展应为 未开始、推进中 或 已完成，而不是“{_show(cell('progress'))}”",
                "Progress must be not_started, in_progress or done, not "
                f"'{_show(cell('progress'))}'",
                cell("progress"),
            )
        narrative = clean_note(cell("narrative"))
        if not narrative:
            error("narrative", "required", "请填写进展情况", "A narrative is required")
        elif len(narrative) > MAX_NARRATIVE:
            error(
                "narrative",
                "too_long",
                f"进展情况不能超过 {MAX_NARRATIVE} 字",
                f"The narrative is limited to {MAX_NARRATIVE} characters",
            )
        quantity, unit = None, cell("unit")
        raw_quantity = cell("quantity")
        if raw_quantity and spec is not None:
            if not spec.unit:
                error(
                    "quantity",
                    "no_quantity",
                    f"工作要点 {code} 没有计量单位，不需要填写数量",
                    f"Work item {code} has no quantity to report",
                    raw_quantity,
                )
            elif unit and unit != spec.unit:
                error(
                    "unit",
                    "wrong_unit",
                    f"数量的单位应为“{spec.unit}”，而不是“{_show(unit)}”",
                    f"The quantity must be in {spec.unit}, not {_show(unit)}",
                    unit,
                )
            else:
                try:
                    quantity = parse_number(
                        raw_quantity, max_integer_digits=16, max_decimal_places=4
                    )
                except NumberRefused as refused:
                    error(
                        "quantity",
                        "invalid_quantity",
                        f"数量无效：{refused.message_zh}",
                        f"Invalid quantity: {refused.message_en}",
                        raw_quantity,
                    )
                else:
                    if quantity < 0:
                        quantity = None
                        error(
                            "quantity",
                            "invalid_quantity",
                            "数量不能为负数",
                            "The quantity cannot be negative",
                            raw_quantity,
                        )
        if errors:
            result.errors.extend(errors)
            continue
        result.rows.append(
            PartRow(
                line=line,
                work_item=code,
                period=period,
                progress=progress,
                quantity=quantity,
                unit=spec.unit if quantity is not None else "",
                narrative=narrative,
            )
        )
    if not result.rows and not result.errors:
        raise ImportFileError(
            "文件中没有填写任何分工的进展",
            "The file reports no part (fill in progress and narrative)",
            code="empty",
        )
    return result
