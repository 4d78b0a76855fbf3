"""DRS keeps a key unit's plan and supervision in Debian's Chromium: the DRS clerk adds a
一企一策 measure and reports its quarter, records an on-site visit with a finding and
follows it to its warning; the committee reads the profile's sections. No console error."""

import pytest
from django.db import connections

from tests.test_enterprise_work import CODE, enterprise  # noqa: F401 (fixture)
from tests.test_footprints_browser import _sign_in


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_drs_keeps_the_plan_and_a_visit_in_the_browser(
    browser_page,
    live_server,
    clerk,
    committee_member,
    enterprise,  # noqa: F811
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url
    _sign_in(page, base, clerk)
    page.goto(f"{base}/enterprises/{CODE}/plan/")
    form = page.locator("#measure-new")
    form.locator("input[name=title]").fill("空压机余热回收")
    form.locator("input[name=owner]").fill("王工")
    form.locator("input[name=start_quarter]").fill("2025Q1")
    form.locator("input[name=due_quarter]").fill("2025Q4")
    form.locator("input[name=savings_tce]").fill("120.5")
    form.locator("input[name=savings_tco2]").fill("318")
    form.locator("input[name=investment]").fill("85")
    form.get_by_role("button", name="加入方案").click()
    expect(page.locator("#measure-table")).to_contain_text("空压机余热回收")
    expect(page.locator("#plan-totals")).to_contain_text("120.5")
    progress = page.locator("#progress-new")
    progress.locator("select[name=state]").select_option("done")
    progress.locator("textarea[name=note]").fill("已投运")
    progress.get_by_role("button", name="提交进展").click()
    expect(page.locator("#measure-table")).to_contain_text("已投运")

    page.goto(f"{base}/enterprises/{CODE}/visits/")
    visit = page.locator("#visit-new")
    visit.locator("input[name=inspectors]").fill("李娜、刘强")
    visit.locator("input[name=finding_1_description]").fill("二级计量缺失")
    visit.locator("input[name=finding_1_requirement]").fill("加装电表")
    visit.locator("input[name=finding_1_due_date]").fill("2099-03-31")
    visit.get_by_role("button", name="保存").click()
    expect(page.locator("[data-finding]")).to_contain_text("二级计量缺失")
    page.locator("[data-finding] a").click()
    expect(page.locator("#warning-enterprise")).to_contain_text("样例化工")
    expect(page.locator("#warning-due")).to_contain_text("2099-03-31")

    _sign_in(page, base, committee_member)
    page.goto(f"{base}/enterprises/{CODE}/")
    expect(page.locator("#profile-plan")).to_contain_text("空压机余热回收")
    expect(page.locator("#profile-visits")).to_contain_text("李娜、刘强")
    expect(page.locator("#profile-warnings [data-warning]")).to_have_count(1)
    assert errors == []
