"""The budget's demo (issue 18 item 10): 2026 drafted in January by DRS's clerk from the
province's total (the park's 2025 + 8.5 %), approved by the committee with its 文号, one
version; the approved quarters then drive it as they would in a real park — Q1 and Q2 green,
Q3's figures take the year-end forecast above 95 % of the budget: yellow, DRS warned. A
second run changes nothing. Then the demo park itself (accounts, enterprises, projects and
budget demos in setup_park's order): green through Q2, yellow from its approved Q3."""

from decimal import Decimal as D

import pytest

from accounts.models import User
from audit.models import AuditEvent
from budgets.demo import budgets_demo
from budgets.models import Budget, BudgetStatus
from tasks.models import Department

pytestmark = pytest.mark.django_db


def _result(code, period, value, scope=""):
    from indicators.models import Indicator, IndicatorResult

    year, _, quarter = period.partition("Q")
    return IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code=code), period=period, year=int(year),
        quarter=int(quarter) if quarter else None, scope=scope, value=D(value),
    )  # fmt: skip


def test_the_demo_budget_is_approved_once_and_turns_yellow_from_q3_figures(park, cell_maker):
    from dashboards.models import EarlyWarning

    User.objects.create_user("drs_clerk", role=User.Role.CLERK,
                             department=Department.objects.get(code="DRS"))  # fmt: skip
    User.objects.create_user("committee", role=User.Role.COMMITTEE)
    for year in (2023, 2024, 2025):
        for quarter, energy in ((1, 27000), (2, 49000), (3, 73000)):
            _result("energy_total_calorific", f"{year}Q{quarter}", energy)
            _result("co2_emissions", f"{year}Q{quarter}", energy * 3)
        _result("energy_total_calorific", str(year), 100000)
        _result("co2_emissions", str(year), 300000)
    _result("energy_intensity_iva", "2025", "0.5")
    _result("energy_total_calorific", "2025", 80000, scope=cell_maker.code)
    _result("energy_total_calorific", "2026Q1", 27500)  # ÷ 0.27 = 101,851.9
    _result("energy_total_calorific", "2026Q2", 50000)  # ÷ 0.49 = 102,040.8
    _result("energy_total_calorific", "2026Q3", 76000)  # ÷ 0.73 = 104,109.6
    for quarter, co2 in ((1, 82500), (2, 150000), (3, 228000)):
        _result("co2_emissions", f"2026Q{quarter}", co2)

    budgets_demo()
    budget = Budget.objects.get()
    assert (budget.version, budget.state, budget.document_no) == (
        1,
        "approved",
        "德经开管发〔2026〕3号",
    )
    assert (budget.drafted_by.username, budget.approved_by.username) == ("drs_clerk", "committee")
    assert budget.energy_tce == D("109000")  # the park's 100,000 tce of 2025 + 8.5 %, by the 1,000
    assert budget.co2_t == D("345000")
    assert (budget.drafted_at.month, budget.approved_at.month) == (1, 1)  # in January
    statuses = BudgetStatus.objects.filter(budget=budget).order_by("quarter")
    assert [(s.period, s.status) for s in statuses] == [
        ("2026Q1", "green"), ("2026Q2", "green"), ("2026Q3", "yellow"),
    ]  # fmt: skip
    q3 = statuses.last()
    assert q3.forecast_tce == (D("76000") / D("0.73")).quantize(D("0.000001"))
    assert D("0.95") * budget.energy_tce < q3.forecast_tce <= budget.energy_tce
    assert q3.use_tce < D("0.8") * budget.energy_tce  # yellow by the forecast, not the YTD rule
    assert q3.co2_status == "green"
    warning = EarlyWarning.objects.get(dedupe_key="budget:2026")
    assert (warning.level, warning.period, warning.department.code) == ("yellow", "2026Q3", "DRS")
    before = (AuditEvent.objects.count(), Budget.objects.count())
    budgets_demo()
    assert (AuditEvent.objects.count(), Budget.objects.count()) == before


def test_the_demo_park_s_budget_turns_yellow_at_its_approved_q3(park, settings, tmp_path):
    from accounts.demo import demo_setup
    from dashboards.models import EarlyWarning
    from enterprises.demo import enterprises_demo
    from projects.demo import projects_demo

    settings.MEDIA_ROOT = tmp_path
    demo_setup()
    enterprises_demo()
    projects_demo()
    (line,) = budgets_demo()
    budget = Budget.objects.get(year=2026)
    assert budget.state == "approved"
    statuses = list(BudgetStatus.objects.filter(budget=budget).order_by("quarter"))
    assert [(s.period, s.status) for s in statuses] == [
        ("2026Q1", "green"), ("2026Q2", "green"), ("2026Q3", "yellow"),
    ], line  # fmt: skip
    assert statuses[-1].energy_status == "yellow"
    assert EarlyWarning.objects.get(dedupe_key="budget:2026").level == "yellow"
