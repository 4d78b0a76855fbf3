"""Reads of the committee's dashboards. Pages read stored results only (IndicatorResult,
written by the recompute), never figures through the engine, and every function here
answers with a fixed number of queries whatever the number of results, periods or scopes.

Vocabulary:
- a target's *judged* result for a period is the newest park result at or before that
  period whose active target is this target (after a target's year has passed, its final
  assessment stays on its card; a later target of the same indicator takes over);
- an *upcoming* target is one no result has been judged against yet (the 2030 target while
  the 2025 one is active): its card shows the indicator's current value and the target.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards.models import EarlyWarning, ProgressReport
from dashboards.services import target_owners
from dezhou_carbon import display
from dezhou_carbon.display import unit_label
from indicators.calculations import (
    ADDITIVE_INDICATORS,
    FOSSIL_FUELS,
    hold_margin,
    window_from_label,
)
from indicators.models import (
    PARK_SCOPE,
    DepartmentPeriod,
    Figure,
    Indicator,
    IndicatorResult,
    MethodTrace,
    RecomputeRequest,
    StatisticalItem,
    Target,
)
from indicators.numbers import decimal_text
from indicators.periods import period_code
from indicators.selectors import indicator_result_scopes
from reporting.models import ReportingRound
from reporting.services import departments_of_round
from tasks.models import Department, Plan, Responsibility, Task, WorkItem
from tasks.progress import MILESTONE_ACHIEVED, MILESTONE_RED, milestone_status
from tasks.selectors import plan_base_year

Status = IndicatorResult.Status
Variant = IndicatorResult.Variant
NEWEST_FIRST = ("-year", F("quarter").desc(nulls_first=True))  # the year after its Q3
# Statuses a card can have besides the engine's: a target not judged yet, the base period
# (not judged: the starting point) and a milestone (its work items instead of a number).
UPCOMING, BASE, MILESTONE = "upcoming", "base", "milestone"
COUNTED_STATUSES = [Status.ACHIEVED, Status.GREEN, Status.YELLOW, Status.RED, Status.NO_DATA]
OPEN_WARNINGS_SHOWN = 10
RECENT_ROUNDS = 8


# --- numbers and periods as pages show them ------------------------------------------------


def number_text(value, places: int = 2) -> str:
    """A stored decimal rounded half up for display, with thousands separators and the
    product's one minus sign (dezhou_carbon.display)."""
    return display.number(value, places)


def percent_text(fraction, places: int = 1, *, signed: bool = False) -> str:
    """A fraction as a percentage: 0.4751 → "47.5%"; signed: −0.2349 → "−23.5%"."""
    return display.percent(fraction, places, signed=signed, fraction=True)


def margin_text(margin, *, unit: str, places: int) -> str:
    """A signed distance in an indicator's unit: "+5.20 个百分点" for a share (a
    difference of percentages is in points), "−0.05 吨/万元" otherwise."""
    if margin is None:
        return "—"
    text = display.number(margin, places, signed=True)
    shown_unit = _("个百分点") if unit == "%" else unit
    return f"{text} {shown_unit}" if shown_unit else text


def bar_percent(fraction) -> int:
    """A fraction as the width of a small bar: 0–100."""
    if fraction is None:
        return 0
    return int(min(max(Decimal(fraction), Decimal(0)), Decimal(1)) * 100)


def period_key(period: str) -> tuple[int, int]:
    window = window_from_label(period)
    return (window.year, window.quarters)


def _up_to(period: str) -> Q:
    """Results of `period` and of every earlier window (a year comes after its Q3)."""
    window = window_from_label(period)
    if window.is_annual:
        return Q(year__lte=window.year)
    return Q(year__lt=window.year) | Q(year=window.year, quarter__lte=window.quarters)


def result_periods() -> list[str]:
    """Every period with a stored park result, newest first (one query)."""
    rows = (
        IndicatorResult.objects.filter(scope=PARK_SCOPE)
        .order_by()
        .values_list("year", "quarter")
        .distinct()
    )
    labels = {period_code(year, quarter) for year, quarter in rows}
    return sorted(labels, key=period_key, reverse=True)


def chosen_period(requested: str | None, periods: list[str]) -> str | None:
    """The requested period when it is stored, else the latest one."""
    if requested and requested in periods:
        return requested
    return periods[0] if periods else None


# --- the default period (issue 15 #1) -------------------------------------------------------


def rounds_of_period(period: str) -> list[str]:
    """The reporting rounds whose figures a result period is computed from: a quarter's
    own round; for a whole year, its fourth quarter's round and the yearly round."""
    window = window_from_label(period)
    if window.is_annual:
        return [f"{window.year}Q4", str(window.year)]
    return [period]


@dataclass
class RoundProgress:
    """An open reporting round that not every department has had approved yet."""

    period: str
    approved: int
    total: int


def rounds_in_progress() -> dict[str, RoundProgress]:
    """Open rounds with a department not approved yet, by period (three queries at most,
    whatever the number of rounds, departments or figures)."""
    open_rounds = list(
        ReportingRound.objects.filter(state=ReportingRound.State.OPEN).values_list(
            "period", "quarter"
        )
    )
    if not open_rounds:
        return {}
    reporting: dict[str, set[int]] = defaultdict(set)
    for frequency, department_id in (
        StatisticalItem.objects.order_by().values_list("frequency", "department_id").distinct()
    ):
        reporting[frequency].add(department_id)
    approved: dict[str, set[int]] = defaultdict(set)
    for period, department_id in DepartmentPeriod.objects.filter(
        period__in=[period for period, _quarter in open_rounds],
        state=DepartmentPeriod.State.APPROVED,
    ).values_list("period", "department_id"):
        approved[period].add(department_id)
    answer = {}
    for period, quarter in open_rounds:
        expected = reporting[StatisticalItem.Frequency.QUARTER if quarter else "year"]
        done = len(expected & approved[period])
        if done < len(expected):
            answer[period] = RoundProgress(period, done, len(expected))
    return answer


@dataclass
class PeriodChoice:
    """The period a dashboard shows. By default the latest period whose reporting is
    settled (every round it is computed from closed or approved by every department, or
    no round at all: figures imported for past years), so one department's early approval
    does not empty the committee's cards for the whole reporting window; the newer period
    with results stays one click away."""

    periods: list[str]  # every period with stored results, newest first
    period: str | None  # the one shown
    settled: str | None  # the default
    newer: str | None  # the newest period with results, when reporting on it is in progress
    progress: RoundProgress | None  # that period's round (departments approved / expected)
    requested: bool  # chosen by the reader (?period=), not the default
    unsettled: frozenset = frozenset()  # periods whose reporting is in progress

    @property
    def shows_unsettled(self) -> bool:
        """The period shown is one whose reporting is still in progress."""
        return self.period is not None and self.period in self.unsettled


def period_choice(requested: str | None) -> PeriodChoice:
    """The period to show for `?period=` (ignored unless it has results): four queries."""
    periods = result_periods()
    in_progress = rounds_in_progress()
    unsettled = frozenset(
        period
        for period in periods
        if any(code in in_progress for code in rounds_of_period(period))
    )
    settled = next((period for period in periods if period not in unsettled), None)
    newest = periods[0] if periods else None
    newer = newest if newest in unsettled else None
    progress = None
    if newer is not None:
        progress = next(
            (in_progress[code] for code in rounds_of_period(newer) if code in in_progress), None
        )
    chosen = requested if requested and requested in periods else None
    return PeriodChoice(
        periods=periods,
        period=chosen or settled or newest,
        settled=settled,
        newer=newer,
        progress=progress,
        requested=chosen is not None,
        unsettled=unsettled,
    )


def chosen_variant(requested: str | None) -> str:
    return requested if requested in Variant.values else Variant.PLAIN


def variant_label(variant: str) -> str:
    return str(Variant(variant).label) if variant in Variant.values else variant


# --- target cards (overview, big screen, plan board, department page) ------------------------


def target_value_text(target: Target, value, *, unit: str, places: int) -> str:
    """What a target promises, as the cards and tables say it."""
    if target.kind == Target.Kind.MILESTONE:
        return "—"
    if target.kind == Target.Kind.INCREASE:
        if value is not None:  # the base year's value it must go beyond
            text = number_text(value, places)
            beyond = f"{text} {unit}" if unit else text
            return _("高于%(value)s") % {"value": beyond}
        return _("高于%(year)s年") % {"year": target.base_year or ""}
    if target.awaits_value:
        return _("目标值待管理员设定")
    if value is None and target.kind in (
        Target.Kind.REDUCTION_VS_BASE,
        Target.Kind.REDUCTION_VS_TARGET,
    ):
        return _("较%(year)s年下降%(percent)s%%") % {
            "year": target.base_year or "",
            "percent": decimal_text(target.value),
        }
    text = number_text(target.value if value is None else value, places)
    return f"{text} {unit}" if unit else text


@dataclass
class TargetCard:
    """One target as the overview shows it for a period and an assessment variant."""

    target: Target
    status: str
    result: IndicatorResult | None = None  # judged against this target
    current: IndicatorResult | None = None  # the indicator's newest value (upcoming targets)
    owner: Department | None = None
    work_items: list[WorkItem] = field(default_factory=list)
    task_items: list[WorkItem] = field(default_factory=list)
    missing: MissingInput | None = None  # why a "no data" card has no value
    # A quarter's card of an additive level target (revenue): the indicator's last complete
    # year with its completion against the target it was judged by (`last_year_target`),
    # shown beside the year-to-date completion (issue 16 #7: "or shows the last complete
    # year beside it"). Read in the cards' own queries (an annotation, then in_bulk).
    last_year: IndicatorResult | None = None
    last_year_target: str = ""

    @property
    def last_year_value_text(self) -> str:
        if self.last_year is None or self.last_year.value is None:
            return "—"
        return number_text(self.last_year.value, self.places)

    @property
    def last_year_completion_text(self) -> str:
        return percent_text(self.last_year.completion) if self.last_year else "—"

    @property
    def code(self) -> str:
        return self.target.code

    @property
    def indicator(self) -> Indicator | None:
        return self.target.indicator

    @property
    def shown(self) -> IndicatorResult | None:
        return self.result or self.current

    @property
    def places(self) -> int:
        return self.indicator.decimal_places if self.indicator else 2

    @property
    def unit(self) -> str:
        return unit_label(self.indicator.unit) if self.indicator else ""

    @property
    def is_milestone(self) -> bool:
        return self.target.kind == Target.Kind.MILESTONE

    @property
    def variant(self) -> str:
        return self.shown.variant if self.shown else ""

    @property
    def variant_label(self) -> str:
        return variant_label(self.variant) if self.variant else ""

    @property
    def value_text(self) -> str:
        shown = self.shown
        if shown is None or shown.value is None:
            return "—"
        return number_text(shown.value, self.places)

    @property
    def pending_base(self) -> bool:
        return bool(self.result and self.result.target_pending_base)

    @property
    def pending_base_year(self):
        base = self.target.base_target
        return base.target_year if base is not None else self.target.base_year

    @property
    def target_text(self) -> str:
        if self.pending_base:
            return _("待%(year)s年基数") % {"year": self.pending_base_year}
        value = self.result.target_value if self.result else None
        # The unit is on the card once, beside the actual value.
        return target_value_text(self.target, value, unit="", places=self.places)

    @property
    def target_awaits_value(self) -> bool:
        return self.target.awaits_value

    @property
    def period(self) -> str:
        return self.shown.period if self.shown else ""

    @property
    def provisional(self) -> bool:
        return bool(self.shown and self.shown.provisional)

    @property
    def completion(self):
        return self.result.completion if self.result else None

    @property
    def time_progress(self):
        return self.result.time_progress if self.result else None

    @property
    def is_hold(self) -> bool:
        return self.target.kind == Target.Kind.HOLD

    @property
    def hold_margin(self):
        """A hold target's room to its threshold (its completion means nothing)."""
        if not self.is_hold or self.result is None or self.indicator is None:
            return None
        return hold_margin(self.result.value, self.result.target_value, self.indicator.direction)

    @property
    def hold_margin_text(self) -> str:
        return margin_text(self.hold_margin, unit=self.unit, places=self.places)

    @property
    def completion_text(self) -> str:
        return percent_text(self.completion)

    @property
    def time_progress_text(self) -> str:
        return percent_text(self.time_progress)

    @property
    def completion_bar(self) -> int:
        return bar_percent(self.completion)

    @property
    def time_progress_bar(self) -> int:
        return bar_percent(self.time_progress)

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def items_done(self) -> int:
        return sum(1 for item in self.task_items if item.verified_at is not None)


def status_label(status: str) -> str:
    if status in Status.values:
        return str(Status(status).label)
    return {
        UPCOMING: _("未到考核期"),
        BASE: _("基准期"),
        MILESTONE: _("推进中"),
        "": _("不评价"),
    }.get(status, status)


def status_legend() -> list[tuple[str, str]]:
    return [(status, status_label(status)) for status in COUNTED_STATUSES]


def _quarter_year(period: str | None) -> int | None:
    """The year of a quarter's period (2026Q3 → 2026); None for a year or no period."""
    if not period or "Q" not in period:
        return None
    try:
        return int(period[:4])
    except ValueError:
        return None


def _latest_result_id(results, period: str | None) -> Subquery:
    results = results.filter(scope=PARK_SCOPE)
    if period:
        results = results.filter(_up_to(period))
    return Subquery(results.order_by(*NEWEST_FIRST).values("pk")[:1])


def _common_length(a: str, b: str) -> int:
    """Length of the longest common substring (short titles only)."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def _milestone_items(targets: list[Target]) -> dict[int, tuple[list[WorkItem], list[WorkItem]]]:
    """For each milestone target: (the work items tied to it as its milestone — 11.4 for
    T16 —, every work item of its tasks). Two queries."""
    milestones = {t.pk for t in targets if t.kind == Target.Kind.MILESTONE}
    if not milestones:
        return {}
    task_items: dict[int, list[WorkItem]] = defaultdict(list)
    for item in (
        WorkItem.objects.filter(task__targets__in=milestones)
        .annotate(of_target=F("task__targets"))
        .order_by("task__order", "order")
    ):
        task_items[item.of_target].append(item)
    ties: dict[int, set[int]] = defaultdict(set)
    for target_id, item_id in WorkItem.targets.through.objects.filter(
        target_id__in=milestones
    ).values_list("target_id", "workitem_id"):
        ties[target_id].add(item_id)
    return {
        target_id: (
            [i for i in task_items[target_id] if i.pk in ties[target_id]],
            task_items[target_id],
        )
        for target_id in milestones
    }


def _milestone_status(target: Target, items: list[WorkItem]) -> str:
    """Achieved when every tied item is verified (销号); red once the target's year has
    passed without that; a milestone in progress before (tasks.progress)."""
    status = milestone_status(
        target_year=target.target_year,
        items_verified=[item.verified_at is not None for item in items],
        today=timezone.localdate(),
    )
    return {MILESTONE_ACHIEVED: Status.ACHIEVED, MILESTONE_RED: Status.RED}.get(status, MILESTONE)


def target_cards(*, period: str | None, variant: str = "", owners: bool = True) -> list[TargetCard]:
    """A card per target for `period` (results at or before it) and the assessment variant
    (for indicators that have it; others show their statistical value). Five queries, and
    three more with the owning departments."""
    variant = chosen_variant(variant)
    plain = IndicatorResult.objects.filter(variant=Variant.PLAIN)
    annotations = {
        "judged_plain": _latest_result_id(plain.filter(target=OuterRef("pk")), period),
        "current_plain": _latest_result_id(plain.filter(indicator=OuterRef("indicator")), period),
    }
    if variant:
        chosen = IndicatorResult.objects.filter(variant=variant)
        annotations["judged_variant"] = _latest_result_id(
            chosen.filter(target=OuterRef("pk")), period
        )
        annotations["current_variant"] = _latest_result_id(
            chosen.filter(indicator=OuterRef("indicator")), period
        )
    quarter_year = _quarter_year(period)
    if quarter_year is not None:
        annotations["last_year"] = Subquery(
            plain.filter(
                indicator=OuterRef("indicator"),
                scope=PARK_SCOPE,
                quarter__isnull=True,
                year__lt=quarter_year,
            )
            .order_by("-year")
            .values("pk")[:1]
        )
    targets = list(
        Target.objects.select_related("indicator", "base_target")
        .order_by("plan_id", "order")
        .annotate(**annotations)
    )
    ids = {getattr(t, name) for t in targets for name in annotations} - {None}
    results = IndicatorResult.objects.in_bulk(ids) if ids else {}
    milestone_items = _milestone_items(targets)
    code_of = {t.pk: t.code for t in targets}
    owner_of = target_owners() if owners else {}
    cards = []
    for target in targets:
        judged = results.get(getattr(target, "judged_variant", None)) or results.get(
            target.judged_plain
        )
        current = results.get(getattr(target, "current_variant", None)) or results.get(
            target.current_plain
        )
        card = TargetCard(target=target, status=Status.NO_DATA, owner=owner_of.get(target.pk))
        if target.kind == Target.Kind.MILESTONE:
            card.work_items, card.task_items = milestone_items.get(target.pk, ([], []))
            card.status = _milestone_status(target, card.work_items)
        elif judged is not None:
            card.result = judged
            card.status = judged.status or BASE
            if (
                judged.quarter is not None
                and target.kind == Target.Kind.LEVEL
                and target.indicator.code in ADDITIVE_INDICATORS
            ):
                card.last_year = results.get(getattr(target, "last_year", None))
                if card.last_year is not None:
                    card.last_year_target = code_of.get(card.last_year.target_id, "")
        elif (
            current is not None
            and target.target_year is not None
            and target.target_year > current.year
        ):
            card.current, card.status = current, UPCOMING
        cards.append(card)
    reasons = missing_inputs(
        [card.result for card in cards if card.status == Status.NO_DATA and card.result]
    )
    for card in cards:
        if card.result is not None and card.result.pk in reasons:
            card.missing = reasons[card.result.pk]
    return cards


# --- why a card has no data (issue 15 #11) ----------------------------------------------------

# The engine reports the statistics department's energy form as one missing input.
ENERGY_FORM = "energy_form"


@dataclass
class MissingInput:
    """What a "no data" card waits for: the item, in words, and the department that reports
    it, with that department's state in the round, and where the round's progress is."""

    item_code: str
    item_name: str
    department: Department | None
    period: str  # the round whose figures are missing
    state: str
    state_label: str

    @property
    def board_url(self) -> str:
        return f"/reporting/{self.period}/board/"


def _missing_item_code(document: dict) -> str | None:
    """The input the engine found missing (`method.missing`), the energy form as its first
    item."""
    code = (document or {}).get("missing")
    if code == ENERGY_FORM:
        return FOSSIL_FUELS[0]
    return code or None


def missing_inputs(results: list[IndicatorResult]) -> dict[int, MissingInput]:
    """For each result without a value (by id): the missing item, its department and that
    department's state for the result's round. Three queries whatever the number."""
    empty = [r for r in results if r.value is None and r.trace_id is not None]
    if not empty:
        return {}
    traces = MethodTrace.objects.in_bulk({r.trace_id for r in empty})
    codes = {
        r.pk: _missing_item_code(traces[r.trace_id].document) for r in empty if r.trace_id in traces
    }
    codes = {pk: code for pk, code in codes.items() if code}
    items = {
        item.code: item
        for item in StatisticalItem.objects.filter(code__in=set(codes.values())).select_related(
            "department"
        )
    }
    by_pk = {r.pk: r for r in empty}
    rounds = {code for pk in codes for code in rounds_of_period(by_pk[pk].period)}
    states = {
        (department_id, period): state
        for department_id, period, state in DepartmentPeriod.objects.filter(
            period__in=rounds, department_id__in={i.department_id for i in items.values()}
        ).values_list("department_id", "period", "state")
    }
    answer = {}
    for pk, code in codes.items():
        item = items.get(code)
        result = by_pk[pk]
        if item is None:
            answer[pk] = MissingInput(code, code, None, result.period, "", "")
            continue
        # The round the item's department has not had approved (else the result's own).
        quarterly = item.frequency == StatisticalItem.Frequency.QUARTER
        candidates = [
            period
            for period in rounds_of_period(result.period)
            if window_from_label(period).is_annual != quarterly
        ] or [result.period]
        late = next(
            (
                period
                for period in candidates
                if states.get((item.department_id, period)) != DepartmentPeriod.State.APPROVED
            ),
            candidates[0],
        )
        state = states.get((item.department_id, late), NOT_STARTED)
        energy_form = traces[result.trace_id].document.get("missing") == ENERGY_FORM
        answer[pk] = MissingInput(
            item_code=code,
            item_name=_("能源消费表（分品种能源消费量）") if energy_form else item.name,
            department=item.department,
            period=late,
            state=state,
            state_label=_state_label(state),
        )
    return answer


def status_counts(cards: list[TargetCard]) -> list[tuple[str, str, int]]:
    """(status, label, number of cards) for achieved, green, yellow, red and no data."""
    counts = Counter(card.status for card in cards)
    return [(status, status_label(status), counts.get(status, 0)) for status in COUNTED_STATUSES]


# --- overview --------------------------------------------------------------------------------


@dataclass
class CompletenessRow:
    department: Department
    state: str
    state_label: str

    @property
    def done(self) -> bool:
        return self.state in (DepartmentPeriod.State.SUBMITTED, DepartmentPeriod.State.APPROVED)


@dataclass
class Completeness:
    """A round's figures (each department's submission state) and, in a quarter's round,
    its task reports beside them (each unit's open parts, how many it reported and how
    many its head approved: issue 16 #2, the completeness board covers task reports like
    figures)."""

    reporting_round: ReportingRound
    rows: list[CompletenessRow]
    parts: list = field(default_factory=list)  # tasks.selectors.PartCompletenessRow

    @property
    def done(self) -> int:
        return sum(1 for row in self.rows if row.done)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def parts_due(self) -> int:
        return sum(row.due for row in self.parts)

    @property
    def parts_reported(self) -> int:
        return sum(min(row.reported, row.due) for row in self.parts)

    @property
    def parts_approved(self) -> int:
        return sum(min(row.approved, row.due) for row in self.parts)


NOT_STARTED = "not_started"


def _state_label(state: str) -> str:
    if state in DepartmentPeriod.State.values:
        return str(DepartmentPeriod.State(state).label)
    return _("未开始")


def latest_round_completeness(*, parts: bool = True) -> Completeness | None:
    """The newest reporting round and each of its departments' submission state (four
    queries) and, for a quarter's round, each unit's task parts reported and approved in
    that quarter (three more; `parts=False`: not read, as on the big screen, which shows
    the figures' ring only)."""
    from tasks.selectors import part_completeness

    reporting_round = (
        ReportingRound.objects.order_by("-year", F("quarter").desc(nulls_last=True), "-pk")
        .only("pk", "period", "year", "quarter", "deadline", "state")
        .first()
    )
    if reporting_round is None:
        return None
    states = dict(
        DepartmentPeriod.objects.filter(period=reporting_round.period).values_list(
            "department_id", "state"
        )
    )
    rows = []
    for department in departments_of_round(reporting_round):
        state = states.get(department.pk, NOT_STARTED)
        rows.append(CompletenessRow(department, state, _state_label(state)))
    with_parts = parts and reporting_round.quarter
    parts = part_completeness(reporting_round.period) if with_parts else []
    return Completeness(reporting_round, rows, parts)


def open_warnings(*, user, department: Department | None = None, limit: int = OPEN_WARNINGS_SHOWN):
    """(the newest live warnings `user` may see, how many they are): two queries. Pages
    list no title the person could not open (the warnings' one visibility rule). With no
    user (the big screen, one page for every viewer): no titles, only how many are live."""
    if user is None:
        return [], EarlyWarning.objects.live().count()
    warnings = EarlyWarning.objects.visible_to(user).live()
    if department is not None:
        warnings = warnings.filter(department=department)
    shown = list(
        warnings.select_related("department", "target").order_by("-created_at", "-pk")[:limit]
    )
    return shown, warnings.count()


@dataclass
class Overview:
    periods: list[str]
    period: str | None
    choice: PeriodChoice
    variant: str
    cards: list[TargetCard]
    counts: list[tuple[str, str, int]]
    warnings: list[EarlyWarning]
    warnings_open: int
    completeness: Completeness | None

    @property
    def variants(self) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in Variant.choices]


def overview(
    *,
    user=None,
    period: str | None = None,
    variant: str | None = None,
    choice: PeriodChoice | None = None,
    task_parts: bool = True,
) -> Overview:
    """The overview of the period chosen by `period_choice` (pass `choice` when the caller
    already has it), with the live warnings `user` may see (no user: their count only, no
    titles — the big screen is one page for every viewer)."""
    choice = choice or period_choice(period)
    period = choice.period
    variant = chosen_variant(variant)
    cards = target_cards(period=period, variant=variant)
    warnings, warnings_open = open_warnings(user=user)
    return Overview(
        periods=choice.periods,
        period=period,
        choice=choice,
        variant=variant,
        cards=cards,
        counts=status_counts(cards),
        warnings=warnings,
        warnings_open=warnings_open,
        completeness=latest_round_completeness(parts=task_parts),
    )


# --- indicator page --------------------------------------------------------------------------


@dataclass
class InputFigure:
    pk: int
    department: str
    item: str
    period: str

    @property
    def history_url(self) -> str:
        return f"/reporting/{self.period}/history/{self.department}/?item={self.item}"


def _figures_api_url(result: IndicatorResult) -> str:
    ids = ",".join(str(pk) for pk in result.input_figure_ids or ())
    return f"/api/v1/figures/?ids={ids}"


def _plain(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def note_label(note: str) -> str:
    """One of the engine's notes (method["notes"]) in the page's language."""
    return {
        "target_value_not_set": _("目标值待管理员设定"),
        "target_pending_base": _("目标基数尚未产生"),
        "base_value_missing": _("缺少基准年数值"),
        "inputs_missing": _("输入数据不全"),
    }.get(note, note)


@dataclass
class ResultRow:
    """One stored value with its assessment variants and its method trace."""

    result: IndicatorResult
    indicator: Indicator
    variant_slots: list[tuple[str, IndicatorResult | None]]  # each variant the indicator has
    inputs: list[InputFigure]

    @property
    def period(self) -> str:
        return self.result.period

    @property
    def value_text(self) -> str:
        return number_text(self.result.value, self.indicator.decimal_places)

    @property
    def change_vs_base_text(self) -> str:
        return percent_text(self.result.change_vs_base, 2, signed=True)

    @property
    def change_yoy_text(self) -> str:
        """Year on year: a share's change in percentage points (个百分点), recovered exactly
        from the stored value and relative change (year ago = value ÷ (1 + change)); any
        other indicator's relative change in per cent."""
        change = self.result.change_yoy
        if self.indicator.unit == "%" and change is not None and self.result.value is not None:
            if change == -1:
                return "—"
            value = self.result.value
            return display.points(value - value / (1 + change), 2)
        return percent_text(change, 2, signed=True)

    @property
    def target_text(self) -> str:
        target = self.result.target
        if target is None:
            return "—"
        if self.result.target_pending_base:
            base = target.base_target.target_year if target.base_target else target.base_year
            return _("待%(year)s年基数") % {"year": base}
        return target_value_text(
            target,
            self.result.target_value,
            unit=unit_label(self.indicator.unit),
            places=self.indicator.decimal_places,
        )

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def status_label(self) -> str:
        return status_label(self.result.status)

    @property
    def method(self) -> dict:
        return self.result.method or {}

    @property
    def coefficients(self) -> list[dict]:
        """Each coefficient used: key, value (without trailing zeros), version, year."""
        used = sorted((self.method.get("coefficients") or {}).values(), key=lambda c: c["key"])
        return [{**c, "value": decimal_text(c.get("value")) or ""} for c in used]

    @property
    def variant_traces(self) -> list[tuple[str, str, int, str]]:
        """(variant, formula, number of inputs, figures API address) of each variant."""
        return [
            (
                variant_label(result.variant),
                (result.method or {}).get("formula", ""),
                len(result.input_figure_ids or ()),
                _figures_api_url(result),
            )
            for result in self.variants
        ]

    @property
    def rule_versions(self) -> list[tuple[str, object]]:
        rules = self.method.get("rules") or {}
        return sorted((rules.get("versions") or {}).items())

    @property
    def rules(self) -> list[tuple[str, object]]:
        rules = self.method.get("rules") or {}
        return [(key, value) for key, value in sorted(rules.items()) if key != "versions"]

    @property
    def rules_text(self) -> list[tuple[str, str]]:
        """Each counting rule the computation used, as `key: name=value, …`."""
        answer = []
        for key, value in self.rules:
            if isinstance(value, dict):
                value = ", ".join(f"{k}={_plain(v)}" for k, v in sorted(value.items()))
            answer.append((key, _plain(value)))
        return answer

    @property
    def notes(self) -> list[str]:
        return [note_label(note) for note in self.method.get("notes") or ()]

    @property
    def input_groups(self) -> list[tuple[str, str, list[InputFigure]]]:
        """The input figures by (period, department), in period order."""
        groups: dict[tuple[str, str], list[InputFigure]] = {}
        for figure in self.inputs:
            groups.setdefault((figure.period, figure.department), []).append(figure)
        return [(period, department, figures) for (period, department), figures in groups.items()]

    @property
    def figures_api_url(self) -> str:
        return _figures_api_url(self.result)

    @property
    def variants(self) -> list[IndicatorResult]:
        return [result for _variant, result in self.variant_slots if result is not None]

    @property
    def variant_cells(self) -> list[tuple[str, IndicatorResult | None, str]]:
        places = self.indicator.decimal_places
        return [
            (variant, result, number_text(result.value, places) if result else "—")
            for variant, result in self.variant_slots
        ]


@dataclass
class IndicatorPage:
    indicator: Indicator
    scope: str
    scopes: list[str]
    targets: list[Target]
    base_year: int | None
    rows: list[ResultRow]
    variants: list[str]  # the assessment variants this indicator has (besides plain)
    series: dict  # pure chart input (see dashboards.charts.indicator_figure)

    @property
    def variant_labels(self) -> list[tuple[str, str]]:
        return [(v, variant_label(v)) for v in self.variants]


def _period_order(result: IndicatorResult) -> tuple[int, int]:
    return (result.year, result.quarter or 4)


def indicator_page(code: str, *, scope: str = PARK_SCOPE) -> IndicatorPage:
    """Every stored value of one indicator and scope with its variants, targets and the
    input figures of every row (their departments and items in one query). Five queries."""
    indicator = get_object_or_404(Indicator, code=code)
    targets = [
        t
        for t in indicator.targets.select_related("plan", "base_target").order_by(
            "target_year", "order"
        )
        if t.kind != Target.Kind.MILESTONE
    ]
    scopes = sorted(set(indicator_result_scopes(indicator.pk)) | {PARK_SCOPE})
    results = list(
        IndicatorResult.objects.filter(indicator=indicator, scope=scope).select_related(
            "target", "target__base_target", "trace"
        )
    )
    by_period: dict[str, dict[str, IndicatorResult]] = defaultdict(dict)
    for result in results:
        by_period[result.period][result.variant] = result
    variants = [v for v in Variant.values if v and any(r.variant == v for r in results)]
    ids = {pk for result in results for pk in result.input_figure_ids or ()}
    figures = {}
    if ids:
        for pk, department, item, period in Figure.objects.filter(pk__in=ids).values_list(
            "pk", "department__code", "item__code", "period"
        ):
            figures[pk] = InputFigure(pk, department, item, period)
    rows = []
    for period in sorted(by_period, key=period_key, reverse=True):
        found = by_period[period]
        main = found.get(Variant.PLAIN) or next(iter(found.values()))
        inputs = sorted(
            (figures[pk] for pk in main.input_figure_ids or () if pk in figures),
            key=lambda f: (period_key(f.period), f.department, f.item),
        )
        rows.append(
            ResultRow(
                result=main,
                indicator=indicator,
                variant_slots=[
                    (v, found.get(v) if found.get(v) is not main else None) for v in variants
                ],
                inputs=inputs,
            )
        )
    base_year = targets[0].plan.base_year if targets else plan_base_year(default=None)
    series = chart_series(indicator, results, targets, base_year=base_year)
    return IndicatorPage(
        indicator=indicator,
        scope=scope,
        scopes=scopes,
        targets=targets,
        base_year=base_year,
        rows=rows,
        variants=variants,
        series=series,
    )


def chart_series(
    indicator: Indicator, results: list[IndicatorResult], targets: list[Target], *, base_year
) -> dict:
    """The plain data dashboards.charts.indicator_figure draws (no model instances)."""

    def points(variant: str) -> list[tuple[int, int | None, str, Decimal]]:
        return [
            (r.year, r.quarter, r.period, r.value)
            for r in sorted(results, key=_period_order)
            if r.variant == variant and r.value is not None
        ]

    return {
        "code": indicator.code,
        "unit": unit_label(indicator.unit),  # the chart is cached per language
        "path_kind": indicator.path_kind,
        "decimal_places": indicator.decimal_places,
        "base_year": base_year,
        "points": points(Variant.PLAIN),
        "variants": {
            v: points(v) for v in Variant.values if v and any(r.variant == v for r in results)
        },
        "targets": [
            {
                "code": t.code,
                "kind": t.kind,
                "value": t.value,
                "target_year": t.target_year,
                "base_year": t.base_year,
                "original": t.original,  # the plan's promise before governed changes
            }
            for t in targets
            if t.target_year is not None
        ],
    }


# --- plan board ------------------------------------------------------------------------------


@dataclass
class TaskBoardRow:
    task: Task
    lead: Responsibility | None
    supports: list[Responsibility]
    target_cards: list[TargetCard]
    work_items: list[WorkItem]
    reports: list[ProgressReport]

    @property
    def items_done(self) -> int:
        """Items the committee verified (销号): nothing counts as done by declaration."""
        return sum(1 for item in self.work_items if item.verified_at is not None)


@dataclass
class PlanBoard:
    plan: Plan | None
    sections: list[tuple[object, list[TaskBoardRow]]]
    period: str | None


def _work_items_with_parts():
    from tasks.models import WorkItemPart

    return WorkItem.objects.order_by("order").prefetch_related(
        Prefetch(
            "parts",
            queryset=WorkItemPart.objects.select_related("department").order_by("order", "pk"),
            to_attr="part_list",
        ),
        Prefetch("targets", queryset=Target.objects.order_by("order"), to_attr="target_list"),
    )


def _dress_items(items: list[WorkItem], cards: dict) -> None:
    """Each item's derived state (tasks.progress, from its parts' reports) as `item.row`,
    and for an item restating computed targets their statuses as `item.target_statuses`
    instead of a hand-set one. Two queries."""
    from tasks.selectors import item_rows

    for row in item_rows(items):
        row.item.row = row
        row.item.target_statuses = [
            (t.code, cards[t.pk].status, cards[t.pk].status_label)
            for t in row.item.target_list
            if t.pk in cards and t.kind != Target.Kind.MILESTONE
        ]


def plan_board() -> PlanBoard:
    """Sections → tasks and policy innovations: lead and supporting units, each task's
    targets with their latest status, work items, and the lead's progress reports.
    A fixed number of queries."""
    plan = Plan.objects.order_by("pk").first()
    if plan is None:
        return PlanBoard(plan=None, sections=[], period=None)
    period = chosen_period(None, result_periods())
    cards = {card.target.pk: card for card in target_cards(period=period, owners=False)}
    reports: dict[int, list[ProgressReport]] = defaultdict(list)
    for report in ProgressReport.objects.filter(task__plan=plan).select_related(
        "submitted_by", "department"
    ):
        reports[report.task_id].append(report)
    tasks = Task.objects.order_by("order").prefetch_related(
        Prefetch(
            "responsibilities",
            queryset=Responsibility.objects.select_related("department").lead_first(),
        ),
        Prefetch("targets", queryset=Target.objects.order_by("order").only("pk", "order")),
        Prefetch("work_items", queryset=_work_items_with_parts()),
    )
    sections = []
    section_list = list(
        plan.sections.order_by("order").prefetch_related(Prefetch("tasks", queryset=tasks))
    )
    _dress_items(
        [
            item
            for section in section_list
            for t in section.tasks.all()
            for item in t.work_items.all()
        ],
        cards,
    )
    for section in section_list:
        rows = []
        for task in section.tasks.all():
            responsibilities = list(task.responsibilities.all())
            lead = task.lead
            rows.append(
                TaskBoardRow(
                    task=task,
                    lead=lead,
                    supports=[r for r in responsibilities if lead is None or r.pk != lead.pk],
                    target_cards=[cards[t.pk] for t in task.targets.all() if t.pk in cards],
                    work_items=list(task.work_items.all()),
                    reports=reports.get(task.pk, []),
                )
            )
        sections.append((section, rows))
    return PlanBoard(plan=plan, sections=sections, period=period)


# --- department page -------------------------------------------------------------------------


@dataclass
class RoundState:
    reporting_round: ReportingRound
    state: str
    state_label: str


@dataclass
class DepartmentPage:
    department: Department
    lead_tasks: list[TaskBoardRow]
    support_tasks: list[TaskBoardRow]
    items: list[StatisticalItem]
    rounds: list[RoundState]
    warnings: list[EarlyWarning]
    warnings_open: int
    departments: list[Department]


def department_page(code: str, *, user) -> DepartmentPage:
    """A responsible unit: its tasks (lead, support) with their targets' status and work
    items, the items it reports, its submissions in recent rounds and its open warnings."""
    department = get_object_or_404(Department, code=code)
    period = chosen_period(None, result_periods())
    cards = {card.target.pk: card for card in target_cards(period=period, owners=False)}
    responsibilities = list(
        Responsibility.objects.filter(department=department)
        .select_related("task", "task__section")
        .prefetch_related(
            Prefetch(
                "task__responsibilities",
                queryset=Responsibility.objects.select_related("department").lead_first(),
            ),
            Prefetch(
                "task__targets", queryset=Target.objects.order_by("order").only("pk", "order")
            ),
            Prefetch("task__work_items", queryset=WorkItem.objects.order_by("order")),
        )
        .order_by("task__order")
    )
    lead_tasks, support_tasks = [], []
    for responsibility in responsibilities:
        task = responsibility.task
        others = list(task.responsibilities.all())
        lead = task.lead
        row = TaskBoardRow(
            task=task,
            lead=lead,
            supports=[r for r in others if lead is None or r.pk != lead.pk],
            target_cards=[cards[t.pk] for t in task.targets.all() if t.pk in cards],
            work_items=list(task.work_items.all()),
            reports=[],
        )
        (lead_tasks if responsibility.role == Responsibility.Role.LEAD else support_tasks).append(
            row
        )
    items = list(StatisticalItem.objects.filter(department=department).order_by("order", "code"))
    frequencies = {item.frequency for item in items}
    wanted = Q()
    if StatisticalItem.Frequency.QUARTER in frequencies:
        wanted |= Q(quarter__isnull=False)
    if StatisticalItem.Frequency.YEAR in frequencies:
        wanted |= Q(quarter__isnull=True)
    rounds = (
        list(
            ReportingRound.objects.filter(wanted).order_by(
                "-year", F("quarter").desc(nulls_last=True), "-pk"
            )[:RECENT_ROUNDS]
        )
        if frequencies
        else []
    )
    states = dict(
        DepartmentPeriod.objects.filter(
            department=department, period__in=[r.period for r in rounds]
        ).values_list("period", "state")
    )
    round_states = [
        RoundState(r, states.get(r.period, NOT_STARTED), _state_label(states.get(r.period, "")))
        for r in rounds
    ]
    warnings, warnings_open = open_warnings(user=user, department=department, limit=50)
    return DepartmentPage(
        department=department,
        lead_tasks=lead_tasks,
        support_tasks=support_tasks,
        items=items,
        rounds=round_states,
        warnings=warnings,
        warnings_open=warnings_open,
        departments=list(Department.objects.filter(is_active=True).order_by("order")),
    )


# --- heatmap ---------------------------------------------------------------------------------


@dataclass
class HeatmapRow:
    target: Target
    cells: list[tuple[str, str, str, str]]  # (period, status, label, value text) per column


@dataclass
class Heatmap:
    periods: list[str]
    rows: list[HeatmapRow]
    variant: str
    annual_only: bool

    @property
    def years(self) -> list[tuple[int, int]]:
        """(year, number of columns) for the header row above the periods."""
        counts = Counter(period_key(p)[0] for p in self.periods)
        return sorted(counts.items())


def heatmap(*, variant: str | None = None, annual_only: bool = False) -> Heatmap:
    """Targets × periods, each cell the status of the result judged against that target
    (three queries: targets, periods, statuses)."""
    variant = chosen_variant(variant)
    periods = sorted(result_periods(), key=period_key)
    if annual_only:
        periods = [p for p in periods if window_from_label(p).is_annual]
    targets = list(Target.objects.select_related("indicator").exclude(kind=Target.Kind.MILESTONE))
    found: dict[tuple[int, str], tuple[str, object]] = {}
    rows = IndicatorResult.objects.filter(scope=PARK_SCOPE, target__isnull=False)
    rows = rows.filter(variant__in={Variant.PLAIN, variant})
    # The chosen variant wins over the plain value where the indicator has it.
    for target_id, period, status, value, row_variant in rows.order_by().values_list(
        "target_id", "period", "status", "value", "variant"
    ):
        if row_variant == variant or (target_id, period) not in found:
            found[(target_id, period)] = (status, value)
    labels = {status: status_label(status) for status in [*COUNTED_STATUSES, BASE]}
    table = []
    for target in sorted(targets, key=lambda t: (t.plan_id, t.order)):
        places = target.indicator.decimal_places if target.indicator else 2
        cells = []
        for period in periods:
            status, value = found.get((target.pk, period), (None, None))
            if status is None:
                cells.append((period, "none", "", ""))
            else:
                status = status or BASE
                cells.append((period, status, labels[status], number_text(value, places)))
        table.append(HeatmapRow(target, cells))
    return Heatmap(periods=periods, rows=table, variant=variant, annual_only=annual_only)


@dataclass
class RecomputeState:
    """Whether results are being recomputed (a request pending or running, as /health/
    sees them) and when the last recompute finished: pages say "updating" meanwhile."""

    pending: bool
    last_result_at: object  # datetime | None

    @property
    def key(self) -> str:
        """For cache keys of pages that show the notice."""
        stamp = self.last_result_at.isoformat() if self.last_result_at else "-"
        return f"{int(self.pending)}@{stamp}"


def recompute_state() -> RecomputeState:
    """One query (two while updating when no recompute request has finished yet: the
    results' own time then)."""
    found = RecomputeRequest.objects.aggregate(
        pending=Count(
            "pk",
            filter=Q(status__in=[RecomputeRequest.Status.PENDING, RecomputeRequest.Status.RUNNING]),
        ),
        last=Max("updated_at", filter=Q(status=RecomputeRequest.Status.DONE)),
    )
    last = found["last"]
    if found["pending"] and last is None:
        last = IndicatorResult.objects.aggregate(last=Max("computed_at"))["last"]
    return RecomputeState(pending=bool(found["pending"]), last_result_at=last)


# --- big screen ------------------------------------------------------------------------------

BIGSCREEN_TRENDS = ("energy_intensity_iva", "non_fossil_share")
ON_TRACK = (Status.ACHIEVED, Status.GREEN)


@dataclass
class DepartmentRank:
    """A responsible unit on the big screen's ranking: its targets on track out of those
    judged, and its open warnings."""

    department: Department
    judged: int
    on_track: int
    warnings_open: int

    @property
    def share(self):
        return Decimal(self.on_track) / Decimal(self.judged) if self.judged else None

    @property
    def share_text(self) -> str:
        return percent_text(self.share, 0)

    @property
    def bar(self) -> int:
        return bar_percent(self.share)


def department_ranking(cards: list[TargetCard], open_by_department: dict[int, int]):
    """Responsible units ranked by the share of their judged targets on track (achieved or
    green), then by fewer open warnings, then by the plan's order. Pure."""
    ranks: dict[int, DepartmentRank] = {}
    for card in cards:
        if card.owner is None or card.status not in COUNTED_STATUSES:
            continue
        rank = ranks.setdefault(
            card.owner.pk,
            DepartmentRank(card.owner, 0, 0, open_by_department.get(card.owner.pk, 0)),
        )
        rank.judged += 1
        rank.on_track += card.status in ON_TRACK
    return sorted(
        ranks.values(),
        key=lambda r: (-(r.share or 0), r.warnings_open, r.department.order, r.department.code),
    )


@dataclass
class BigScreen:
    overview: Overview
    gauges: list[TargetCard]  # every target with a number (milestones apart)
    milestones: list[TargetCard]
    warnings_by_level: list[tuple[str, str, int]]  # (level, label, open warnings)
    warnings_by_state: list[tuple[str, str, int]]
    ranking: list[DepartmentRank]

    @property
    def completeness_percent(self) -> int:
        completeness = self.overview.completeness
        if not completeness or not completeness.total:
            return 0
        return int(100 * completeness.done / completeness.total)


def bigscreen(choice: PeriodChoice) -> BigScreen:
    """What the meeting-room screen shows for the chosen period: a fixed number of queries."""
    data = overview(choice=choice, task_parts=False)
    live = EarlyWarning.objects.exclude(state=EarlyWarning.State.CLOSED)
    levels = dict(live.order_by().values_list("level").annotate(n=Count("pk")))
    states = dict(live.order_by().values_list("state").annotate(n=Count("pk")))
    by_department = dict(
        live.filter(department__isnull=False)
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("pk"))
    )
    return BigScreen(
        overview=data,
        gauges=[card for card in data.cards if not card.is_milestone],
        milestones=[card for card in data.cards if card.is_milestone],
        warnings_by_level=[
            (level, str(label), levels.get(level, 0))
            for level, label in reversed(EarlyWarning.Level.choices)
        ],
        warnings_by_state=[
            (state, str(label), states.get(state, 0))
            for state, label in EarlyWarning.State.choices
            if state != EarlyWarning.State.CLOSED
        ],
        ranking=department_ranking(data.cards, by_department),
    )


def trend_series(code: str, *, period: str | None) -> dict | None:
    """The chart input of one indicator's park values up to `period` (three queries)."""
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        return None
    targets = [
        t
        for t in indicator.targets.select_related("plan").order_by("target_year", "order")
        if t.kind != Target.Kind.MILESTONE
    ]
    results = IndicatorResult.objects.filter(indicator=indicator, scope=PARK_SCOPE)
    if period:
        results = results.filter(_up_to(period))
    base_year = targets[0].plan.base_year if targets else plan_base_year(default=None)
    return {
        "name": indicator.name,
        **chart_series(indicator, list(results), targets, base_year=base_year),
    }
