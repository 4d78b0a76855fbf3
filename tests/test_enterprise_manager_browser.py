"""The energy manager's side in Debian's Chromium (issue 17 #5, #9): it answers a finding of
an on-site visit (acknowledges, reports progress with an evidence file, asks for closure)
and DRS's head verifies and closes it; it uploads its quarter from the xlsx template, DRS's
head finds it on the to-do page and returns it, the manager corrects and resubmits it, the
head approves it. No console error on the way."""

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connections

from dashboards.models import EarlyWarning, WarningEvidence
from enterprises import quarter_file, work_services
from enterprises.models import EnterprisePeriod, Finding
from enterprises.quarters import ENTERPRISE_ITEMS
from indicators.models import Figure
from tests.test_footprints_browser import _sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PERIOD = "2024Q1"


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


def _console_errors(page) -> list:
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return errors


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_energy_manager_answers_a_finding_and_drs_closes_it_in_the_browser(
    browser_page, live_server, energy_manager, cell_maker, clerk, head
):
    from playwright.sync_api import expect

    visit = work_services.visit_record(
        user=clerk, enterprise=cell_maker, visit_date=dt.date(2025, 10, 15), inspectors="李明",
        summary="", findings=[{"description": "二级计量缺失", "requirement": "加装电表",
                               "due_date": "2099-12-31"}],
    )  # fmt: skip
    finding = Finding.objects.get(visit=visit)
    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = _console_errors(page)
    base = live_server.url

    _sign_in(page, base, energy_manager)
    page.goto(f"{base}/enterprises/{cell_maker.code}/visits/")
    page.locator(f"tr[data-open-finding='{finding.pk}'] a").click()
    expect(page.locator("#finding")).to_have_attribute("data-state", "open")
    page.fill("#acknowledge textarea[name=response]", "已安排采购二级电表")
    page.fill("#acknowledge textarea[name=plan]", "十一月底前完成安装")
    page.locator("#acknowledge button[type=submit]").click()
    expect(page.locator("#finding")).to_have_attribute("data-state", "acknowledged")
    page.fill("#report-progress textarea[name=note]", "电表已到货，安装中")
    page.set_input_files(
        "#report-progress input[name=file]",
        files=[{"name": "到货单.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.locator("#report-progress button[type=submit]").click()
    expect(page.locator("#progress")).to_contain_text("到货单.pdf")
    page.fill("#resolve textarea[name=evidence]", "电表已安装并接入在线监测")
    page.locator("#resolve button[type=submit]").click()
    expect(page.locator("#finding")).to_have_attribute("data-state", "resolved")
    expect(page.locator("#verify")).to_have_count(0)  # never closes its own finding

    _sign_in(page, base, head)
    page.goto(f"{base}/enterprises/{cell_maker.code}/findings/{finding.pk}/")
    expect(page.locator("#progress")).to_contain_text("电表已到货")
    page.fill("#verify textarea[name=comment]", "现场核实已整改")
    page.locator("#verify button[value=close]").click()
    expect(page.locator("#finding")).to_have_attribute("data-state", "closed")
    warning = EarlyWarning.objects.get(pk=finding.warning_id)
    assert warning.closed_by == head
    assert warning.acknowledged_by == energy_manager
    assert WarningEvidence.objects.get(warning=warning).name == "到货单.pdf"
    assert errors == [], errors


def _filled(template: bytes, values: dict) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template))
    for row in book["数据"].iter_rows(min_row=2):
        row[3].value = values.get(row[1].value, 0)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_energy_manager_uploads_its_quarter_and_drs_reviews_it_in_the_browser(
    browser_page, live_server, energy_manager, cell_maker, head
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)
    errors = _console_errors(page)
    base = live_server.url
    quarter_url = f"{base}/enterprises/{cell_maker.code}/quarters/{PERIOD}/"
    content = _filled(
        quarter_file.enterprise_quarter_template_xlsx(
            enterprise=cell_maker, period=PERIOD, user=energy_manager
        ),
        {"electricity_grid": 120.5, "iva_current": 3400},
    )
    assert len(ENTERPRISE_ITEMS) > 2

    _sign_in(page, base, energy_manager)
    page.goto(quarter_url)
    page.locator("#upload-link").click()
    expect(page.locator("#template-link")).to_be_visible()
    page.set_input_files(
        "#upload-file",
        files=[{"name": "企业季度.xlsx", "buffer": content, "mimeType": quarter_file_type()}],
    )
    page.locator("#upload-button").click()
    expect(page.locator("#preview")).to_have_attribute("data-status", "preview")
    expect(page.locator("tr[data-item=electricity_grid]")).to_contain_text("120.5")
    page.locator("#confirm-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#value-electricity_grid")).to_have_value("120.5")
    page.locator("#submit-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "submitted")

    _sign_in(page, base, head)
    page.goto(f"{base}/tasks/todo/")
    page.locator(
        f"#todo-enterprise-quarters li[data-quarter='{cell_maker.code}-{PERIOD}'] a"
    ).click()
    page.fill("#review-comment-input", "电量与电费单不符，请核对。")
    page.locator("#return-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "returned")

    _sign_in(page, base, energy_manager)
    page.goto(quarter_url)
    expect(page.locator("#review-comment")).to_contain_text("电量与电费单不符")
    page.fill("#value-electricity_grid", "125")
    page.locator("#submit-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "submitted")

    _sign_in(page, base, head)
    page.goto(f"{base}/enterprises/quarters/")
    page.locator(f"tr[data-quarter='{cell_maker.code}-{PERIOD}'] a").click()
    page.locator("#approve-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "approved")
    counted = Figure.objects.get(scope=cell_maker.code, period=PERIOD, counts=True,
                                 item__code="electricity_grid")  # fmt: skip
    assert str(counted.value.normalize()) == "125"
    assert EnterprisePeriod.objects.get(enterprise=cell_maker, period=PERIOD).decided_by == head
    assert errors == [], errors


def quarter_file_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
