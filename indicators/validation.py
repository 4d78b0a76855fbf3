"""Validation rules of reported figures, shared by the entry form, uploads and the API.
Pure: values in, issues out; no database.

- hard rules refuse a value: a negative where impossible, a part exceeding its whole,
  feedstock exceeding fossil energy, a growth rate outside a sane range, a missing item
  when submitting;
- soft rules ask for an explanation: a change of more than 30 % on the same period last
  year, or an outlier against the item's history, must be explained in the figure's note
  before the department can submit.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

HARD = "hard"
SOFT = "soft"
YOY_CHANGE_NEEDING_NOTE = Decimal("0.30")
OUTLIER_SIGMAS = Decimal(3)
OUTLIER_MIN_HISTORY = 4
GROWTH_RATE_RANGE = (Decimal(-50), Decimal(100))  # year-to-date real growth, in %
GROWTH_ITEMS = {"iva_growth_ytd", "gdp_growth_ytd"}


@dataclass(frozen=True)
class ItemRule:
    code: str
    name_zh: str
    name_en: str
    non_negative: bool = True
    part_of: str | None = None


@dataclass(frozen=True)
class Issue:
    """One finding about one item. A soft issue with `explained` no longer blocks."""

    item: str
    severity: str
    code: str
    message_zh: str
    message_en: str
    explained: bool = False

    @property
    def blocks(self) -> bool:
        return self.severity == HARD or not self.explained

    def as_dict(self) -> dict:
        return {
            "item": self.item,
            "severity": self.severity,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "explained": self.explained,
            "blocks": self.blocks,
        }


def blocking(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.blocks]


def validate_values(
    values: Mapping[str, Decimal | None],
    notes: Mapping[str, str],
    *,
    rules: Mapping[str, ItemRule],
    same_period_last_year: Mapping[str, Decimal] | None = None,
    history: Mapping[str, list[Decimal]] | None = None,
    fossil_energy_tce: Decimal | None = None,
    required: set[str] | None = None,
) -> list[Issue]:
    """Every issue of one department's values for one period.

    `values` maps item code to the value (None: left empty); `required` (when submitting)
    lists the items that must have a value; `fossil_energy_tce` is the period's fossil
    energy computed from the same values, for the feedstock rule."""
    issues: list[Issue] = []
    same_period_last_year = same_period_last_year or {}
    history = history or {}
    for code in sorted(required or ()):
        if values.get(code) is None:
            rule = rules[code]
            issues.append(
                Issue(
                    code,
                    HARD,
                    "incomplete",
                    f"“{rule.name_zh}”未填写（无数据请填 0）。",
                    f"'{rule.name_en}' is empty (enter 0 if there is none).",
                )
            )
    for code, value in values.items():
        if value is None or code not in rules:
            continue
        rule = rules[code]
        note = (notes.get(code) or "").strip()
        if rule.non_negative and value < 0:
            issues.append(
                Issue(
                    code,
                    HARD,
                    "negative",
                    f"“{rule.name_zh}”不能为负数。",
                    f"'{rule.name_en}' cannot be negative.",
                )
            )
        if rule.part_of and values.get(rule.part_of) is not None:
            whole = values[rule.part_of]
            if value > whole:
                whole_rule = rules[rule.part_of]
                issues.append(
                    Issue(
                        code,
                        HARD,
                        "part_exceeds_whole",
                        f"“{rule.name_zh}”({value})不能大于“{whole_rule.name_zh}”({whole})。",
                        f"'{rule.name_en}' ({value}) cannot exceed '{whole_rule.name_en}' ({whole}).",
                    )
                )
        if (
            code == "energy_feedstock"
            and fossil_energy_tce is not None
            and value > (fossil_energy_tce)
        ):
            issues.append(
                Issue(
                    code,
                    HARD,
                    "feedstock_exceeds_energy",
                    f"用作原料的能源({value} tce)不能大于化石能源消费量({fossil_energy_tce:.1f} tce)。",
                    f"Feedstock energy ({value} tce) cannot exceed fossil energy "
                    f"({fossil_energy_tce:.1f} tce).",
                )
            )
        if code in GROWTH_ITEMS and not GROWTH_RATE_RANGE[0] <= value <= GROWTH_RATE_RANGE[1]:
            low, high = GROWTH_RATE_RANGE
            issues.append(
                Issue(
                    code,
                    HARD,
                    "growth_out_of_range",
                    f"“{rule.name_zh}”{value}% 超出合理范围({low}% 至 {high}%)，请核对。",
                    f"'{rule.name_en}' {value}% is outside the sane range ({low}% to {high}%).",
                )
            )
        last_year = same_period_last_year.get(code)
        if code not in GROWTH_ITEMS and last_year is not None and last_year > 0:
            change = value / last_year - 1
            if abs(change) > YOY_CHANGE_NEEDING_NOTE:
                percent = f"{change * 100:+.1f}%"
                issues.append(
                    Issue(
                        code,
                        SOFT,
                        "large_change",
                        f"“{rule.name_zh}”较上年同期变化 {percent}，超过 30%，请在备注中说明原因。",
                        f"'{rule.name_en}' changed {percent} on the same period last year "
                        "(more than 30%): explain it in the note.",
                        explained=bool(note),
                    )
                )
        past = history.get(code) or []
        if code not in GROWTH_ITEMS and len(past) >= OUTLIER_MIN_HISTORY:
            mean = statistics.fmean(float(v) for v in past)
            spread = statistics.pstdev(float(v) for v in past)
            if spread > 0 and abs(float(value) - mean) > float(OUTLIER_SIGMAS) * spread:
                issues.append(
                    Issue(
                        code,
                        SOFT,
                        "outlier",
                        f"“{rule.name_zh}”与历史数据差异异常(均值 {mean:.2f})，请在备注中说明原因。",
                        f"'{rule.name_en}' is an outlier against its history (mean {mean:.2f}): "
                        "explain it in the note.",
                        explained=bool(note),
                    )
                )
    return issues
