"""The assessment in Debian's Chromium: a committee member freezes 2025, sees the heatmap
drawn (static Plotly, under the product's CSP), records an adjustment with its reason; a
second member signs it off. No console error on the way."""

import pytest
from django.db import connections

from accounts.models import User
from tests.test_footprints_browser import _sign_in


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_the_committee_freezes_adjusts_and_another_member_signs_off_in_the_browser(
    browser_page, live_server, committee_member
):
    from playwright.sync_api import expect

    second = User.objects.create_user(
        username="li.committee", password="correct horse battery staple", role=User.Role.COMMITTEE
    )
    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url
    _sign_in(page, base, committee_member)
    page.goto(f"{base}/assessment/2025/")
    expect(page.locator("#source")).to_have_attribute("data-source", "preview")
    page.get_by_role("button", name="冻结全年数据并开始审定").click()
    expect(page.locator("#source")).to_have_attribute("data-source", "frozen")
    expect(page.locator("#heatmap-chart .main-svg").first).to_be_visible()
    form = page.locator("#actions form").filter(has=page.locator("input[name=points]"))
    form.locator("select[name=department]").select_option("DRS")
    form.locator("input[name=points]").fill("1.5")
    form.locator("input[name=reason]").fill("牵头完成试点年度进展材料")
    form.get_by_role("button", name="记录加减分").click()
    expect(page.locator("#adjustments")).to_contain_text("牵头完成试点年度进展材料")
    expect(page.get_by_role("button", name="审定", exact=True)).to_have_count(0)  # four eyes

    _sign_in(page, base, second)
    page.goto(f"{base}/assessment/2025/")
    page.get_by_role("button", name="审定", exact=True).click()
    expect(page.locator("#source")).to_have_attribute("data-source", "signed_off")
    assert errors == [], errors
