"""Writes of the energy and carbon budget (management.md §2): a year's budget drafted as a
version with its allocations, approved by the committee (four eyes, reason and 文号; the
approved version before it superseded, never changed), and the recompute of use, forecast
and status from the approved results — run after every indicator recompute (the
RESULTS_RECOMPUTED follow-up, budgets.apps), after an approval, and by the sweep.
The arithmetic is projects.calculations (pure); this module reads and writes."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts import permissions
from audit.services import audit_record
from budgets.models import Allocation, Budget, BudgetStatus
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.periods import MAX_YEAR, MIN_YEAR
from projects import calculations as pc

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
ENERGY_INDICATORS = {
    Budget.Basis.CALORIFIC: "energy_total_calorific",
    Budget.Basis.EQUAL_VALUE: "energy_total_equal_value",
}
CO2_INDICATOR = "co2_emissions"
SEVERITY = {pc.GREEN: 0, pc.YELLOW: 1, pc.RED: 2}
HISTORY_YEARS = 8  # how far back the seasonal share looks for three complete years


def _number(raw, *, label_zh: str, label_en: str, positive: bool = True) -> Decimal | None:
    from indicators.numbers import parse_number

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = raw if isinstance(raw, Decimal) else parse_number(str(raw))
    except Exception:
        value = None
    if value is None or not value.is_finite():
        raise ApplicationError(
            f"“{label_zh}”不是有效数字。", f"'{label_en}' is not a number.", code="bad_number"
        )
    if positive and value <= 0:
        raise ApplicationError(
            f"“{label_zh}”须大于零。", f"'{label_en}' must be above zero.", code="not_positive"
        )
    return value


def _enterprise_baselines(year: int, indicator: str) -> list[dict]:
    """Each registered enterprise's last complete year before `year`: energy on the
    budget's basis and CO₂ of that year (its stored annual results)."""
    from enterprises.models import Enterprise
    from indicators.models import IndicatorResult

    codes = dict(Enterprise.objects.values_list("code", "pk"))
    values: dict[str, dict[int, dict[str, Decimal]]] = {}
    for scope, code, result_year, value in IndicatorResult.objects.filter(
        indicator__code__in=(indicator, CO2_INDICATOR), variant="", quarter__isnull=True,
        year__lt=year, year__gte=year - 5, value__isnull=False, scope__in=list(codes),
    ).values_list("scope", "indicator__code", "year", "value"):  # fmt: skip
        values.setdefault(scope, {}).setdefault(result_year, {})[code] = value
    rows = []
    for scope in sorted(values):
        years = [y for y, found in values[scope].items() if indicator in found]
        if not years:
            continue
        last = max(years)
        found = values[scope][last]
        rows.append(
            {
                "enterprise_id": codes[scope],
                "code": scope,
                "year": last,
                "energy_tce": Decimal(found[indicator]),
                "co2_t": Decimal(found.get(CO2_INDICATOR) or 0),
            }
        )
    return rows


@transaction.atomic
def budget_draft(
    *, user, year: int, basis: str, department, energy_tce=None, co2_t=None,
    path_intensity=None, co2_path_intensity=None, base_value_added=None,
    real_growth_percent=None, note: str = "",
) -> Budget:  # fmt: skip
    """Draft a new version of `year`'s budget with its allocations computed from what is
    stored: existing enterprises at their last complete year, approved new projects
    starting operation in the year at their approved energy × the share of the year they
    operate, and the reserve B − Σ allocations. B is the assigned total when given, else
    the path intensity × the expected value added (last year's × (1 + growth)).
    Refused (zh/en, nothing written) for bad numbers or allocations above the budget."""
    from projects.selectors import operation_starts, park_latest_complete_year

    if not permissions.can_draft_budget(user):
        raise PermissionRefused(
            "只有发改统计部门、统计办或系统管理员可以编制用能预算。",
            "Only the projects department, the statistics office or an administrator can "
            "draft the energy budget.",
            code="permission_denied",
        )
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ApplicationError("年度无效。", "The year is not valid.", code="bad_year")
    if basis not in Budget.Basis.values:
        raise ApplicationError(
            f"考核口径“{basis}”无效。", f"Basis '{basis}' is not known.", code="bad_basis"
        )
    energy = _number(energy_tce, label_zh="用能预算", label_en="energy budget")
    co2 = _number(co2_t, label_zh="碳排放预算", label_en="CO₂ budget")
    path = _number(path_intensity, label_zh="路径强度", label_en="path intensity")
    co2_path = _number(co2_path_intensity, label_zh="碳排放路径强度", label_en="CO₂ path intensity")
    growth = _number(
        real_growth_percent,
        label_zh="预期实际增速",
        label_en="expected real growth",
        positive=False,
    )
    base_va = _number(base_value_added, label_zh="基年增加值", label_en="base value added")
    trace: dict = {"basis": basis}
    derived = energy is None or co2 is None
    if derived:
        if base_va is None:
            park = park_latest_complete_year()
            base_va = park["value_added"] if park else None
            trace["base_year"] = park["year"] if park else None
        if base_va is None or growth is None:
            raise ApplicationError(
                "未给定下达总量时，须填写基年增加值和预期实际增速以测算预算。",
                "Without an assigned total, the base value added and the expected real growth "
                "are needed to derive the budget.",
                code="derivation_inputs_required",
            )
        if energy is None:
            if path is None:
                raise ApplicationError(
                    "未给定用能预算时，须填写当年路径强度。",
                    "Without an assigned energy budget, the year's path intensity is needed.",
                    code="derivation_inputs_required",
                )
            energy = pc.default_budget(path, base_va, growth)
        if co2 is None:
            if co2_path is None:
                raise ApplicationError(
                    "未给定碳排放预算时，须填写当年碳排放路径强度。",
                    "Without an assigned CO₂ budget, the year's CO₂ path intensity is needed.",
                    code="derivation_inputs_required",
                )
            co2 = pc.default_budget(co2_path, base_va, growth)
        trace["formula"] = "B = path intensity × base value added × (1 + growth ÷ 100)"
    indicator = ENERGY_INDICATORS[basis]
    baselines = _enterprise_baselines(year, indicator)
    starts = operation_starts(year)
    energy_key = "calorific_tce" if basis == Budget.Basis.CALORIFIC else "equal_value_tce"
    rows = []
    for baseline in baselines:
        rows.append(
            Allocation(
                kind=Allocation.Kind.ENTERPRISE, enterprise_id=baseline["enterprise_id"],
                energy_tce=baseline["energy_tce"], co2_t=baseline["co2_t"],
                trace={"baseline_year": baseline["year"], "indicator": indicator},
            )
        )  # fmt: skip
    for start in starts:
        share = pc.operating_share(start["start"], year)
        rows.append(
            Allocation(
                kind=Allocation.Kind.PROJECT, project_id=start["project_id"],
                enterprise_id=start["enterprise_id"],
                energy_tce=(start[energy_key] * share).quantize(Decimal("0.000001")),
                co2_t=(start["co2_t"] * share).quantize(Decimal("0.000001")),
                trace={"approved_tce": str(start[energy_key]), "approved_co2_t": str(start["co2_t"]),
                       "start": start["start"].isoformat(), "operating_share": str(share),
                       "review_id": start["review_id"], "document_no": start["document_no"]},
            )
        )  # fmt: skip
    energy = energy.quantize(Decimal("0.000001"))
    co2 = co2.quantize(Decimal("0.000001"))
    reserve = pc.reserve(energy, [pc.Allocation(str(i), r.energy_tce) for i, r in enumerate(rows)])
    try:
        reserve_co2 = pc.reserve(co2, [pc.Allocation(str(i), r.co2_t) for i, r in enumerate(rows)])
    except pc.ProjectError as refused:
        raise ApplicationError(
            f"碳排放分配合计 {refused.details['allocated']} 吨超过预算 {co2} 吨",
            f"The CO₂ allocations ({refused.details['allocated']} t) exceed the budget ({co2} t)",
            code="allocations_exceed_budget", details=refused.details,
        ) from refused  # fmt: skip
    rows.append(
        Allocation(kind=Allocation.Kind.RESERVE, energy_tce=reserve, co2_t=reserve_co2, trace={})
    )
    version = (Budget.objects.filter(year=year).aggregate(v=Max("version"))["v"] or 0) + 1
    budget = Budget.objects.create(
        year=year, version=version, basis=basis,
        derivation=Budget.Derivation.DERIVED if derived else Budget.Derivation.ASSIGNED,
        energy_tce=energy, co2_t=co2, path_intensity=path, co2_path_intensity=co2_path,
        base_value_added=base_va if derived else None,
        real_growth_percent=growth if derived else None, department=department,
        note=note.strip(), trace=trace, drafted_by=user,
    )  # fmt: skip
    for row in rows:
        row.budget = budget
    Allocation.objects.bulk_create(rows, batch_size=1000)
    audit_record(
        actor=user, action="budget_drafted", object_type="budget", object_id=budget.pk,
        department_code=department.code, period=str(year),
        new_value={"energy_tce": str(energy), "co2_t": str(co2), "version": version,
                   "reserve_tce": str(reserve), "reserve_co2_t": str(reserve_co2)},
        details={"derivation": budget.derivation, "enterprises": len(baselines), "projects": len(starts)},
    )  # fmt: skip
    return budget


@transaction.atomic
def budget_approve(*, user, budget: Budget, reason: str, document_no: str) -> Budget:
    """The committee approves a drafted version: a committee member who did not draft it,
    with a reason and 文号. The year's approved version before it is superseded (kept as
    it was). Use, forecast and status are recomputed once this commits."""
    budget = Budget.objects.select_for_update().get(pk=budget.pk)
    if not permissions.can_approve_budget(user):
        raise PermissionRefused(
            "用能预算须经管委会批准：批准人应为管委会成员。",
            "The energy budget is approved by the management committee.",
            code="approver_not_committee",
        )
    if not permissions.can_approve_budget(user, budget.drafted_by_id):
        raise PermissionRefused(
            "编制人与批准人不能是同一人。",
            "The person who drafted the budget cannot approve it.",
            code="four_eyes",
        )
    reason, document_no = (reason or "").strip(), (document_no or "").strip()
    if not reason:
        raise ApplicationError("请填写批准理由。", "A reason is required.", code="reason_required")
    if not document_no:
        raise ApplicationError(
            "请填写批准文件的文号。",
            "The number of the authorising document (文号) is required.",
            code="document_required",
        )
    if budget.state != Budget.State.DRAFT:
        raise ApplicationError(
            "只有待批准的预算版本可以批准。",
            "Only a drafted budget version can be approved.",
            code="not_draft",
        )
    previous = (
        Budget.objects.select_for_update()
        .filter(year=budget.year, state=Budget.State.APPROVED)
        .first()
    )
    if previous is not None:
        previous.state = Budget.State.SUPERSEDED
        previous.save(update_fields=["state"])
    budget.state = Budget.State.APPROVED
    budget.reason, budget.document_no = reason, document_no
    budget.approved_by, budget.approved_at = user, timezone.now()
    budget.save()
    audit_record(
        actor=user, action="budget_approved", object_type="budget", object_id=budget.pk,
        department_code=budget.department.code, period=str(budget.year),
        old_value={"version": previous.version} if previous else None,
        new_value={"version": budget.version, "energy_tce": str(budget.energy_tce),
                   "co2_t": str(budget.co2_t)},
        reason=reason, details={"document_no": document_no},
    )  # fmt: skip
    transaction.on_commit(lambda year=budget.year: _recompute_queue(year), robust=True)
    return budget


def _recompute_queue(year: int) -> None:
    from budgets.jobs import budget_recompute_job

    budget_recompute_job.delay(year)


# --- use, forecast and status -------------------------------------------------------------


def _park_history(budget: Budget) -> dict[str, dict[int, dict[int, Decimal]]]:
    """{indicator: {year: {quarter: YTD value}}} of the park over the budget year and the
    HISTORY_YEARS before it (the annual value as quarter 4 where no Q4 result is stored):
    the seasonal share takes the last three *complete* years among them, so a year with a
    quarter missing is passed over rather than leaving two."""
    from indicators.models import IndicatorResult

    history: dict[str, dict[int, dict[int, Decimal]]] = {}
    annual: dict[tuple[str, int], Decimal] = {}
    for code, year, quarter, value in IndicatorResult.objects.filter(
        indicator__code__in=(ENERGY_INDICATORS[budget.basis], CO2_INDICATOR), scope="",
        variant="", year__gte=budget.year - HISTORY_YEARS, year__lte=budget.year,
        value__isnull=False,
    ).values_list("indicator__code", "year", "quarter", "value"):  # fmt: skip
        if quarter is None:
            annual[(code, year)] = value
        else:
            history.setdefault(code, {}).setdefault(year, {})[quarter] = value
    for (code, year), value in annual.items():
        history.setdefault(code, {}).setdefault(year, {}).setdefault(4, value)
    return history


def _enterprise_use(budget: Budget, indicator: str, quarter: int) -> dict[str, Decimal]:
    """Each enterprise's use year to date through `quarter` (its stored result)."""
    from indicators.models import IndicatorResult

    found = IndicatorResult.objects.filter(
        indicator__code=indicator, variant="", year=budget.year, value__isnull=False
    ).exclude(scope="")
    found = found.filter(quarter__isnull=True) if quarter == 4 else found.filter(quarter=quarter)
    return dict(found.values_list("scope", "value"))


def budget_recompute(budget: Budget) -> list[BudgetStatus]:
    """Use, seasonal share, year-end forecast and status of an approved budget for every
    quarter of its year with an approved park result, and its enterprises' allocations;
    warnings for a yellow or red latest quarter. Derived data: safe to run any number of
    times (rows upserted by quarter)."""
    from projects.rules import budget_rules
    from projects.selectors import operation_starts

    rules = budget_rules()
    indicator = ENERGY_INDICATORS[budget.basis]
    history = _park_history(budget)
    energy_history = history.get(indicator, {})
    co2_history = history.get(CO2_INDICATOR, {})
    current = energy_history.get(budget.year, {})
    energy_key = "calorific_tce" if budget.basis == Budget.Basis.CALORIFIC else "equal_value_tce"
    starts = operation_starts(budget.year)
    later_energy = [
        pc.LaterProject(s["code"], s[energy_key], (s["start"].month - 1) // 3 + 1) for s in starts
    ]
    later_co2 = [
        pc.LaterProject(s["code"], s["co2_t"], (s["start"].month - 1) // 3 + 1) for s in starts
    ]
    enterprise_allocations = list(
        budget.allocations.filter(kind=Allocation.Kind.ENTERPRISE).values_list(
            "pk", "enterprise__code", "energy_tce"
        )
    )
    latest_quarter = max(current, default=None)
    use_by_code = (
        _enterprise_use(budget, indicator, latest_quarter) if latest_quarter is not None else {}
    )
    past_energy = {y: v for y, v in energy_history.items() if y < budget.year}
    past_co2 = {y: v for y, v in co2_history.items() if y < budget.year}
    kept = []
    with transaction.atomic():
        stored = {row.quarter: row for row in BudgetStatus.objects.filter(budget=budget)}
        for quarter in sorted(current):
            ytd = Decimal(current[quarter])
            share = pc.seasonal_share(past_energy, quarter)
            forecast = pc.year_end_forecast(ytd, share, quarter, later_energy)
            energy_status = pc.budget_status(
                budget=budget.energy_tce, ytd=ytd, forecast=forecast, quarter=quarter, rules=rules
            )
            co2_ytd = Decimal(co2_history.get(budget.year, {}).get(quarter, 0))
            co2_share = pc.seasonal_share(past_co2, quarter)
            co2_forecast = pc.year_end_forecast(co2_ytd, co2_share, quarter, later_co2)
            co2_status = pc.budget_status(
                budget=budget.co2_t, ytd=co2_ytd, forecast=co2_forecast, quarter=quarter,
                rules=rules,
            )  # fmt: skip
            allocations = {}  # the enterprises' statuses at the latest quarter (what is shown)
            for pk, code, allocated in enterprise_allocations if quarter == latest_quarter else ():
                used = use_by_code.get(code)
                if used is None:
                    continue
                used = Decimal(used)
                ahead = used / share
                allocations[str(pk)] = {
                    "use": str(used),
                    "forecast": str(ahead),
                    "status": pc.budget_status(
                        budget=allocated, ytd=used, forecast=ahead, quarter=quarter, rules=rules
                    )
                    if allocated > 0
                    else pc.RED,
                }
            status = max(energy_status, co2_status, key=SEVERITY.__getitem__)
            kept.append(_status_store(
                budget, quarter, stored.get(quarter),
                {
                    "period": f"{budget.year}Q{quarter}", "use_tce": ytd, "use_co2_t": co2_ytd,
                    "share": share, "co2_share": co2_share, "forecast_tce": forecast,
                    "forecast_co2_t": co2_forecast, "energy_status": energy_status,
                    "co2_status": co2_status, "status": status, "allocations": allocations,
                    "trace": {
                        "indicator": indicator, "co2_indicator": CO2_INDICATOR,
                        "rules": {"ytd_yellow_percent": str(rules.ytd_yellow_percent),
                                  "forecast_yellow_percent": str(rules.forecast_yellow_percent)},
                        "later_projects": [
                            {"code": p.name, "tce": str(p.approved_tce), "start_quarter": p.start_quarter}
                            for p in later_energy if p.start_quarter > quarter
                        ],
                        "history_years": sorted(past_energy),
                        "formula": "forecast = YTD_k ÷ s_k + Σ later projects × approved × (4 − q) ÷ 4",
                    },
                },
            ))  # fmt: skip
        gone = [row.pk for quarter, row in stored.items() if quarter not in current]
        if gone:
            BudgetStatus.objects.filter(pk__in=gone).delete()
        if kept:
            _warn(budget, kept[-1])
    return kept


def _stored_form(field: str, value):
    """`value` as the column keeps it (a decimal quantized to the field's places as Django
    writes it), so a recomputed quarter can be compared with its stored row."""
    places = getattr(BudgetStatus._meta.get_field(field), "decimal_places", None)
    if isinstance(value, Decimal) and places is not None:
        return value.quantize(Decimal(1).scaleb(-places))
    return value


def _status_store(budget: Budget, quarter: int, row: BudgetStatus | None, values: dict):
    """Write a quarter's use, forecast and status only when they changed: after an approval
    of one quarter the others are as stored (no write, no 2,000-entry JSON sent again)."""
    values = {field: _stored_form(field, value) for field, value in values.items()}
    if row is None:
        return BudgetStatus.objects.create(budget=budget, quarter=quarter, **values)
    changed = [field for field, value in values.items() if getattr(row, field) != value]
    if changed:
        for field in changed:
            setattr(row, field, values[field])
        row.save(update_fields=[*changed, "computed_at"])
    return row


def _warn(budget: Budget, row: BudgetStatus) -> None:
    """A yellow or red budget warns its department in the existing warning loop."""
    from dashboards.models import EarlyWarning
    from dashboards.services import warning_raise
    from indicators.periods import ytd_text

    if row.status == pc.GREEN:
        return
    level = EarlyWarning.Level.RED if row.status == pc.RED else EarlyWarning.Level.YELLOW
    percent = (row.forecast_tce / budget.energy_tce * 100).quantize(Decimal("0.1"))
    co2_percent = (row.forecast_co2_t / budget.co2_t * 100).quantize(Decimal("0.1"))
    used = (row.use_tce / budget.energy_tce * 100).quantize(Decimal("0.1"))
    warning_raise(
        key=f"budget:{budget.year}", kind=EarlyWarning.Kind.STATUS, level=level,
        department=budget.department, period=row.period,
        title_zh=f"{budget.year}年用能预算执行预警", title_en=f"Energy budget {budget.year}: warning",
        message_zh=f"{ytd_text(row.period)}累计用能 {row.use_tce:,.1f} 吨标准煤，占预算 {used}%；"
        f"全年预测用能为预算的 {percent}%，碳排放为预算的 {co2_percent}%。",
        message_en=f"{ytd_text(row.period, 'en')}: energy used {row.use_tce:,.1f} tce, {used}% of "
        f"the budget; the year-end forecast is {percent}% of the energy budget and "
        f"{co2_percent}% of the CO₂ budget.",
    )  # fmt: skip


def budgets_recompute(years: set[int] | None = None) -> int:
    """Recompute every approved budget (of `years`); returns how many."""
    found = Budget.objects.filter(state=Budget.State.APPROVED).select_related("department")
    if years:
        found = found.filter(year__in=years)
    count = 0
    for budget in found:
        budget_recompute(budget)
        count += 1
    return count
