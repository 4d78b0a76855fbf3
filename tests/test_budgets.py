"""The energy and carbon budget (issue 18 item 6, management.md §2): a year's budget drafted
by DRS with its allocations, approved by the committee (four eyes, reason, 文号; a revision
is a new version), and its use, forecast and status recomputed from approved results after
every recompute — checked against hand computations."""

import datetime as dt
from decimal import Decimal as D

import pytest

from audit.models import AuditEvent
from budgets import services
from budgets.models import Allocation, Budget, BudgetStatus
from dezhou_carbon.exceptions import ApplicationError
from tasks.models import Department

SHARE_DAYS = D(184) / D(365)  # 1 July to 31 December, both counted, of 2026


def _result(code, period, value, scope=""):
    from indicators.models import Indicator, IndicatorResult

    year, _, quarter = period.partition("Q")
    return IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code=code), period=period, year=int(year),
        quarter=int(quarter) if quarter else None, scope=scope, value=D(value),
    )  # fmt: skip


@pytest.fixture
def history(park, cell_maker):
    """Three complete years with 22 / 47 / 73 % of the year's energy by Q1 / Q2 / Q3 (and 75 %
    of its CO₂ by Q3); the enterprise's 2025 at 30,000 tce and 70,000 t."""
    for year in (2023, 2024, 2025):
        for quarter, energy in ((1, 22000), (2, 47000), (3, 73000)):
            _result("energy_total_calorific", f"{year}Q{quarter}", energy)
        _result("energy_total_calorific", str(year), 100000)
        _result("co2_emissions", f"{year}Q3", 150000)
        _result("co2_emissions", str(year), 200000)
    _result("energy_total_calorific", "2025", 30000, scope=cell_maker.code)
    _result("co2_emissions", "2025", 70000, scope=cell_maker.code)


@pytest.fixture
def new_line(clerk, cell_maker):
    """A project with an approved review of 8,000 tce a year, operating from 1 July 2026."""
    from projects import services as project_services

    project = project_services.project_register(
        user=clerk, code="DZ-2026-009", name="电池扩产项目", enterprise=cell_maker, kind="new",
        department=Department.objects.get(code="DRS"), value_added=D("20000"),
    )  # fmt: skip
    project_services.energy_review_record(
        user=clerk, project=project, year=2022,
        uses=[{"carrier": "electricity", "quantity": "6000", "unit": "万kWh"}],
        opinion_authority="德州市发改委", document_no="德发改审〔2026〕21号",
        opinion_date=dt.date(2026, 3, 1), approved_calorific_tce=D("8000"),
    )  # fmt: skip
    project_services.project_stage_record(
        user=clerk, project=project, stage="operation", planned_date=dt.date(2026, 7, 1)
    )
    return project


def _draft(user, **changes):
    fields = {"user": user, "year": 2026, "basis": "calorific", "department": Department.objects.get(code="DRS"),
                  "energy_tce": D("100000"), "co2_t": D("250000")}  # fmt: skip
    fields.update(changes)
    return services.budget_draft(**fields)


def test_drs_drafts_a_budget_with_its_allocations_by_hand(clerk, history, new_line, cell_maker):
    budget = _draft(clerk)
    assert (budget.state, budget.version, budget.derivation) == ("draft", 1, "assigned")
    rows = {a.kind: a for a in budget.allocations.all()}
    assert rows["enterprise"].enterprise == cell_maker
    assert rows["enterprise"].energy_tce == D("30000")
    assert rows["enterprise"].trace["baseline_year"] == 2025
    project_share = (D("8000") * SHARE_DAYS).quantize(D("0.000001"))
    assert rows["project"].energy_tce == project_share
    assert rows["project"].project == new_line
    assert rows["reserve"].energy_tce == D("100000") - D("30000") - project_share
    assert rows["reserve"].co2_t == D("250000") - D("70000")
    assert AuditEvent.objects.filter(action="budget_drafted", object_id=str(budget.pk)).exists()


def test_a_budget_derived_from_the_path_intensity(clerk, history):
    budget = _draft(clerk, energy_tce=None, co2_t=None, path_intensity=D("0.4"),
                    co2_path_intensity=D("1"), base_value_added=D("250000"),
                    real_growth_percent=D("6"))  # fmt: skip
    assert budget.derivation == "derived"
    assert budget.energy_tce == D("0.4") * D("250000") * D("1.06")  # 106,000 tce
    assert budget.co2_t == D("265000")


def test_allocations_above_the_budget_are_refused_and_nothing_is_written(clerk, history):
    with pytest.raises(ApplicationError) as refused:
        _draft(clerk, energy_tce=D("20000"))
    assert refused.value.code == "allocations_exceed_budget"
    assert "超过预算" in refused.value.message_zh
    assert "exceed" in refused.value.message_en
    for bad, code in (("-5", "not_positive"), ("abc", "bad_number")):
        with pytest.raises(ApplicationError) as refused:
            _draft(clerk, energy_tce=bad)
        assert refused.value.code == code
    assert not Budget.objects.exists()
    assert not Allocation.objects.exists()


def test_the_committee_approves_with_a_reason_and_document_and_revisions_are_versions(
    clerk, committee_member, statistics_office, history
):
    from accounts import permissions

    first = _draft(clerk)
    for user, reason, document, code in (
        (clerk, "理由", "德经管字〔2026〕3号", "approver_not_committee"),
        (statistics_office, "理由", "德经管字〔2026〕3号", "approver_not_committee"),
        (committee_member, "理由", "", "document_required"),
        (committee_member, "", "德经管字〔2026〕3号", "reason_required"),
    ):
        with pytest.raises(ApplicationError) as refused:
            services.budget_approve(user=user, budget=first, reason=reason, document_no=document)
        assert refused.value.code == code
    first.refresh_from_db()
    assert first.state == "draft"
    assert first.approved_by is None
    assert not permissions.can_approve_budget(committee_member, committee_member.pk)
    services.budget_approve(user=committee_member, budget=first, reason="管委会第5次主任办公会审议通过",
                            document_no="德经管字〔2026〕3号")  # fmt: skip
    second = _draft(statistics_office, energy_tce=D("110000"))
    assert second.version == 2
    services.budget_approve(user=committee_member, budget=second, reason="上级调整下达",
                            document_no="德经管字〔2026〕9号")  # fmt: skip
    first.refresh_from_db()
    assert (first.state, first.energy_tce, first.document_no) == (
        "superseded",
        D("100000"),
        "德经管字〔2026〕3号",
    )
    assert Budget.objects.get(year=2026, state="approved") == second
    with pytest.raises(ApplicationError) as refused:
        services.budget_approve(user=committee_member, budget=first, reason="x", document_no="y")
    assert refused.value.code == "not_draft"
    assert AuditEvent.objects.filter(action="budget_approved").count() == 2


@pytest.fixture
def approved(clerk, committee_member, history, new_line):
    budget = _draft(clerk)
    services.budget_approve(user=committee_member, budget=budget, reason="审议通过",
                            document_no="德经管字〔2026〕3号")  # fmt: skip
    return budget


def test_use_forecast_and_status_by_hand_and_the_warning(approved, cell_maker):
    from dashboards.models import EarlyWarning

    _result("energy_total_calorific", "2026Q2", 40000)
    _result("co2_emissions", "2026Q2", 90000)
    services.budgets_recompute()
    q2 = BudgetStatus.objects.get(budget=approved, quarter=2)
    # s_2 = 0.47; the project starting in Q3 adds 8,000 × (4 − 3) ÷ 4 = 2,000
    assert q2.share == D("0.47")
    assert q2.forecast_tce == (D("40000") / D("0.47") + D("2000")).quantize(D("0.000001"))
    assert q2.energy_status == "green"
    assert q2.status == "green"
    assert not EarlyWarning.objects.filter(dedupe_key="budget:2026").exists()

    _result("energy_total_calorific", "2026Q3", 73000)
    _result("co2_emissions", "2026Q3", 150000)
    _result("energy_total_calorific", "2026Q3", 26000, scope=cell_maker.code)
    services.budgets_recompute()
    q3 = BudgetStatus.objects.get(budget=approved, quarter=3)
    assert q3.share == D("0.73")
    assert q3.forecast_tce == D("100000")  # 73,000 ÷ 0.73; the project started in Q3: no extra
    assert q3.energy_status == "yellow"  # forecast above 95 % of the budget, not above it
    assert q3.forecast_co2_t == D("200000")
    assert q3.co2_status == "green"
    assert q3.status == "yellow"
    allocation = approved.allocations.get(kind="enterprise")
    entry = q3.allocations[str(allocation.pk)]
    assert D(entry["forecast"]) == D("26000") / D("0.73")
    assert entry["status"] == "red"
    warning = EarlyWarning.objects.get(dedupe_key="budget:2026")
    assert (warning.level, warning.period, warning.department.code) == ("yellow", "2026Q3", "DRS")
    assert "100.0%" in warning.message_zh
    services.budgets_recompute()  # twice: the same rows, one warning
    assert BudgetStatus.objects.filter(budget=approved).count() == 2
    assert EarlyWarning.objects.filter(dedupe_key="budget:2026").count() == 1


def test_the_budget_follows_every_recompute_of_the_results(approved):
    from dezhou_carbon.followups import RESULTS_RECOMPUTED, announce

    _result("energy_total_calorific", "2026Q1", 30000)
    announce(RESULTS_RECOMPUTED)  # what indicators.jobs.recompute_job does after storing results
    status = BudgetStatus.objects.get(budget=approved, quarter=1)
    assert status.share == D("0.22")
    # 30,000 ÷ 0.22 + 2,000 > 100,000: red
    assert status.status == "red"


def test_dual_control_totals_are_targets_the_committee_sets_through_the_governed_change(
    park, statistics_office, committee_member
):
    """T21 / T22 (issue 18 item 6): total energy and total CO₂ against totals assigned from
    above, unset until the committee's decision is recorded through target_change."""
    from indicators.models import Target, TargetRevision
    from indicators.targets import target_change

    t21, t22 = Target.objects.get(code="T21"), Target.objects.get(code="T22")
    assert (t21.indicator.code, t22.indicator.code) == ("energy_total_calorific", "co2_emissions")
    assert (t21.kind, t21.value, t22.value) == ("level", None, None)
    assert "用能预算管理" in t21.source_sentence_zh
    assert t21.tasks.filter(code="2").exists()
    with pytest.raises(ApplicationError) as refused:
        target_change(t21, {"value": "560000"}, "上级下达", "", committee_member, statistics_office)
    assert refused.value.code == "document_required"
    target_change(t21, {"value": "560000"}, "省下达“十五五”能耗总量控制目标",
                  "鲁发改环资〔2026〕8号", committee_member, statistics_office)  # fmt: skip
    t21.refresh_from_db()
    assert t21.value == D("560000")
    assert TargetRevision.objects.get(target=t21).document_no == "鲁发改环资〔2026〕8号"


def test_a_recompute_writes_only_the_quarters_that_changed(approved):
    """After one quarter's approval the other quarters are as stored: not written again."""
    _result("energy_total_calorific", "2026Q1", 20000)
    _result("energy_total_calorific", "2026Q2", 40000)
    services.budgets_recompute()
    before = dict(BudgetStatus.objects.values_list("quarter", "computed_at"))
    services.budgets_recompute()  # nothing changed: nothing written
    assert dict(BudgetStatus.objects.values_list("quarter", "computed_at")) == before
    from indicators.models import IndicatorResult

    IndicatorResult.objects.filter(period="2026Q2", scope="").update(value=D("41000"))
    services.budgets_recompute()
    after = dict(BudgetStatus.objects.values_list("quarter", "computed_at"))
    assert after[1] == before[1]
    assert after[2] > before[2]
    assert BudgetStatus.objects.get(budget=approved, quarter=2).use_tce == D("41000")


def test_the_seasonal_share_passes_over_an_incomplete_year(clerk, committee_member, park):
    """management.md §2: s_k is the mean over the last three *complete* years: 2024 has no
    Q2 result, so 2025, 2023 and 2022 count (not 2025 and 2023 alone)."""
    for year, q2 in ((2021, 40000), (2022, 44000), (2023, 46000), (2024, None), (2025, 48000)):
        if q2 is not None:
            _result("energy_total_calorific", f"{year}Q2", q2)
        _result("energy_total_calorific", str(year), 100000)
    _result("energy_total_calorific", "2026Q2", 47000)
    budget = _draft(clerk)
    services.budget_approve(user=committee_member, budget=budget, reason="审议通过",
                            document_no="德经管字〔2026〕3号")  # fmt: skip
    services.budgets_recompute()
    q2 = BudgetStatus.objects.get(budget=budget, quarter=2)
    assert q2.share == ((D("0.48") + D("0.46") + D("0.44")) / 3).quantize(D("1e-12"))
    assert q2.trace["history_years"][-4:] == [2022, 2023, 2024, 2025]


def test_co2_allocations_above_the_co2_budget_are_refused(clerk, history):
    with pytest.raises(ApplicationError) as refused:
        _draft(clerk, co2_t=D("60000"))  # the enterprise's 70,000 t alone is more
    assert refused.value.code == "allocations_exceed_budget"
    assert "碳排放分配合计" in refused.value.message_zh
    assert "CO₂ allocations" in refused.value.message_en
    assert not Budget.objects.exists()
