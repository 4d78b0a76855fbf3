"""Where people land and how they move (issue 15 #3, #13): the home page is each person's
own starting point, the spreadsheet upload and its template are linked from the
department's pages, every area has one sub-navigation of the same kind, and the API docs
sit under the help menu (an anonymous visitor is sent to sign in, not refused)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from reporting.services import round_open
from reporting.workflow import department_period_submit
from tasks.models import Department
from tests.helpers import department_fill

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _landing(user) -> str:
    response = _client(user).get("/")
    assert response.status_code == 302
    return response["Location"]


def test_the_home_page_sends_each_person_to_their_own_starting_point(
    committee_member, auditor, statistics_office, administrator, outsider
):
    assert _landing(committee_member) == reverse("dashboards:overview")
    assert _landing(administrator) == reverse("dashboards:overview")
    assert _landing(auditor) == reverse("reports:index")
    assert _landing(statistics_office) == reverse("reporting:index")
    assert _landing(outsider) == reverse("plan")  # which tells them they have no role
    anonymous = Client().get("/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))


def _figures_step(user) -> str | None:
    """Where the to-do page's figures step leads."""
    page = _client(user).get(reverse("tasks:todo")).content.decode()
    found = re.search(r'id="figures-next" href="([^"]+)"', page)
    return found.group(1) if found else None


def test_department_staff_start_at_their_to_do_which_leads_to_the_newest_open_round(
    clerk, head, statistics_office
):
    # Their unit's to-do page is the first page (issue 16 §4) …
    assert _landing(clerk) == reverse("tasks:todo")
    assert _landing(head) == reverse("tasks:todo")
    # … and its figures step leads to the newest open round that waits for them.
    assert _figures_step(clerk) is None  # no round open yet
    round_open(period="2024Q1", user=statistics_office)
    round_open(period="2024Q2", user=statistics_office)
    assert _figures_step(clerk) == reverse("reporting:entry", kwargs={"period": "2024Q2"})
    assert _figures_step(head) == reverse("reporting:entry", kwargs={"period": "2024Q2"})
    department_fill("DRS", "2024Q2", user=clerk)
    department_period_submit(
        department=Department.objects.get(code="DRS"), period="2024Q2", user=clerk
    )
    # Submitted: the head reviews it; the clerk has 2024Q1 left to fill.
    assert _figures_step(head) == reverse(
        "reporting:review", kwargs={"period": "2024Q2", "department_code": "DRS"}
    )
    assert _figures_step(clerk) == reverse("reporting:entry", kwargs={"period": "2024Q1"})


def test_the_entry_page_links_the_spreadsheet_template_and_the_upload(clerk, statistics_office):
    round_open(period="2024Q1", user=statistics_office)
    client = _client(clerk)
    page = client.get(reverse("reporting:entry", kwargs={"period": "2024Q1"})).content.decode()
    template = reverse("reporting:template", kwargs={"period": "2024Q1"})
    upload = reverse("reporting:upload", kwargs={"period": "2024Q1"})
    assert f'href="{template}"' in page
    assert f'href="{upload}"' in page
    # Both links lead somewhere that works for the clerk.
    assert client.get(template).status_code == 200
    assert client.get(upload).status_code == 200
    rounds = client.get(reverse("reporting:index")).content.decode()
    assert f'href="{upload}"' in rounds


def test_once_submitted_the_entry_page_offers_the_template_but_not_the_upload(
    clerk, statistics_office
):
    round_open(period="2024Q1", user=statistics_office)
    department_fill("DRS", "2024Q1", user=clerk)
    department_period_submit(
        department=Department.objects.get(code="DRS"), period="2024Q1", user=clerk
    )
    page = _client(clerk).get(reverse("reporting:entry", kwargs={"period": "2024Q1"}))
    text = page.content.decode()
    assert 'id="template-link"' in text
    assert 'id="upload-link"' not in text


def _main_menu(html: str) -> str:
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


def _sub_navigation(html: str) -> list[str]:
    return re.findall(r'<nav class="subnav[^"]*"', html)


def test_api_docs_are_under_the_help_menu_not_in_the_main_menu(clerk, committee_member):
    for person in (clerk, committee_member):
        html = _client(person).get(reverse("plan")).content.decode()
        docs = reverse("api-docs")
        assert docs not in _main_menu(html)
        help_menu = re.search(r'<details class="help-menu">.*?</details>', html, re.S).group(0)
        assert f'href="{docs}"' in help_menu


def test_an_anonymous_visitor_of_the_api_docs_is_sent_to_sign_in(client):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/api/docs/"


@pytest.mark.parametrize(
    ("url", "area"),
    [
        ("/dashboards/", "dashboards"),
        ("/dashboards/warnings/", "dashboards"),
        ("/dashboards/heatmap/", "dashboards"),
        ("/reporting/", "reporting"),
        ("/reporting/notifications/", "reporting"),
        ("/reports/", "reports"),
    ],
)
def test_every_area_has_one_sub_navigation_of_the_same_kind_and_marks_itself(
    administrator, url, area
):
    html = _client(administrator).get(url).content.decode()
    assert len(_sub_navigation(html)) == 1
    current = re.search(r'<a href="([^"]+)"[^>]*aria-current="page"', _main_menu(html))
    assert current
    assert current.group(1).startswith(f"/{area}/")


def test_the_warnings_pages_keep_the_dashboards_sub_navigation(committee_member):
    html = _client(committee_member).get("/dashboards/warnings/").content.decode()
    nav = re.search(r'<nav class="subnav.*?</nav>', html, re.S).group(0)
    assert reverse("dashboards:overview") in nav
    assert re.search(r'href="/dashboards/warnings/" class="current"', nav)
