"""The public page (宣传推广, issue 20 item 6, task 16): anonymous and read-only, it shows
only the targets, verified milestones and cases the committee published (an audited
publish/unpublish service), with the product's CSP. The wall is tested from outside: the
ids of unpublished items, search words and the API give an anonymous visitor or a signed-in
outsider nothing."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.models import Target
from pilot import services
from pilot.models import Publication
from tasks.models import WorkItem

pytestmark = pytest.mark.django_db

PUBLIC = "园区绿电直供公开案例"
SECRET = "未公开的内部案例"


@pytest.fixture
def published(park, clerk, committee_member):
    """One published case, one unpublished; one published verified milestone and one
    verified but unpublished; one published target and the others not."""
    shown = services.case_create(
        user=clerk, title_zh=PUBLIC, summary_zh="光伏直供摘要", year=2026,
        department=clerk.department,
    )  # fmt: skip
    hidden = services.case_create(
        user=clerk, title_zh=SECRET, summary_zh="内部摘要保密", year=2026,
        department=clerk.department,
    )  # fmt: skip
    items = list(WorkItem.objects.order_by("pk")[:2])
    WorkItem.objects.filter(pk__in=[i.pk for i in items]).update(
        verified_at=timezone.now(), verified_period="2026Q2"
    )
    targets = list(Target.objects.order_by("code")[:2])
    services.publish(kind="case", object_id=shown.pk, user=committee_member)
    services.publish(kind="work_item", object_id=items[0].pk, user=committee_member)
    services.publish(kind="target", object_id=targets[0].pk, user=committee_member)
    return {
        "shown": shown, "hidden": hidden, "item": items[0], "hidden_item": items[1],
        "target": targets[0], "hidden_target": targets[1],
    }  # fmt: skip


def _page(client, **params) -> tuple[int, str]:
    response = client.get(reverse("pilot:public"), params)
    return response.status_code, response.content.decode()


def _plain(page: str, case_id: str) -> str:
    """A page without what differs on every request: the request id and the CSRF token."""
    page = page.replace(f"case={case_id}", "case=ID")
    return re.sub(r'[0-9a-f]{32}|name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def _visitors(outsider):
    anonymous = Client()
    signed_in = Client()
    signed_in.force_login(outsider)
    return [anonymous, signed_in]


def test_the_public_page_shows_only_what_was_published(published, outsider):
    for client in _visitors(outsider):
        status, page = _page(client)
        assert status == 200
        assert PUBLIC in page
        assert SECRET not in page
        assert published["item"].title_zh in page
        assert published["hidden_item"].title_zh not in page
        assert published["target"].title_zh in page
        assert published["hidden_target"].title_zh not in page
        response = client.get(reverse("pilot:public"))
        assert "default-src 'self'" in response["Content-Security-Policy"]


def test_ids_and_search_words_of_unpublished_items_reveal_nothing(published, outsider):
    hidden = published["hidden"]
    for client in _visitors(outsider):
        missing_status, missing_page = _page(client, case="999999")
        status, page = _page(client, case=str(hidden.pk))
        assert status == 404
        assert SECRET not in page
        assert "内部摘要保密" not in page
        assert status == missing_status  # an unpublished id answers as an unknown one
        # the same page as for an unknown id, but for the id itself and the request id
        assert _plain(page, str(hidden.pk)) == _plain(missing_page, "999999")
        for word in (SECRET, "内部摘要", published["hidden_item"].title_zh[:6]):
            status, page = _page(client, q=word)
            assert status == 200
            page = page.replace(f'value="{word}"', "")  # the search box shows the words typed
            assert SECRET not in page
            assert "内部摘要保密" not in page
            assert published["hidden_item"].title_zh not in page
        status, page = _page(client, case=str(published["shown"].pk))
        assert status == 200
        assert "光伏直供摘要" in page
        for junk in ("abc", "-1", "1 OR 1=1", ""):
            assert _page(client, case=junk)[0] == 404
        data = client.get(reverse("pilot:public_data"), {"q": SECRET, "case": hidden.pk})
        assert data.status_code == 200
        assert SECRET not in data.content.decode()
        everything = json.loads(client.get(reverse("pilot:public_data")).content)
        assert [c["title"] for c in everything["cases"]] == [PUBLIC]
        assert [m["code"] for m in everything["milestones"]] == [published["item"].code]
        assert [t["code"] for t in everything["targets"]] == [published["target"].code]


def test_the_api_gives_outsiders_nothing_of_unpublished_items(published, outsider):
    hidden_item = published["hidden_item"]
    urls = [
        f"/api/v1/work-items/{hidden_item.pk}/",
        f"/api/v1/work-items/?search={hidden_item.code}",
        f"/api/v1/targets/?search={published['hidden_target'].code}",
        f"/api/v1/tasks/?search={SECRET}",
    ]
    for client in _visitors(outsider):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, url
            assert SECRET.encode() not in response.content
    # The pages behind sign-in are closed to both as well.
    for client in _visitors(outsider):
        for url in (
            reverse("pilot:case", kwargs={"pk": published["hidden"].pk}),
            reverse("pilot:cases") + f"?q={SECRET}",
            reverse("pilot:publishing"),
        ):
            assert client.get(url).status_code in (302, 403), url


def test_only_the_committee_publishes_and_every_change_is_audited(
    published, clerk, head, committee_member
):
    hidden = published["hidden"]
    for person in (clerk, head):
        with pytest.raises(PermissionRefused):
            services.publish(kind="case", object_id=hidden.pk, user=person)
    unverified = WorkItem.objects.filter(verified_at__isnull=True).first()
    with pytest.raises(ApplicationError):  # a milestone not verified is not published
        services.publish(kind="work_item", object_id=unverified.pk, user=committee_member)
    with pytest.raises(ApplicationError):
        services.publish(kind="figure", object_id=1, user=committee_member)
    assert Publication.objects.count() == 3
    assert services.publish(kind="case", object_id=hidden.pk, user=committee_member)
    assert not services.publish(kind="case", object_id=hidden.pk, user=committee_member)
    assert SECRET in _page(Client())[1]
    assert services.publish(
        kind="case", object_id=hidden.pk, user=committee_member, published=False
    )
    assert SECRET not in _page(Client())[1]
    assert list(
        AuditEvent.objects.filter(object_type="pilot_case", object_id=str(hidden.pk))
        .filter(action__in=["pilot_publish", "pilot_unpublish"])
        .values_list("action", flat=True)
        .order_by("pk")
    ) == ["pilot_publish", "pilot_unpublish"]


def test_the_publishing_page_publishes_and_unpublishes(published, committee_member, clerk):
    client = Client()
    client.force_login(committee_member)
    page = client.get(reverse("pilot:publishing"))
    assert page.status_code == 200
    assert SECRET in page.content.decode()
    client.post(
        reverse("pilot:publishing"),
        {"kind": "case", "object_id": published["hidden"].pk, "action": "publish"},
    )
    assert Publication.objects.filter(kind="case", object_id=published["hidden"].pk).exists()
    refused = Client()
    refused.force_login(clerk)
    response = refused.post(
        reverse("pilot:publishing"),
        {"kind": "case", "object_id": published["shown"].pk, "action": "unpublish"},
    )
    assert response.status_code == 403
    assert Publication.objects.filter(kind="case", object_id=published["shown"].pk).exists()


def test_the_public_page_reads_in_a_fixed_number_of_queries(
    published, committee_member, clerk, django_assert_num_queries
):
    client = Client()
    client.get(reverse("pilot:public"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("pilot:public"))
    for n in range(20):
        case = services.case_create(
            user=clerk, title_zh=f"案例{n}", summary_zh="摘要", year=2026,
            department=clerk.department,
        )  # fmt: skip
        services.publish(kind="case", object_id=case.pk, user=committee_member)
    for item in WorkItem.objects.order_by("pk")[2:12]:
        WorkItem.objects.filter(pk=item.pk).update(
            verified_at=timezone.now(), verified_period="2026Q3"
        )
        services.publish(kind="work_item", object_id=item.pk, user=committee_member)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("pilot:public"))
    assert len(many) == len(few)
    assert len(few) <= 10


PUBLIC_ADDRESSES = ["pilot:public", "pilot:public_data", "/api/v1/pilot/public/"]
WALL_PERSONAS = [
    "anonymous", "outsider", "energy_manager", "clerk", "other_clerk", "committee_member",
    "auditor",
]  # fmt: skip


@pytest.mark.parametrize("persona", WALL_PERSONAS)
def test_every_public_address_shows_published_items_only_to_every_persona(
    request, published, persona
):
    """The wall as a matrix: every public address (page, data.json, API) × every persona ×
    search words and ids of the unpublished items — the unpublished case, milestone and
    target never appear, the published ones always do."""
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    hidden, hidden_item = published["hidden"], published["hidden_item"]
    secrets = [SECRET, "内部摘要保密", hidden_item.title_zh, published["hidden_target"].title_zh]
    params = [
        {},
        {"q": SECRET},
        {"q": "内部"},
        {"q": hidden_item.code},
        {"q": published["hidden_target"].code},
        {"case": str(hidden.pk)},
        {"case": str(published["shown"].pk), "q": SECRET},
    ]
    for address in PUBLIC_ADDRESSES:
        url = address if address.startswith("/") else reverse(address)
        for query in params:
            response = client.get(url, query)
            if address == "pilot:public" and query.get("case") == str(hidden.pk):
                assert response.status_code == 404  # as an unknown id
            else:
                assert response.status_code == 200, (url, query)
            text = response.content.decode()
            for word in query.values():
                text = text.replace(f'value="{word}"', "")  # the search box echoes the words
            for secret in secrets:
                assert secret not in text, (persona, url, query, secret)
        everything = client.get(url).content.decode()
        assert PUBLIC in everything
        assert published["item"].title_zh in everything
