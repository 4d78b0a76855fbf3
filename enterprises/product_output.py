"""Product output of the register's enterprises and their unit energy consumption against
the product benchmarks (issue 17 #3). Writes: `product_output_record` (one output, from the
page or the API) and `product_output_import` (a file, all or nothing with line/column/reason)
— each audited; reads: `product_comparisons` (an enterprise's profile and products page)
and `with_product_benchmarks` (the ledger's rows). Reads are a fixed number of queries
whatever the number of enterprises or products. The rules are in enterprises/products.py."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.db import transaction

from accounts import permissions
from audit.services import audit_record
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from dezhou_carbon.i18n import localized
from enterprises import products, work_rules
from enterprises.analysis import ENERGY
from enterprises.models import Benchmark, Enterprise, ProductOutput
from indicators.models import IndicatorResult
from indicators.numbers import decimal_text


def can_record_output(user, enterprise: Enterprise) -> bool:
    """Who enters an enterprise's product output: its supervising department's staff (and
    administrators), the statistics office, and its own energy manager."""
    return (
        permissions.can_manage_enterprise_work(user, enterprise.supervising_department_id)
        or permissions.can_manage_enterprises(user)
        or permissions.can_enter_enterprise_figures(user, enterprise)
    )


def can_import_output(user) -> bool:
    """Who imports a product-output file: the statistics office (any registered enterprise)
    and department staff (the enterprises their department supervises; checked per row)."""
    return permissions.can_manage_enterprises(user) or permissions.is_department_staff(user)


def _refused() -> PermissionRefused:
    return PermissionRefused(
        "只有企业主管部门、统计办或本企业能源管理员可以填报产品产量。",
        "Only the supervising department, the statistics office or the enterprise's energy "
        "manager can enter its product output.",
        code="permission_denied",
    )


def _store(*, user, enterprise: Enterprise, values: dict, source: str) -> ProductOutput:
    """Create or replace the (enterprise, year, product) output; audited with the old value."""
    wanted = products.normalised(values["product"])
    current = next(
        (
            row
            for row in ProductOutput.objects.select_for_update().filter(
                enterprise=enterprise, year=values["year"]
            )
            if products.normalised(row.product) == wanted
        ),
        None,
    )
    old = None
    if current is None:
        output = ProductOutput(enterprise=enterprise, year=values["year"])
    else:
        output = current
        old = f"{decimal_text(current.quantity)} {current.unit}"
    output.product = values["product"]
    output.quantity = values["quantity"]
    output.unit = values["unit"]
    output.energy_tce = values.get("energy_tce")
    output.recorded_by = user
    output.save()
    audit_record(
        actor=user,
        action="product_output_record",
        object_type="product_output",
        object_id=output.pk,
        department_code=enterprise.supervising_department.code,
        period=str(output.year),
        old_value=old,
        new_value=f"{decimal_text(output.quantity)} {output.unit}",
        details={
            "scope": enterprise.code,
            "product": output.product,
            "energy_tce": decimal_text(output.energy_tce),
            "source": source,
        },
    )
    return output


def _checked(data) -> dict:
    values, problems = products.check_output(
        product=data.get("product", ""),
        year=data.get("year", ""),
        quantity=data.get("quantity", ""),
        unit=data.get("unit", ""),
        energy_tce=data.get("energy_tce"),
    )
    if problems:
        raise ApplicationError(
            "；".join(zh for _field, _code, zh, _en in problems) + "。未保存。",
            "; ".join(en for _field, _code, _zh, en in problems) + ". Nothing was saved.",
            code=problems[0][1],
            details=[
                {"field": field, "code": code, "message_zh": zh, "message_en": en}
                for field, code, zh, en in problems
            ],
        )
    return values


@transaction.atomic
def product_output_record(*, user, enterprise: Enterprise, data) -> ProductOutput:
    """Enter (or correct) one product's output of a year for the enterprise."""
    if not can_record_output(user, enterprise):
        raise _refused()
    return _store(user=user, enterprise=enterprise, values=_checked(data), source="form")


def product_output_import(
    *, user, table: list[list[str]], formula_cells=None, dry_run: bool = False
) -> list[dict]:
    """Import product outputs from a table (the file's rows), all or nothing: every row's
    error (bad or unregistered credit code, an enterprise the person may not enter for,
    duplicates, bad numbers) with its line, column and reason, and nothing written; else
    every row stored (`dry_run`: checked only). Returns what was (or would be) written."""
    if not can_import_output(user):
        raise PermissionRefused(
            "只有统计办或企业主管部门可以导入产品产量。",
            "Only the statistics office or a supervising department can import product output.",
            code="permission_denied",
        )
    from indicators.importing import RowError

    rows, errors = products.parse_output_table(table, formula_cells)
    headers = {canon: zh for canon, (_en, zh, _r) in products.COLUMNS.items()}
    enterprises = {
        e.code: e
        for e in Enterprise.objects.select_related("supervising_department").filter(
            code__in={row.code for row in rows}
        )
    }
    for row in rows:
        enterprise = enterprises.get(row.code)
        if enterprise is None:
            errors.append(RowError(row.line, headers["code"], "unknown_enterprise",
                                   f"企业 {row.code} 未登记，请先在企业名录中登记",
                                   f"Enterprise {row.code} is not in the register; register it first",
                                   row.code))  # fmt: skip
        elif not can_record_output(user, enterprise):
            errors.append(RowError(row.line, headers["code"], "not_your_enterprise",
                                   f"企业 {row.code} 不由您的部门主管，不能导入其产量",
                                   f"Enterprise {row.code} is not supervised by your department",
                                   row.code))  # fmt: skip
    if errors:
        errors.sort(key=lambda e: (e.line, e.column))
        raise ApplicationError(
            f"文件有 {len(errors)} 处错误，未导入任何数据。",
            f"The file has {len(errors)} error(s); nothing was imported.",
            code="import_rejected",
            details=[
                {"line": e.line, "column": e.column, "code": e.code, "message_zh": e.message_zh,
                 "message_en": e.message_en, "value": e.value}
                for e in errors
            ],
        )  # fmt: skip
    written = [
        {"code": row.code, "year": row.year, "product": row.product,
         "quantity": decimal_text(row.quantity), "unit": row.unit,
         "energy_tce": decimal_text(row.energy_tce)}
        for row in rows
    ]  # fmt: skip
    if dry_run:
        return written
    with transaction.atomic():
        for row in rows:
            _store(
                user=user, enterprise=enterprises[row.code], source="import",
                values={"product": row.product, "year": row.year, "quantity": row.quantity,
                        "unit": row.unit, "energy_tce": row.energy_tce},
            )  # fmt: skip
    return written


# --- reads ----------------------------------------------------------------------------------


def product_benchmarks() -> list[Benchmark]:
    return list(Benchmark.objects.filter(metric=Benchmark.Metric.PER_PRODUCT).exclude(product=""))


def _annual_energy(codes, years) -> dict[tuple[str, int], Decimal]:
    return {
        (scope, year): value
        for scope, year, value in IndicatorResult.objects.filter(
            indicator__code=ENERGY,
            variant="",
            quarter__isnull=True,
            scope__in=list(codes),
            year__in=list(years),
        ).values_list("scope", "year", "value")
        if value is not None
    }


def _compare(outputs: list[ProductOutput], codes: dict[int, str]) -> list[dict]:
    """Each output with its benchmark and unit consumption: three queries in all."""
    if not outputs:
        return []
    benchmarks = product_benchmarks()
    energy = _annual_energy(set(codes.values()), {o.year for o in outputs})
    per_year = Counter((o.enterprise_id, o.year) for o in outputs)
    rows = []
    for output in outputs:
        code = codes[output.enterprise_id]
        used = products.product_energy(
            output.energy_tce, per_year[(output.enterprise_id, output.year)],
            energy.get((code, output.year)),
        )  # fmt: skip
        benchmark = products.benchmark_for_product(output.product, output.year, benchmarks)
        comparison = products.unit_consumption(used, output.quantity, output.unit, benchmark)
        rows.append(
            {
                "output": output,
                "code": code,
                "energy_tce": used,
                "energy_is_enterprise": output.energy_tce is None and used is not None,
                "benchmark": benchmark,
                "value": comparison.value,
                "position": comparison.position,
                "reason": comparison.reason,
            }
        )
    return rows


def product_comparisons(enterprise: Enterprise) -> list[dict]:
    """The enterprise's outputs, newest year first, each compared with its benchmark."""
    outputs = list(
        ProductOutput.objects.filter(enterprise=enterprise).order_by("-year", "product", "pk")
    )
    return _compare(outputs, {enterprise.pk: enterprise.code})


def with_product_benchmarks(rows: list[dict], year: int | None) -> list[dict]:
    """Each ledger row (of one page) with its products of `year` compared, as
    row["products"] (none for a quarter's ledger: output is annual): a fixed number of
    queries for any number of rows."""
    for row in rows:
        row["products"] = []
    if not rows or year is None:
        return rows
    outputs = list(
        ProductOutput.objects.filter(enterprise__code__in=[r["code"] for r in rows], year=year)
        .select_related("enterprise")
        .order_by("product", "pk")
    )
    by_code = {row["code"]: row for row in rows}
    codes = {o.enterprise_id: o.enterprise.code for o in outputs}
    for compared in comparison_texts(_compare(outputs, codes)):
        by_code[compared["code"]]["products"].append(compared)
    return rows


def comparison_texts(rows: list[dict]) -> list[dict]:
    """Each comparison's verdict as the page shows it (formatted once here)."""
    for row in rows:
        if row["position"]:
            row["verdict"] = localized(*work_rules.POSITION_TEXT[row["position"]])
        else:
            row["verdict"] = localized(*products.NOT_COMPARED[row["reason"]])
        row["value_text"] = "—" if row["value"] is None else f"{float(row['value']):,.4f}"
    return rows
