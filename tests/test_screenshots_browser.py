"""Every page as each person sees it (issue 15, "Done when"): on the demo park, each persona
opens the pages of their work in Chinese and in English at 1440×900 (the big screen at
1920×1080), full-page screenshots go to test-artifacts/<test>/, and every page is checked:
no status, action or account code where a word belongs (Chinese pages), headings and menus
in English on English pages, nothing wider than the window, no console or content security
policy error, nothing fetched from another host. One demo load serves all of it."""

import re
from urllib.parse import urlparse

import pytest
from django.db import connections

from accounts.demo import demo_setup
from accounts.models import User
from dashboards.models import EarlyWarning
from indicators.models import Figure, IndicatorResult
from tests.test_dashboards_browser import Watch, _sign_in

WAIT_MS = 20_000
DESKTOP = (1440, 900)
WALL = (1920, 1080)
LANGUAGES = {"zh": "zh-hans", "en": "en"}

# Words that are codes: statuses, states, levels and accounts the pages must say in words.
CODE_WORDS = re.compile(
    r"\b(green|yellow|red|no_data|approved|submitted|returned|draft|withdrawn|not_started|"
    r"in_progress|acknowledged|resolved|system-cli|figure_enter|round_open|warning_raise)\b"
)
CJK = re.compile(r"[\u4e00-\u9fff]")
# The visible text of the page without what is deliberately a code (item and indicator
# codes in <code> or .code, form values) or data people typed.
VISIBLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, .code, script, style, input, textarea, select, .js-plotly-plot')
      .forEach((node) => node.remove());
  return copy.innerText;
}"""
CHROME_TEXT = """() => Array.from(document.querySelectorAll(
  'h1, h2, h3, nav a, th, button:not([data-language]), label, summary, dt'))
  .map((n) => n.innerText).join('\\n')"""
# Not yet in English (left for a later round, see the report): indicator units stored in
# Chinese (tce/万元, 亿元) and the plan's section numbers ((一), 三 …). A language's own
# name (中文 in the language switch and the report language choice) is meant to be Chinese.
KNOWN_CHINESE = re.compile(
    r"[^\s/]*/(万元|亿元)|万元|亿元|吨/|吨|[（(][一二三四五六七八九十]+[)）]|^[一二三四五六七八九十]+ |中文"
)


def _pages(ids: dict) -> dict[str, list[tuple[str, str]]]:
    """Per persona (a demo account): (name, address) of the pages of their work."""
    return {
        "committee": [
            ("home", "/"),
            ("plan", "/plan/"),
            ("overview", "/dashboards/"),
            ("indicator", "/dashboards/indicators/energy_intensity_iva/"),
            ("plan-board", "/dashboards/plan/"),
            ("department", "/dashboards/departments/DRS/"),
            ("heatmap", "/dashboards/heatmap/"),
            ("warnings", "/dashboards/warnings/"),
            ("warning", f"/dashboards/warnings/{ids['warning']}/"),
            ("rounds", "/reporting/"),
            ("round-board", "/reporting/2026Q3/board/"),
            ("reports", "/reports/"),
        ],
        "drs_clerk": [
            ("home", "/"),
            ("rounds", "/reporting/"),
            ("entry", "/reporting/2026Q2/"),
            ("history", "/reporting/2026Q2/history/DRS/"),
            ("upload", "/reporting/2026Q2/upload/"),
            ("notifications", "/reporting/notifications/"),
            ("warnings", "/dashboards/warnings/"),
        ],
        "con_head": [("home", "/"), ("rounds", "/reporting/")],
        "stats": [("home", "/"), ("round-board", "/reporting/2026Q3/board/")],
        "auditor": [
            ("home", "/"),
            ("audit-export", "/reports/audit/"),
            ("lineage-result", f"/reports/lineage/result/{ids['result']}/"),
            ("lineage-figure", f"/reports/lineage/figure/{ids['figure']}/"),
        ],
    }


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.fixture
def demo_park(park, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo_setup()
    result = (
        IndicatorResult.objects.filter(
            indicator__code="energy_intensity_iva", scope="", variant="", period="2025"
        )
        .order_by("pk")
        .first()
    )
    return {
        "warning": EarlyWarning.objects.order_by("pk").first().pk,
        "result": result.pk,
        "figure": Figure.objects.filter(period="2026Q2", item__code="coal_raw").first().pk,
    }


def _check(page, watch, *, language: str, where: str) -> list[str]:
    """What is wrong with the page on screen now."""
    found = []
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 1:
        found.append(f"{where}: {overflow}px wider than the window")
    if language == "zh-hans":
        codes = sorted(set(CODE_WORDS.findall(page.evaluate(VISIBLE_TEXT))))
        if codes:
            found.append(f"{where}: codes where words belong: {codes}")
    else:
        chrome = [
            line
            for line in page.evaluate(CHROME_TEXT).splitlines()
            if CJK.search(KNOWN_CHINESE.sub("", line))
        ]
        if chrome:
            found.append(f"{where}: Chinese in English headings or menus: {chrome[:5]}")
    found += [f"{where}: {problem}" for problem in watch.problems]
    watch.problems.clear()
    return found


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_every_page_for_every_persona_in_both_languages(
    browser_page, live_server, artifacts_dir, demo_park
):
    page = browser_page
    watch = Watch(page)
    base = live_server.url
    problems: list[str] = []
    shots = 0
    for username, pages in _pages(demo_park).items():
        person = User.objects.get(username=username)
        for short, language in LANGUAGES.items():
            _sign_in(page, base, person, language)
            page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
            for name, address in pages:
                response = page.goto(base + address, wait_until="load", timeout=WAIT_MS)
                where = f"{username} {short} {name} ({address} → {urlparse(page.url).path})"
                if response is None or response.status != 200:
                    problems.append(f"{where}: HTTP {response.status if response else '—'}")
                    continue
                page.screenshot(
                    path=artifacts_dir / f"{username}-{short}-{name}.png", full_page=True
                )
                shots += 1
                problems += _check(page, watch, language=language, where=where)
            if username == "committee":
                page.set_viewport_size({"width": WALL[0], "height": WALL[1]})
                page.goto(base + "/dashboards/bigscreen/", wait_until="load", timeout=WAIT_MS)
                page.screenshot(path=artifacts_dir / f"bigscreen-{short}.png", full_page=True)
                shots += 1
                problems += _check(page, watch, language=language, where=f"bigscreen {short}")
    assert watch.blocked == [], "fetched from another host"
    assert problems == [], "\n".join(problems)
    assert shots == 2 * (sum(len(pages) for pages in _pages(demo_park).values()) + 1)
