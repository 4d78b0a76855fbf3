"""Exact query counts of the pages the committee opens most, one comment per query, so that
a change that adds a query (or one per row) shows up here by name: the overview (built
and cached), the indicator page and the warnings list. Each count is also checked not to
grow with the data (more warnings, another round)."""

import pytest
from django.test import Client
from django.urls import reverse

from dashboards.models import EarlyWarning
from indicators.cache import results_generation_bump
from indicators.demo import demo_rows
from reporting.services import round_open
from tasks.models import Department
from tests.helpers import import_rows

pytestmark = pytest.mark.django_db

SIGNED_IN = 2  # the session row; the signed-in user
RECOMPUTE_STATE = 1  # recompute requests pending and the last one done ("updating" notice)

OVERVIEW_PERIOD_CHOICE = 4
# the periods with park results; open rounds; which departments report what; the
# department-periods of those rounds (is a newer period complete?)
OVERVIEW_CARDS = 7
# targets with their indicators and their latest results' ids (subqueries); those results;
# the milestone targets' task links; those tasks' work items; the owners (target_owners):
# lead responsibilities with their departments, the targets, their tasks (prefetch)
OVERVIEW_WARNINGS = 2  # the newest live warnings the user may see; how many there are
OVERVIEW_COMPLETENESS = 4 + 3
# the newest round; its department-periods' states; the departments that report that
# frequency; those departments; + in a quarter's round, the task parts beside the figures
# (tasks.selectors.part_completeness: open parts per unit; the quarter's reports counted
# per unit as reported, returned and approved; those units)
OVERVIEW_BUILT = (
    SIGNED_IN
    + OVERVIEW_PERIOD_CHOICE
    + RECOMPUTE_STATE
    + OVERVIEW_CARDS
    + OVERVIEW_WARNINGS
    + OVERVIEW_COMPLETENESS
)
# Cached: the key needs the period choice and the recompute state; the page is not built.
OVERVIEW_CACHED = SIGNED_IN + OVERVIEW_PERIOD_CHOICE + RECOMPUTE_STATE
INDICATOR = SIGNED_IN + 5 + RECOMPUTE_STATE + 1
# the indicator; its targets; the scopes with results; its park results (all variants,
# traces joined); the input figures' department, item and period (links to history);
# + the gap card's latest comparable pair of periods (enterprises' attribution, precomputed:
# readers of all data only)
WARNINGS_LIST = SIGNED_IN + 4 + RECOMPUTE_STATE
# departments (the filter); the page's count (paginator); the page's warnings with
# department and target; the counts by state, level, overdue and escalated (one aggregate)


@pytest.fixture
def park_with_results(administrator, statistics_office, django_capture_on_commit_callbacks):
    """The demo statistics approved, recomputed by the job their import queued (which also
    raised the warnings), and the 2026Q3 round open."""
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(demo_rows(), user=administrator)
    round_open(period="2026Q3", user=statistics_office)
    results_generation_bump()
    assert EarlyWarning.objects.exists()


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _more_data(statistics_office) -> None:
    """Thirty more warnings over every department, and another open round."""
    departments = list(Department.objects.all())
    for number in range(30):
        EarlyWarning.objects.create(
            dedupe_key=f"extra:{number}",
            kind="status",
            level="red" if number % 2 else "yellow",
            department=departments[number % len(departments)],
            period="2026Q3",
            title_zh=f"附加预警{number}",
            message_zh="说明",
        )
    round_open(period="2026Q2", user=statistics_office)
    results_generation_bump()


def test_the_overview(
    park_with_results, committee_member, statistics_office, django_assert_num_queries
):
    client = _signed_in(committee_member)
    url = reverse("dashboards:overview")
    with django_assert_num_queries(OVERVIEW_BUILT):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(OVERVIEW_CACHED):
        assert client.get(url).status_code == 200
    _more_data(statistics_office)
    with django_assert_num_queries(OVERVIEW_BUILT):
        assert client.get(url).status_code == 200


def test_the_indicator_page(
    park_with_results, committee_member, statistics_office, django_assert_num_queries
):
    client = _signed_in(committee_member)
    url = reverse("dashboards:indicator", kwargs={"indicator_code": "energy_intensity_iva"})
    with django_assert_num_queries(INDICATOR):
        assert client.get(url).status_code == 200
    _more_data(statistics_office)
    with django_assert_num_queries(INDICATOR):
        assert client.get(url).status_code == 200


def test_the_warnings_list(
    park_with_results, committee_member, statistics_office, django_assert_num_queries
):
    client = _signed_in(committee_member)
    url = reverse("dashboards:warnings")
    with django_assert_num_queries(WARNINGS_LIST):
        assert client.get(url).status_code == 200
    _more_data(statistics_office)
    with django_assert_num_queries(WARNINGS_LIST):
        page = client.get(url).content.decode()
    assert "附加预警29" in page
