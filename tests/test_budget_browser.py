"""The energy budget in Debian's Chromium (issue 18 items 6 and 7): DRS's clerk drafts 2026's
budget on the dashboard (a negative total refused, nothing written; then the allocations to
the registered enterprise, the project starting operation in July and the reserve); the
clerk cannot approve it; a committee member approves it with a reason and 文号 (four eyes);
DRS's head approves the park's 2026 Q3 figures, and the recompute that follows carries the
budget's use and year-end forecast to the dashboard, where plotly.js draws cumulative use
against the budget line with the forecast. No console error on the way."""

import datetime as dt
from decimal import Decimal as D

import pytest

from indicators.demo import demo_rows
from indicators.recompute import results_recompute
from reporting.services import round_open
from tasks.models import Department
from tests.helpers import department_fill, import_rows
from tests.test_budgets import _result
from tests.test_footprints_browser import _database_closed_after_the_browser, _sign_in  # noqa: F401

PERIOD = "2026Q3"
ENERGY_BUDGET = D("560000")
CO2_BUDGET = D("1800000")


def _number(text: str) -> D:
    return D(text.replace(",", "").strip())


@pytest.fixture
def park_figures(administrator, statistics_office, clerk, cell_maker):
    """The demo park's figures 2020 Q1 – 2026 Q3 approved, except DRS's 2026 Q3, which the
    clerk entered and submitted for the head; the enterprise's 2025 (its baseline) and a
    project with an approved review of 8,000 tce a year, operating from 1 July 2026."""
    from projects import services as project_services
    from reporting.workflow import department_items, department_period_submit

    drs = Department.objects.get(code="DRS")
    drs_items = {item.code for item in department_items(drs, PERIOD)}
    rows = demo_rows()
    held = [r for r in rows if r["period"] == PERIOD and r["item"] in drs_items]
    import_rows([r for r in rows if r not in held], user=administrator)
    results_recompute()
    round_open(period=PERIOD, user=statistics_office)
    department_fill("DRS", PERIOD, user=clerk, values={r["item"]: r["value"] for r in held})
    department_period_submit(department=drs, period=PERIOD, user=clerk)
    _result("energy_total_calorific", "2025", 30000, scope=cell_maker.code)
    _result("co2_emissions", "2025", 70000, scope=cell_maker.code)
    project = project_services.project_register(
        user=clerk, code="DZ-2026-009", name="电池扩产项目", enterprise=cell_maker, kind="new",
        department=drs, value_added=D("20000"),
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


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser", "park_figures")
def test_drs_drafts_the_committee_approves_and_approved_figures_reach_the_budget_chart(
    browser_page, live_server, clerk, head, committee_member, cell_maker
):
    from playwright.sync_api import expect

    from budgets.models import Allocation, Budget, BudgetStatus
    from indicators.models import IndicatorResult

    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_server.url

    # 1. DRS's clerk drafts: a negative total is refused, nothing written; then 560,000 tce.
    _sign_in(page, base, clerk)
    page.goto(f"{base}/budgets/2026/")
    expect(page.locator("#no-budget")).to_be_visible()
    form = page.locator("#draft-form")
    form.locator("input[name=energy_tce]").fill("-1")
    form.locator("input[name=co2_t]").fill(str(CO2_BUDGET))
    form.get_by_role("button", name="保存草案").click()
    expect(page.locator(".messages")).to_contain_text("须大于零")
    assert not Budget.objects.exists()
    form = page.locator("#draft-form")
    form.locator("input[name=year]").fill("2026")
    form.locator("input[name=energy_tce]").fill(str(ENERGY_BUDGET))
    form.locator("input[name=co2_t]").fill(str(CO2_BUDGET))
    form.locator("input[name=note]").fill("按2025年园区能耗和年内投产项目编制。")
    form.get_by_role("button", name="保存草案").click()
    expect(page.locator(".messages")).to_contain_text("待管委会批准")
    expect(page.locator("#budget-summary")).to_contain_text("待批准")
    expect(page.locator("#enterprise-allocations")).to_contain_text(cell_maker.name)
    expect(page.locator("#project-allocations")).to_contain_text("DZ-2026-009")
    budget = Budget.objects.get()
    assert {a.kind for a in budget.allocations.all()} == {"enterprise", "project", "reserve"}
    project_share = budget.allocations.get(kind=Allocation.Kind.PROJECT).energy_tce
    assert project_share == (D("8000") * D(184) / D(365)).quantize(D("0.000001"))
    # Who drafted it is offered no approval (four eyes; a clerk is not the committee).
    expect(page.locator("#approve-form")).to_have_count(0)
    expect(page.locator("#budget-chart")).to_have_count(0)  # a draft has no execution yet

    # 2. A committee member approves it with a reason and its 文号.
    _sign_in(page, base, committee_member)
    page.goto(f"{base}/budgets/2026/")
    approve = page.locator("#approve-form")
    approve.locator("input[name=document_no]").fill("德经开管发〔2026〕3号")
    approve.locator("input[name=reason]").fill("管委会2026年第1次主任办公会审议通过。")
    approve.get_by_role("button", name="批准 v1").click()
    expect(page.locator(".messages")).to_contain_text("预算已批准")
    expect(page.locator("#budget-summary")).to_contain_text("德经开管发〔2026〕3号")
    expect(page.locator("#approve-form")).to_have_count(0)
    budget.refresh_from_db()
    assert (budget.state, budget.approved_by, budget.drafted_by) == (
        "approved", committee_member, clerk,
    )  # fmt: skip
    # The approval's recompute: Q1 and Q2 from the approved figures; Q3 waits for DRS's head.
    assert list(BudgetStatus.objects.filter(budget=budget).values_list("period", flat=True)) == [
        "2026Q1", "2026Q2",
    ]  # fmt: skip
    expect(page.locator("#quarters tbody tr")).to_have_count(2)

    # 3. DRS's head approves the park's 2026 Q3; the recompute follows with the budget.
    _sign_in(page, base, head)
    page.goto(f"{base}/reporting/{PERIOD}/review/DRS/")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#period-state")).to_have_text("已审核锁定")

    # 4. The committee reads use and forecast through Q3, and the chart drawn by plotly.js.
    _sign_in(page, base, committee_member)
    page.goto(f"{base}/budgets/2026/")
    q3 = BudgetStatus.objects.get(budget=budget, quarter=3)
    used = IndicatorResult.objects.get(
        indicator__code="energy_total_calorific", period=PERIOD, scope="", variant=""
    ).value
    assert q3.use_tce == used
    summary = page.locator("#budget-summary")
    expect(summary).to_contain_text(f"累计用能（{PERIOD}）")
    assert _number(summary.locator('[data-field="use"]').inner_text()) == used.quantize(D("0.1"))
    assert _number(summary.locator('[data-field="forecast"]').inner_text()) == (
        q3.forecast_tce.quantize(D("0.1"))
    )
    # forecast = YTD ÷ s₃ (the project started in Q3: nothing added after it)
    assert q3.forecast_tce == (used / q3.share).quantize(D("0.000001"))
    expect(summary.locator("[data-status]")).to_have_attribute("data-status", q3.status)
    expect(page.locator("#quarters tbody tr")).to_have_count(3)
    chart = page.locator("#budget-chart")
    expect(chart).to_have_attribute("data-drawn", "true")
    expect(chart.locator("svg.main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .trace")).to_have_count(3)  # use, forecast, budget
    expect(chart.locator(".legendtext")).to_have_count(3)
    expect(chart).to_contain_text("累计用能")
    expect(chart).to_contain_text("全年预测")
    assert errors == [], errors
