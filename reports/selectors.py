"""Reads for reports: the document a round's snapshot freezes (built from the dashboards'
selectors, so the report says what the overview says), the lineage of stored results and
figures, report requests and the audit trail for auditors. Every function answers with a
fixed number of queries whatever the amount of data."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation

from audit.models import AuditEvent
from dashboards import selectors as dashboard_selectors
from dashboards.models import EarlyWarning
from indicators.exchange import result_row
from indicators.models import Coefficient, Figure, IndicatorResult
from indicators.numbers import decimal_text
from indicators.periods import canonical_or_none
from reporting.models import ReportingRound
from reports.models import ReportRequest, RoundSnapshot
from tasks.models import Plan

ASSESSMENT_VARIANTS = [
    IndicatorResult.Variant.EXCLUDING_FEEDSTOCK.value,
    IndicatorResult.Variant.EXCLUDING_FEEDSTOCK_AND_NON_FOSSIL.value,
]
REPORT_VARIANTS = ["", *ASSESSMENT_VARIANTS]


def _when(moment) -> str | None:
    """A moment as local ISO text (Asia/Shanghai), to the second."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def _who(user) -> str | None:
    return user.get_username() if user is not None else None


def _department(department) -> dict | None:
    if department is None:
        return None
    return {"code": department.code, "name_zh": department.name_zh, "name_en": department.name_en}


# --- lineage -----------------------------------------------------------------------------------


def _figure_row(figure: Figure) -> dict:
    return {
        "id": figure.pk,
        "item": figure.item.code,
        "item_name_zh": figure.item.name_zh,
        "item_name_en": figure.item.name_en,
        "unit": figure.item.unit,
        "department": figure.department.code,
        "period": figure.period,
        "scope": figure.scope,
        "value": decimal_text(figure.value),
        "version": figure.version,
        "state": figure.state,
        "counts": figure.counts,
        "note": figure.note,
        "reason": figure.reason,
        "entered_by": _who(figure.entered_by),
        "entered_at": _when(figure.entered_at),
        "submitted_by": _who(figure.submitted_by),
        "submitted_at": _when(figure.submitted_at),
        "decided_by": _who(figure.decided_by),
        "decided_at": _when(figure.decided_at),
        "decision_comment": figure.decision_comment,
    }


def _figures_with_people():
    return Figure.objects.select_related(
        "item", "department", "entered_by", "submitted_by", "decided_by"
    )


def results_lineage(result_ids) -> dict[int, dict]:
    """For each stored result: its exchange row (data-exchange §3 fields), the formula,
    every input figure with its version and who entered, submitted and approved it when,
    and every coefficient and counting-rule version it used. Three queries."""
    results = list(
        IndicatorResult.objects.filter(pk__in=set(result_ids)).select_related(
            "indicator", "target", "trace"
        )
    )
    figure_ids = {pk for result in results for pk in result.input_figure_ids or ()}
    figures = {f.pk: f for f in _figures_with_people().filter(pk__in=figure_ids)}
    coefficient_ids = {
        used.get("id")
        for result in results
        for used in ((result.method or {}).get("coefficients") or {}).values()
    } - {None}
    coefficients = Coefficient.objects.in_bulk(coefficient_ids) if coefficient_ids else {}
    answer = {}
    for result in results:
        method = result.method or {}
        used = []
        for trace in sorted((method.get("coefficients") or {}).values(), key=lambda c: c["key"]):
            stored = coefficients.get(trace.get("id"))
            used.append(
                {
                    "key": trace["key"],
                    "value": decimal_text(trace.get("value")),
                    "version": trace.get("version"),
                    "id": trace.get("id"),
                    "year": stored.year if stored else None,
                    "unit": stored.unit if stored else "",
                    "name_zh": stored.name_zh if stored else "",
                    "name_en": stored.name_en if stored else "",
                    "tag": stored.tag if stored else "",
                    "source": stored.source if stored else "",
                }
            )
        inputs = [
            _figure_row(figures[pk])
            for pk in result.input_figure_ids or ()
            if pk in figures  # a figure can only vanish if its result is stale
        ]
        inputs.sort(key=lambda f: (f["period"], f["department"], f["item"], f["id"]))
        row = result_row(result)
        row.pop("method")
        answer[result.pk] = {
            **row,
            "id": result.pk,
            "indicator_name_zh": result.indicator.name_zh,
            "indicator_name_en": result.indicator.name_en,
            "formula": method.get("formula", ""),
            "counting": method.get("counting", ""),
            "rule_versions": sorted(((method.get("rules") or {}).get("versions") or {}).items()),
            "coefficients": used,
            "inputs": inputs,
        }
    return answer


def result_lineage(result_id: int) -> dict:
    """One stored result's lineage (404 when there is no such result). Four queries."""
    get_object_or_404(IndicatorResult.objects.only("pk"), pk=result_id)
    return results_lineage([result_id])[result_id]


def figure_lineage(figure: Figure) -> dict:
    """A figure, every version of its (item, period, scope) with who entered and decided
    it, and the stored results of its scope that used any of these versions. Three
    queries."""
    versions = [
        _figure_row(f)
        for f in _figures_with_people()
        .filter(item_id=figure.item_id, period=figure.period, scope=figure.scope)
        .order_by("version")
    ]
    version_ids = {row["id"] for row in versions}
    used_by = [
        {"id": pk, "indicator": code, "period": period, "variant": variant}
        for pk, code, period, variant, ids in IndicatorResult.objects.filter(
            scope=figure.scope, year__gte=figure.year
        )
        .order_by("indicator__order", "year", "quarter", "variant")
        .values_list("pk", "indicator__code", "period", "variant", "input_figure_ids")
        if version_ids.intersection(ids or ())
    ]
    return {
        "figure": next(row for row in versions if row["id"] == figure.pk),
        "versions": versions,
        "used_by": used_by,
    }


# --- the document a round's report freezes ----------------------------------------------------


def _assessment(card, variant: str) -> dict | None:
    """A target card's numbers in one variant (None when the indicator lacks it)."""
    shown = card.shown
    if variant and (shown is None or shown.variant != variant):
        return None
    result = card.result
    return {
        "status": card.status,
        "period": shown.period if shown else None,
        "result_id": shown.pk if shown else None,
        "judged": result is not None,
        "value": decimal_text(shown.value) if shown else None,
        "target_value": decimal_text(result.target_value) if result else None,
        "completion": decimal_text(card.completion),
        # A hold target's room to its threshold, shown instead of its completion.
        "hold_margin": decimal_text(card.hold_margin) if not variant else None,
        "time_progress": decimal_text(card.time_progress),
        "provisional": card.provisional,
        "pending_base": card.pending_base,
    }


def _target_texts(card) -> dict:
    texts = {}
    for language in ("zh", "en"):
        with translation.override("zh-hans" if language == "zh" else "en"):
            texts[language] = card.target_text
    return texts


def _target_entry(card, by_variant: dict[str, dict], item_states: dict[int, str]) -> dict:
    target = card.target
    indicator = target.indicator
    texts = _target_texts(card)
    return {
        "id": target.pk,
        "code": target.code,
        "title_zh": target.title_zh,
        "title_en": target.title_en,
        "kind": target.kind,
        "qualifier": target.qualifier,
        "target_year": target.target_year,
        "indicator": indicator.code if indicator else None,
        "indicator_name_zh": indicator.name_zh if indicator else "",
        "indicator_name_en": indicator.name_en if indicator else "",
        "unit": indicator.unit if indicator else "",
        "places": card.places,
        "target_text_zh": texts["zh"],
        "target_text_en": texts["en"],
        "owner": _department(card.owner),
        "milestone_items": [
            {"code": item.code, "status": item_states.get(item.pk, "")} for item in card.work_items
        ],
        "assessments": {
            variant: _assessment(by_variant[variant].get(target.pk, card), variant)
            if variant
            else _assessment(card, "")
            for variant in REPORT_VARIANTS
        },
    }


def _task_entry(row) -> dict:
    task = row.task
    return {
        "code": task.code,
        "kind": task.kind,
        "title_zh": task.title_zh,
        "title_en": task.title_en,
        "lead": _department(row.lead.department) if row.lead else None,
        "supports": [_department(r.department) for r in row.supports],
        "targets": [card.code for card in row.target_cards],
        "work_items": [
            {
                "code": item.code,
                "title_zh": item.title_zh,
                "title_en": item.title_en,
                # Derived (tasks.progress), never hand-set; an item restating computed
                # targets carries their codes and their status is on the targets' cards.
                "status": item.row.state,
                "restates_targets": [code for code, _s, _l in item.target_statuses],
                "due_year": item.due_year,
                "evidence": item.evidence,
            }
            for item in row.work_items
        ],
        "progress_reports": [
            {
                "period": report.period,
                "department": report.department.code,
                "text": report.text,
                "submitted_by": _who(report.submitted_by),
                "submitted_at": _when(report.submitted_at),
            }
            for report in row.reports
        ],
    }


def _round_warnings(period: str) -> list[dict]:
    """Warnings of the round's period or earlier, and every one still open (one query)."""
    key = dashboard_selectors.period_key(period)
    warnings = (
        EarlyWarning.objects.select_related(
            "department", "target", "acknowledged_by", "resolved_by", "closed_by"
        )
        .order_by("created_at", "pk")
        .all()
    )
    rows = []
    for warning in warnings:
        in_round = (
            canonical_or_none(warning.period, lenient=False) is not None
            and dashboard_selectors.period_key(warning.period) <= key
        )
        if not in_round and warning.state == EarlyWarning.State.CLOSED:
            continue
        rows.append(
            {
                "id": warning.pk,
                "kind": warning.kind,
                "level": warning.level,
                "state": warning.state,
                "period": warning.period,
                "target": warning.target.code if warning.target else None,
                "department": _department(warning.department),
                "title_zh": warning.title_zh,
                "title_en": warning.title_en,
                "message_zh": warning.message_zh,
                "message_en": warning.message_en,
                "response": warning.response,
                "rectification_plan": warning.rectification_plan,
                "due_date": warning.due_date.isoformat() if warning.due_date else None,
                "evidence": warning.evidence,
                "closing_comment": warning.closing_comment,
                "acknowledged_by": _who(warning.acknowledged_by),
                "acknowledged_at": _when(warning.acknowledged_at),
                "resolved_by": _who(warning.resolved_by),
                "resolved_at": _when(warning.resolved_at),
                "closed_by": _who(warning.closed_by),
                "closed_at": _when(warning.closed_at),
            }
        )
    return rows


def snapshot_document(reporting_round: ReportingRound) -> dict:
    """Everything the round's report shows, as plain JSON: the overview's target cards at
    the round's period in the statistical and both assessment variants, the plan board's
    tasks (lead and supporting units, work items, the round's progress reports), the
    warnings and their responses, and the lineage of every reported value."""
    period = reporting_round.period
    cards = dashboard_selectors.target_cards(period=period, variant="", owners=True)
    by_variant = {
        variant: {
            card.target.pk: card
            for card in dashboard_selectors.target_cards(
                period=period, variant=variant, owners=False
            )
        }
        for variant in ASSESSMENT_VARIANTS
    }
    board = dashboard_selectors.plan_board()
    item_states = {
        item.pk: item.row.state
        for _section, rows in board.sections
        for row in rows
        for item in row.work_items
    }
    targets = [_target_entry(card, by_variant, item_states) for card in cards]
    tasks = []
    for _section, rows in board.sections:
        for row in rows:
            row.reports = [r for r in row.reports if r.period == period]
            tasks.append(_task_entry(row))
    result_ids = {
        assessment["result_id"]
        for target in targets
        for assessment in target["assessments"].values()
        if assessment and assessment["result_id"]
    }
    lineage = results_lineage(result_ids)
    plan = board.plan or Plan.objects.first()
    return {
        "round": {
            "period": period,
            "year": reporting_round.year,
            "quarter": reporting_round.quarter,
            "deadline": reporting_round.deadline.isoformat(),
            "state": reporting_round.state,
        },
        "plan": {
            "name_zh": plan.name_zh if plan else "",
            "name_en": plan.name_en if plan else "",
            "park_zh": plan.park_zh if plan else "",
            "park_en": plan.park_en if plan else "",
        },
        "variants": REPORT_VARIANTS,
        "targets": targets,
        "tasks": tasks,
        "warnings": _round_warnings(period),
        "results": {str(pk): row for pk, row in sorted(lineage.items())},
        "projects": _projects_entries(),
        "budget": _budget_entry(reporting_round),
    }


def _projects_entries() -> list[dict]:
    """The key projects as the round's report shows them (issue 18 item 8)."""
    from projects.exporting import snapshot_rows

    return snapshot_rows()


def _budget_entry(reporting_round: ReportingRound) -> dict | None:
    """The year's approved energy budget and its status through the round's quarter
    (issue 18 item 8); None when the year has none."""
    from budgets.selectors import budget_snapshot

    return budget_snapshot(reporting_round.year, reporting_round.quarter)


# --- pages -------------------------------------------------------------------------------------


def report_rounds() -> list[ReportingRound]:
    """Every round, newest first, with its snapshot's time if frozen (one query)."""
    return list(
        ReportingRound.objects.select_related("snapshot")
        .defer("snapshot__content")
        .order_by("-year", "-quarter", "-pk")
    )


def frozen_at(reporting_round: ReportingRound):
    try:
        return reporting_round.snapshot.taken_at
    except RoundSnapshot.DoesNotExist:
        return None


def report_requests_newest_first():
    """Requests with their round, requester and snapshot time, newest first, files left
    out (a queryset: the API pages through it)."""
    return (
        ReportRequest.objects.select_related("reporting_round", "requested_by", "snapshot")
        .defer("content", "snapshot__content")
        .order_by("-requested_at", "-pk")
    )


def report_requests(*, limit: int = 50) -> list[ReportRequest]:
    """The newest requests (one query)."""
    return list(report_requests_newest_first()[:limit])


def report_request(pk: int) -> ReportRequest:
    return get_object_or_404(
        ReportRequest.objects.select_related("reporting_round", "requested_by", "snapshot").defer(
            "content", "snapshot__content"
        ),
        pk=pk,
    )


def snapshot_of(reporting_round_id: int) -> RoundSnapshot | None:
    return RoundSnapshot.objects.filter(reporting_round_id=reporting_round_id).first()


def audit_events(
    *,
    department: str = "",
    period_from: str = "",
    period_to: str = "",
    action: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
):
    """Audit events filtered by department code, period range (labels compare as text
    within a year: "2024" < "2024Q1"), action and date range, oldest first. A queryset:
    exports stream it."""
    events = AuditEvent.objects.select_related("actor").order_by("at", "id")
    if department:
        events = events.filter(department_code=department)
    if period_from:
        events = events.filter(period__gte=period_from)
    if period_to:
        events = events.filter(Q(period__lte=period_to) | Q(period__startswith=period_to))
    if action:
        events = events.filter(action=action)
    if since:
        events = events.filter(at__date__gte=since)
    if until:
        events = events.filter(at__date__lte=until)
    return events


def audit_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
