"""The units' responsibility assessment (目标责任评价考核) as pure calculations: the scheme's
rules checked, and each unit's component scores, total and grade computed from its records
(management.md §4). Nothing here touches the database: the inputs are the snapshot's plain
dicts (dates as ISO text), so a frozen snapshot gives the same scores whenever it is read.

Components (the default weights; a year's scheme may change them):
- targets (40): mean over the unit's judged targets of the score of each status
  (achieved 100, green 90, yellow 70, red 40, no data 0);
- work_items (30): 100 × (verified on time + 0.5 × verified late) ÷ parts due;
- timeliness (15): 100 × periods submitted by the deadline ÷ periods due − 5 per return,
  floor 0;
- warnings (15): 100 × warnings acknowledged within 5 working days ÷ warnings owned − 10 per
  overdue rectification, floor 0; working days on the official calendar the snapshot
  carries (public holidays and make-up working days, reporting.workdays).
A component without records gives its weight to the unit's other components in proportion
to their weights. Total = Σ weight × score ÷ 100 + the committee's adjustments (at most ±5
together). Grades: ≥ 90 优秀, ≥ 80 良好, ≥ 60 合格, else 不合格.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from dezhou_carbon.exceptions import ApplicationError
from indicators.numbers import decimal_text
from reporting.workdays import WEEKDAYS_ONLY, WorkCalendar

TARGETS, WORK_ITEMS, TIMELINESS, WARNINGS = "targets", "work_items", "timeliness", "warnings"
COMPONENTS = (TARGETS, WORK_ITEMS, TIMELINESS, WARNINGS)
STATUSES = ("achieved", "green", "yellow", "red", "no_data")
EXCELLENT, GOOD, PASS, FAIL, NOT_ASSESSED = "excellent", "good", "pass", "fail", "not_assessed"
GRADES = (EXCELLENT, GOOD, PASS, FAIL)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

DEFAULT_RULES = {
    "weights": {TARGETS: "40", WORK_ITEMS: "30", TIMELINESS: "15", WARNINGS: "15"},
    "status_scores": {
        "achieved": "100",
        "green": "90",
        "yellow": "70",
        "red": "40",
        "no_data": "0",
    },
    "late_verified_credit": "0.5",
    "return_deduction": "5",
    "response_working_days": 5,
    "overdue_rectification_deduction": "10",
    "adjustment_limit": "5",
    "grade_bands": [[EXCELLENT, "90"], [GOOD, "80"], [PASS, "60"]],
}


def _refuse(zh: str, en: str, code: str = "scheme_invalid") -> ApplicationError:
    return ApplicationError(zh, en, code=code)


def _number(raw, what_zh: str, what_en: str, *, low=None, high=None) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(
            f"{what_zh}不是有效数值：{raw}。", f"{what_en} is not a number: {raw}."
        ) from None
    if (
        not value.is_finite()
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        raise _refuse(
            f"{what_zh}超出允许范围（{low}—{high}）：{raw}。",
            f"{what_en} is out of range ({low}–{high}): {raw}.",
        )
    return value


def rules_checked(rules: dict) -> dict:
    """The scheme's rules normalised (numbers as plain decimal text), or refused in zh/en:
    weights of the four components that do not sum to 100, a status without a score,
    grade bands out of order. Pure."""
    if not isinstance(rules, dict):
        raise _refuse("考核方案格式无效。", "The scheme is not valid.")
    weights_in = rules.get("weights") or {}
    unknown = set(weights_in) - set(COMPONENTS)
    if unknown or set(weights_in) != set(COMPONENTS):
        raise _refuse(
            "考核方案须为四项考核内容（目标、工作要点、数据报送、预警响应）分别设定权重。",
            "The scheme must weight each of the four components (targets, work items, "
            "reporting, warning response).",
        )
    weights = {
        key: _number(weights_in[key], f"权重“{key}”", f"Weight '{key}'", low=0, high=100)
        for key in COMPONENTS
    }
    total = sum(weights.values())
    if total != HUNDRED:
        raise _refuse(
            f"各项权重之和须为100，现为{plain(total)}，未保存。",
            f"The weights must sum to 100; they sum to {plain(total)}. Nothing was saved.",
            code="weights_not_100",
        )
    scores_in = rules.get("status_scores") or {}
    if set(scores_in) != set(STATUSES):
        raise _refuse(
            "须为每种目标状态（达标、进展顺利、进度滞后、形势严峻、无数据）设定分值。",
            "Every target status (achieved, green, yellow, red, no data) needs a score.",
        )
    status_scores = {
        key: _number(scores_in[key], f"状态分值“{key}”", f"Status score '{key}'", low=0, high=100)
        for key in STATUSES
    }
    bands_in = rules.get("grade_bands") or []
    if [band[0] for band in bands_in if len(band) == 2] != [EXCELLENT, GOOD, PASS]:
        raise _refuse(
            "等次须依次设定优秀、良好、合格的分数线。",
            "Grade bands must give the thresholds of excellent, good and pass, in that order.",
        )
    bands = [
        [grade, _number(low, "等次分数线", "Grade threshold", low=0, high=100)]
        for grade, low in bands_in
    ]
    if not bands[0][1] > bands[1][1] > bands[2][1]:
        raise _refuse(
            "等次分数线须从优秀到合格依次降低。",
            "Grade thresholds must fall from excellent to pass.",
        )
    days = rules.get("response_working_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise _refuse(
            "预警响应时限须为1—60个工作日。",
            "The warning response window must be 1–60 working days.",
        )
    return {
        "weights": {key: plain(value) for key, value in weights.items()},
        "status_scores": {key: plain(value) for key, value in status_scores.items()},
        "late_verified_credit": plain(
            _number(
                rules.get("late_verified_credit", "0.5"),
                "逾期销号折算",
                "Late credit",
                low=0,
                high=1,
            )
        ),
        "return_deduction": plain(
            _number(
                rules.get("return_deduction", "5"), "退回扣分", "Return deduction", low=0, high=100
            )
        ),
        "response_working_days": days,
        "overdue_rectification_deduction": plain(
            _number(
                rules.get("overdue_rectification_deduction", "10"),
                "逾期整改扣分",
                "Overdue rectification deduction",
                low=0,
                high=100,
            )
        ),
        "adjustment_limit": plain(
            _number(
                rules.get("adjustment_limit", "5"), "加减分上限", "Adjustment limit", low=0, high=20
            )
        ),
        "grade_bands": [[grade, plain(low)] for grade, low in bands],
    }


def plain(value: Decimal) -> str:
    """A decimal as plain text without trailing zeros (40, 0.5, 87.25)."""
    return decimal_text(value)


def canonical_json(document) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def sha256_of(document) -> str:
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def working_days_between(
    start: dt.date, end: dt.date, calendar: WorkCalendar = WEEKDAYS_ONLY
) -> int:
    """Working days after `start` up to and including `end` (0 when end ≤ start) on the
    official calendar: public holidays do not count, make-up working days (调休上班) do
    (reporting.workdays; without a calendar, Monday to Friday)."""
    return calendar.working_days_between(start, end)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# --- one unit's scores --------------------------------------------------------------------------


@dataclass
class Line:
    """One record behind a component score: what it is, how it counted."""

    kind: str  # target / work_item / period / warning
    ref: str  # the record's code or id (the lineage page links it)
    outcome: str  # e.g. "green", "on_time", "late", "missed", "returned"
    value: Decimal | None  # what it adds to the numerator (or a status's score)
    record: dict = field(default_factory=dict)
    # A warning's response time on the official calendar (None: not answered by as_of).
    working_days: int | None = None


@dataclass
class Component:
    key: str
    weight: Decimal
    score: Decimal | None = None  # None: no records, its weight goes to the others
    effective_weight: Decimal = Decimal(0)
    numerator: Decimal = Decimal(0)
    denominator: int = 0
    deduction: Decimal = Decimal(0)
    lines: list[Line] = field(default_factory=list)

    @property
    def points(self) -> Decimal | None:
        if self.score is None:
            return None
        return self.effective_weight * self.score / HUNDRED


@dataclass
class UnitScore:
    department: str
    components: dict[str, Component]
    adjustments: Decimal = Decimal(0)
    base: Decimal | None = None
    total: Decimal | None = None
    grade: str = NOT_ASSESSED

    def as_dict(self) -> dict:
        return {
            "department": self.department,
            "base": _text(self.base),
            "adjustments": _text(self.adjustments),
            "total": _text(self.total),
            "grade": self.grade,
            "components": {
                key: {
                    "weight": plain(c.weight),
                    "effective_weight": _text(c.effective_weight),
                    "score": _text(c.score),
                    "points": _text(c.points),
                    "numerator": plain(c.numerator),
                    "denominator": c.denominator,
                    "deduction": plain(c.deduction),
                    "records": len(c.lines),
                }
                for key, c in self.components.items()
            },
        }


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _targets(records: list[dict], rules: dict, component: Component) -> None:
    scores = {key: Decimal(v) for key, v in rules["status_scores"].items()}
    for record in records:
        if record["status"] not in scores:
            continue  # not judged in the period (upcoming, base period, milestone under way)
        value = scores[record["status"]]
        component.lines.append(Line("target", record["code"], record["status"], value, record))
        component.numerator += value
        component.denominator += 1
    if component.denominator:
        component.score = component.numerator / component.denominator


def _work_items(records: list[dict], rules: dict, as_of: dt.date, component: Component) -> None:
    credit = Decimal(rules["late_verified_credit"])
    for record in records:
        due, verified = _date(record["due"]), _date(record.get("verified_on"))
        if verified is not None and verified <= due:
            outcome, value = "on_time", Decimal(1)
        elif verified is not None and verified <= as_of:
            outcome, value = "late", credit
        else:
            outcome, value = "missed", Decimal(0)
        component.lines.append(Line("work_item", record["code"], outcome, value, record))
        component.numerator += value
        component.denominator += 1
    if component.denominator:
        component.score = HUNDRED * component.numerator / component.denominator


def _timeliness(records: list[dict], rules: dict, component: Component) -> None:
    per_return = Decimal(rules["return_deduction"])
    for record in records:
        submitted, deadline = _date(record.get("submitted_on")), _date(record["deadline"])
        on_time = submitted is not None and submitted <= deadline
        outcome = "on_time" if on_time else ("late" if submitted is not None else "missing")
        value = Decimal(1) if on_time else Decimal(0)
        component.lines.append(Line("period", record["period"], outcome, value, record))
        component.numerator += value
        component.denominator += 1
        component.deduction += per_return * record.get("returns", 0)
    if component.denominator:
        raw = HUNDRED * component.numerator / component.denominator - component.deduction
        component.score = max(Decimal(0), raw)


def _warnings(
    records: list[dict], rules: dict, as_of: dt.date, component: Component, calendar: WorkCalendar
) -> None:
    window = rules["response_working_days"]
    per_overdue = Decimal(rules["overdue_rectification_deduction"])
    for record in records:
        raised, acknowledged = _date(record["raised_on"]), _date(record.get("acknowledged_on"))
        if acknowledged is None and working_days_between(raised, as_of, calendar) <= window:
            continue  # still inside its response window: not judged yet
        in_time = (
            acknowledged is not None
            and working_days_between(raised, acknowledged, calendar) <= window
        )
        value = Decimal(1) if in_time else Decimal(0)
        due, resolved = _date(record.get("due_date")), _date(record.get("resolved_on"))
        overdue = due is not None and ((resolved or as_of) > due)
        outcome = ("in_time" if in_time else "late") + ("_overdue" if overdue else "")
        took = working_days_between(raised, acknowledged, calendar) if acknowledged else None
        component.lines.append(
            Line("warning", str(record["id"]), outcome, value, record, working_days=took)
        )
        component.numerator += value
        component.denominator += 1
        if overdue:
            component.deduction += per_overdue
    if component.denominator:
        raw = HUNDRED * component.numerator / component.denominator - component.deduction
        component.score = max(Decimal(0), raw)


def grade_of(total: Decimal | None, rules: dict) -> str:
    if total is None:
        return NOT_ASSESSED
    rounded = total.quantize(CENT, rounding=ROUND_HALF_UP)
    for grade, low in rules["grade_bands"]:
        if rounded >= Decimal(low):
            return grade
    return FAIL


def unit_score(
    department: str,
    records: dict,
    rules: dict,
    *,
    as_of: dt.date,
    adjustments=(),
    calendar: WorkCalendar = WEEKDAYS_ONLY,
) -> UnitScore:
    """One unit's components, total and grade from its records (the snapshot's dicts) under
    `rules` (rules_checked), with the committee's adjustments (Decimals) added; working
    days on `calendar` (the snapshot's). Pure."""
    weights = {key: Decimal(value) for key, value in rules["weights"].items()}
    components = {key: Component(key, weights[key]) for key in COMPONENTS}
    _targets(records.get(TARGETS, []), rules, components[TARGETS])
    _work_items(records.get(WORK_ITEMS, []), rules, as_of, components[WORK_ITEMS])
    _timeliness(records.get(TIMELINESS, []), rules, components[TIMELINESS])
    _warnings(records.get(WARNINGS, []), rules, as_of, components[WARNINGS], calendar)
    present = [c for c in components.values() if c.score is not None]
    result = UnitScore(department, components, adjustments=sum(adjustments, Decimal(0)))
    present_weight = sum((c.weight for c in present), Decimal(0))
    if not present or not present_weight:
        return result
    all_weight = sum(weights.values(), Decimal(0))
    for c in present:
        c.effective_weight = c.weight * all_weight / present_weight
    result.base = sum((c.points for c in present), Decimal(0))
    result.total = result.base + result.adjustments
    result.grade = grade_of(result.total, rules)
    return result


def year_scores(
    snapshot: dict, rules: dict, adjustments: dict[str, list[Decimal]]
) -> list[UnitScore]:
    """Every unit of the snapshot scored and ranked (highest total first; units not assessed
    last; ties in the plan's order, the snapshot's "order"). Pure."""
    as_of = dt.date.fromisoformat(snapshot["as_of"])
    # A snapshot frozen before the calendar existed has none: Monday to Friday, as then.
    calendar = WorkCalendar.from_dict(snapshot.get("calendar"))
    scores = [
        unit_score(
            code,
            records,
            rules,
            as_of=as_of,
            adjustments=adjustments.get(code, ()),
            calendar=calendar,
        )
        for code, records in snapshot["units"].items()
    ]
    # The plan's order as a list: PostgreSQL's jsonb keeps an object's keys in its own order
    # (shorter first), so the units' dict read back from a frozen snapshot is not it.
    order = {code: i for i, code in enumerate(snapshot.get("order") or snapshot["units"])}
    return sorted(
        scores,
        key=lambda s: (s.total is None, -(s.total or 0), order.get(s.department, len(order))),
    )


def adjustment_check(existing: list[Decimal], points: Decimal, reason: str, rules: dict) -> None:
    """An adjustment needs a reason and keeps the unit's adjustments within ±limit."""
    if not (reason or "").strip():
        raise ApplicationError(
            "加减分须写明理由，未保存。",
            "An adjustment needs a reason. Nothing was saved.",
            code="reason_required",
        )
    limit = Decimal(rules["adjustment_limit"])
    if not points.is_finite() or points.normalize().as_tuple().exponent < -2:
        raise ApplicationError(
            f"加减分须为至多两位小数的数值（如1.5），现为{points}，未保存。",
            f"An adjustment must be a number with at most two decimals (e.g. 1.5), not "
            f"{points}. Nothing was saved.",
            code="invalid",
        )
    if points == 0:
        raise ApplicationError("加减分不能为0。", "An adjustment cannot be 0.", code="invalid")
    together = sum(existing, Decimal(0)) + points
    if abs(together) > limit:
        raise ApplicationError(
            f"加减分合计不得超过±{plain(limit)}分（加上本次为{plain(together)}分），未保存。",
            f"Adjustments together may not exceed ±{plain(limit)} points "
            f"({plain(together)} with this one). Nothing was saved.",
            code="adjustment_limit",
        )


def differences(frozen: list[dict], now: list[dict]) -> list[dict]:
    """Units whose total or grade differs between the frozen scores and a recomputation
    from today's records (after later revisions): shown, never applied. Pure."""
    before = {row["department"]: row for row in frozen}
    changed = []
    for row in now:
        old = before.get(row["department"])
        if old is None or old["total"] != row["total"] or old["grade"] != row["grade"]:
            changed.append(
                {
                    "department": row["department"],
                    "frozen_total": old["total"] if old else None,
                    "frozen_grade": old["grade"] if old else None,
                    "now_total": row["total"],
                    "now_grade": row["grade"],
                }
            )
    return changed
