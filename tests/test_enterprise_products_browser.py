"""An enterprise's energy manager enters its product output in Debian's Chromium and sees
its energy per unit of product against the product's 标杆/基准; a bad number is refused
with the reason and the form keeps what was typed. No console error."""

import pytest
from django.db import connections

from enterprises.models import ProductOutput
from tests.test_enterprise_products import cell_benchmark  # noqa: F401 (fixture)
from tests.test_footprints_browser import _sign_in


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_energy_manager_enters_product_output_in_the_browser(
    browser_page,
    live_server,
    energy_manager,
    cell_maker,
    cell_benchmark,  # noqa: F811
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url
    _sign_in(page, base, energy_manager)
    page.goto(f"{base}/enterprises/{cell_maker.code}/")
    page.locator("#profile-products").get_by_role("link", name="产品产量与单位产品能耗").click()
    form = page.locator("#product-new")
    form.locator("input[name=year]").fill("2024")
    form.locator("input[name=product]").fill("电芯")
    form.locator("input[name=quantity]").fill("一百")
    form.locator("input[name=unit]").fill("万只")
    form.locator("input[name=energy_tce]").fill("4.5")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("产量")
    expect(page.locator("#product-new input[name=product]")).to_have_value("电芯")
    assert not ProductOutput.objects.exists()
    page.locator("#product-new input[name=quantity]").fill("100")
    page.locator("#product-new").get_by_role("button", name="保存").click()
    row = page.locator("#product-table tr[data-product='电芯']")
    expect(row).to_have_attribute("data-position", "advanced")
    expect(row).to_contain_text("45.0000")
    expect(row).to_contain_text("达到标杆水平")
    page.goto(f"{base}/enterprises/{cell_maker.code}/")
    expect(page.locator("#profile-products")).to_contain_text("达到标杆水平")
    # The refused form answers 400, which Chromium logs once as a failed resource: that is
    # the refusal; nothing else may be logged.
    assert [e for e in errors if "status of 400" not in e] == []
    assert len(errors) == 1
