"""Pure rules of the supervision work on enterprises (issue 17 items 3–6): when a plan
measure is overdue, what the certificate counters count, where an enterprise stands against
an efficiency benchmark. No database, no Django: table-tested in tests/test_enterprise_work.py."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from indicators.periods import Period, PeriodError

# A measure this long past the end of its due quarter is red (else yellow).
RED_AFTER_DAYS = 90
FINISHED_STATES = frozenset({"done", "cancelled"})


def quarter_end(code: str) -> dt.date:
    """The last day of a quarter (2026Q3 → 2026-09-30); PeriodError if not a quarter."""
    period = Period.parse(code)
    if period.quarter is None:
        raise PeriodError(code)
    month = period.quarter * 3
    following = dt.date(period.year + (month == 12), month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def overdue_level(state: str, due_quarter: str, today: dt.date) -> str | None:
    """None while a measure is on time or finished; "yellow" once its due quarter has ended
    unfinished; "red" RED_AFTER_DAYS after that."""
    if state in FINISHED_STATES:
        return None
    late = (today - quarter_end(due_quarter)).days
    if late <= 0:
        return None
    return "red" if late > RED_AFTER_DAYS else "yellow"


@dataclass(frozen=True)
class Counter:
    key: str
    zh: str
    en: str
    kind: str
    level: str | None = None  # only certificates of this level
    stage: str | None = None  # only audits at this stage


# Counted per year: the number of distinct enterprises with such a certificate that year.
COUNTERS = (
    Counter("green_factory", "绿色工厂（各级）", "Green factories (all levels)", "green_factory"),
    Counter(
        "green_factory_national", "国家级绿色工厂", "National green factories", "green_factory",
        level="national",
    ),
    Counter(
        "green_factory_provincial", "省级绿色工厂", "Provincial green factories",
        "green_factory", level="provincial",
    ),
    Counter(
        "green_factory_municipal", "市级绿色工厂", "Municipal green factories", "green_factory",
        level="municipal",
    ),
    Counter("green_supply_chain", "绿色供应链", "Green supply chains", "green_supply_chain"),
    Counter(
        "clean_production_started", "清洁生产审核（启动）", "Clean-production audits started",
        "clean_production", stage="started",
    ),
    Counter(
        "clean_production_accepted", "清洁生产审核（验收）", "Clean-production audits accepted",
        "clean_production", stage="accepted",
    ),
    Counter("energy_audit", "能源审计/节能诊断", "Energy audits and diagnoses", "energy_audit"),
    Counter(
        "energy_management", "能源管理体系认证（GB/T 23331）",
        "Energy-management systems (GB/T 23331)", "energy_management",
    ),
    Counter(
        "carbon_management", "碳管理体系", "Carbon-management systems", "carbon_management"
    ),
)  # fmt: skip
COUNTER_KEYS = tuple(c.key for c in COUNTERS)
# The plan's work items that count enterprises (quantity unit 家) and the register's count
# that answers each: the reporting department's typed quantity is checked against it.
WORK_ITEM_COUNTERS = {
    "5.1": "green_factory",
    "5.3": "green_supply_chain",
    "12.3": "clean_production_started",
    "18.2": "energy_audit",
    "18.3": "plans",  # key units with a 一企一策 plan
}
PLANS_COUNTER = Counter("plans", "已制定一企一策方案的重点用能单位", "Key units with a plan", "")


def certificate_counts(rows: Iterable[tuple]) -> dict[tuple[str, int], int]:
    """(counter, year) → distinct enterprises, from rows (enterprise, kind, level, stage,
    year). An enterprise counts once per counter and year."""
    seen: dict[tuple[str, int], set] = defaultdict(set)
    for enterprise, kind, level, stage, year in rows:
        for counter in COUNTERS:
            if counter.kind != kind:
                continue
            if counter.level is not None and counter.level != level:
                continue
            if counter.stage is not None and counter.stage != stage:
                continue
            seen[(counter.key, year)].add(enterprise)
    return {key: len(enterprises) for key, enterprises in sorted(seen.items())}


def target_status(actual: int, target: int, year: int, today: dt.date) -> str:
    """achieved, in_progress (the year is not over) or missed."""
    if actual >= target:
        return "achieved"
    return "in_progress" if year >= today.year else "missed"


def benchmark_for(industry: str, benchmarks: Iterable) -> object | None:
    """The benchmark of the longest industry-code prefix of `industry` (a 4-digit class
    code matches 2-, 3- and 4-digit rows), the newest year first among equals; objects with
    `industry` and `year`."""
    best, best_key = None, None
    for row in benchmarks:
        if not row.industry or not industry.startswith(row.industry):
            continue
        key = (len(row.industry), row.year)
        if best_key is None or key > best_key:
            best, best_key = row, key
    return best


def benchmark_position(value: Decimal | None, advanced: Decimal, baseline: Decimal) -> str | None:
    """Where an energy use per unit stands (lower is better): "advanced" at or below the
    标杆, "baseline" at or below the 基准, "below_baseline" above it; None without a value."""
    if value is None:
        return None
    if value <= advanced:
        return "advanced"
    if value <= baseline:
        return "baseline"
    return "below_baseline"


POSITION_TEXT = {
    "advanced": ("达到标杆水平", "At the advanced level"),
    "baseline": ("达到基准水平", "At the baseline level"),
    "below_baseline": ("未达基准水平", "Below the baseline level"),
}


def plan_totals(measures: Iterable) -> dict[str, Decimal | int]:
    """Sums of a plan's measures (objects with savings_tce, savings_tco2, investment,
    state) and of its finished ones."""
    totals = {
        "count": 0, "done": 0, "savings_tce": Decimal(0), "savings_tco2": Decimal(0),
        "investment": Decimal(0), "done_savings_tce": Decimal(0),
    }  # fmt: skip
    for measure in measures:
        if measure.state == "cancelled":
            continue
        totals["count"] += 1
        totals["savings_tce"] += measure.savings_tce
        totals["savings_tco2"] += measure.savings_tco2
        totals["investment"] += measure.investment
        if measure.state == "done":
            totals["done"] += 1
            totals["done_savings_tce"] += measure.savings_tce
    return totals
