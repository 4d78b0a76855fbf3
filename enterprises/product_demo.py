"""Demo product output for local trial only (`setup_park --demo`, after the supervision
work): product benchmarks (标杆/基准) and five key units' outputs of 2024 and 2025 with the
energy each product took, so the ledger, the profiles and the products pages show energy
per unit of product at, between and below the levels. Deterministic; a rerun changes
nothing."""

from __future__ import annotations

from enterprises.demo import enterprise_code
from enterprises.work_demo import DEMO_SOURCE

# (product, benchmark unit, 标杆, 基准)
PRODUCT_BENCHMARKS = [
    ("供电", "kgce/MWh", "285", "310"),
    ("乙二醇", "kgce/t", "450", "600"),
    ("多晶硅", "kgce/t", "7500", "9000"),
    ("烧碱（离子膜法液碱≥30%）", "kgce/t", "315", "350"),
    ("锂离子电池电芯", "kgce/万只", "50", "80"),
]
# (enterprise index in enterprises.demo.ENTERPRISES, product, unit, {year: (output, tce)})
OUTPUTS = [
    (0, "供电", "MWh", {2024: ("820000", "248000"), 2025: ("845000", "238000")}),
    (1, "乙二醇", "t", {2024: ("150000", "93000"), 2025: ("158000", "86900")}),
    (2, "多晶硅", "t", {2024: ("12000", "102000"), 2025: ("13500", "99900")}),
    (7, "烧碱（离子膜法液碱≥30%）", "t", {2024: ("200000", "74000"), 2025: ("210000", "68250")}),
    (11, "锂离子电池电芯", "万只", {2024: ("9500", "520"), 2025: ("11800", "560")}),
]


def product_output_demo(*, user=None) -> list[str]:
    """The demo's product benchmarks and outputs (each skipped where it is there)."""
    from accounts.models import User
    from accounts.services import system_user
    from enterprises import product_output, work_services
    from enterprises.models import Benchmark, Enterprise, ProductOutput

    system = user or system_user()
    office = User.objects.filter(username="stats", is_active=True).first() or system
    benchmarks = 0
    for product, unit, advanced, baseline in PRODUCT_BENCHMARKS:
        if Benchmark.objects.filter(product=product, metric="per_product").exists():
            continue
        work_services.benchmark_record(
            user=office,
            data={"product": product, "metric": "per_product", "unit": unit, "advanced": advanced,
                  "baseline": baseline, "year": 2024, "source": DEMO_SOURCE},
        )  # fmt: skip
        benchmarks += 1
    enterprises = {
        e.code: e
        for e in Enterprise.objects.select_related("supervising_department").filter(
            code__in=[enterprise_code(index) for index, *_rest in OUTPUTS]
        )
    }
    outputs = 0
    for index, product, unit, years in OUTPUTS:
        enterprise = enterprises.get(enterprise_code(index))
        if enterprise is None:
            continue
        clerk = (
            User.objects.filter(
                username=f"{enterprise.supervising_department.code.lower()}_clerk", is_active=True
            ).first()
            or system
        )
        for year, (quantity, tce) in years.items():
            if ProductOutput.objects.filter(enterprise=enterprise, year=year).exists():
                continue
            product_output.product_output_record(
                user=clerk, enterprise=enterprise,
                data={"year": year, "product": product, "quantity": quantity, "unit": unit,
                      "energy_tce": tce},
            )  # fmt: skip
            outputs += 1
    return [f"产品产量与能效标杆 / product output: {outputs} outputs, {benchmarks} benchmarks"]
