"""A footprint study in Debian's Chromium: the ECO clerk imports the inventory from the
template, previews it, confirms, sees the stage chart drawn and submits; the ECO head
approves it. No console error on the way."""

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.test_footprints import HAND_LINES, inventory_xlsx


def _sign_in(page, base_url: str, user, language: str = "zh-hans") -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
        ]
    )


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_eco_clerk_imports_submits_and_eco_head_approves_in_the_browser(
    browser_page, live_server, tmp_path, other_clerk, eco_head, study
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(30_000)  # two cores shared with the server under test
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    base = live_server.url
    inventory = tmp_path / "清单.xlsx"
    inventory.write_bytes(inventory_xlsx(HAND_LINES))

    _sign_in(page, base, other_clerk)
    page.goto(f"{base}/footprints/studies/{study.pk}/import/")
    page.set_input_files("input[name=file]", str(inventory))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#preview-total")).to_contain_text("54.5848")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#total")).to_contain_text("54.5848")
    expect(page.locator("#stage-chart .main-svg").first).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".study-state")).to_have_attribute("data-state", "submitted")

    _sign_in(page, base, eco_head)
    page.goto(f"{base}/footprints/studies/{study.pk}/")
    page.fill("input[name=comment]", "同意")
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".study-state")).to_have_attribute("data-state", "approved")
    assert errors == [], errors
