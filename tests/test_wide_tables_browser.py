"""The new apps' tables at tablet width in English (issue 15: nothing wider than the
window): the budget's quarters, the project register and a project's page, the footprint
studies and the factor library. English headers and numbers with their units made these
tables wider than an 820 px window, so the whole page scrolled sideways; a wide table now
scrolls inside the page."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections

from accounts.models import User
from projects.models import Project
from tests.test_dashboards_browser import _sign_in

TABLET = (820, 1000)
WAIT_MS = 20_000


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    yield
    connections.close_all()


@pytest.fixture
def full_demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("setup_park", "--demo", stdout=StringIO())


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser", "full_demo")
def test_no_page_of_the_new_apps_is_wider_than_a_tablet_in_english(
    browser_page, live_server, artifacts_dir
):
    page = browser_page
    page.set_default_timeout(WAIT_MS)
    _sign_in(page, live_server.url, User.objects.get(username="committee"), "en")
    page.set_viewport_size({"width": TABLET[0], "height": TABLET[1]})
    project = Project.objects.order_by("pk").first()
    wide = {}
    for name, address in [
        ("budget", "/budgets/"),
        ("projects", "/projects/"),
        ("project", f"/projects/{project.pk}/"),
        ("footprints", "/footprints/"),
        ("factors", "/footprints/factors/"),
    ]:
        response = page.goto(live_server.url + address, wait_until="load")
        assert response.status == 200, address
        page.wait_for_timeout(300)  # charts settle to the window's width
        page.screenshot(path=artifacts_dir / f"tablet-en-{name}.png", full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 1:
            wide[address] = overflow
        if name == "budget":
            budget_text = page.inner_text("main")
            versions = page.inner_text("#versions")
    assert wide == {}
    # The budget's numbers as the rest of the page writes them, its people by name: the
    # projects' approved energy read 10800.000000 and the versions drs_clerk, committee.
    assert not re.search(r"\d\.\d{5,}", budget_text)
    assert "10,800.0" in budget_text
    assert not re.search(r"\b(drs_clerk|committee)\b", versions)
