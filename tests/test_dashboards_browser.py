"""The dashboards in Debian's Chromium, on the demo data: every page in Chinese and English
at desktop (1366×900) and tablet (820×1180) widths, with screenshots kept in
test-artifacts/<test>/; each chart drawn by plotly.js from this server; nothing fetched from
anywhere else (every other host is blocked and recorded), no console error, no content
security policy violation, no page wider than the screen. Then a clerk's work on the plan
board (a work item, a progress report with its file, downloaded back) and the big screen
reloading itself after five minutes."""

from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from indicators.demo import demo_rows
from indicators.recompute import results_recompute
from tests.helpers import import_rows

WAIT_MS = 20_000
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORTS = {"desktop": (1366, 900), "tablet": (820, 1180)}
LANGUAGES = {"zh": "zh-hans", "en": "en"}
PAGES = [
    ("overview", "/dashboards/", None),
    ("overview-2024-variant", "/dashboards/?period=2024&variant=excl_feedstock", None),
    ("indicator-energy", "/dashboards/indicators/energy_intensity_iva/", "#indicator-chart"),
    ("indicator-non-fossil", "/dashboards/indicators/non_fossil_share/", "#indicator-chart"),
    ("indicator-waste", "/dashboards/indicators/iw_generation_intensity/", "#indicator-chart"),
    ("plan", "/dashboards/plan/", None),
    ("department", "/dashboards/departments/DRS/", None),
    ("heatmap", "/dashboards/heatmap/", None),
    ("bigscreen", "/dashboards/bigscreen/", None),
]
HEADINGS = {
    "zh-hans": {"overview": "碳达峰目标总览", "heatmap": "目标状态热力图"},
    "en": {"overview": "Carbon peak targets overview", "heatmap": "Target status heatmap"},
}


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    """While Playwright's sync API runs, the test body's queries use a connection of their
    own that pytest-django does not know about; close it, or the test database cannot be
    dropped at the end of the run."""
    yield
    connections.close_all()


@pytest.fixture
def demo_results(administrator, statistics_office):
    """The demo statistics (2020Q1–2026Q3) imported and computed, the 2026Q3 and 2026Q4
    reporting rounds, and the warnings the results raise."""
    from dashboards.services import warnings_sync
    from reporting.services import round_open

    import_rows(demo_rows(), user=administrator)
    results_recompute()
    round_open(period="2026Q3", user=statistics_office)
    round_open(period="2026Q4", user=statistics_office)
    warnings_sync()


class Watch:
    """What the page asked of other hosts, and what went wrong in it."""

    def __init__(self, page):
        self.blocked: list[str] = []
        self.problems: list[str] = []
        page.route("**/*", self._guard)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _guard(self, route):
        if urlparse(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _failed(self, request):
        # A download is a navigation Chromium aborts once the file is saved.
        if "/attachment/" in request.url and request.failure == "net::ERR_ABORTED":
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def _console(self, message):
        text = message.text
        if message.type == "error" or "Content Security Policy" in text or "Refused to" in text:
            self.problems.append(f"console {message.type}: {text}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")


def _sign_in(page, base_url: str, user, language: str) -> None:
    """A session of `user` (made by Django's test client) and the language cookie."""
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


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser", "demo_results")
def test_every_dashboard_page_in_both_languages_at_desktop_and_tablet_width(
    browser_page, live_server, artifacts_dir, committee_member
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    for short, language in LANGUAGES.items():
        _sign_in(page, base, committee_member, language)
        for device, (width, height) in VIEWPORTS.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, path, chart in PAGES:
                response = page.goto(base + path)
                assert response is not None, path
                assert response.status == 200, (path, response.status)
                page.wait_for_load_state("networkidle")
                assert page.locator("html").get_attribute("lang") == language
                if chart:
                    drawn = page.locator(f"{chart} svg.main-svg").first
                    expect(drawn).to_be_attached()
                    expect(page.locator(f'{chart}[data-drawn="true"]')).to_have_count(1)
                    assert page.locator(f"{chart} .scatterlayer .trace").count() >= 4
                heading = HEADINGS[language].get(name)
                if heading:
                    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
                page.screenshot(path=artifacts_dir / f"{short}-{device}-{name}.png", full_page=True)
    # Every tablet width from 768 to 1024 px: nothing wider than the screen.
    _sign_in(page, base, committee_member, "en")
    for width in (768, 1024):
        page.set_viewport_size({"width": width, "height": 1024})
        for _name, path, _chart in PAGES:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} is {overflow}px wider than a {width}px screen"
    assert watch.blocked == []
    assert watch.problems == []


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser", "demo_results")
def test_a_trace_a_work_item_a_report_with_its_file_and_the_big_screen_reloading(
    browser_page, live_server, artifacts_dir, committee_member, clerk, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path
    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    _sign_in(page, base, committee_member, "zh-hans")
    page.set_viewport_size({"width": 1024, "height": 768})

    # A value's method trace, and the links to its inputs.
    page.goto(base + "/dashboards/indicators/energy_intensity_iva/")
    expect(page.locator("#indicator-chart svg.main-svg").first).to_be_attached()
    row = page.locator('tr.value-row[data-period="2025"] + tr.trace-row')
    row.locator("summary").click()
    expect(row.locator("a.figures-api")).to_be_visible()
    expect(row.locator('a[href^="/reporting/2025Q1/history/DRS/?item=coal_raw"]')).to_be_visible()
    page.screenshot(path=artifacts_dir / "indicator-trace-open.png", full_page=False)
    with page.expect_navigation():
        row.locator('a[href^="/reporting/2025Q1/history/DRS/?item=coal_raw"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2025年一季度")

    # The DRS clerk sees work items' derived states (no hand-set status) and reports on
    # the task, with a file.
    _sign_in(page, base, clerk, "zh-hans")
    page.goto(base + "/dashboards/plan/#task-1")
    expect(page.locator('#task-1 tr[data-item="1.4"]')).to_have_attribute(
        "data-status", "not_started"
    )
    expect(page.locator('#task-1 select[name="status"]')).to_have_count(0)
    task = page.locator("#task-1")
    task.locator("details.report-form summary").click()
    task.locator('textarea[name="text"]').fill("一季度新增屋顶光伏 12 MW，地热勘查完成招标。")
    task.locator('input[name="attachment"]').set_input_files(
        {"name": "进展材料.txt", "mimeType": "text/plain", "buffer": "光伏并网验收单".encode()}
    )
    with page.expect_navigation():
        task.locator("details.report-form button[type=submit]").click()
    expect(page.locator("#task-1 .report-list")).to_contain_text("一季度新增屋顶光伏 12 MW")
    link = page.locator("#task-1 a.attachment")
    expect(link).to_contain_text("进展材料.txt")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "进展材料.txt"
    assert Path(download.value.path()).read_bytes() == "光伏并网验收单".encode()
    page.screenshot(path=artifacts_dir / "plan-clerk-reported.png", full_page=False)

    # The big screen: after five minutes it checks the page and reloads.
    page.clock.install()
    page.goto(base + "/dashboards/bigscreen/")
    expect(page.locator("body.bigscreen")).to_have_attribute("data-refresh-seconds", "300")
    page.evaluate("document.body.setAttribute('data-marker', 'before')")
    page.clock.fast_forward(299_000)
    assert page.evaluate("document.body.getAttribute('data-marker')") == "before"
    with page.expect_navigation():
        page.clock.fast_forward(2_000)
    assert page.evaluate("document.body.getAttribute('data-marker')") is None
    page.screenshot(path=artifacts_dir / "bigscreen-after-reload.png", full_page=True)
    assert watch.blocked == []
    assert watch.problems == []
