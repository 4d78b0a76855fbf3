"""The key projects' reports (issue 18 item 8), read back: 重点项目清单, 节能审查台账,
碳排放评价台账 and investment by quarter as inert xlsx (openpyxl) and CJK PDF (pdftotext),
and the key-projects sheet of the attainment report."""

import datetime as dt
import io
import subprocess
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from projects import exporting, services, updates
from reporting.services import round_open
from tasks.models import Department

USES = [
    {"carrier": "coal_raw", "quantity": "2000", "unit": "t"},
    {"carrier": "electricity", "quantity": "3000", "unit": "万kWh"},
]
HOSTILE = '=HYPERLINK("http://x")'


@pytest.fixture
def reported(clerk, head, statistics_office, cell_maker):
    """A reviewed and assessed project with two approved quarters and a returned version,
    and a second project whose name would be a formula in a careless spreadsheet."""
    drs = Department.objects.get(code="DRS")
    project = services.project_register(
        user=clerk, code="DZ-2026-301", name="储能电池项目", enterprise=cell_maker, kind="new",
        department=drs, investment_planned={"special_bonds": D("6000"), "self_raised": D("4000")},
        value_added=D("50000"), product_quantity=D("10000"), product_unit="MWh",
    )  # fmt: skip
    services.project_register(user=clerk, code="DZ-2026-302", name=HOSTILE, enterprise=cell_maker,
                              kind="retrofit", department=drs)  # fmt: skip
    services.energy_review_record(
        user=clerk, project=project, uses=USES, year=2022, opinion_authority="德州市发改委",
        document_no="德发改审〔2026〕15号", opinion_date=dt.date(2026, 3, 1),
        approved_calorific_tce=D("5000"),
    )  # fmt: skip
    services.carbon_assessment_record(
        user=clerk, project=project, uses=USES, year=2022, benchmark=D("0.5"),
        benchmark_source="《行业碳排放基准》(示例)", conclusion="低于行业基准",
    )  # fmt: skip
    services.project_stage_record(user=clerk, project=project, stage="approved",
                                  actual_date=dt.date(2026, 2, 1))  # fmt: skip
    for period in ("2026Q3", "2026Q4"):
        round_open(period=period, user=statistics_office)
    first = updates.project_update_submit(user=clerk, project=project, period="2026Q3",
                                          stage="approved",
                                          investment_completed={"special_bonds": "1500"})  # fmt: skip
    updates.project_update_approve(update=first, user=head)
    returned = updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                             stage="approved",
                                             investment_completed={"special_bonds": "9999"})  # fmt: skip
    updates.project_update_return(update=returned, user=head, comment="金额有误")
    second = updates.project_update_submit(
        user=clerk, project=project, period="2026Q4", stage="approved",
        investment_completed={"special_bonds": "2000.5", "self_raised": "500"},
    )  # fmt: skip
    updates.project_update_approve(update=second, user=head)
    return project


def _xlsx(client, kind):
    response = client.get(f"/projects/reports/{kind}.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)
                                        if response.streaming else response.content))  # fmt: skip
    return list(workbook.worksheets[0].iter_rows(values_only=True)), workbook.worksheets[0]


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_project_list_in_xlsx_has_numbers_as_numbers_and_inert_text(client, auditor, reported):
    client.force_login(auditor)
    rows, sheet = _xlsx(client, "list")
    assert rows[0][0] == "重点项目清单"
    assert rows[1][:3] == ("项目代码", "项目名称", "企业")
    by_code = {row[0]: row for row in rows[2:]}
    row = by_code["DZ-2026-301"]
    assert row[6] == "立项"
    assert row[7] == 10000  # planned
    assert row[8] == "专项债"  # the main funding source
    assert row[9] == pytest.approx(4000.5)  # approved quarters only: 1500 + 2000.5 + 500
    assert row[10] == pytest.approx(0.40005)
    assert row[12] == pytest.approx(5115.6)  # 2000 × 0.7143 + 3000 × 1.229 (当量, computed)
    assert row[14] == "德发改审〔2026〕15号"
    hostile = [c for c in sheet["B"] if c.value == HOSTILE]
    assert hostile
    assert hostile[0].data_type == "s"


def test_the_ledgers_and_investment_by_quarter_read_back(client, committee_member, reported):
    client.force_login(committee_member)
    rows, _sheet = _xlsx(client, "reviews")
    assert rows[0][0] == "节能审查台账"
    review = rows[2]
    assert review[0] == "DZ-2026-301"
    assert review[10] == "德发改审〔2026〕15号"
    assert review[11] == "2026-03-01"
    assert review[12] == 5000
    rows, _sheet = _xlsx(client, "assessments")
    assessment = rows[2]
    assert assessment[12] == "《行业碳排放基准》(示例)"
    assert assessment[11] == pytest.approx(0.5)
    assert assessment[8] == pytest.approx(sum(assessment[4:8]))
    rows, _sheet = _xlsx(client, "investment")
    assert rows[1] == ("项目代码", "项目名称", "计划投资（万元）", "2026Q3", "2026Q4",
                       "累计完成(万元)", "投资完成率")  # fmt: skip
    project_row = next(r for r in rows if r[0] == "DZ-2026-301")
    assert project_row[3:6] == (1500, 2500.5, 4000.5)  # the returned 9999 does not count
    total = rows[-1]
    assert total[1] == "合计"
    assert total[5] == pytest.approx(4000.5)


def test_the_reports_in_english(client, auditor, reported):
    client.force_login(auditor)
    client.cookies["django_language"] = "en"
    rows, _sheet = _xlsx(client, "list")
    assert rows[0][0] == "Key projects"
    row = next(r for r in rows if r and r[0] == "DZ-2026-301")
    assert row[4] == "New"
    assert row[8] == "Special bonds"


def test_the_pdf_reports_have_chinese_text_and_read_back(client, auditor, reported, tmp_path):
    client.force_login(auditor)
    response = client.get("/projects/reports/reviews.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.content, tmp_path)
    assert "节能审查台账" in text
    assert "DZ-2026-301" in text
    assert "〔2026〕15号" in text  # the 文号 (wrapped in its narrow column)
    text = _pdf_text(client.get("/projects/reports/investment.pdf").content, tmp_path)
    assert "4,000.50" in text
    assert "合计" in text


def test_unknown_reports_are_not_found(client, auditor, reported):
    client.force_login(auditor)
    assert client.get("/projects/reports/secrets.xlsx").status_code == 404
    assert client.get("/projects/reports/list.docx").status_code == 404


def test_the_attainment_report_gains_a_key_projects_sheet(auditor, reported, statistics_office):
    from reports.services import report_generate, report_request

    reporting_round = round_open(period="2026Q2", user=statistics_office)
    request = report_request(reporting_round=reporting_round, fmt="xlsx", language="zh-hans",
                             user=auditor)  # fmt: skip
    report_generate(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "done", request.error
    workbook = load_workbook(io.BytesIO(bytes(request.content)))
    assert "重点项目" in workbook.sheetnames
    rows = list(workbook["重点项目"].iter_rows(values_only=True))
    row = next(r for r in rows if r and r[0] == "DZ-2026-301")
    assert row[9] == pytest.approx(4000.5)
    assert row[14] == "德发改审〔2026〕15号"
    assert exporting.snapshot_rows()[0]["stage_en"] == "Approved"
