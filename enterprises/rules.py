"""The thresholds of management.md §1 as data: current Coefficient rows (versioned, with
their source, changed by an administrator with a reason), never literals in code. The
defaults below are what `enterprise_rules_seed` stores when a row is missing, and what is
used (and said to be used) if a database has none."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

KEY_UNIT_THRESHOLD = "enterprise.key_unit_threshold"
DESIGNATED_THRESHOLD = "enterprise.designated_threshold"
RECONCILIATION_TOLERANCE = "enterprise.reconciliation_tolerance"
BELOW_YEARS = "enterprise.key_unit_below_years"

DEFAULTS = {
    KEY_UNIT_THRESHOLD: (
        "10000", "tce", "重点用能单位年综合能耗门槛", "Key-unit threshold (annual energy)",
        "《重点用能单位节能管理办法》(2018) 第二条：年综合能源消费量一万吨标准煤以上", "S",
    ),
    DESIGNATED_THRESHOLD: (
        "5000", "tce", "指定重点用能单位年综合能耗门槛", "Designated key-unit threshold",
        "《重点用能单位节能管理办法》(2018) 第二条：有关部门指定的五千吨以上不满一万吨", "S",
    ),
    RECONCILIATION_TOLERANCE: (
        "0.005", "1", "企业合计超过园区数的容差", "Tolerance of Σ enterprises over the park",
        "management.md §1: tolerance default 0.5 %", "C",
    ),
    BELOW_YEARS: (
        "2", "年", "低于门槛连续年数(建议移出)", "Years below the threshold (suggest revoking)",
        "management.md §1: designated units that fell below it for two years", "C",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Rule:
    key: str
    value: Decimal
    unit: str
    version: int  # 0: the default, no stored row
    source: str


def rules() -> dict[str, Rule]:
    from indicators.models import Coefficient

    stored = {
        c.key: c
        for c in Coefficient.objects.filter(key__in=list(DEFAULTS), year=0, is_current=True)
    }
    answer = {}
    for key, (value, unit, _zh, _en, source, _tag) in DEFAULTS.items():
        row = stored.get(key)
        answer[key] = (
            Rule(key, row.value, row.unit, row.version, row.source)
            if row is not None
            else Rule(key, Decimal(value), unit, 0, source)
        )
    return answer


def enterprise_rules_seed(coefficient_model=None) -> int:
    """Store the default of every rule that has no row yet; returns how many were stored."""
    if coefficient_model is None:
        from indicators.models import Coefficient as coefficient_model
    created = 0
    for key, (value, unit, zh, en, source, tag) in DEFAULTS.items():
        _row, made = coefficient_model.objects.get_or_create(
            key=key,
            year=0,
            version=1,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "value": Decimal(value),
                "unit": unit,
                "source": source,
                "tag": tag,
                "is_current": True,
            },
        )
        created += made
    return created
