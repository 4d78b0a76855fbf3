"""Issue 15 #4: a link a person may not follow is not shown. For every persona, every link
on the pages they reach from their start page and the main menu is followed: none may
answer 403 (a refusal is for a typed or stale address, not for a link the product offered)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

PERSONAS = [
    "outsider",
    "clerk",
    "head",
    "committee_member",
    "statistics_office",
    "auditor",
    "administrator",
]
_HREF = re.compile(r'href="(/[^"#]*)')
# Downloads and the admin: followed elsewhere (files, Django's own staff checks).
_SKIP = ("/static/", "/admin/", "/api/schema/", "/accounts/logout/")


def _links(html: str) -> set[str]:
    return {
        href.replace("&amp;", "&")
        for href in _HREF.findall(html)
        if not href.startswith(_SKIP) and not href.endswith((".xlsx", ".csv", ".pdf"))
    }


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_link_offered_to_a_persona_is_refused(request, park, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    start = [reverse("home"), reverse("plan"), reverse("dashboards:overview"),
             reverse("reporting:index"), reverse("tokens")]  # fmt: skip
    offered: dict[str, str] = {}
    for page in start:
        # A refused page is checked too: its layout is what the persona sees then.
        response = client.get(page, follow=True)
        for link in _links(response.content.decode()):
            offered.setdefault(link, page)
    refused = {}
    for link, page in sorted(offered.items()):
        status = client.get(link).status_code
        if status == 403:
            refused[link] = page
    assert refused == {}, f"{persona} is shown links it may not follow: {refused}"
