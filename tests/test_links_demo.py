"""Every link the demo park offers each person can be followed (issue 15 #4, extended to
the enterprises, projects, budget, footprint, assessment and pilot pages and to the
enterprises' energy managers): from their home page, each demo account follows the links
of every kind of page it reaches (one page per address pattern) and none answers 403, 404
or 500. A refusal is for a typed or stale address, never for a link the product showed."""

import re
from collections import deque
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

PERSONAS = ["committee", "stats", "auditor", "drs_clerk", "eco_clerk", "eit_head",
            "ent_power", "ent_pack"]  # fmt: skip
PAGES_EACH = 45
_HREF = re.compile(r'href="(/[^"#]*)')
# Files, the admin, the API and signing out are followed elsewhere.
_SKIP = ("/static/", "/media/", "/admin/", "/api/", "/accounts/logout/", "/i18n/")
_FILE = re.compile(r"\.(xlsx|csv|pdf|docx|zip)(\?|$)|/download/|/files/|-evidence/|/attachment/")


def _pattern(link: str) -> str:
    """One page of each kind: ids, periods, department, enterprise and indicator codes are
    the same kind of page."""
    parts = urlsplit(link)
    path = re.sub(r"/\d+(?=/|$)", "/N", parts.path)
    path = re.sub(r"/20\d\d(Q[1-4])?(?=/|$)", "/P", path)
    path = re.sub(r"/[A-Z]{2,5}(?=/|$)", "/D", path)
    path = re.sub(r"/[0-9A-Z]{18}(?=/|$)", "/E", path)
    path = re.sub(r"/(indicators|items|targets|factors)/[a-z0-9_]+(?=/|$)", r"/\1/C", path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return path + "?" + "&".join(keys)


def _links(html: str) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href in _HREF.findall(html)
        if not href.startswith(_SKIP) and not _FILE.search(href)
    ]


@pytest.fixture
def demo_park(settings, tmp_path):
    """The whole demo as `scripts/demo` loads it (every app's demo data)."""
    settings.MEDIA_ROOT = tmp_path
    call_command("setup_park", "--demo", stdout=StringIO())


@pytest.mark.usefixtures("demo_park")
def test_every_link_the_demo_offers_each_person_can_be_followed():
    broken = {}
    for username in PERSONAS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        seen: set[str] = set()
        queue = deque([("/", "(start)")])
        followed = 0
        while queue and followed < PAGES_EACH:
            link, source = queue.popleft()
            if _pattern(link) in seen:
                continue
            seen.add(_pattern(link))
            followed += 1
            response = client.get(link, follow=True)
            if response.status_code in (403, 404, 500):
                broken[f"{username} {link}"] = f"{response.status_code} (linked from {source})"
                continue
            if "text/html" not in response.get("Content-Type", ""):
                continue
            here = response.redirect_chain[-1][0] if response.redirect_chain else link
            queue.extend((href, here) for href in _links(response.content.decode()))
        assert followed >= 10, f"{username} reached only {followed} pages"
    assert broken == {}
