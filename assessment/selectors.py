"""Reads of the assessment: the scheme in force for a year, the snapshot of the records
behind every unit's scores (targets it owns, its work-item parts due, its department
periods, its warnings), the scores of a year (signed off, frozen, or a preview) and a
unit's lineage. A fixed number of queries whatever the number of units or records.

`year_scores(year)` is the one read other apps use (the pilot report): the signed-off scores
when the year is signed off, else its frozen or previewed ones, each row marked with where
it comes from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from assessment import calculations as calc
from assessment.models import Adjustment, Assessment, Consequence, Explanation, Scheme
from audit.models import AuditEvent
from dashboards.cache import cached
from dashboards.models import EarlyWarning
from indicators.calculations import window_from_label
from indicators.models import DepartmentPeriod, StatisticalItem
from indicators.periods import Period, PeriodError, period_code
from reporting.models import ReportingRound
from tasks.models import Department, WorkItemPart
from tasks.progress import due_date, quarter_end

SIGNED_OFF, FROZEN, PREVIEW = "signed_off", "frozen", "preview"


def scheme_for(year: int) -> Scheme | None:
    """The year's current scheme, else the default (year 0)."""
    schemes = {s.year: s for s in Scheme.objects.filter(year__in=[year, 0], is_current=True)}
    return schemes.get(year) or schemes.get(0)


def scheme_versions() -> list[Scheme]:
    return list(Scheme.objects.select_related("approved_by", "recorded_by"))


def checked_period(period: str) -> str:
    """A period code of a quarter or a year, canonical; refused otherwise."""
    from dezhou_carbon.exceptions import ApplicationError

    try:
        return Period.parse(period).code
    except PeriodError:
        raise ApplicationError(
            f"期间“{period}”无效：应为年（2026）或季度（2026Q3）。",
            f"Period '{period}' is not valid: give a year (2026) or a quarter (2026Q3).",
            code="invalid_period",
        ) from None


def period_end(period: str) -> dt.date:
    window = window_from_label(period)
    return quarter_end(window.year, 4 if window.is_annual else window.quarters)


def as_of_date(period: str, today: dt.date | None = None) -> dt.date:
    """What the period's assessment sees: its end, or today while it is still running."""
    return min(period_end(period), today or timezone.localdate())


def _local_date(moment: dt.datetime | None) -> str | None:
    return timezone.localdate(moment).isoformat() if moment else None


def _target_records(period: str, codes: dict[int, str]) -> dict[str, list[dict]]:
    from dashboards.selectors import target_cards

    records: dict[str, list[dict]] = defaultdict(list)
    for card in target_cards(period=period):
        if card.owner is None:
            continue
        records[codes[card.owner.pk]].append(
            {
                "code": card.target.code,
                "target_id": card.target.pk,
                "title": card.target.title_zh,
                "status": str(card.status),
                "result_id": card.result.pk if card.result else None,
                "period": card.result.period if card.result else "",
            }
        )
    return records


def _work_item_records(year: int, as_of: dt.date, codes) -> dict[str, list[dict]]:
    records: dict[str, list[dict]] = defaultdict(list)
    parts = (
        WorkItemPart.objects.filter(work_item__due_year=year)
        .select_related("work_item", "work_item__task")
        .order_by("work_item__task__order", "work_item__order", "order")
    )
    for part in parts:
        item = part.work_item
        due = due_date(item.due_year, item.due_quarter)
        if due is None or due > as_of:
            continue
        verified = timezone.localdate(item.verified_at) if item.verified_at else None
        records[codes[part.department_id]].append(
            {
                "code": item.code,
                "work_item_id": item.pk,
                "task": item.task.code,
                "title": item.title_zh,
                "role": part.role,
                "due": due.isoformat(),
                "verified_on": verified.isoformat() if verified and verified <= as_of else None,
            }
        )
    return records


def _period_records(year: int, as_of: dt.date, codes) -> dict[str, list[dict]]:
    rounds = [
        r
        for r in ReportingRound.objects.filter(year=year).order_by("quarter")
        if r.deadline <= as_of
    ]
    if not rounds:
        return {}
    periods = [r.period for r in rounds]
    reporting = defaultdict(set)
    for frequency, department_id in StatisticalItem.objects.values_list(
        "frequency", "department_id"
    ).distinct():
        reporting[frequency].add(department_id)
    end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    events = AuditEvent.objects.filter(
        object_type="department_period", period__in=periods, at__lt=end
    )
    first_submit = {
        (row["department_code"], row["period"]): row["first"]
        for row in events.filter(action="submit")
        .values("department_code", "period")
        .annotate(first=Min("at"))
    }
    returns = defaultdict(list)
    for code, period, pk in events.filter(action="return").values_list(
        "department_code", "period", "pk"
    ):
        returns[(code, period)].append(pk)
    rows = {
        (row.department_id, row.period): row
        for row in DepartmentPeriod.objects.filter(period__in=periods)
    }
    records: dict[str, list[dict]] = defaultdict(list)
    for reporting_round in rounds:
        for department_id in sorted(reporting[reporting_round.frequency], key=codes.order):
            code = codes[department_id]
            key = (code, reporting_round.period)
            submitted = first_submit.get(key)
            row = rows.get((department_id, reporting_round.period))
            if submitted is None and row is not None:
                # History loaded as approved (imports) has no submit event: its own times.
                submitted = row.submitted_at or row.decided_at
                if submitted is not None and submitted >= end:
                    submitted = None
            records[code].append(
                {
                    "period": reporting_round.period,
                    "deadline": reporting_round.deadline.isoformat(),
                    "submitted_on": _local_date(submitted),
                    "state": row.state if row else "",
                    "returns": len(returns.get(key, [])),
                    "return_event_ids": returns.get(key, []),
                }
            )
    return records


def _warning_records(year: int, as_of: dt.date, codes) -> dict[str, list[dict]]:
    start = timezone.make_aware(dt.datetime.combine(dt.date(year, 1, 1), dt.time()))
    end = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    records: dict[str, list[dict]] = defaultdict(list)
    warnings = EarlyWarning.objects.filter(
        department__isnull=False, created_at__gte=start, created_at__lt=end
    ).order_by("created_at", "pk")
    answered = {
        EarlyWarning.State.ACKNOWLEDGED,
        EarlyWarning.State.RESOLVED,
        EarlyWarning.State.CLOSED,
    }
    for warning in warnings.only(
        "pk", "department_id", "kind", "level", "title_zh", "created_at", "state",
        "acknowledged_at", "signed_off_at", "due_date", "resolved_at",
    ):  # fmt: skip
        acknowledged = warning.signed_off_at or (
            warning.acknowledged_at if warning.state in answered else None
        )
        if acknowledged is not None and acknowledged >= end:
            acknowledged = None
        resolved = (
            warning.resolved_at if warning.resolved_at and warning.resolved_at < end else None
        )
        records[codes[warning.department_id]].append(
            {
                "id": warning.pk,
                "title": warning.title_zh,
                "level": warning.level,
                "raised_on": _local_date(warning.created_at),
                "acknowledged_on": _local_date(acknowledged),
                "due_date": warning.due_date.isoformat() if warning.due_date else None,
                "resolved_on": _local_date(resolved),
            }
        )
    return records


class _Codes(dict):
    """Department id → code, and each unit's place in the plan's order."""

    def __init__(self, departments):
        super().__init__((d.pk, d.code) for d in departments)
        self._order = {d.pk: i for i, d in enumerate(departments)}

    def order(self, department_id: int) -> int:
        return self._order.get(department_id, len(self._order))


def snapshot_build(period: str, *, today: dt.date | None = None) -> dict:
    """Every unit's records for `period` (a quarter: the year so far; a year: the whole
    year), as plain JSON: what the scores are computed from and what the lineage shows."""
    period = checked_period(period)
    window = window_from_label(period)
    as_of = as_of_date(period, today)
    departments = list(Department.objects.filter(is_active=True).order_by("order", "code"))
    codes = _Codes(departments)
    parts = {
        calc.TARGETS: _target_records(period, codes),
        calc.WORK_ITEMS: _work_item_records(window.year, as_of, codes),
        calc.TIMELINESS: _period_records(window.year, as_of, codes),
        calc.WARNINGS: _warning_records(window.year, as_of, codes),
    }
    from reporting.selectors import work_calendar

    return {
        "period": period,
        "year": window.year,
        "as_of": as_of.isoformat(),
        # The official calendar's days of the year and the next (a warning raised in late
        # December is answered in January), frozen with the records.
        "calendar": work_calendar().as_dict(years=[window.year, window.year + 1]),
        "units": {
            d.code: {key: parts[key].get(d.code, []) for key in calc.COMPONENTS}
            for d in departments
        },
        "names": {d.code: [d.name_zh, d.name_en] for d in departments},
        "order": [d.code for d in departments],
    }


def adjustments_of(assessment: Assessment | None) -> dict[str, list[Decimal]]:
    if assessment is None:
        return {}
    found: dict[str, list[Decimal]] = defaultdict(list)
    for code, points in Adjustment.objects.filter(assessment=assessment).values_list(
        "department__code", "points"
    ):
        found[code].append(points)
    return found


@dataclass
class YearView:
    """A year's (or a quarter's) scores as the pages, exports and API read them."""

    period: str
    source: str  # signed_off / frozen / preview
    scheme: Scheme
    snapshot: dict
    scores: list[calc.UnitScore]
    assessment: Assessment | None = None

    @property
    def rules(self) -> dict:
        return self.scheme.rules

    def rows(self) -> list[dict]:
        return [score.as_dict() for score in self.scores]


def assessment_of(year: int) -> Assessment | None:
    return (
        Assessment.objects.select_related("scheme", "frozen_by", "signed_off_by")
        .filter(year=year)
        .first()
    )


def _preview(period: str) -> dict:
    """A preview's snapshot, cached under the results and page generations (a recompute,
    a submission, a warning's or a work item's change make a new one)."""
    from indicators.cache import page_generation

    return cached(
        ("assessment-preview", page_generation(), period, timezone.localdate().isoformat()),
        lambda: snapshot_build(period),
    )


def year_view(period: str) -> YearView | None:
    """The frozen or signed-off assessment when `period` is a year that has one; else a
    preview computed from today's records under the year's scheme. None without a scheme."""
    period = checked_period(period)
    window = window_from_label(period)
    assessment = assessment_of(window.year) if window.is_annual else None
    if assessment is not None:
        scheme, snapshot = assessment.scheme, assessment.snapshot
        source = SIGNED_OFF if assessment.signed_off else FROZEN
    else:
        scheme = scheme_for(window.year)
        if scheme is None:
            return None
        snapshot, source = _preview(period), PREVIEW
    scores = calc.year_scores(snapshot, scheme.rules, adjustments_of(assessment))
    return YearView(period, source, scheme, snapshot, scores, assessment)


def year_scores(year: int) -> list[dict]:
    """The units' scores of `year` for other apps (the pilot report): signed off when the
    year is, else frozen, else a preview of the year so far. Each row: department code and
    names, base, adjustments, total, grade (calculations.GRADES or not_assessed),
    components, and `source` (signed_off / frozen / preview)."""
    view = year_view(str(year))
    if view is None:
        return []
    names = view.snapshot.get("names", {})
    stored = None
    if view.source == SIGNED_OFF and view.assessment.scores:
        stored = view.assessment.scores["rows"]
    rows = stored or view.rows()
    return [
        {
            **row,
            "name_zh": names.get(row["department"], ["", ""])[0],
            "name_en": names.get(row["department"], ["", ""])[1],
            "source": view.source,
        }
        for row in rows
    ]


def recomputation_differences(assessment: Assessment) -> list[dict]:
    """A frozen or signed-off year recomputed from today's records (after later revisions):
    the units whose total or grade would differ. Shown beside the frozen scores; nothing
    stored changes."""
    now = _preview(str(assessment.year))
    adjustments = adjustments_of(assessment)
    frozen = calc.year_scores(assessment.snapshot, assessment.scheme.rules, adjustments)
    fresh = calc.year_scores(now, assessment.scheme.rules, adjustments)
    return calc.differences([s.as_dict() for s in frozen], [s.as_dict() for s in fresh])


def unit_extras(assessment: Assessment | None, department: Department) -> dict:
    """A unit's explanations, adjustments and rewards/sanctions in the year (three queries)."""
    if assessment is None:
        return {"explanations": [], "adjustments": [], "consequences": []}
    return {
        "explanations": list(
            Explanation.objects.filter(assessment=assessment, department=department).select_related(
                "written_by"
            )
        ),
        "adjustments": list(
            Adjustment.objects.filter(assessment=assessment, department=department).select_related(
                "recorded_by"
            )
        ),
        "consequences": list(
            Consequence.objects.filter(assessment=assessment, department=department).select_related(
                "recorded_by"
            )
        ),
    }


def consequences_of(assessment: Assessment | None) -> list[Consequence]:
    if assessment is None:
        return []
    return list(
        Consequence.objects.filter(assessment=assessment).select_related(
            "department", "recorded_by"
        )
    )


def adjustment_rows(assessment: Assessment | None) -> list[Adjustment]:
    if assessment is None:
        return []
    return list(
        Adjustment.objects.filter(assessment=assessment).select_related("department", "recorded_by")
    )


def assessment_years() -> list[int]:
    """Years with an assessment or with reporting rounds (what a preview can show)."""
    years = set(Assessment.objects.values_list("year", flat=True))
    years |= set(ReportingRound.objects.values_list("year", flat=True))
    return sorted(years, reverse=True)


def assessment_periods(today: dt.date | None = None) -> list[str]:
    """The years and their ended quarters a page offers, newest first."""
    today = today or timezone.localdate()
    periods = []
    for year in assessment_years():
        if year > today.year:
            continue
        periods.append(str(year))
        periods += [period_code(year, q) for q in (3, 2, 1) if quarter_end(year, q) < today]
    return periods


def default_period(today: dt.date | None = None) -> str:
    """The newest quarter that has ended (a preview of the year so far)."""
    today = today or timezone.localdate()
    quarter = (today.month - 1) // 3  # quarters fully ended this year
    if quarter == 0:
        return str(today.year - 1)
    return period_code(today.year, quarter)
