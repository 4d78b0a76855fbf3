"""Demo enterprises for local trial only (`setup_park --demo`): 40 plausible enterprises
of the park across its leading industries, their quarterly energy and value added from
2020 Q1 that add up to the demo park's figures (indicators.demo) with a small rest of
the park, and the key units: eight designated in 2021, one entering in 2024 (it started
production that year), one leaving in 2024 (it closed at the end of 2023).

Deterministic (a fixed seed); running it again changes nothing that is already there."""

from __future__ import annotations

import random
from decimal import ROUND_DOWN, Decimal

from enterprises import credit_code

SEED = 2026
# Share of the park's energy and value added the registered enterprises report; the rest
# is the rest of the park (small firms, households' share of the park figure, …).
ENERGY_COVERAGE = Decimal("0.92")
VALUE_ADDED_COVERAGE = Decimal("0.90")
ENERGY_ITEMS = (
    "coal_raw",
    "natural_gas",
    "diesel",
    "heat_purchased",
    "electricity_grid",
    "electricity_green",
    "electricity_pv",
    "energy_feedstock",
)
ZERO_ITEMS = ("coal_washed", "coke", "fuel_oil", "gasoline", "lpg")
# (name, GB/T 4754 class, leading industry, supervising department)
ENTERPRISES = [
    ("德州经开区热电有限公司", "4411", "", "DRS"),
    ("德州华源新材料股份有限公司", "2614", "new_energy_materials", "DRS"),
    ("山东德晶光伏材料有限公司", "3985", "new_energy_materials", "DRS"),
    ("德州恒力电子科技有限公司", "3972", "electronics", "EIT"),
    ("德州天衢食品有限公司", "1431", "food", "EIT"),
    ("山东德锐重工机械有限公司", "3421", "high_end_equipment", "EIT"),
    ("德州百利生物制药有限公司", "2761", "biomedicine", "EIT"),
    ("德州金泰化工有限公司", "2619", "new_energy_materials", "DRS"),
    ("德州宏达精密铸造有限公司", "3391", "high_end_equipment", "EIT"),
    ("德州乐康乳业有限公司", "1441", "food", "EIT"),
    ("山东晶芯半导体有限公司", "3973", "electronics", "EIT"),
    ("德州新能动力电池有限公司", "3841", "new_energy_materials", "DRS"),
    ("德州齐鲁包装材料有限公司", "2231", "", "EIT"),
    ("德州瑞丰汽车零部件有限公司", "3670", "high_end_equipment", "EIT"),
    ("德州康源医疗器械有限公司", "3581", "biomedicine", "EIT"),
    ("德州盛世粮油有限公司", "1331", "food", "EIT"),
    ("德州光谷智能装备有限公司", "3499", "high_end_equipment", "EIT"),
    ("德州凯越显示技术有限公司", "3974", "electronics", "EIT"),
    ("德州绿源环保科技有限公司", "7724", "", "ECO"),
    ("德州华瑞纺织有限公司", "1713", "", "EIT"),
    ("德州永盛建材有限公司", "3021", "", "CON"),
    ("德州天成钢结构有限公司", "3311", "high_end_equipment", "CON"),
    ("德州润禾饮品有限公司", "1525", "food", "EIT"),
    ("德州博瑞电子材料有限公司", "3985", "electronics", "EIT"),
    ("德州海川新能源科技有限公司", "3825", "new_energy_materials", "DRS"),
    ("德州安泰生物工程有限公司", "2710", "biomedicine", "EIT"),
    ("德州鑫达模具有限公司", "3525", "high_end_equipment", "EIT"),
    ("德州禾丰饲料有限公司", "1320", "food", "EIT"),
    ("德州智联通信设备有限公司", "3921", "electronics", "EIT"),
    ("德州银河电线电缆有限公司", "3831", "high_end_equipment", "EIT"),
    ("德州东方塑业有限公司", "2929", "", "EIT"),
    ("德州佳美家居有限公司", "2110", "", "EIT"),
    ("德州利民制药有限公司", "2720", "biomedicine", "EIT"),
    ("德州恒通物流装备有限公司", "3432", "high_end_equipment", "EIT"),
    ("德州嘉和食品科技有限公司", "1469", "food", "EIT"),
    ("德州中科传感技术有限公司", "4011", "electronics", "EIT"),
    ("德州清源水务有限公司", "4610", "", "CON"),
    ("德州豪迈新材料有限公司", "2653", "new_energy_materials", "DRS"),
    ("德州晶能储能科技有限公司", "3849", "new_energy_materials", "DRS"),  # enters in 2024
    ("德州鲁北焦化有限公司", "2521", "", "DRS"),  # closed at the end of 2023
]
ENTRANT = 38
LEAVER = 39
KEY_UNITS_2021 = (0, 1, 2, 3, 7, 11, 5, 4)  # designated in 2021 (≥ 10,000 tce in 2020)


def enterprise_code(index: int) -> str:
    """A valid (GB 32100) code: 9137140 0 (enterprise, Dezhou) + a demo serial."""
    return credit_code.complete(f"91371400MA3DEM{index:03d}")


def _weights(rng: random.Random) -> list[tuple[float, float, float]]:
    """Per enterprise: energy weight, value-added weight and yearly drift of the energy
    weight (some get more efficient, some grow)."""
    weights = []
    for index in range(len(ENTERPRISES)):
        heavy = index in KEY_UNITS_2021 or index in (ENTRANT, LEAVER)
        energy = rng.uniform(6, 14) if heavy else rng.uniform(0.2, 1.6)
        if index == 0:
            energy = 40.0  # the heat and power plant burns most of the coal
        value_added = rng.uniform(2, 8) if heavy else rng.uniform(0.5, 3)
        weights.append((energy, value_added, rng.uniform(-0.06, 0.05)))
    return weights


def _active(index: int, year: int) -> bool:
    if index == ENTRANT:
        return year >= 2024
    if index == LEAVER:
        return year <= 2023
    return True


def demo_enterprise_rows() -> list[dict]:
    """Quarterly rows of every demo enterprise: each item's park figure split over the
    enterprises active that year by their (drifting) weights, rounded down to 0.01, so
    Σ enterprises ≤ coverage × park in every item and quarter."""
    from indicators.demo import demo_rows

    rng = random.Random(SEED)
    weights = _weights(rng)
    park: dict[tuple[str, str], Decimal] = {
        (row["period"], row["item"]): Decimal(row["value"])
        for row in demo_rows()
        if "Q" in row["period"]
    }
    rows = []
    periods = sorted({period for period, _item in park})
    for period in periods:
        year = int(period[:4])
        active = [i for i in range(len(ENTERPRISES)) if _active(i, year)]
        energy = {i: weights[i][0] * (1 + weights[i][2]) ** (year - 2020) for i in active}
        value_added = {
            i: weights[i][1] * (1.03 if i in KEY_UNITS_2021 else 1) ** (year - 2020) for i in active
        }
        energy_total = sum(energy.values())
        value_added_total = sum(value_added.values())
        for index in range(len(ENTERPRISES)):
            code = enterprise_code(index)
            if index not in energy:
                continue
            for item in ENERGY_ITEMS:
                share = Decimal(str(energy[index] / energy_total)) * ENERGY_COVERAGE
                value = (park.get((period, item), Decimal(0)) * share).quantize(
                    Decimal("0.01"), rounding=ROUND_DOWN
                )
                rows.append({"period": period, "item": item, "value": str(value), "scope": code})
            share = Decimal(str(value_added[index] / value_added_total)) * VALUE_ADDED_COVERAGE
            value = (park[(period, "iva_current")] * share).quantize(
                Decimal("0.01"), rounding=ROUND_DOWN
            )
            rows.append(
                {"period": period, "item": "iva_current", "value": str(value), "scope": code}
            )
            rows.extend(
                {"period": period, "item": item, "value": "0", "scope": code} for item in ZERO_ITEMS
            )
    return rows


def enterprises_demo(*, user=None) -> list[str]:
    """Register the demo enterprises, load their figures as approved history and decide
    the key units (with reasons). Returns summary lines."""
    from accounts.services import system_user
    from enterprises.models import Enterprise
    from enterprises.services import enterprise_save, key_unit_designate
    from indicators.exchange import item_specs
    from indicators.importing import parse_import_records
    from indicators.services import statistics_import

    user = user or system_user()
    created = 0
    for index, (name, industry, leading, department) in enumerate(ENTERPRISES):
        code = enterprise_code(index)
        if Enterprise.objects.filter(code=code).exists():
            continue
        enterprise_save(
            user=user,
            data={
                "code": code,
                "name": name,
                "industry": industry,
                "leading_industry": leading,
                "department": department,
                "above_scale": True,
                "contact_name": "能源管理员",
                "contact_phone": f"0534-2{index:06d}",
            },
            reason="演示数据 / demo",
        )
        created += 1
    from enterprises.manager_demo import self_reported

    # The quarter the demo's energy managers report themselves is theirs, not history.
    theirs = self_reported()
    rows = [r for r in demo_enterprise_rows() if (r["scope"], r["period"]) not in theirs]
    parsed = parse_import_records(rows, item_specs())
    outcome = statistics_import(parsed=parsed, user=user, source="demo", approve=True)
    decided = 0
    for index, year, designated, basis, reason in [
        *(
            (i, 2021, True, "threshold_10000", "2020年综合能耗超过1万吨标准煤")
            for i in KEY_UNITS_2021
        ),
        (ENTRANT, 2024, True, "threshold_10000", "2024年投产，年综合能耗预计超过1万吨标准煤"),
        (LEAVER, 2021, True, "threshold_10000", "2020年综合能耗超过1万吨标准煤"),
        (LEAVER, 2024, False, "other", "2023年底关停退出园区"),
    ]:
        enterprise = Enterprise.objects.get(code=enterprise_code(index))
        if enterprise.designations.filter(year=year, designated=designated).exists():
            continue
        key_unit_designate(
            user=user, enterprise=enterprise, designated=designated, basis=basis,
            year=year, reason=reason,
        )  # fmt: skip
        decided += 1
    return [
        f"企业 / enterprises: {created} registered, {outcome.to_create} figures written, "
        f"{decided} key-unit decisions"
    ]
