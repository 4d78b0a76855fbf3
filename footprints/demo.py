"""Demo data of the footprint accounting (`setup_park --demo`): a factor library with sources,
an industry reference, and studies of 新能源新材料 and 电子信息 products in every state — an
LFP cell footprinted two years running (the older one certified and labelled), a cathode
material with a co-product, a PCB assembly — made through the services by named people.
Factor values are illustrative (marked 示例取值 in their sources). Safe to run twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from accounts.models import User
from footprints import services
from footprints.models import EmissionFactor, IndustryReference, Study

DEMO_PASSWORD_NOTE = "same password as the other demo accounts"
CPCD = "中国产品全生命周期温室气体排放系数库 CPCD（示例取值）"
FACTORS = (
    ("lfp.cathode", "磷酸铁锂正极材料", "LFP cathode material", "material", "9.4", "kgCO₂e/kg", CPCD),
    ("graphite.anode", "石墨负极材料", "Graphite anode material", "material", "4.9", "kgCO₂e/kg", CPCD),
    ("electrolyte.lipf6", "六氟磷酸锂电解液", "LiPF₆ electrolyte", "material", "11.2", "kgCO₂e/kg", CPCD),
    ("copper.foil", "电解铜箔", "Copper foil", "material", "8.9", "kgCO₂e/kg", CPCD),
    ("aluminium.sheet", "铝箔及铝壳", "Aluminium foil and case", "material", "18.2", "kgCO₂e/kg", CPCD),
    ("separator.pe", "聚乙烯隔膜", "PE separator", "material", "5.7", "kgCO₂e/kg", CPCD),
    ("iron.phosphate", "磷酸铁", "Iron phosphate", "material", "2.6", "kgCO₂e/kg", CPCD),
    ("lithium.carbonate", "电池级碳酸锂", "Battery-grade lithium carbonate", "material", "12.4", "kgCO₂e/kg", CPCD),
    ("ccl.fr4", "FR-4 覆铜板", "FR-4 copper-clad laminate", "material", "26.5", "kgCO₂e/m²", CPCD),
    ("solder.sac305", "无铅焊料 SAC305", "Lead-free solder SAC305", "material", "17.6", "kgCO₂e/kg", CPCD),
    ("components.passive", "无源元器件", "Passive components", "material", "38.0", "kgCO₂e/kg", CPCD),
    ("truck.heavy", "重型柴油货车运输", "Heavy diesel truck", "transport", "0.078", "kgCO₂e/t·km",
     "生态环境部《企业温室气体排放核算与报告指南》道路运输（示例取值）"),
    ("rail.freight", "铁路货运", "Rail freight", "transport", "0.010", "kgCO₂e/t·km",
     "国家铁路局统计公报推算（示例取值）"),
)  # fmt: skip


def _line(
    no, name, stage, kind, quantity, unit, factor="", carrier="", quality="secondary", mass=None
):
    return services.LineInput(no, name, stage, kind, D(quantity), unit, factor, carrier, quality,
                              None if mass is None else D(mass))  # fmt: skip


def _cell_lines(electricity: str) -> list[services.LineInput]:
    return [
        _line(1, "磷酸铁锂正极材料", "raw_materials", "material", "2.1", "kg", "lfp.cathode", mass="2.1"),
        _line(2, "石墨负极材料", "raw_materials", "material", "0.95", "kg", "graphite.anode", mass="0.95"),
        _line(3, "电解液", "raw_materials", "material", "0.8", "kg", "electrolyte.lipf6", mass="0.8"),
        _line(4, "铜箔", "raw_materials", "material", "0.45", "kg", "copper.foil", mass="0.45"),
        _line(5, "铝箔与铝壳", "raw_materials", "material", "0.85", "kg", "aluminium.sheet", mass="0.85"),
        _line(6, "隔膜", "raw_materials", "material", "0.1", "kg", "separator.pe", mass="0.1"),
        _line(7, "外购电力", "production", "energy", electricity, "kWh", carrier="electricity", quality="primary"),
        _line(8, "天然气（烘烤）", "production", "energy", "0.0002", "万m³", carrier="natural_gas", quality="primary"),
        _line(9, "原料公路运输", "transport", "transport", "2.6", "t·km", "truck.heavy"),
        _line(10, "成品铁路运输", "transport", "transport", "4.5", "t·km", "rail.freight"),
    ]  # fmt: skip


def _person(username: str, role: str, department: str, name: str) -> User:
    from tasks.models import Department

    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "first_name": name,
            "department": Department.objects.get(code=department),
        },
    )
    if created:
        from accounts.demo import DEMO_PASSWORD

        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _enterprise(industry: str, fallback_name: str, first17: str):
    from enterprises.models import Enterprise
    from indicators.importing import credit_code_check_char
    from tasks.models import Department

    found = Enterprise.objects.filter(leading_industry=industry).order_by("code").first()
    if found is not None:
        return found
    return Enterprise.objects.create(
        code=first17 + credit_code_check_char(first17), name=fallback_name, industry="3841",
        leading_industry=industry, supervising_department=Department.objects.get(code="EIT"),
    )  # fmt: skip


def footprints_demo() -> list[str]:
    if Study.objects.exists():
        return ["演示碳足迹 / demo footprints: already present"]
    stats = User.objects.filter(role=User.Role.STATISTICS_OFFICE, is_active=True).first()
    clerk = _person("eco_clerk", User.Role.CLERK, "ECO", "生态环境分局填报员 赵敏")
    head = _person("eco_head", User.Role.HEAD, "ECO", "生态环境分局负责人 刘洋")
    for key, name_zh, name_en, category, value, unit, source in FACTORS:
        if not EmissionFactor.objects.filter(key=key).exists():
            services.factor_revise(
                key=key, year=2022, value=D(value), unit=unit, source=source, category=category,
                reason="演示因子库初始录入", user=stats, name_zh=name_zh, name_en=name_en,
            )  # fmt: skip
    reference = IndustryReference.objects.create(
        name_zh="磷酸铁锂储能电芯（280Ah）", leading_industry="new_energy_materials",
        declared_unit="1 个电芯", value=D("75"), year=2024, created_by=clerk,
        source="中国电子节能技术协会《锂离子电池产品碳足迹评价》团体标准征求意见稿（示例取值）",
    )  # fmt: skip
    battery = _enterprise("new_energy_materials", "德州锂能电池有限公司", "91371400MA3C00001")
    electronics = _enterprise("electronics", "德州华电子科技有限公司", "91371400MA3C00002")

    cell_2024 = services.study_create(
        user=clerk, enterprise=battery, product_key="lfp-cell-280", product_zh="磷酸铁锂储能电芯（280Ah）",
        product_en="LFP storage cell (280 Ah)", declared_unit="1 个电芯", reference_year=2024,
        reference=reference,
    )  # fmt: skip
    services.inventory_replace(study=cell_2024, lines=_cell_lines("13.5"), user=clerk,
                               omissions=[("绝缘胶带", D("0.02"))])  # fmt: skip
    services.study_submit(study=cell_2024, user=clerk)
    services.study_approve(study=cell_2024, user=head, comment="数据来源清楚，同意。")
    services.certificate_record(
        study=cell_2024, user=clerk, body="中国质量认证中心（CQC）", number="CQC25CF0137",
        label=True, valid_from=dt.date(2025, 3, 1), valid_to=dt.date(2027, 2, 28),
    )  # fmt: skip

    cell_2025 = services.study_create(
        user=clerk, enterprise=battery, product_key="lfp-cell-280", product_zh="磷酸铁锂储能电芯（280Ah）",
        product_en="LFP storage cell (280 Ah)", declared_unit="1 个电芯", reference_year=2025,
        reference=reference,
    )  # fmt: skip
    services.inventory_replace(study=cell_2025, lines=_cell_lines("11.8"), user=clerk)
    services.study_submit(study=cell_2025, user=clerk)

    cathode = services.study_create(
        user=clerk, enterprise=battery, product_key="lfp-cathode", product_zh="磷酸铁锂正极材料",
        product_en="LFP cathode material", declared_unit="1 kg", reference_year=2025,
        allocation="mass", shares=[("磷酸铁锂正极材料", D("92")), ("副产硫酸铵", D("8"))],
    )  # fmt: skip
    services.inventory_replace(
        study=cathode, user=clerk,
        lines=[
            _line(1, "磷酸铁", "raw_materials", "material", "0.98", "kg", "iron.phosphate", mass="0.98"),
            _line(2, "碳酸锂", "raw_materials", "material", "0.25", "kg", "lithium.carbonate", mass="0.25"),
            _line(3, "外购电力", "production", "energy", "6.2", "kWh", carrier="electricity", quality="primary"),
            _line(4, "天然气（烧结）", "production", "energy", "0.00008", "万m³", carrier="natural_gas", quality="primary"),
            _line(5, "公路运输", "transport", "transport", "0.4", "t·km", "truck.heavy"),
        ],
    )  # fmt: skip

    pcb = services.study_create(
        user=clerk, enterprise=electronics, product_key="pcba-ctrl", product_zh="工控主板组件（PCBA）",
        product_en="Industrial control board assembly (PCBA)", declared_unit="1 块", reference_year=2025,
    )  # fmt: skip
    services.inventory_replace(
        study=pcb, user=clerk,
        lines=[
            _line(1, "FR-4 覆铜板", "raw_materials", "material", "0.06", "m²", "ccl.fr4"),
            _line(2, "无铅焊料", "raw_materials", "material", "0.012", "kg", "solder.sac305", mass="0.012"),
            _line(3, "无源元器件", "raw_materials", "material", "0.035", "kg", "components.passive", mass="0.035"),
            _line(4, "SMT 产线电力", "production", "energy", "1.9", "kWh", carrier="electricity", quality="primary"),
            _line(5, "公路运输", "transport", "transport", "0.05", "t·km", "truck.heavy"),
        ],
    )  # fmt: skip
    services.study_submit(study=pcb, user=clerk)
    services.study_approve(study=pcb, user=head, comment="同意。")
    return [
        "演示碳足迹 / demo footprints: 4 studies (1 certified), "
        f"{len(FACTORS)} library factors; ECO accounts eco_clerk, eco_head",
    ]
