"""What the committee sees while a quarter is being reported (issue 15 #1, #11 and the
"updating" notice): the overview and the big screen open on the latest period whose
reporting is settled and say so, the newer period one click away; a "no data" card names
the late department and the missing item with a link to the completeness board; pages say
"数据更新中" with the time of the last result while a recompute is pending."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards import selectors
from indicators.cache import results_generation_bump
from indicators.demo import demo_rows
from indicators.models import DepartmentPeriod, RecomputeRequest, StatisticalItem
from indicators.recompute import results_recompute
from reporting.models import ReportingRound
from reporting.services import departments_of_round, round_open
from tasks.models import Department
from tests.helpers import import_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_generation():
    results_generation_bump()


@pytest.fixture
def mid_round(administrator, statistics_office):
    """The demo's statistics, except that EIT has not reported its electronics revenue for
    2026Q3 yet, while the 2026Q3 round is open: every other department's figures are
    approved (as an import with approval leaves them)."""
    rows = [
        row
        for row in demo_rows()
        if not (row["period"] == "2026Q3" and row["item"] == "revenue_electronic")
    ]
    import_rows(rows, user=administrator)
    results_recompute()
    results_generation_bump()
    reporting_round = round_open(period="2026Q3", user=statistics_office)
    DepartmentPeriod.objects.filter(period="2026Q3", department__code="EIT").update(state="open")
    return reporting_round


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _card(html: str, code: str) -> str:
    found = re.search(rf'<article [^>]*id="target-{code}".*?</article>', html, flags=re.S)
    assert found, code
    return found[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# --- the default period ----------------------------------------------------------------------


def test_the_rounds_of_a_period_are_its_quarter_or_the_fourth_quarter_and_the_year():
    assert selectors.rounds_of_period("2026Q3") == ["2026Q3"]
    assert selectors.rounds_of_period("2025") == ["2025Q4", "2025"]


def test_mid_round_the_overview_opens_on_the_last_settled_period_and_says_so(
    mid_round, committee_member
):
    client = _client(committee_member)
    html = client.get("/dashboards/").content.decode()
    assert 'data-period-shown="2026Q2"' in html
    assert 'data-period-newer="2026Q3"' in html
    assert '<option value="2026Q2" selected>' in html
    departments = departments_of_round(mid_round)
    approved = len(departments) - 1  # all but EIT
    assert f"2026年1—9月 正在填报（已审核 {approved}/{len(departments)} 个部门）" in _text(html)
    assert 'href="?period=2026Q3&amp;variant=" data-period-link="newer"' not in html
    assert 'href="?period=2026Q3" data-period-link="newer"' in html
    # T6 (electronics revenue) has its 2026Q2 value, not "no data".
    assert 'data-status="no_data"' not in _card(html, "T6")

    newer = client.get("/dashboards/?period=2026Q3").content.decode()
    assert 'data-period-shown="2026Q3"' in newer
    assert '<option value="2026Q3" selected>' in newer
    assert 'data-period-link="settled"' in newer
    assert "2026年1—9月 正在填报" in _text(newer)
    assert 'data-status="no_data"' in _card(newer, "T6")


def test_once_the_round_is_closed_or_complete_its_period_is_the_default(
    mid_round, committee_member
):
    client = _client(committee_member)
    DepartmentPeriod.objects.filter(period="2026Q3", department__code="EIT").update(
        state="approved"
    )
    assert 'data-period-shown="2026Q3"' in client.get("/dashboards/").content.decode()

    DepartmentPeriod.objects.filter(period="2026Q3", department__code="EIT").update(state="open")
    assert 'data-period-shown="2026Q2"' in client.get("/dashboards/").content.decode()
    ReportingRound.objects.filter(period="2026Q3").update(state="closed")
    html = client.get("/dashboards/").content.decode()
    assert 'data-period-shown="2026Q3"' in html
    assert "正在填报" not in _text(html)


def test_periods_without_a_round_count_as_settled(administrator, committee_member):
    """Past years imported without rounds are not "being reported"."""
    import_rows(demo_rows(), user=administrator)
    results_recompute()
    choice = selectors.period_choice(None)
    assert (choice.period, choice.settled, choice.newer) == ("2026Q3", "2026Q3", None)
    assert selectors.period_choice("2024").period == "2024"
    assert selectors.period_choice("1999Q1").period == "2026Q3"


def test_the_big_screen_follows_the_same_rule_and_takes_a_period(mid_round, committee_member):
    client = _client(committee_member)
    html = client.get("/dashboards/bigscreen/").content.decode()
    assert 'data-period-shown="2026Q2"' in html
    chosen = client.get("/dashboards/bigscreen/?period=2025").content.decode()
    assert 'data-period-shown="2025"' in chosen


def test_choosing_the_period_costs_a_fixed_number_of_queries(mid_round, statistics_office):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.period_choice(None)
        return len(captured)

    few = queries()
    for period in ("2026Q4", "2027Q1", "2027Q2"):
        round_open(period=period, user=statistics_office)
    assert queries() == few


# --- why a card has no data ------------------------------------------------------------------


def test_a_no_data_card_names_the_late_department_and_the_missing_item(mid_round, committee_member):
    client = _client(committee_member)
    card = _card(client.get("/dashboards/?period=2026Q3").content.decode(), "T6")
    eit = Department.objects.get(code="EIT")
    item = StatisticalItem.objects.get(code="revenue_electronic")
    assert 'data-missing-item="revenue_electronic"' in card
    assert 'data-missing-department="EIT"' in card
    assert f"缺少{eit.name_zh}报送的“{item.name_zh}”（2026年三季度：填报中）" in _text(card)
    assert 'href="/reporting/2026Q3/board/"' in card


def test_the_board_link_is_shown_only_to_those_who_may_open_the_board(mid_round, clerk):
    card = _card(_client(clerk).get("/dashboards/?period=2026Q3").content.decode(), "T6")
    assert 'data-missing-item="revenue_electronic"' in card
    assert "/board/" not in card


# target_cards' own queries (targets with their results' ids, results, milestones' links and
# items, owners) plus three for the missing inputs (traces, items, department states).
CARD_QUERIES = 10


@pytest.mark.parametrize(
    "late_items",
    [
        ["revenue_electronic"],
        ["revenue_electronic", "revenue_food", "iva_current", "building_new_green_area"],
    ],
)
def test_the_missing_input_reads_cost_a_fixed_number_of_queries(administrator, late_items):
    rows = [
        row for row in demo_rows() if not (row["period"] == "2026Q3" and row["item"] in late_items)
    ]
    import_rows(rows, user=administrator)
    results_recompute()
    with CaptureQueriesContext(connection) as queries:
        cards = selectors.target_cards(period="2026Q3")
    assert {card.missing.item_code for card in cards if card.missing} == set(late_items)
    assert len(queries) == CARD_QUERIES


# --- "updating" ------------------------------------------------------------------------------


def test_pages_say_updating_with_the_time_of_the_last_result(mid_round, committee_member):
    RecomputeRequest.objects.all().delete()  # the fixture computed its imports directly
    client = _client(committee_member)
    assert "数据更新中" not in client.get("/dashboards/").content.decode()
    done = RecomputeRequest.objects.create(scope="", from_year=2026, status="done")
    RecomputeRequest.objects.filter(pk=done.pk).update(
        updated_at="2026-12-01T02:03:00+00:00"  # 10:03 in Beijing
    )
    RecomputeRequest.objects.create(scope="", from_year=2026, status="pending")
    for url in ("/dashboards/", "/dashboards/heatmap/", "/dashboards/bigscreen/"):
        html = client.get(url).content.decode()
        assert 'data-updating="true"' in html, url
        assert "数据更新中" in html
        assert "2026-12-01 10:03" in html, url
    RecomputeRequest.objects.filter(status="pending").update(status="done")
    assert "数据更新中" not in client.get("/dashboards/").content.decode()


def test_updating_is_said_in_english_too(mid_round, committee_member):
    RecomputeRequest.objects.create(scope="", from_year=2026, status="running")
    client = _client(committee_member)
    client.cookies["django_language"] = "en"
    html = client.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Updating" in html
