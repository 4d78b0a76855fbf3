"""The budget's demo (issue 18 item 10): 2026 drafted by DRS's clerk, approved by the
committee (v1, green), then revised to the province's lower total (v2, its own 文号): the
forecast from the approved quarters is above 95 % of it — yellow, DRS warned. A second run
changes nothing."""

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


def test_the_demo_budget_is_approved_revised_and_turns_yellow(park, cell_maker):
    from dashboards.models import EarlyWarning

    User.objects.create_user("drs_clerk", role=User.Role.CLERK,
                             department=Department.objects.get(code="DRS"))  # fmt: skip
    User.objects.create_user("committee", role=User.Role.COMMITTEE)
    for year in (2023, 2024, 2025):
        for quarter, energy in ((1, 27000), (2, 49000)):
            _result("energy_total_calorific", f"{year}Q{quarter}", energy)
            _result("co2_emissions", f"{year}Q{quarter}", energy * 3)
        _result("energy_total_calorific", str(year), 100000)
        _result("co2_emissions", str(year), 300000)
    _result("energy_intensity_iva", "2025", "0.5")
    _result("energy_total_calorific", "2025", 80000, scope=cell_maker.code)
    _result("energy_total_calorific", "2026Q1", 27500)
    _result("energy_total_calorific", "2026Q2", 51450)  # ÷ 0.49 = 105,000
    _result("co2_emissions", "2026Q2", 150000)

    budgets_demo()
    v1, v2 = Budget.objects.order_by("version")
    assert (v1.state, v1.document_no, v1.drafted_by.username) == (
        "superseded",
        "德经开管发〔2026〕3号",
        "drs_clerk",
    )
    assert (v2.state, v2.approved_by.username) == ("approved", "committee")
    assert v1.energy_tce == D("112000")  # the park's 100,000 tce of 2025 + 12 %
    assert BudgetStatus.objects.get(budget=v1, quarter=2).status == "green"
    q2 = BudgetStatus.objects.get(budget=v2, quarter=2)
    assert q2.forecast_tce == D("105000")
    assert q2.forecast_tce > v2.energy_tce * D("0.95")
    assert q2.forecast_tce <= v2.energy_tce
    assert q2.status == "yellow"
    warning = EarlyWarning.objects.get(dedupe_key="budget:2026")
    assert (warning.level, warning.department.code) == ("yellow", "DRS")
    before = (AuditEvent.objects.count(), Budget.objects.count())
    budgets_demo()
    assert (AuditEvent.objects.count(), Budget.objects.count()) == before
