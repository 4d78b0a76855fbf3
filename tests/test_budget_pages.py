"""The energy budget's pages and API (issue 18 items 6, 7 and 9): DRS drafts on the page,
the committee approves there, the dashboard shows allocated / used / forecast / remaining
with the Plotly chart and the versions, `budgets/{year}/` carries the same numbers, and the
page's query count does not grow with the enterprises."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from budgets import services
from budgets.models import Budget, BudgetStatus
from tasks.models import Department


def _result(code, period, value, scope=""):
    from indicators.models import Indicator, IndicatorResult

    year, _, quarter = period.partition("Q")
    return IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code=code), period=period, year=int(year),
        quarter=int(quarter) if quarter else None, scope=scope, value=D(value),
    )  # fmt: skip


def _enterprises(count: int, start: int = 0):
    from enterprises.models import Enterprise
    from indicators.models import Indicator, IndicatorResult

    drs = Department.objects.get(code="DRS")
    made = Enterprise.objects.bulk_create(
        Enterprise(code=f"91371400MB{n:08d}", name=f"企业{n:04d}", industry="2614",
                   supervising_department=drs)
        for n in range(start, start + count)
    )  # fmt: skip
    energy = Indicator.objects.get(code="energy_total_calorific")
    rows = []
    for enterprise in made:
        rows.append(IndicatorResult(indicator=energy, period="2025", year=2025, scope=enterprise.code,
                                    value=D("100")))  # fmt: skip
        rows.append(IndicatorResult(indicator=energy, period="2026Q3", year=2026, quarter=3,
                                    scope=enterprise.code, value=D("90")))  # fmt: skip
    for row in rows:
        row.save()
    return made


@pytest.fixture
def park_history(park):
    for year in (2023, 2024, 2025):
        for quarter, energy in ((1, 22000), (2, 47000), (3, 73000)):
            _result("energy_total_calorific", f"{year}Q{quarter}", energy)
        _result("energy_total_calorific", str(year), 100000)
        _result("co2_emissions", f"{year}Q3", 150000)
        _result("co2_emissions", str(year), 200000)
    for quarter, energy, co2 in ((1, 20000, 50000), (2, 45000, 100000), (3, 76000, 150000)):
        _result("energy_total_calorific", f"2026Q{quarter}", energy)
        _result("co2_emissions", f"2026Q{quarter}", co2)


def test_drs_drafts_and_the_committee_approves_on_the_page(client, clerk, committee_member,
                                                           park_history,
                                                           django_capture_on_commit_callbacks):  # fmt: skip
    client.force_login(clerk)
    page = client.get(reverse("budgets:index"))
    assert "本年度尚未编制用能预算" in page.content.decode()
    refused = client.post(reverse("budgets:draft"), {"year": "2026", "basis": "calorific",
                                                     "energy_tce": "-1", "co2_t": "250000"}, follow=True)  # fmt: skip
    assert "须大于零" in refused.content.decode()
    assert not Budget.objects.exists()
    client.post(reverse("budgets:draft"), {"year": "2026", "basis": "calorific",
                                           "energy_tce": "100000", "co2_t": "250000"})  # fmt: skip
    budget = Budget.objects.get()
    assert budget.state == "draft"
    assert (
        'id="approve-form"'
        not in client.get(reverse("budgets:dashboard", args=[2026])).content.decode()
    )
    client.force_login(committee_member)
    page = client.get(reverse("budgets:dashboard", args=[2026])).content.decode()
    assert 'id="approve-form"' in page
    missing = client.post(reverse("budgets:approve", args=[2026]),
                          {"version": "1", "reason": "审议通过", "document_no": ""}, follow=True)  # fmt: skip
    assert "文号" in missing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("budgets:approve", args=[2026]),
                    {"version": "1", "reason": "审议通过", "document_no": "德经管字〔2026〕3号"})  # fmt: skip
    budget.refresh_from_db()
    assert budget.state == "approved"
    # The approval queued the recompute (run in process here): Q1–Q3 from the approved results
    # (20,000 ÷ 0.22 = 90,909 green; 45,000 ÷ 0.47 = 95,745 > 95 % yellow; 76,000 ÷ 0.73 red).
    assert list(BudgetStatus.objects.filter(budget=budget).values_list("period", "status")) == [
        ("2026Q1", "green"), ("2026Q2", "yellow"), ("2026Q3", "red"),
    ]  # fmt: skip
    page = client.get(reverse("budgets:dashboard", args=[2026])).content.decode()
    assert 'data-chart="budget-figure"' in page
    assert "plotly/plotly.min.js" in page
    assert "cdn" not in page.lower()
    assert "德经管字〔2026〕3号" in page
    assert 'data-status="red"' in page


def test_the_api_carries_the_budget_the_allocations_and_the_quarters(
    client, clerk, committee_member, auditor, park_history
):
    _enterprises(2)
    budget = services.budget_draft(user=clerk, year=2026, basis="calorific", energy_tce="100000",
                                   co2_t="250000", department=Department.objects.get(code="DRS"))  # fmt: skip
    services.budget_approve(
        user=committee_member, budget=budget, reason="审议通过", document_no="德经管字〔2026〕3号"
    )
    services.budgets_recompute()
    client.force_login(auditor)
    document = client.get("/api/v1/budgets/2026/").json()
    assert document["energy_tce"] == "100000"
    assert document["reserve"]["energy_tce"] == "99800"
    assert [a["energy_tce"] for a in document["allocations"]] == ["100", "100"]
    q3 = document["quarters"][-1]
    # 76,000 ÷ 0.73 = 104,109.589…: above the budget
    assert q3["period"] == "2026Q3"
    assert D(q3["forecast_tce"]) == (D("76000") / D("0.73")).quantize(D("0.000001"))
    assert (q3["status"], document["status"]) == ("red", "red")
    assert document["allocations"][0]["status"] == "red"  # 90 ÷ 0.73 > 100
    assert client.get("/api/v1/budgets/2031/").status_code == 404


def _projects_starting(enterprises, clerk):
    """A project of each enterprise with an approved review of 20 tce a year, starting
    operation in 2026 (month by month)."""
    import datetime as dt

    from projects.models import EnergyReview, Project, StageEvent

    drs = Department.objects.get(code="DRS")
    projects = Project.objects.bulk_create(
        Project(code=f"DZ-P-{n:04d}", name=f"项目{n:04d}", enterprise=enterprise, kind="new",
                department=drs, value_added=D(1000), created_by=clerk)
        for n, enterprise in enumerate(enterprises)
    )  # fmt: skip
    EnergyReview.objects.bulk_create(
        EnergyReview(project=p, uses=[], calorific_tce=D(20), equal_value_tce=D(40),
                     electricity_wan_kwh=D(10), coal_t=D(0), authority="local",
                     document_no=f"德发改审〔2026〕{n}号", approved_calorific_tce=D(20),
                     recorded_by=clerk)
        for n, p in enumerate(projects)
    )  # fmt: skip
    StageEvent.objects.bulk_create(
        StageEvent(project=p, stage="operation", planned_date=dt.date(2026, 1 + n % 12, 1),
                   recorded_by=clerk)
        for n, p in enumerate(projects)
    )  # fmt: skip


# The dashboard's queries: the session and the user; the approved version (with its
# department and people); the versions; the statuses; the allocation totals by kind; the
# project allocations; the largest enterprise allocations; the years with a budget.
DASHBOARD = 2 + 7


@pytest.mark.parametrize("count", [10, 1000])
def test_the_dashboard_s_query_count_does_not_grow(client, clerk, committee_member, park_history,
                                                  count, django_assert_num_queries):  # fmt: skip
    """As many enterprises and projects starting operation in the year: 10, then 1,000."""
    _projects_starting(_enterprises(count), clerk)
    budget = services.budget_draft(user=clerk, year=2026, basis="calorific", energy_tce="500000",
                                   co2_t="250000", department=Department.objects.get(code="DRS"))  # fmt: skip
    assert budget.allocations.filter(kind="project").count() == count
    services.budget_approve(
        user=committee_member, budget=budget, reason="审议通过", document_no="德经管字〔2026〕3号"
    )
    services.budgets_recompute()
    client.force_login(committee_member)
    url = reverse("budgets:dashboard", args=[2026])
    client.get(url)
    with django_assert_num_queries(DASHBOARD):
        page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert content.count("<tr><td>企业") == min(count, 50)
    assert content.count('<tr><td><a href="/projects/') == min(count, 50)


def test_the_english_dashboard_has_no_chinese_outside_names(client, clerk, committee_member,
                                                            park_history, settings):  # fmt: skip
    import re

    budget = services.budget_draft(user=clerk, year=2026, basis="calorific", energy_tce="100000",
                                   co2_t="250000", department=Department.objects.get(code="DRS"))  # fmt: skip
    services.budget_approve(
        user=committee_member, budget=budget, reason="审议通过", document_no="德经管字〔2026〕3号"
    )
    services.budgets_recompute()
    client.force_login(committee_member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("budgets:dashboard", args=[2026])).content.decode()
    assert "Energy budget 2026" in page
    headings = re.findall(r"<(?:h1|h2|th|dt|label|button)[^>]*>(.*?)<", page)
    assert headings
    assert [h for h in headings if re.search(r"[\u4e00-\u9fff]", h) and h != "中文"] == []


def test_the_execution_report_read_back_as_xlsx_and_pdf(client, clerk, committee_member, auditor,
                                                        park_history, tmp_path):  # fmt: skip
    import subprocess

    from openpyxl import load_workbook

    _enterprises(3)
    budget = services.budget_draft(user=clerk, year=2026, basis="calorific", energy_tce="100000",
                                   co2_t="250000", department=Department.objects.get(code="DRS"),
                                   note="=HYPERLINK(\"http://x\")")  # fmt: skip
    services.budget_approve(user=committee_member, budget=budget, reason="=1+1 审议通过",
                            document_no="德经管字〔2026〕3号")  # fmt: skip
    services.budgets_recompute()
    client.force_login(auditor)
    response = client.get(reverse("budgets:export", args=[2026, "xlsx"]))
    assert response.status_code == 200
    path = tmp_path / "budget.xlsx"
    path.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    book = load_workbook(path)
    summary = {row[0]: row[1] for row in book["预算"].iter_rows(min_row=2, values_only=True)}
    assert summary["用能预算（吨标准煤）"] == 100000
    assert summary["文号"] == "德经管字〔2026〕3号"
    assert summary["批准理由"] == "=1+1 审议通过"  # text, never a formula
    assert book["预算"]["B12"].data_type == "s"
    quarters = list(book["分季度执行情况"].iter_rows(min_row=2, values_only=True))
    assert [q[0] for q in quarters] == ["2026Q1", "2026Q2", "2026Q3"]
    assert quarters[-1][3] == pytest.approx(float(D("76000") / D("0.73")))
    assert quarters[-1][6] == "超预算（红）"
    allocations = list(book["预算分配"].iter_rows(min_row=2, values_only=True))
    assert len(allocations) == 3 + 1  # three enterprises and the reserve
    assert allocations[-1][4] == 99700

    response = client.get(reverse("budgets:export", args=[2026, "pdf"]))
    assert response.status_code == 200
    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "2026年用能预算执行报告" in text
    assert "100,000.0" in text
    assert "104,109.6" in text  # 76,000 ÷ 0.73
    assert "超预算（红）" in text
    assert client.get(reverse("budgets:export", args=[2026, "doc"])).status_code == 404
