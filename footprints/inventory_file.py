"""Reading an inventory workbook (the template of `footprints.exporting.inventory_template`):
all or nothing, every refused cell named by sheet, line, column and reason in zh/en."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from dezhou_carbon.exceptions import ApplicationError
from footprints import calculations as fc
from footprints.exporting import OMISSION_HEADINGS, TEMPLATE_HEADINGS
from footprints.services import LineInput
from indicators.importing import ImportFileError, _precheck_xlsx, _scan_xlsx
from indicators.numbers import NumberRefused, parse_number

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 5_000
_ENGLISH = {
    "no": "no",
    "name": "name",
    "stage": "stage",
    "kind": "kind",
    "quantity": "quantity",
    "unit": "unit",
    "factor_key": "factor",
    "energy_carrier": "carrier",
    "quality": "quality",
    "mass_kg": "mass_kg",
}
_REQUIRED = ("no", "name", "stage", "kind", "quantity", "unit")
_STAGE_WORDS = {
    "原材料获取": fc.STAGE_RAW_MATERIALS,
    "原材料": fc.STAGE_RAW_MATERIALS,
    "生产": fc.STAGE_PRODUCTION,
    "运输": fc.STAGE_TRANSPORT,
    "使用": fc.STAGE_USE,
    "废弃处置": fc.STAGE_END_OF_LIFE,
}
_KIND_WORDS = {"物料": fc.KIND_MATERIAL, "能源": fc.KIND_ENERGY, "运输": fc.KIND_TRANSPORT,
               "过程排放": fc.KIND_PROCESS}  # fmt: skip
_QUALITY_WORDS = {"初级数据": fc.QUALITY_PRIMARY, "次级数据": fc.QUALITY_SECONDARY}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).lower()


@dataclass
class CellError:
    sheet: str
    line: int
    column: str
    reason_zh: str
    reason_en: str

    def as_dict(self) -> dict:
        return {"sheet": self.sheet, "line": self.line, "column": self.column,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}  # fmt: skip


@dataclass
class Inventory:
    lines: list[LineInput] = field(default_factory=list)
    omissions: list[tuple[str, Decimal]] = field(default_factory=list)


def _read_sheets(content: bytes) -> dict[str, list[list[str]]]:
    from indicators.importing import _cell_text

    archive = _precheck_xlsx(content)
    # The sheets' extent is read from their XML before any parser builds a range (a sparse
    # cell at XFD1048576 must not cost the server its memory).
    try:
        _scan_xlsx(archive, MAX_LINES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise ImportFileError(
            "无法读取该 Excel 工作簿，请在 Excel/WPS 中另存为 .xlsx 后重试",
            "The Excel workbook cannot be read; save it again as .xlsx in Excel/WPS",
            code="not_xlsx",
        ) from None
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = {}
        for meta in workbook.sheets_metadata:
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if _key(meta.name) not in ("数据", "data", "舍弃项", "omissions"):
                continue
            raw = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=True)
            if len(raw) > MAX_LINES + 1:
                raise ImportFileError(
                    f"工作表“{meta.name}”超过{MAX_LINES}行。",
                    f"Sheet '{meta.name}' has more than {MAX_LINES} rows.",
                    code="too_many_rows",
                )
            sheets[_key(meta.name)] = [[_cell_text(v).strip() for v in row] for row in raw]
    except ImportFileError:
        raise
    except (python_calamine.CalamineError, OSError, ValueError, TypeError, KeyError):
        raise ImportFileError(
            "无法读取该 Excel 工作簿，请在 Excel/WPS 中另存为 .xlsx 后重试",
            "The Excel workbook cannot be read; save it again as .xlsx in Excel/WPS",
            code="not_xlsx",
        ) from None
    return sheets


def _columns(header: list[str], headings, sheet: str, errors: list[CellError]) -> dict[str, int]:
    lookup = {}
    for key, title in headings:
        lookup[_key(title)] = key
        lookup[_key(_ENGLISH.get(key, key))] = key
        lookup[_key(key)] = key
    found = {}
    for index, text in enumerate(header):
        key = lookup.get(_key(text))
        if key is not None:
            found.setdefault(key, index)
    return found


def _number(text: str, errors, sheet, line, column, *, optional=False) -> Decimal | None:
    if optional and not text:
        return None
    try:
        # The quantities are stored with 10 decimal places: more are refused, never rounded.
        value = parse_number(text, max_decimal_places=10)
    except NumberRefused as problem:
        errors.append(CellError(sheet, line, column, problem.reason_zh, problem.reason_en))
        return None
    if value < 0:
        errors.append(CellError(sheet, line, column, "不能为负数", "cannot be negative"))
        return None
    return value


def parse_inventory(content: bytes) -> Inventory:
    """Parse the workbook; raises ApplicationError(code="inventory_errors") listing every
    refused cell, or ImportFileError for a file that is not a readable workbook."""
    if len(content) > MAX_BYTES:
        raise ImportFileError(
            f"文件超过{MAX_BYTES // 1024 // 1024} MB。",
            f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.",
            code="too_large",
        )
    sheets = _read_sheets(content)
    data = sheets.get("数据") or sheets.get("data")
    if not data:
        raise ImportFileError(
            "工作簿中没有“数据”工作表或表中无内容。",
            "The workbook has no '数据' (data) sheet, or it is empty.",
            code="empty",
        )
    errors: list[CellError] = []
    inventory = Inventory()
    columns = _columns(data[0], TEMPLATE_HEADINGS, "数据", errors)
    titles = dict(TEMPLATE_HEADINGS)
    missing = [titles[key] for key in _REQUIRED if key not in columns]
    if missing:
        raise ImportFileError(
            f"缺少列：{'、'.join(missing)}",
            f"Missing columns: {', '.join(missing)}",
            code="missing_columns",
        )

    def cell(row, key):
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else ""

    for offset, row in enumerate(data[1:], start=2):
        if not any(row):
            continue
        before = len(errors)
        no = _number(cell(row, "no"), errors, "数据", offset, titles["no"])
        if no is not None and no != no.to_integral_value():
            errors.append(
                CellError("数据", offset, titles["no"], "行号应为整数", "must be a whole number")
            )
        stage = _STAGE_WORDS.get(cell(row, "stage"), cell(row, "stage"))
        if stage not in fc.GRAVE_STAGES:
            errors.append(CellError("数据", offset, titles["stage"], f"阶段“{cell(row, 'stage')}”无效",
                                    f"stage '{cell(row, 'stage')}' is not known"))  # fmt: skip
        kind = _KIND_WORDS.get(cell(row, "kind"), cell(row, "kind"))
        if kind not in fc.KINDS:
            errors.append(CellError("数据", offset, titles["kind"], f"类别“{cell(row, 'kind')}”无效",
                                    f"kind '{cell(row, 'kind')}' is not known"))  # fmt: skip
        quality = _QUALITY_WORDS.get(
            cell(row, "quality"), cell(row, "quality") or fc.QUALITY_SECONDARY
        )
        if quality not in (fc.QUALITY_PRIMARY, fc.QUALITY_SECONDARY):
            errors.append(CellError("数据", offset, titles["quality"], f"数据质量“{quality}”无效",
                                    f"data quality '{quality}' is not known"))  # fmt: skip
        quantity = _number(cell(row, "quantity"), errors, "数据", offset, titles["quantity"])
        mass = _number(
            cell(row, "mass_kg"), errors, "数据", offset, titles["mass_kg"], optional=True
        )
        name = cell(row, "name")
        if not name:
            errors.append(CellError("数据", offset, titles["name"], "未填写名称", "no name given"))
        if not cell(row, "unit"):
            errors.append(CellError("数据", offset, titles["unit"], "未填写单位", "no unit given"))
        if len(errors) == before:
            inventory.lines.append(
                LineInput(int(no), name[:120], stage, kind, quantity, cell(row, "unit"),
                          cell(row, "factor_key"), cell(row, "energy_carrier"), quality, mass)
            )  # fmt: skip
    omitted = sheets.get("舍弃项") or sheets.get("omissions") or []
    if omitted:
        ocolumns = _columns(omitted[0], OMISSION_HEADINGS, "舍弃项", errors)
        for offset, row in enumerate(omitted[1:], start=2):
            if not any(row):
                continue
            name_i, mass_i = ocolumns.get("name"), ocolumns.get("mass_kg")
            name = row[name_i] if name_i is not None and name_i < len(row) else ""
            text = row[mass_i] if mass_i is not None and mass_i < len(row) else ""
            mass = _number(text, errors, "舍弃项", offset, "质量（kg）")
            if not name:
                errors.append(
                    CellError("舍弃项", offset, "舍弃项名称", "未填写名称", "no name given")
                )
            elif mass is not None:
                inventory.omissions.append((name[:120], mass))
    if errors:
        raise ApplicationError(
            f"清单有{len(errors)}处错误，未导入任何内容。",
            f"The inventory has {len(errors)} errors; nothing was imported.",
            code="inventory_errors",
            details=[e.as_dict() for e in errors[:200]],
        )
    if not inventory.lines:
        raise ImportFileError("清单中没有数据行。", "The inventory has no lines.", code="empty")
    return inventory
