"""The accountable work in Debian's Chromium: a supporting unit's quarter (its clerk lands
on the unit's to-do page, reports its part with an evidence file, its head approves, the
lead unit's head co-signs) and the committee's verification (the queue, the evidence
downloaded back, 销号). No console error, nothing fetched from another host."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import connections

from accounts.models import User
from reporting.models import ReportingRound
from tasks.models import Department, PartReport, WorkItem, WorkItemPart
from tasks.workflow import part_report_approve, part_report_cosign, part_report_submit
from tests.test_dashboards_browser import Watch, _sign_in

WAIT_MS = 20_000
PERIOD = "2026Q3"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.fixture
def round_and_people(park, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 20)
    )

    def person(username, role, code):
        return User.objects.create_user(
            username=username, role=role, department=Department.objects.get(code=code)
        )

    return {
        "eco_clerk": person("zhao.eco", User.Role.CLERK, "ECO"),
        "eco_head": person("zhou.eco.head", User.Role.HEAD, "ECO"),
        "eit_clerk": person("qian.eit", User.Role.CLERK, "EIT"),
        "eit_head": person("sun.eit.head", User.Role.HEAD, "EIT"),
    }


def _part(code, unit):
    return WorkItemPart.objects.get(work_item__code=code, department__code=unit)


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_a_supporting_units_quarter(browser_page, live_server, artifacts_dir, round_and_people):
    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    people = round_and_people
    eco_part = _part("5.1", "ECO")
    evidence = artifacts_dir / "环评核查报告.pdf"
    evidence.write_bytes(PDF)

    # The clerk of 生态环境分局 (supporting task 5) starts at the unit's to-do page.
    _sign_in(page, base, people["eco_clerk"], "zh-hans")
    page.goto(base + "/")
    assert page.url.endswith("/tasks/todo/")
    row = page.locator(f"#part-{eco_part.pk}")
    row.locator("summary").click()
    row.locator("select[name=progress]").select_option("done")
    row.locator("input[name=quantity]").fill("3")
    row.locator("textarea[name=narrative]").fill("完成3家申报企业的环评核查。")
    row.locator("input[type=file]").set_input_files(str(evidence))
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    assert "已报送" in page.inner_text(".messages")
    page.screenshot(path=str(artifacts_dir / "eco-clerk-reported.png"), full_page=True)
    report = PartReport.objects.get(part=eco_part)
    assert report.state == "submitted"

    # Its head approves it.
    _sign_in(page, base, people["eco_head"], "zh-hans")
    page.goto(base + "/tasks/todo/")
    page.locator(f"#approval-{report.pk} button[name=approve]").click()
    page.wait_for_selector(".messages")
    report.refresh_from_db()
    assert report.state == "approved"

    # The lead unit (经信科技部) reports its own part, then its head co-signs ECO's part.
    lead = part_report_submit(
        part=_part("5.1", "EIT"), period=PERIOD, progress="done", quantity="5",
        narrative="5家企业获评绿色工厂。", user=people["eit_clerk"],
    )  # fmt: skip
    part_report_approve(report=lead, user=people["eit_head"])
    _sign_in(page, base, people["eit_head"], "en")
    page.goto(base + "/tasks/todo/")
    cosign = page.locator(f"#cosign-{report.pk}")
    assert "Co-sign" in cosign.inner_text()
    cosign.locator("button[name=cosign]").click()
    page.wait_for_selector(".messages")
    page.screenshot(path=str(artifacts_dir / "eit-head-cosigned.png"), full_page=True)
    report.refresh_from_db()
    assert report.state == "cosigned"
    assert watch.problems == []
    assert watch.blocked == []


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_the_committees_verification(
    browser_page, live_server, artifacts_dir, round_and_people, committee_member
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    people = round_and_people
    support = part_report_submit(
        part=_part("5.1", "ECO"), period=PERIOD, progress="done", quantity="3",
        narrative="环评核查完成。", user=people["eco_clerk"],
        files=[SimpleUploadedFile("核查报告.pdf", PDF)],
    )  # fmt: skip
    part_report_approve(report=support, user=people["eco_head"])
    lead = part_report_submit(
        part=_part("5.1", "EIT"), period=PERIOD, progress="done", quantity="5",
        narrative="5家企业获评绿色工厂。", user=people["eit_clerk"],
    )  # fmt: skip
    part_report_approve(report=lead, user=people["eit_head"])
    part_report_cosign(report=support, user=people["eit_head"])
    item = WorkItem.objects.get(code="5.1")

    _sign_in(page, base, committee_member, "zh-hans")
    page.goto(base + "/tasks/verification/")
    entry = page.locator(f"#verify-{item.pk}-{PERIOD}")
    assert entry.get_attribute("data-ready") == "true"
    entry.locator("details.support-report summary").click()
    with page.expect_download() as download:
        entry.locator("a[data-sha256]").first.click()
    assert Path(download.value.path()).read_bytes() == PDF
    entry.locator("input[name=comment]").first.fill("佐证齐全，同意销号。")
    entry.locator("button[name=verify]").click()
    page.wait_for_selector(".messages")
    assert "已核验销号" in page.inner_text(".messages")
    assert "没有待核验的工作要点" in page.content()
    page.screenshot(path=str(artifacts_dir / "committee-verified.png"), full_page=True)
    item.refresh_from_db()
    assert item.verified_by == committee_member
    # A download is a navigation Chromium aborts once the file is saved.
    assert [p for p in watch.problems if not ("/tasks/evidence/" in p and "ERR_ABORTED" in p)] == []
    assert watch.blocked == []


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_a_units_parts_exported_filled_in_and_imported(
    browser_page, live_server, artifacts_dir, round_and_people
):
    """The to-do page's bulk path: the unit's parts exported, filled in, uploaded,
    previewed with a row error, corrected, previewed again and confirmed."""
    import io

    import openpyxl

    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    _sign_in(page, base, round_and_people["eco_clerk"], "zh-hans")
    page.goto(base + "/tasks/todo/")
    with page.expect_download() as download:
        page.locator("#parts-export").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = workbook["数据"]
    header = [cell.value for cell in sheet[1]]
    column = {name: header.index(name) + 1 for name in header}
    for row in range(2, sheet.max_row + 1):
        code = sheet.cell(row=row, column=column["工作要点编号"]).value
        if code == "5.1":
            sheet.cell(row=row, column=column["进展"], value="已完成")
            sheet.cell(row=row, column=column["完成数量"], value="三家")  # not a number
            sheet.cell(row=row, column=column["进展情况"], value="完成3家企业环评核查。")
            line = row

    def upload(name):
        buffer = io.BytesIO()
        workbook.save(buffer)
        page.goto(base + "/tasks/todo/")
        page.locator("#parts-import input[type=file]").set_input_files(
            {"name": name, "mimeType": "application/octet-stream", "buffer": buffer.getvalue()}
        )
        with page.expect_navigation():
            page.locator("#parts-import button[type=submit]").click()

    upload("生态环境分局-分工.xlsx")
    error = page.locator(f'#import-errors tr[data-line="{line}"]')
    assert error.get_attribute("data-column") == "完成数量"
    assert "数量无效" in error.inner_text()
    assert page.locator("#import-apply").count() == 0
    assert PartReport.objects.count() == 0
    page.screenshot(path=str(artifacts_dir / "eco-import-refused.png"), full_page=True)

    sheet.cell(row=line, column=column["完成数量"], value="3")
    upload("生态环境分局-分工.xlsx")
    assert page.locator('#import-rows tr[data-item="5.1"]').get_attribute("data-progress") == "done"
    with page.expect_navigation():
        page.locator("#import-apply button[type=submit]").click()
    assert "已导入 1 项分工进展" in page.inner_text(".messages")
    report = PartReport.objects.get()
    assert (report.part.work_item.code, report.quantity, report.state) == ("5.1", 3, "submitted")
    assert watch.problems == []
    assert watch.blocked == []
