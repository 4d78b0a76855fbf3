"""The attainment report gains the energy budget's status (issue 18 item 8): the round's
frozen snapshot carries the year's approved budget with its use, forecast and status through
the round's quarter; the xlsx has a 用能预算 sheet (numbers as numbers, text inert), the PDF a
section with the chart; the same snapshot gives the same bytes, a budget revised after the
freeze does not change the frozen report, and a snapshot frozen before the budget existed
(no "budget" entry) still renders without it."""

import io
import subprocess
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from budgets import services
from reporting.services import round_open
from reports.models import RoundSnapshot
from reports.services import report_generate, report_request
from tests.test_budgets import _draft, _result, history, new_line  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_round(clerk, committee_member, statistics_office, history, new_line, cell_maker):  # noqa: F811
    """2026's budget (100,000 tce, 250,000 t) approved by the committee; the park's 2026
    Q1–Q3 and the enterprise's Q3 approved and recomputed; the 2026Q3 round open."""
    budget = _draft(clerk)
    services.budget_approve(user=committee_member, budget=budget, reason="管委会审议通过",
                            document_no="德经管字〔2026〕3号")  # fmt: skip
    for quarter, energy, co2 in ((1, 21000, 50000), (2, 45000, 100000), (3, 73000, 150000)):
        _result("energy_total_calorific", f"2026Q{quarter}", energy)
        _result("co2_emissions", f"2026Q{quarter}", co2)
    _result("energy_total_calorific", "2026Q3", 26000, scope=cell_maker.code)
    services.budgets_recompute()
    return round_open(period="2026Q3", user=statistics_office)


def _generated(reporting_round, user, fmt, language="zh-hans"):
    request = report_request(reporting_round=reporting_round, fmt=fmt, language=language, user=user)
    report_generate(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "done", request.error
    return request


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_snapshot_freezes_the_budget_through_the_round_s_quarter(frozen_round, auditor):
    _generated(frozen_round, auditor, "xlsx")
    entry = RoundSnapshot.objects.get(reporting_round=frozen_round).content["budget"]
    assert (entry["year"], entry["version"], entry["document_no"]) == (
        2026,
        1,
        "德经管字〔2026〕3号",
    )
    assert D(entry["energy_tce"]) == D("100000")
    assert [q["period"] for q in entry["quarters"]] == ["2026Q1", "2026Q2", "2026Q3"]
    q3 = entry["quarters"][-1]
    # 73,000 ÷ 0.73 (the three years' mean share by Q3); the project started in Q3: no extra
    assert D(q3["forecast_tce"]) == D("100000")
    assert q3["status"] == "yellow"  # above 95 % of the budget, not above it
    assert entry["enterprises_by_status"] == {"green": 0, "yellow": 0, "red": 1}
    (watched,) = entry["enterprises_watched"]
    assert (D(watched["energy_tce"]), D(watched["use_tce"]), watched["status"]) == (
        D("30000"), D("26000"), "red",
    )  # fmt: skip
    assert entry["allocations"]["reserve"]["count"] == 1


def test_the_round_of_an_earlier_quarter_freezes_the_budget_as_it_stood(
    frozen_round, statistics_office, auditor
):
    second = round_open(period="2026Q2", user=statistics_office)
    _generated(second, auditor, "xlsx")
    entry = RoundSnapshot.objects.get(reporting_round=second).content["budget"]
    assert [q["period"] for q in entry["quarters"]] == ["2026Q1", "2026Q2"]
    assert entry["enterprises_by_status"] == {"green": 0, "yellow": 0, "red": 0}


def test_the_xlsx_report_has_a_budget_sheet_with_numbers_as_numbers(
    frozen_round, auditor, cell_maker
):
    report = _generated(frozen_round, auditor, "xlsx")
    workbook = load_workbook(io.BytesIO(bytes(report.content)))
    assert "用能预算" in workbook.sheetnames
    rows = list(workbook["用能预算"].iter_rows(values_only=True))
    assert "用能预算" in rows[0][0]
    facts = {row[0]: row[1] for row in rows if row and row[0]}
    assert facts["用能预算（吨标准煤）"] == 100000
    assert facts["文号"] == "德经管字〔2026〕3号"
    assert facts["全年预测用能"] == pytest.approx(100000)
    assert facts["剩余"] == pytest.approx(27000)
    assert facts["状态"] == "预警（黄）"
    quarter = next(row for row in rows if row[0] == "2026Q3" and row[1] is not None)
    assert quarter[1] == 73000
    assert quarter[2] == pytest.approx(0.73)
    assert quarter[6] == "预警（黄）"
    enterprise = next(row for row in rows if row[0] == cell_maker.code)
    assert enterprise[1] == "德州锂能电池有限公司"
    assert enterprise[2:4] == (30000, 26000)
    assert enterprise[5] == "超预算（红）"


def test_the_english_report_names_the_budget_in_english(frozen_round, auditor):
    report = _generated(frozen_round, auditor, "xlsx", language="en")
    workbook = load_workbook(io.BytesIO(bytes(report.content)))
    rows = list(workbook["Energy budget"].iter_rows(values_only=True))
    facts = {row[0]: row[1] for row in rows if row and row[0]}
    assert facts["Status"] == "Yellow"
    assert facts["Basis"] == "Calorific"


def test_the_pdf_report_shows_the_budget_status_and_its_chart(frozen_round, auditor, tmp_path):
    report = _generated(frozen_round, auditor, "pdf")
    text = _pdf_text(bytes(report.content), tmp_path)
    assert "用能预算" in text
    assert "〔2026〕3号" in text
    assert "73,000.0" in text
    assert "100,000.0" in text
    assert "预警（黄）" in text
    assert "超预算（红）" in text  # the enterprise above its allocation


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_the_same_snapshot_gives_the_same_bytes_after_the_budget_is_revised(
    frozen_round, auditor, committee_member, statistics_office, fmt
):
    first = _generated(frozen_round, auditor, fmt)
    revised = _draft(statistics_office, energy_tce=D("150000"))
    services.budget_approve(user=committee_member, budget=revised, reason="上级调整下达",
                            document_no="德经管字〔2026〕9号")  # fmt: skip
    services.budgets_recompute()
    second = _generated(frozen_round, committee_member, fmt)
    assert first.sha256 == second.sha256
    entry = RoundSnapshot.objects.get(reporting_round=frozen_round).content["budget"]
    assert entry["version"] == 1


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_a_snapshot_frozen_before_the_budget_still_renders_without_it(
    frozen_round, auditor, committee_member, fmt, tmp_path
):
    from reports import rendering

    first = _generated(frozen_round, auditor, fmt)
    snapshot = RoundSnapshot.objects.get(reporting_round=frozen_round)
    old = {key: value for key, value in snapshot.content.items() if key != "budget"}
    made = [
        rendering.render(old, fmt=fmt, language="zh-hans", taken_at=snapshot.taken_at,
                         progress=lambda _p: None)
        for _ in range(2)
    ]  # fmt: skip
    assert made[0] == made[1]
    assert made[0] != bytes(first.content)
    if fmt == "xlsx":
        assert "用能预算" not in load_workbook(io.BytesIO(made[0])).sheetnames
    else:
        assert "季节系数" not in _pdf_text(made[0], tmp_path)
