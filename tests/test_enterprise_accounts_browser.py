"""An enterprise's quarter in Debian's Chromium (issue 17 #9): its energy manager signs in,
lands on its own enterprise, enters the quarter's energy figures, saves and submits them;
DRS's head (the supervising department) opens the quarter and approves it. No console
error on the way."""

import pytest
from django.db import connections

from enterprises.quarters import ENTERPRISE_ITEMS
from indicators.models import Figure
from tests.test_footprints_browser import _sign_in


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_energy_manager_enters_and_submits_and_drs_head_approves_in_the_browser(
    browser_page, live_server, energy_manager, cell_maker, head
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url

    _sign_in(page, base, energy_manager)
    page.goto(f"{base}/")
    expect(page.locator("h1")).to_contain_text(cell_maker.name)
    page.locator("#enter-quarter").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "open")
    quarter_url = page.url
    period = quarter_url.rstrip("/").rsplit("/", 1)[-1]
    for code in ENTERPRISE_ITEMS:
        page.fill(f"#value-{code}", "0")
    page.fill("#value-electricity_grid", "120.5")
    page.fill("#value-iva_current", "3400")
    page.locator("#save-button").click()
    expect(page.locator(".messages")).to_contain_text("草稿已保存")
    expect(page.locator("tr[data-item=electricity_grid] .version")).to_contain_text("v1")
    page.locator("#submit-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "submitted")
    expect(page.locator("#submit-button")).to_have_count(0)
    expect(page.locator("#approve-button")).to_have_count(0)  # never their own

    _sign_in(page, base, head)
    page.goto(quarter_url)
    expect(page.locator("#value-electricity_grid")).to_have_value("120.5")
    page.fill("#review-comment-input", "数据完整，同意。")
    page.locator("#approve-button").click()
    expect(page.locator("#quarter-state")).to_have_attribute("data-state", "approved")
    counted = Figure.objects.get(scope=cell_maker.code, period=period, counts=True,
                                 item__code="electricity_grid")  # fmt: skip
    assert str(counted.value.normalize()) == "120.5"
    assert errors == [], errors
