"""Plotly's toolbar (modebar) in the page's language and clear of the chart's text (issue 15
#9): on a Chinese page its buttons say 下载图表为PNG格式 / 重置轴 (plotly.js's zh-CN
dictionary, served from this server), on an English page "Download plot as a PNG"; and
the toolbar never covers a title, a tick label or a target path's label, and has no button
that sends the figure to Plotly's cloud."""

import re

import pytest

from tests.test_dashboards_browser import (  # noqa: F401 (fixtures)
    WAIT_MS,
    Watch,
    _database_closed_after_the_browser,
    _sign_in,
    demo_results,
)

CHARTS = [
    "/dashboards/indicators/energy_intensity_iva/",
    "/dashboards/indicators/non_fossil_share/",
    "/dashboards/indicators/leading_industry_revenue/",
]
TOOLTIPS = {
    "zh-hans": {"下载图表为PNG格式", "重置轴", "放大"},
    "en": {"Download plot as a PNG", "Reset axes", "Zoom in"},
}

# Every piece of text plotly drew in the chart whose box the toolbar's box overlaps.
OVERLAPS = """(chart) => {
  const bar = chart.querySelector('.modebar');
  if (!bar) return ['no modebar'];
  const b = bar.getBoundingClientRect();
  const hits = [];
  for (const text of chart.querySelectorAll('svg text')) {
    const r = text.getBoundingClientRect();
    if (!r.width || !r.height || !text.textContent.trim()) continue;
    if (r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom) {
      hits.push(text.textContent);
    }
  }
  return hits;
}"""


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser", "demo_results")
def test_the_chart_toolbar_speaks_the_pages_language_and_covers_no_label(
    browser_page, live_server, artifacts_dir, committee_member
):
    from playwright.sync_api import expect

    page = browser_page
    page.set_default_timeout(WAIT_MS)
    watch = Watch(page)
    base = live_server.url
    for language, tooltips in TOOLTIPS.items():
        _sign_in(page, base, committee_member, language)
        for width in (1440, 820):
            page.set_viewport_size({"width": width, "height": 900})
            for path in CHARTS:
                page.goto(base + path)
                expect(page.locator('#indicator-chart[data-drawn="true"]')).to_have_count(1)
                chart = page.locator("#indicator-chart")
                titles = chart.locator(".modebar-btn").evaluate_all(
                    "(buttons) => buttons.map((b) => b.getAttribute('data-title'))"
                )
                assert tooltips <= set(titles), (language, path, titles)
                if language == "zh-hans":  # every button, not only the three named
                    assert all(re.search("[\u4e00-\u9fff]", t) for t in titles), titles
                assert "Share chart..." not in titles  # it would send the figure away
                chart.hover()  # the toolbar shows while the pointer is over the chart
                assert chart.evaluate(OVERLAPS) == [], (language, width, path)
                name = f"{language}-{width}-{path.strip('/').split('/')[-1]}.png"
                page.screenshot(path=artifacts_dir / name, full_page=False)
    assert watch.blocked == []
    assert watch.problems == []
