"""Product output and unit energy consumption against product benchmarks (issue 17 #3:
单位产品能耗 compared with 标杆/基准). Pure rules, no database: table-tested in
tests/test_enterprise_products.py.

An enterprise's output of a product in a year is entered with its unit (t, 万只, MWh …) and,
where it makes several products, the energy that product took (tce, 当量值). Where the
product is the enterprise's only one that year and no energy of its own is given, the
enterprise's comprehensive energy consumption of the year (E当量) is the product's.

A product benchmark (Benchmark.metric = per_product) states its levels in an energy unit per
unit of product, e.g. "kgce/t": the numerator is tce, kgce or gce; the denominator must be
the output's own unit, else the two are not comparable and the page says so (never a
silent conversion between, say, 万只 and 只)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from enterprises.work_rules import benchmark_position

# tce per one unit of each energy numerator a benchmark may be stated in.
ENERGY_UNITS = {"tce": Decimal(1), "kgce": Decimal("0.001"), "gce": Decimal("0.000001")}


def normalised(text: str) -> str:
    """A unit or product name as compared: without spaces, lower case, full-width slash
    read as '/'."""
    return "".join(str(text).split()).replace("／", "/").lower()


def benchmark_unit_parts(unit: str) -> tuple[str, str] | None:
    """("kgce", "t") from "kgce/t"; None when the unit is not <energy unit>/<product unit>."""
    numerator, slash, denominator = normalised(unit).partition("/")
    if not slash or numerator not in ENERGY_UNITS or not denominator:
        return None
    return numerator, denominator


@dataclass(frozen=True)
class Comparison:
    value: Decimal | None  # the unit consumption in the benchmark's unit
    position: str | None  # work_rules.benchmark_position, None when not compared
    reason: str  # "" when compared; else why not (a key of NOT_COMPARED)


NOT_COMPARED = {
    "no_benchmark": ("未录入该产品的能效标杆", "No benchmark for this product"),
    "no_energy": ("缺少该产品的能耗", "The product's energy use is missing"),
    "unit_mismatch": ("标杆单位与产量单位不一致", "The benchmark's unit does not match the output's"),
    "bad_unit": ("标杆单位无法识别（应为 kgce/t 等）", "Benchmark unit not understood (e.g. kgce/t)"),
}  # fmt: skip


def unit_consumption(
    energy_tce: Decimal | None, quantity: Decimal, output_unit: str, benchmark
) -> Comparison:
    """The product's energy per unit of output in the benchmark's unit and where it stands
    (lower is better); `benchmark` has unit, advanced and baseline (or is None)."""
    if benchmark is None:
        return Comparison(None, None, "no_benchmark")
    parts = benchmark_unit_parts(benchmark.unit)
    if parts is None:
        return Comparison(None, None, "bad_unit")
    numerator, denominator = parts
    if denominator != normalised(output_unit):
        return Comparison(None, None, "unit_mismatch")
    if energy_tce is None or not quantity:
        return Comparison(None, None, "no_energy")
    value = energy_tce / ENERGY_UNITS[numerator] / quantity
    return Comparison(value, benchmark_position(value, benchmark.advanced, benchmark.baseline), "")


def benchmark_for_product(product: str, year: int, benchmarks: Iterable) -> object | None:
    """The product's benchmark (same name, compared as `normalised`): the newest year not
    after `year`, else the oldest one there is; objects with product and year."""
    wanted = normalised(product)
    rows = [b for b in benchmarks if b.product and normalised(b.product) == wanted]
    if not rows:
        return None
    earlier = [b for b in rows if b.year <= year]
    if earlier:
        return max(earlier, key=lambda b: (b.year, b.pk or 0))
    return min(rows, key=lambda b: (b.year, -(b.pk or 0)))


def product_energy(
    own_energy: Decimal | None, products_that_year: int, enterprise_energy: Decimal | None
) -> Decimal | None:
    """The energy a product took: its own figure; else, for the enterprise's only product of
    the year, the enterprise's E当量; else unknown."""
    if own_energy is not None:
        return own_energy
    if products_that_year == 1:
        return enterprise_energy
    return None


# --- the product-output file ----------------------------------------------------------------

COLUMNS = {
    # canonical: (English header, Chinese header, required)
    "code": ("code", "统一社会信用代码", True),
    "year": ("year", "年度", True),
    "product": ("product", "产品", True),
    "quantity": ("quantity", "产量", True),
    "unit": ("unit", "单位", True),
    "energy_tce": ("energy_tce", "产品综合能耗（吨标准煤）", False),
}
MAX_ROWS = 20_000
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class OutputRow:
    line: int
    code: str
    year: int
    product: str
    quantity: Decimal
    unit: str
    energy_tce: Decimal | None


def headings(language: str = "zh-hans") -> list[str]:
    return [zh if language.startswith("zh") else en for en, zh, _required in COLUMNS.values()]


def _key(text: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


_HEADERS = {
    _key(name): canon for canon, (en, zh, _r) in COLUMNS.items() for name in (canon, en, zh)
}


def check_output(
    *, product: str, year, quantity: str, unit: str, energy_tce: str | None
) -> tuple[dict, list[tuple[str, str, str, str]]]:
    """One output's fields, checked: (values, errors as (field, code, zh, en))."""
    from indicators.numbers import NumberRefused, parse_number, parse_optional_number

    errors, values = [], {}
    product = " ".join(str(product or "").split())
    if not product:
        errors.append(("product", "required", "产品名称不能为空", "The product is required"))
    elif len(product) > 100:
        errors.append(("product", "too_long", "产品名称超过 100 个字符", "The product is longer than 100 characters"))  # fmt: skip
    values["product"] = product
    text = str(year or "").strip()
    if not (text.isascii() and text.isdigit() and MIN_YEAR <= int(text) <= MAX_YEAR):
        errors.append(("year", "bad_year", f"年度应为 {MIN_YEAR}—{MAX_YEAR} 的四位年份", f"The year must be {MIN_YEAR}–{MAX_YEAR}"))  # fmt: skip
    else:
        values["year"] = int(text)
    try:
        value = parse_number(str(quantity or "").strip())
    except NumberRefused as refused:
        errors.append(("quantity", refused.code, f"产量{refused.reason_zh}", f"The quantity: {refused.reason_en}"))  # fmt: skip
    else:
        if value <= 0:
            errors.append(("quantity", "not_positive", "产量应大于 0", "The quantity must be above 0"))  # fmt: skip
        values["quantity"] = value
    unit = "".join(str(unit or "").split())
    if not unit:
        errors.append(("unit", "required", "产量单位不能为空（如 t、万只）", "The unit is required (e.g. t)"))  # fmt: skip
    elif len(unit) > 20:
        errors.append(("unit", "too_long", "单位超过 20 个字符", "The unit is longer than 20 characters"))  # fmt: skip
    values["unit"] = unit
    try:
        energy = parse_optional_number(None if energy_tce is None else str(energy_tce).strip())
    except NumberRefused as refused:
        errors.append(("energy_tce", refused.code, f"产品综合能耗{refused.reason_zh}", f"The energy use: {refused.reason_en}"))  # fmt: skip
    else:
        if energy is not None and energy < 0:
            errors.append(("energy_tce", "negative", "产品综合能耗不能为负数", "The energy use cannot be negative"))  # fmt: skip
        values["energy_tce"] = energy
    return values, errors


def parse_output_table(table: list[list[str]], formula_cells=None):
    """Every row checked, every error returned (line 1 is the header), as RowErrors; the
    caller writes nothing when there is any (all or nothing). Credit codes are checked
    (GB 32100) here; whether the register has them is the caller's question."""
    from enterprises import credit_code
    from indicators.importing import RowError

    errors: list = []
    while table and not any(str(c).strip() for c in table[-1]):
        table = table[:-1]
    if not table:
        return [], [RowError(1, "", "empty", "文件为空", "The file is empty", "")]
    where: dict[str, tuple[int, str]] = {}
    for index, text in enumerate(table[0]):
        canon = _HEADERS.get(_key(text))
        if canon is None:
            if str(text).strip():
                errors.append(RowError(1, text, "unknown_column", f"无法识别的列“{text[:50]}”", f"Unknown column '{text[:50]}'", text[:100]))  # fmt: skip
            continue
        if canon in where:
            errors.append(RowError(1, text, "duplicate_column", "列重复", "Duplicate column", text[:100]))  # fmt: skip
            continue
        where[canon] = (index, text)
    for canon, (en, zh, required) in COLUMNS.items():
        if required and canon not in where:
            errors.append(RowError(1, zh, "missing_column", f"缺少必填列“{zh}”({en})", f"Missing required column '{en}' ({zh})", ""))  # fmt: skip
    if errors:
        return [], errors
    if len(table) - 1 > MAX_ROWS:
        return [], [RowError(0, "", "too_many_rows", f"行数 {len(table) - 1} 超过上限 {MAX_ROWS}", f"{len(table) - 1} rows; the limit is {MAX_ROWS}", "")]  # fmt: skip
    rows, seen = [], {}
    formula_cells = formula_cells or set()
    for r, raw in enumerate(table[1:], start=1):
        line = r + 1
        if not any(str(c).strip() for c in raw):
            continue
        before = len(errors)
        cells, columns = {}, {}
        for canon, (index, column) in where.items():
            columns[canon] = column
            cells[canon] = str(raw[index]).strip() if index < len(raw) else ""
            if (r, index) in formula_cells:
                errors.append(RowError(line, column, "formula_without_value", "公式单元格没有计算结果，请在 Excel/WPS 中保存后重试或改为数值", "A formula cell has no computed value; save it in Excel/WPS or enter the value", ""))  # fmt: skip
        code, why_zh, why_en = credit_code.validate(cells["code"])
        if not cells["code"]:
            errors.append(RowError(line, columns["code"], "required", "统一社会信用代码不能为空", "The credit code is required", ""))  # fmt: skip
        elif not code:
            errors.append(RowError(line, columns["code"], "bad_credit_code", f"统一社会信用代码“{cells['code'][:30]}”无效：{why_zh}", f"Credit code '{cells['code'][:30]}' is invalid: {why_en}", cells["code"][:100]))  # fmt: skip
        values, problems = check_output(
            product=cells["product"], year=cells["year"], quantity=cells["quantity"],
            unit=cells["unit"], energy_tce=cells.get("energy_tce"),
        )  # fmt: skip
        for field, problem, zh, en in problems:
            errors.append(
                RowError(line, columns[field], problem, zh, en, cells.get(field, "")[:100])
            )
        if code and "year" in values and values["product"]:
            key = (code, values["year"], normalised(values["product"]))
            if key in seen:
                errors.append(RowError(line, columns["product"], "duplicate_output", f"该企业该年度的“{values['product'][:30]}”在第 {seen[key]} 行已出现", f"This enterprise's '{values['product'][:30]}' of that year already appears on line {seen[key]}", values["product"][:100]))  # fmt: skip
            else:
                seen[key] = line
        if len(errors) == before:
            rows.append(OutputRow(line=line, code=code, **values))
    return rows, errors
