"""The pilot's pages in Debian's Chromium (issue 20): DRS's clerk drafts a section of the
annual report (two saves, both kept in the history) and submits it; the committee approves
it, freezes the report and downloads the .docx and the PDF — the bytes the job stored; a
case goes candidate → submitted → selected by the province (refused without its 文号);
an anonymous visitor's public page shows the published items and nothing else. No
console error on the way."""

import hashlib

import pytest

from pilot import services
from pilot.models import AnnualReport, Case, ReportExport, ReportSection, SectionVersion
from tests.test_footprints_browser import _database_closed_after_the_browser, _sign_in  # noqa: F401


def _console_errors(page) -> list[str]:
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return errors


@pytest.fixture
def nearly_approved(committee_member, clerk, other_clerk):
    """The 2025 workspace with every section approved but DRS's 存在问题 (still a draft)."""
    report = services.annual_report_open(year=2025, user=committee_member)
    for section in report.sections.exclude(key="problems"):
        writer = other_clerk if section.owner.code == "ECO" else clerk
        services.section_save(section=section, narrative=f"{section.key} 说明", user=writer)
        services.section_submit(section=section, user=writer)
        services.section_decide(section=section, approve=True, comment="", user=committee_member)
    return report


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_a_section_is_drafted_approved_frozen_and_downloaded_in_the_browser(
    browser_page, live_server, nearly_approved, clerk, committee_member
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = _console_errors(page)
    base = live_server.url
    url = f"{base}/pilot/reports/2025/"

    _sign_in(page, base, clerk)
    page.goto(url)
    problems = page.locator("#section-problems")
    expect(problems).to_have_attribute("data-state", "draft")
    problems.locator("textarea[name=narrative]").fill("部分项目用能数据报送滞后。")
    problems.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("章节已保存")
    problems.locator("textarea[name=narrative]").fill("部分项目用能数据报送滞后，已督促整改。")
    problems.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("章节已保存")
    problems.locator("details.pilot-history summary").click()
    expect(problems.locator("li[data-version]")).to_have_count(2)
    expect(problems.locator("li[data-version='1']")).to_contain_text("部分项目用能数据报送滞后。")
    problems.get_by_role("button", name="提交审定").click()
    expect(page.locator(".messages")).to_contain_text("章节已提交管委会审定")
    expect(problems).to_have_attribute("data-state", "submitted")
    expect(problems.get_by_role("button", name="审定通过")).to_have_count(0)  # not the clerk's

    _sign_in(page, base, committee_member)
    page.goto(url)
    expect(page.get_by_role("button", name="定稿并冻结")).to_be_disabled()
    problems.get_by_role("button", name="审定通过").click()
    expect(page.locator(".messages")).to_contain_text("章节已审定")
    page.get_by_role("button", name="定稿并冻结").click()
    expect(page.locator(".messages")).to_contain_text("报告已定稿")
    report = AnnualReport.objects.get(year=2025)
    expect(page.locator("#frozen")).to_contain_text(report.content_sha256)
    assert report.content["sections"][5]["narrative"] == "部分项目用能数据报送滞后，已督促整改。"

    for fmt, suffix in (("docx", ".docx"), ("pdf", ".pdf")):
        page.goto(url)
        exports = page.locator("#exports")
        exports.locator("select[name=format]").select_option(fmt)
        exports.locator("select[name=language]").select_option("zh-hans")
        exports.get_by_role("button", name="生成").click()
        expect(page.locator("[data-status]")).to_have_attribute(
            "data-status", "done", timeout=60_000
        )
        with page.expect_download() as download:
            page.locator("a.download").click()
        path = download.value.path()
        assert download.value.suggested_filename.endswith(suffix)
        stored = ReportExport.objects.get(format=fmt)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256
    assert SectionVersion.objects.filter(section__key="problems").count() == 2
    assert errors == [], errors


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_a_case_goes_from_candidate_to_selected_by_the_province_in_the_browser(
    browser_page, live_server, clerk, committee_member
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)
    errors = _console_errors(page)
    base = live_server.url

    _sign_in(page, base, clerk)
    page.goto(f"{base}/pilot/cases/")
    page.fill("input[name=title_zh]", "园区屋顶分布式光伏整体推进")
    page.fill("input[name=year]", "2026")
    page.fill("textarea[name=summary_zh]", "统一规划、整体备案，屋顶光伏全覆盖。")
    page.get_by_role("button", name="登记为候选案例").click()
    expect(page.locator(".messages")).to_contain_text("案例已登记为候选")
    expect(page.locator("#case")).to_have_attribute("data-status", "candidate")
    case = Case.objects.get()
    assert case.department == clerk.department

    _sign_in(page, base, committee_member)
    page.goto(f"{base}/pilot/cases/{case.pk}/")
    page.select_option("select[name=status]", "submitted")
    page.get_by_role("button", name="更新状态").click()
    expect(page.locator("#case")).to_have_attribute("data-status", "submitted")
    page.select_option("select[name=status]", "province")
    page.get_by_role("button", name="更新状态").click()  # no 文号: refused
    expect(page.locator(".messages")).to_contain_text("文号")
    expect(page.locator("#case")).to_have_attribute("data-status", "submitted")
    page.select_option("select[name=status]", "province")
    page.fill("input[name=document_no]", "鲁发改环资〔2026〕88号")
    page.get_by_role("button", name="更新状态").click()
    expect(page.locator("#case")).to_have_attribute("data-status", "province")
    expect(page.locator("#case")).to_contain_text("鲁发改环资〔2026〕88号")
    case.refresh_from_db()
    assert (case.status, case.document_no) == ("province", "鲁发改环资〔2026〕88号")
    assert errors == [], errors


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_an_anonymous_visitor_sees_only_published_items_in_the_browser(
    browser_page, live_server, clerk, committee_member
):
    from playwright.sync_api import expect

    shown = services.case_create(
        user=clerk, title_zh="绿电直供公开案例", summary_zh="光伏直供。", year=2026,
        department=clerk.department,
    )  # fmt: skip
    hidden = services.case_create(
        user=clerk, title_zh="内部未公开案例", summary_zh="内部摘要。", year=2026,
        department=clerk.department,
    )  # fmt: skip
    services.publish(kind="case", object_id=shown.pk, user=committee_member)
    page = browser_page
    page.set_default_timeout(30_000)
    errors = _console_errors(page)
    base = live_server.url
    page.context.clear_cookies()  # nobody signed in

    page.goto(f"{base}/pilot/public/")
    expect(page.locator("body")).to_contain_text("绿电直供公开案例")
    expect(page.locator("body")).not_to_contain_text("内部未公开案例")
    page.goto(f"{base}/pilot/public/?q=内部")
    expect(page.locator("body")).not_to_contain_text("内部未公开案例")
    response = page.goto(f"{base}/pilot/public/?case={hidden.pk}")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("内部未公开案例")
    response = page.goto(f"{base}/pilot/public/?case={shown.pk}")
    assert response.status == 200
    expect(page.locator("body")).to_contain_text("光伏直供。")
    data = page.request.get(f"{base}/api/v1/pilot/public/").json()
    assert [c["id"] for c in data["cases"]] == [shown.pk]
    # The workspace is not public: the sign-in page, not the report.
    page.goto(f"{base}/pilot/")
    assert "/accounts/login/" in page.url
    assert ReportSection.objects.count() == 0
    # A 404 logs one console error in Chromium ("Failed to load resource"): that is the wall.
    assert [e for e in errors if "404" not in e] == [], errors
