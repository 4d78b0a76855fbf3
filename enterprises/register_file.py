"""The enterprise register as a file: columns, the template, and the check of every row.
Pure Python: no database (the caller passes the department codes that exist).

Columns (English or Chinese header, any order): code 统一社会信用代码, name 企业名称,
industry 行业代码 (GB/T 4754-2017 class, 4 digits), department 主管部门 (department code),
and optional leading_industry 主导产业, above_scale 规上, contact_name 联系人,
contact_phone 联系电话, contact_email 电子邮箱. The export's read-only column key_unit
重点用能单位 is accepted and ignored (designations need a person's reason)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from enterprises import credit_code
from indicators.importing import RowError, clean_note

COLUMNS = {
    # canonical: (English header, Chinese header, required)
    "code": ("code", "统一社会信用代码", True),
    "name": ("name", "企业名称", True),
    "industry": ("industry", "行业代码", True),
    "department": ("department", "主管部门", True),
    "leading_industry": ("leading_industry", "主导产业", False),
    "above_scale": ("above_scale", "规上", False),
    "contact_name": ("contact_name", "联系人", False),
    "contact_phone": ("contact_phone", "联系电话", False),
    "contact_email": ("contact_email", "电子邮箱", False),
}
READ_ONLY_COLUMNS = {"key_unit": ("key_unit", "重点用能单位")}
ORDER = tuple(COLUMNS)
MAX_ROWS = 20_000

LEADING_INDUSTRIES = {
    "electronics": "电子信息",
    "new_energy_materials": "新能源新材料",
    "high_end_equipment": "高端装备制造",
    "food": "食品研发制造",
    "biomedicine": "生物医药",
    "": "无",
}
_YES = {"是", "y", "yes", "true", "1", "规上", "√"}
_NO = {"否", "n", "no", "false", "0", "", "规下"}
_INDUSTRY = re.compile(r"^[0-9]{4}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")
_LIMITS = {"name": 200, "contact_name": 50, "contact_phone": 30, "contact_email": 254}


@dataclass(frozen=True)
class RegisterRow:
    line: int
    code: str
    name: str
    industry: str
    department: str
    leading_industry: str
    above_scale: bool
    contact_name: str
    contact_phone: str
    contact_email: str

    def fields(self) -> dict:
        return {
            "name": self.name,
            "industry": self.industry,
            "leading_industry": self.leading_industry,
            "above_scale": self.above_scale,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
        }


def _key(text: str) -> str:
    return re.sub(r"[\s\ufeff\u200b]+", "", unicodedata.normalize("NFKC", text)).casefold()


_HEADERS = {
    _key(alias): canon
    for canon, (en, zh, *_rest) in {**COLUMNS, **READ_ONLY_COLUMNS}.items()
    for alias in (en, zh)
}
_LEADING_BY_TEXT = {
    **{_key(code): code for code in LEADING_INDUSTRIES if code},
    **{_key(label): code for code, label in LEADING_INDUSTRIES.items()},
    "": "",
}


def headings(language: str = "zh-hans") -> list[str]:
    index = 0 if language.startswith("en") else 1
    return [COLUMNS[c][index] for c in ORDER]


def _clean(text: str) -> str:
    """NFKC, without control or bidi-override characters (a NUL cannot be stored)."""
    return clean_note(unicodedata.normalize("NFKC", text or "")).replace("\n", " ")


def parse_register_table(
    table: list[list[str]],
    departments: set[str],
    formula_cells: set[tuple[int, int]] | None = None,
) -> tuple[list[RegisterRow], list[RowError]]:
    """Every row checked, every error returned (line 1 is the header). The caller writes
    nothing when errors is non-empty: an import is all or nothing."""
    errors: list[RowError] = []
    while table and not any(_clean(c) for c in table[-1]):
        table = table[:-1]
    if not table:
        return [], [RowError(1, "", "empty", "文件为空", "The file is empty", "")]
    header = table[0]
    where: dict[str, tuple[int, str]] = {}
    for index, text in enumerate(header):
        canon = _HEADERS.get(_key(text))
        if canon is None:
            if _clean(text):
                errors.append(
                    RowError(
                        1, text, "unknown_column",
                        f"无法识别的列“{text[:50]}”",
                        f"Unknown column '{text[:50]}'",
                        text[:100],
                    )
                )  # fmt: skip
            continue
        if canon in where:
            errors.append(
                RowError(1, text, "duplicate_column", "列重复", "Duplicate column", text[:100])
            )
            continue
        where[canon] = (index, text)
    for canon, (en, zh, required) in COLUMNS.items():
        if required and canon not in where:
            errors.append(
                RowError(
                    1, zh, "missing_column",
                    f"缺少必填列“{zh}”({en})",
                    f"Missing required column '{en}' ({zh})",
                    "",
                )
            )  # fmt: skip
    if errors:
        return [], errors
    if len(table) - 1 > MAX_ROWS:
        return [], [
            RowError(
                0, "", "too_many_rows",
                f"行数 {len(table) - 1} 超过上限 {MAX_ROWS}",
                f"{len(table) - 1} rows; the limit is {MAX_ROWS}",
                "",
            )
        ]  # fmt: skip
    rows: list[RegisterRow] = []
    seen: dict[str, int] = {}
    formula_cells = formula_cells or set()
    for r, raw in enumerate(table[1:], start=1):
        line = r + 1
        if not any(_clean(c) for c in raw):
            continue

        def cell(canon: str, raw=raw, r=r, line=line) -> tuple[str, str]:
            if canon not in where:
                return "", ""
            index, column = where[canon]
            if (r, index) in formula_cells:
                errors.append(
                    RowError(
                        line, column, "formula_without_value",
                        "公式单元格没有计算结果，请在 Excel/WPS 中保存后重试或改为数值",
                        "A formula cell has no computed value; save it in Excel/WPS or "
                        "enter the value",
                        "",
                    )
                )  # fmt: skip
            return (_clean(raw[index]) if index < len(raw) else ""), column

        def error(column, code, zh, en, value, line=line):
            errors.append(RowError(line, column, code, zh, en, value[:100]))

        before = len(errors)
        values: dict[str, object] = {}
        text, column = cell("code")
        code, why_zh, why_en = credit_code.validate(text)
        if not text:
            error(column, "required", "统一社会信用代码不能为空", "The credit code is required", "")
        elif not code:
            error(
                column, "bad_credit_code",
                f"统一社会信用代码“{text[:30]}”无效：{why_zh}",
                f"Credit code '{text[:30]}' is invalid: {why_en}",
                text,
            )  # fmt: skip
        elif code in seen:
            error(
                column, "duplicate_code",
                f"统一社会信用代码 {code} 在第 {seen[code]} 行已出现，每家企业只能出现一次",
                f"Credit code {code} already appears on line {seen[code]}; "
                "each enterprise may appear only once",
                code,
            )  # fmt: skip
        else:
            seen[code] = line
        values["code"] = code
        for canon in ("name", "contact_name", "contact_phone", "contact_email"):
            text, column = cell(canon)
            if canon == "name" and not text:
                error(column, "required", "企业名称不能为空", "The name is required", "")
            elif len(text) > _LIMITS[canon]:
                error(
                    column, "too_long",
                    f"超过 {_LIMITS[canon]} 个字符",
                    f"longer than {_LIMITS[canon]} characters",
                    text,
                )  # fmt: skip
            elif canon == "contact_email" and text and not _EMAIL.match(text):
                error(column, "bad_email", "电子邮箱格式不正确", "Not an e-mail address", text)
            elif canon == "contact_phone" and text and not _PHONE.match(text):
                error(column, "bad_phone", "联系电话格式不正确", "Not a phone number", text)
            values[canon] = text
        text, column = cell("industry")
        if not _INDUSTRY.match(text):
            error(
                column, "bad_industry",
                "行业代码应为 GB/T 4754-2017 的 4 位小类代码，例如 3985",
                "The industry must be a 4-digit GB/T 4754-2017 class code, e.g. 3985",
                text,
            )  # fmt: skip
        values["industry"] = text
        text, column = cell("department")
        department = text.upper()
        if department not in departments:
            error(
                column, "unknown_department",
                f"未知的主管部门代码“{text[:30]}”",
                f"Unknown supervising department code '{text[:30]}'",
                text,
            )  # fmt: skip
        values["department"] = department
        text, column = cell("leading_industry")
        leading = _LEADING_BY_TEXT.get(_key(text))
        if leading is None:
            error(
                column, "bad_leading_industry",
                "主导产业应为：" + "、".join(LEADING_INDUSTRIES.values()),
                "The leading industry must be one of: " + ", ".join(c for c in LEADING_INDUSTRIES if c)
                + " or empty",
                text,
            )  # fmt: skip
        values["leading_industry"] = leading or ""
        text, column = cell("above_scale")
        if text.casefold() in _YES:
            values["above_scale"] = True
        elif text.casefold() in _NO:
            values["above_scale"] = False
        else:
            error(column, "bad_flag", "规上应填“是”或“否”", "above_scale must be yes or no", text)
        if len(errors) == before:
            rows.append(RegisterRow(line=line, **values))
    return rows, errors
