"""Reference data every install starts with: the GWP100 values of IPCC AR6 (management.md
§5) as factors of the library, version 1, sourced. Used by the data migration and safe to
run twice."""

from decimal import Decimal

GWP_SOURCE = "IPCC AR6 WG1 (2021), Table 7.15, GWP100; management.md §5 [S]"
GWP100_AR6 = (
    ("gwp.co2", "二氧化碳 CO₂", "Carbon dioxide CO₂", "1"),
    ("gwp.ch4_fossil", "甲烷 CH₄（化石源）", "Methane CH₄ (fossil)", "29.8"),
    ("gwp.ch4_non_fossil", "甲烷 CH₄（非化石源）", "Methane CH₄ (non-fossil)", "27.0"),
    ("gwp.n2o", "氧化亚氮 N₂O", "Nitrous oxide N₂O", "273"),
    ("gwp.sf6", "六氟化硫 SF₆", "Sulphur hexafluoride SF₆", "25200"),
    ("gwp.nf3", "三氟化氮 NF₃", "Nitrogen trifluoride NF₃", "17400"),
    ("gwp.hfc134a", "HFC-134a", "HFC-134a", "1530"),
    ("gwp.cf4", "四氟化碳 CF₄", "Tetrafluoromethane CF₄", "7380"),
)


def seed_gwp(EmissionFactor) -> int:
    created = 0
    for key, name_zh, name_en, value in GWP100_AR6:
        _, made = EmissionFactor.objects.get_or_create(
            key=key,
            year=2021,
            version=1,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "category": "gas",
                "value": Decimal(value),
                "unit": "kgCO₂e/kg",
                "source": GWP_SOURCE,
                "region": "全球",
                "is_current": True,
                "reason": "初始数据 / initial data",
            },
        )
        created += int(made)
    return created
