"""Product output and unit energy consumption against product benchmarks (issue 17 #3): the
pure rules table-tested; entry and import (all or nothing, line/column/reason, audited);
the comparison on the enterprise's products page, its profile, the ledger and the API."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import product_output, products
from enterprises.models import Enterprise, ProductOutput
from enterprises.work_services import benchmark_record
from indicators.models import Indicator, IndicatorResult
from tasks.models import Department

OTHER_CODE = "91350100M000100Y43"  # GB 32100's example code, supervised by EIT


@dataclass
class B:
    product: str = "锂电池电芯"
    unit: str = "kgce/万只"
    advanced: Decimal = Decimal("50")
    baseline: Decimal = Decimal("80")
    year: int = 2024
    pk: int = 1


# --- the rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "parts"),
    [
        ("kgce/t", ("kgce", "t")),
        (" KgCE / T ", ("kgce", "t")),
        ("tce／万只", ("tce", "万只")),
        ("gce/kWh", ("gce", "kwh")),
        ("tce/万元", ("tce", "万元")),
        ("kgce", None),
        ("kWh/t", None),
        ("kgce/", None),
    ],
)
def test_benchmark_unit_parts(unit, parts):
    assert products.benchmark_unit_parts(unit) == parts


@pytest.mark.parametrize(
    ("energy", "quantity", "unit", "benchmark", "value", "position", "reason"),
    [
        # 4.5 tce for 100 万只 = 45 kgce/万只: at the 标杆 (≤ 50).
        ("4.5", "100", "万只", B(), Decimal("45"), "advanced", ""),
        ("5", "100", "万只", B(), Decimal("50"), "advanced", ""),  # at the 标杆 exactly
        ("7", "100", "万只", B(), Decimal("70"), "baseline", ""),
        ("8.0001", "100", "万只", B(), Decimal("80.001"), "below_baseline", ""),
        # tce per t: no scaling.
        ("120", "1000", "t", B(unit="tce/t", advanced=Decimal("0.1"), baseline=Decimal("0.2")),
         Decimal("0.12"), "baseline", ""),
        # gce per kWh.
        ("0.3", "1000", "kWh", B(unit="gce/kWh", advanced=Decimal("280"), baseline=Decimal("320")),
         Decimal("300"), "baseline", ""),
        ("4.5", "100", "只", B(), None, None, "unit_mismatch"),  # 万只 vs 只: never converted
        (None, "100", "万只", B(), None, None, "no_energy"),
        ("4.5", "100", "万只", None, None, None, "no_benchmark"),
        ("4.5", "100", "万只", B(unit="kWh/万只"), None, None, "bad_unit"),
    ],
)  # fmt: skip
def test_unit_consumption(energy, quantity, unit, benchmark, value, position, reason):
    result = products.unit_consumption(
        None if energy is None else Decimal(energy), Decimal(quantity), unit, benchmark
    )
    assert result.value == value
    assert result.position == position
    assert result.reason == reason


def test_benchmark_for_product_newest_not_after_the_year():
    rows = [B(year=2020, pk=1), B(year=2023, pk=2), B(year=2025, pk=3), B(product="正极", pk=4)]
    assert products.benchmark_for_product("锂电池电芯", 2024, rows).pk == 2
    assert products.benchmark_for_product(" 锂电池 电芯", 2025, rows).pk == 3
    assert products.benchmark_for_product("锂电池电芯", 2019, rows).pk == 1  # the oldest
    assert products.benchmark_for_product("负极", 2024, rows) is None


@pytest.mark.parametrize(
    ("own", "count", "enterprise", "expected"),
    [
        (Decimal("3"), 2, Decimal("10"), Decimal("3")),
        (None, 1, Decimal("10"), Decimal("10")),  # its only product: the enterprise's E当量
        (None, 2, Decimal("10"), None),  # several products: unknown
        (None, 1, None, None),
    ],
)
def test_product_energy(own, count, enterprise, expected):
    assert products.product_energy(own, count, enterprise) == expected


def test_parse_output_table_every_error_with_line_and_column(cell_maker):
    table = [
        ["统一社会信用代码", "年度", "产品", "产量", "单位", "产品综合能耗（吨标准煤）"],
        [cell_maker.code, "2024", "电芯", "100", "万只", "4.5"],
        ["91371400MA3C000010", "2024", "电芯", "100", "万只", ""],  # bad check character
        [cell_maker.code, "24", "电芯", "-1", "", "x"],
        [cell_maker.code, "2024", " 电芯 ", "5", "万只", ""],  # duplicate of line 2
    ]
    rows, errors = products.parse_output_table(table)
    found = {(e.line, e.column, e.code) for e in errors}
    assert (3, "统一社会信用代码", "bad_credit_code") in found
    assert (4, "年度", "bad_year") in found
    assert (4, "产量", "not_positive") in found
    assert (4, "单位", "required") in found
    assert (4, "产品综合能耗（吨标准煤）", "not_a_number") in found
    assert (5, "产品", "duplicate_output") in found
    assert all(e.message_zh and e.message_en for e in errors)
    assert [r.line for r in rows] == [2]
    _rows, errors = products.parse_output_table([["code", "year", "product"]])
    assert {e.code for e in errors} == {"missing_column"}


# --- entry, import, reads ---------------------------------------------------------------------


@pytest.fixture
def other_enterprise(park):
    return Enterprise.objects.create(
        code=OTHER_CODE, name="德州另一家企业", industry="3985",
        supervising_department=Department.objects.get(code="EIT"),
    )  # fmt: skip


@pytest.fixture
def cell_benchmark(statistics_office):
    return benchmark_record(
        user=statistics_office,
        data={"product": "电芯", "metric": "per_product", "unit": "kgce/万只",
              "advanced": "50", "baseline": "80", "year": "2024", "source": "GB 00000-2024"},
    )  # fmt: skip


def _energy_result(code: str, year: int, value: str):
    return IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code="energy_total_calorific"),
        period=str(year), year=year, scope=code, value=Decimal(value),
    )  # fmt: skip


def test_record_compare_and_correct(clerk, energy_manager, cell_maker, cell_benchmark):
    output = product_output.product_output_record(
        user=energy_manager, enterprise=cell_maker,
        data={"year": "2024", "product": "电芯", "quantity": "100", "unit": "万只",
              "energy_tce": "4.5"},
    )  # fmt: skip
    [row] = product_output.product_comparisons(cell_maker)
    assert row["value"] == Decimal("45")
    assert row["position"] == "advanced"
    # A correction of the same product and year replaces it, audited with the old value.
    product_output.product_output_record(
        user=clerk, enterprise=cell_maker,
        data={"year": "2024", "product": " 电芯", "quantity": "50", "unit": "万只",
              "energy_tce": "4.5"},
    )  # fmt: skip
    assert ProductOutput.objects.get().pk == output.pk
    [row] = product_output.product_comparisons(cell_maker)
    assert row["value"] == Decimal("90")
    assert row["position"] == "below_baseline"
    events = AuditEvent.objects.filter(action="product_output_record").order_by("pk")
    assert list(events.values_list("old_value", "new_value")) == [
        (None, "100 万只"),
        ("100 万只", "50 万只"),
    ]


def test_only_product_takes_the_enterprise_energy(energy_manager, cell_maker, cell_benchmark):
    _energy_result(cell_maker.code, 2024, "6.4")
    product_output.product_output_record(
        user=energy_manager, enterprise=cell_maker,
        data={"year": "2024", "product": "电芯", "quantity": "100", "unit": "万只"},
    )  # fmt: skip
    [row] = product_output.product_comparisons(cell_maker)
    assert row["energy_tce"] == Decimal("6.4")
    assert row["energy_is_enterprise"] is True
    assert row["value"] == Decimal("64")
    assert row["position"] == "baseline"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"year": "2024", "product": "", "quantity": "1", "unit": "t"}, "required"),
        ({"year": "2024", "product": "电芯", "quantity": "0", "unit": "t"}, "not_positive"),
        ({"year": "1999", "product": "电芯", "quantity": "1", "unit": "t"}, "bad_year"),
        ({"year": "2024", "product": "电芯", "quantity": "1e3", "unit": "t"}, "not_a_number"),
        ({"year": "2024", "product": "电芯", "quantity": "1", "unit": "t", "energy_tce": "-1"},
         "negative"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_nothing_written(energy_manager, cell_maker, data, code):
    with pytest.raises(ApplicationError) as refused:
        product_output.product_output_record(user=energy_manager, enterprise=cell_maker, data=data)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not ProductOutput.objects.exists()
    assert not AuditEvent.objects.filter(action="product_output_record").exists()


def test_who_may_record(cell_maker, other_enterprise, energy_manager, other_clerk, auditor):
    data = {"year": "2024", "product": "电芯", "quantity": "1", "unit": "t"}
    for user, enterprise in (
        (energy_manager, other_enterprise),  # another enterprise
        (other_clerk, cell_maker),  # ECO does not supervise it
        (auditor, cell_maker),  # reads only
    ):
        with pytest.raises(PermissionRefused):
            product_output.product_output_record(user=user, enterprise=enterprise, data=data)
    assert not ProductOutput.objects.exists()


def test_import_all_or_nothing(clerk, statistics_office, cell_maker, other_enterprise):
    header = ["code", "year", "product", "quantity", "unit", "energy_tce"]
    good = [cell_maker.code, "2024", "电芯", "100", "万只", "4.5"]
    unknown = ["91110000600037341L", "2024", "电芯", "1", "万只", ""]  # valid, not registered
    other = [OTHER_CODE, "2024", "电机", "1", "台", ""]  # EIT's: not the DRS clerk's
    with pytest.raises(ApplicationError) as refused:
        product_output.product_output_import(user=clerk, table=[header, good, unknown, other])
    assert refused.value.code == "import_rejected"
    assert [(d["line"], d["code"]) for d in refused.value.details] == [
        (3, "unknown_enterprise"),
        (4, "not_your_enterprise"),
    ]
    assert not ProductOutput.objects.exists()
    preview = product_output.product_output_import(
        user=statistics_office, table=[header, good, other], dry_run=True
    )
    assert len(preview) == 2
    assert not ProductOutput.objects.exists()
    product_output.product_output_import(user=statistics_office, table=[header, good, other])
    assert ProductOutput.objects.count() == 2
    assert AuditEvent.objects.filter(action="product_output_record").count() == 2


def test_products_page_and_profile(client, clerk, energy_manager, cell_maker, cell_benchmark):
    client.force_login(energy_manager)
    url = reverse("enterprises:products", args=[cell_maker.code])
    bad = client.post(url, {"year": "2024", "product": "电芯", "quantity": "x", "unit": "万只"})
    assert bad.status_code == 400
    assert not ProductOutput.objects.exists()
    saved = client.post(
        url, {"year": "2024", "product": "电芯", "quantity": "100", "unit": "万只",
              "energy_tce": "4.5"},
    )  # fmt: skip
    assert saved.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-position="advanced"' in page
    assert "45.0000" in page
    profile = client.get(reverse("enterprises:profile", args=[cell_maker.code])).content.decode()
    assert 'id="profile-products"' in profile
    assert "达到标杆水平" in profile


def test_ledger_compares_products(client, committee_member, cell_maker, cell_benchmark, clerk):
    _energy_result(cell_maker.code, 2024, "7")
    _energy_result("", 2024, "100")
    product_output.product_output_record(
        user=clerk, enterprise=cell_maker,
        data={"year": "2024", "product": "电芯", "quantity": "100", "unit": "万只"},
    )  # fmt: skip
    client.force_login(committee_member)
    page = client.get(reverse("enterprises:ledger") + "?period=2024&all=1").content.decode()
    assert 'data-product-position="baseline"' in page
    assert "70.0000" in page
    assert 'id="products-import"' not in page  # the committee reads; it does not import
    client.force_login(clerk)
    page = client.get(reverse("enterprises:ledger") + "?period=2024&all=1").content.decode()
    assert 'id="products-import"' in page


def test_api_lists_and_records(energy_manager, cell_maker, other_enterprise, cell_benchmark):
    api = APIClient()
    api.force_authenticate(energy_manager)
    url = reverse("api:enterprise-products", args=[cell_maker.code])
    created = api.post(
        url, {"year": 2024, "product": "电芯", "quantity": "100", "unit": "万只",
              "energy_tce": "4.5"}, format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["unit_consumption"] == "45"
    assert created.json()["position"] == "advanced"
    listed = api.get(url).json()
    assert [(r["product"], r["advanced"], r["baseline"]) for r in listed] == [("电芯", "50", "80")]
    attempts = AuditEvent.objects.filter(action="enterprise_access_refused").count()
    other = api.get(reverse("api:enterprise-products", args=[OTHER_CODE]))
    assert other.status_code == 403  # the wall
    assert AuditEvent.objects.filter(action="enterprise_access_refused").count() == attempts + 1
    refused = api.post(
        reverse("api:product-output-import"),
        {"rows": [{"code": cell_maker.code, "year": "2024", "product": "x", "quantity": "1",
                   "unit": "t"}]}, format="json",
    )  # fmt: skip
    assert refused.status_code == 403


def test_api_import_reports_line_and_column(statistics_office, cell_maker):
    api = APIClient()
    api.force_authenticate(statistics_office)
    response = api.post(
        reverse("api:product-output-import"),
        {"rows": [
            {"code": cell_maker.code, "year": "2024", "product": "电芯", "quantity": "1",
             "unit": "万只"},
            {"code": "91371400MA3C000010", "year": "2024", "product": "电芯", "quantity": "1",
             "unit": "万只"},
        ]}, format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["details"][0]["line"] == 3
    assert response.json()["details"][0]["column"] == "code"
    assert not ProductOutput.objects.exists()


def test_demo_product_output(administrator, statistics_office):
    from enterprises.demo import enterprise_code
    from enterprises.product_demo import OUTPUTS, PRODUCT_BENCHMARKS, product_output_demo

    drs = Department.objects.get(code="DRS")
    for index in (0, 11):
        Enterprise.objects.create(
            code=enterprise_code(index), name=f"演示{index}", industry="4411",
            supervising_department=drs, is_key_unit=True,
        )  # fmt: skip
    product_output_demo(user=administrator)
    assert ProductOutput.objects.count() == 4  # the two enterprises' 2024 and 2025
    plant = Enterprise.objects.get(code=enterprise_code(0))
    positions = {
        row["output"].year: (row["position"], round(row["value"], 1))
        for row in product_output.product_comparisons(plant)
    }
    assert positions == {2024: ("baseline", Decimal("302.4")), 2025: ("advanced", Decimal("281.7"))}
    before = (ProductOutput.objects.count(), AuditEvent.objects.count())
    product_output_demo(user=administrator)  # a rerun changes nothing
    assert before == (ProductOutput.objects.count(), AuditEvent.objects.count())
    assert len(PRODUCT_BENCHMARKS) == len(OUTPUTS)


def test_ledger_export_has_the_products(
    client, committee_member, cell_maker, cell_benchmark, clerk
):
    import io

    import openpyxl

    _energy_result(cell_maker.code, 2024, "7")
    _energy_result("", 2024, "100")
    product_output.product_output_record(
        user=clerk, enterprise=cell_maker,
        data={"year": "2024", "product": "电芯", "quantity": "100", "unit": "万只"},
    )  # fmt: skip
    client.force_login(committee_member)
    answer = client.get(reverse("enterprises:ledger_export") + "?period=2024&all=1")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    header = [cell.value for cell in sheet[2]]
    column = header.index("单位产品能耗对标") + 1
    assert sheet.cell(3, column).value == "电芯 70.0000 kgce/万只 · 达到基准水平"
