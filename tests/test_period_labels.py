"""Issue 15 #8: wherever a person reads a period it is in Chinese statistical style
(2026年一季度, 2026年1—6月, 2026年1—9月, 2026年; Q1 2026, H1 2026, Jan–Sep 2026, 2026),
pages, messages and reports alike; the codes (`2026Q3`) stay in URLs, form values, data
attributes, files and the API."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from dashboards.services import warnings_sync
from indicators.cache import results_generation_bump
from indicators.demo import demo_rows
from indicators.recompute import results_recompute
from reporting.models import Notification
from reporting.services import round_open
from reports.rendering import pdf_html
from reports.selectors import snapshot_document
from tests.helpers import department_fill, import_rows

pytestmark = pytest.mark.django_db
CODE = re.compile(r"(?<![0-9])[0-9]{4}Q[1-4]")


class _ReadableText(HTMLParser):
    """What a reader sees: text outside scripts and styles, and tooltips (title=)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def readable(html: str) -> str:
    parser = _ReadableText()
    parser.feed(html)
    return " ".join(parser.parts)


def _client(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def park_with_results(administrator, statistics_office, clerk):
    """The demo statistics (approved through 2026Q3) and their results, a 2024Q1 round,
    warnings."""
    import_rows(demo_rows(), user=administrator)
    results_recompute()
    results_generation_bump()
    round_open(period="2024Q1", user=statistics_office)
    warnings_sync()


def _pages(committee_member, clerk, auditor):
    return [
        (committee_member, reverse("dashboards:overview")),
        (committee_member, reverse("dashboards:overview") + "?period=2026Q2"),
        (committee_member, reverse("dashboards:indicator", args=["energy_intensity_iva"])),
        (committee_member, reverse("dashboards:heatmap")),
        (committee_member, reverse("dashboards:plan_board")),
        (committee_member, reverse("dashboards:bigscreen")),
        (committee_member, reverse("dashboards:department", args=["DRS"])),
        (committee_member, reverse("reporting:index")),
        (committee_member, reverse("reporting:board", args=["2024Q1"])),
        (clerk, reverse("reporting:index")),
        (clerk, reverse("reporting:entry", args=["2024Q1"])),
        (clerk, reverse("reporting:history", args=["2024Q1", "DRS"])),
        (auditor, reverse("reports:index")),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_page_shows_a_period_code_to_its_reader(
    park_with_results, committee_member, clerk, auditor, language
):
    shown = {}
    for user, url in _pages(committee_member, clerk, auditor):
        response = _client(user, language).get(url)
        assert response.status_code == 200, url
        codes = CODE.findall(readable(response.content.decode()))
        if codes:
            shown[url] = sorted(set(codes))
    assert shown == {}


def test_the_pages_say_periods_in_statistical_style(park_with_results, committee_member, clerk):
    overview = readable(
        _client(committee_member, "zh-hans")
        .get(reverse("dashboards:overview") + "?period=2026Q3")
        .content.decode()
    )
    assert "2026年1—9月" in overview
    entry = readable(
        _client(clerk, "zh-hans").get(reverse("reporting:entry", args=["2024Q1"])).content.decode()
    )
    assert "2024年一季度" in entry
    english = readable(
        _client(committee_member, "en")
        .get(reverse("dashboards:overview") + "?period=2026Q2")
        .content.decode()
    )
    assert "H1 2026" in english
    heatmap = readable(
        _client(committee_member, "zh-hans").get(reverse("dashboards:heatmap")).content.decode()
    )
    assert "1—9月" in heatmap
    assert "全年" in heatmap


def test_codes_stay_where_machines_read_them(park_with_results, committee_member, clerk):
    page = _client(committee_member, "zh-hans").get(reverse("dashboards:overview")).content
    assert re.search(rb'<option value="[0-9]{4}(Q[1-4])?"', page)
    entry = _client(clerk, "zh-hans").get(reverse("reporting:index")).content.decode()
    assert 'data-period="2024Q1"' in entry
    assert 'href="/reporting/2024Q1/' in entry


def test_notifications_name_the_quarter_in_words(clerk, head):
    from reporting.workflow import department_period_submit
    from tasks.models import Department

    department_fill("DRS", "2024Q1", user=clerk)
    department_period_submit(
        department=Department.objects.get(code="DRS"), period="2024Q1", user=clerk
    )

    note = Notification.objects.filter(kind="submitted").latest("pk")
    assert "2024年一季度" in note.message_zh
    assert "Q1 2024" in note.message_en
    assert not CODE.search(note.message_zh + note.message_en)


@pytest.mark.parametrize(("language", "label"), [("zh-hans", "2024年一季度"), ("en", "Q1 2024")])
def test_the_official_report_says_periods_in_words(park_with_results, language, label):
    from django.utils import timezone

    from reporting.models import ReportingRound

    document = snapshot_document(ReportingRound.objects.get(period="2024Q1"))
    html = pdf_html(document, language=language, taken_at=timezone.now())

    text = readable(html)
    assert label in text
    assert CODE.findall(text) == []
