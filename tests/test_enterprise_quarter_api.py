"""The enterprise's quarter through the API (issue 17 #9, management.md §6): its energy
manager creates an API token in the browser, and its script reads the enterprise's ledger
and quarter, saves drafts and submits; the supervising head approves or returns through the
API (four eyes); another enterprise, by code, answers 404 and is audited, nothing written."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent
from enterprises.models import Enterprise, EnterprisePeriod
from enterprises.quarters import ENTERPRISE_ITEMS
from indicators.models import Figure, RecomputeRequest
from tasks.models import Department

PERIOD = "2024Q1"
OTHER_CODE = "91350100M000100Y43"  # GB 32100's example code, supervised by EIT


@pytest.fixture
def other_enterprise(park):
    return Enterprise.objects.create(
        code=OTHER_CODE,
        name="德州另一家企业",
        industry="3985",
        supervising_department=Department.objects.get(code="EIT"),
    )


def _token_client(user) -> APIClient:
    """A script's client: the person creates the token signed in in the browser (the key is
    in that answer only), then the script sends it."""
    browser = Client()
    browser.force_login(user)
    created = browser.post(
        reverse("api:token-list"), {"name": "季度填报脚本"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    key = created.json()["key"]
    assert ApiToken.objects.get(pk=created.json()["id"]).key_hash != key  # only the hash kept
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return script


def _entries(**values) -> list[dict]:
    return [{"item": code, "value": str(values.get(code, "0"))} for code in ENTERPRISE_ITEMS]


def _quarter_url(code: str, action: str = "") -> str:
    name = f"api:enterprise-quarter-{action}" if action else "api:enterprise-quarter"
    return reverse(name, kwargs={"credit_code": code, "period": PERIOD})


def _attempts() -> int:
    return AuditEvent.objects.filter(action="enterprise_access_refused").count()


def test_energy_manager_token_reports_the_quarter_and_the_head_approves(
    energy_manager, cell_maker, head
):
    script = _token_client(energy_manager)
    assert AuditEvent.objects.filter(action="api_token_create", actor=energy_manager).exists()

    ledger = script.get(reverse("api:enterprise-ledger", args=[cell_maker.code]))
    assert ledger.status_code == 200
    assert ledger.json()["enterprise"] == cell_maker.code
    assert ledger.json()["quarters"] == []

    opened = script.get(_quarter_url(cell_maker.code)).json()
    assert opened["state"] == "open"
    assert opened["may_enter"] is True
    assert opened["may_approve"] is False
    assert [row["item"] for row in opened["rows"]] == list(ENTERPRISE_ITEMS)
    assert opened["validation"]["ready_to_submit"] is False

    saved = script.post(
        _quarter_url(cell_maker.code),
        {"entries": _entries(electricity_grid="120.5", iva_current="3400")},
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    rows = {row["item"]: row for row in saved.json()["rows"]}
    assert rows["electricity_grid"]["value"] == "120.5"  # a decimal string, as sent
    assert rows["electricity_grid"]["version"] == 1
    assert saved.json()["validation"]["ready_to_submit"] is True
    drafts = Figure.objects.filter(scope=cell_maker.code, is_latest=True)
    assert set(drafts.values_list("state", flat=True)) == {"draft"}
    assert drafts.get(item__code="electricity_grid").entered_by == energy_manager

    # A stale version (someone saved first) is a 409, nothing written.
    stale = script.post(
        _quarter_url(cell_maker.code),
        {"entries": [{"item": "electricity_grid", "value": "1", "expected_version": 0}]},
        format="json",
    )
    assert stale.status_code == 409
    assert drafts.get(item__code="electricity_grid").value == Decimal("120.5")

    # The energy manager cannot approve its own quarter; the head has nothing to decide yet.
    assert (
        script.post(_quarter_url(cell_maker.code, "approve"), {}, format="json").status_code == 403
    )

    submitted = script.post(_quarter_url(cell_maker.code, "submit"), {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["submitted_by"] == energy_manager.username
    assert submitted.json()["may_enter"] is False

    reviewer = APIClient()
    reviewer.force_authenticate(head)
    seen = reviewer.get(_quarter_url(cell_maker.code)).json()
    assert seen["may_approve"] is True
    approved = reviewer.post(_quarter_url(cell_maker.code, "approve"), {"comment": "同意"},
                             format="json")  # fmt: skip
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] == head.username
    assert Figure.objects.filter(scope=cell_maker.code, counts=True).count() == len(
        ENTERPRISE_ITEMS
    )
    assert RecomputeRequest.objects.filter(scope=cell_maker.code, from_year=2024).exists()
    row = EnterprisePeriod.objects.get(enterprise=cell_maker, period=PERIOD)
    assert list(
        AuditEvent.objects.filter(object_type="enterprise_period", object_id=str(row.pk))
        .order_by("pk")
        .values_list("action", "actor")
    ) == [("submit", energy_manager.pk), ("approve", head.pk)]
    listed = script.get(reverse("api:enterprise-quarter-list", args=[cell_maker.code])).json()
    assert [(q["period"], q["state"]) for q in listed] == [(PERIOD, "approved")]

    # Approved: locked against the script too.
    locked = script.post(_quarter_url(cell_maker.code), {"entries": _entries()}, format="json")
    assert locked.status_code == 400
    assert locked.json()["code"] == "period_locked"
    assert locked.json()["message_zh"]
    assert locked.json()["message_en"]


def test_return_needs_a_comment_and_reopens_the_quarter(energy_manager, cell_maker, head):
    script = _token_client(energy_manager)
    script.post(_quarter_url(cell_maker.code), {"entries": _entries(iva_current="10")},
                format="json")  # fmt: skip
    assert script.post(_quarter_url(cell_maker.code, "submit"), format="json").status_code == 200
    reviewer = APIClient()
    reviewer.force_authenticate(head)
    bare = reviewer.post(_quarter_url(cell_maker.code, "return"), {}, format="json")
    assert bare.status_code == 400
    assert bare.json()["code"] == "comment_required"
    returned = reviewer.post(_quarter_url(cell_maker.code, "return"), {"comment": "请核对用电量"},
                             format="json")  # fmt: skip
    assert returned.json()["state"] == "returned"
    again = script.get(_quarter_url(cell_maker.code)).json()
    assert again["may_enter"] is True
    assert again["comment"] == "请核对用电量"


def test_bad_values_and_items_are_refused_nothing_written(energy_manager, cell_maker):
    script = _token_client(energy_manager)
    for body, code in (
        ({"entries": [{"item": "electricity_grid", "value": "-5"}]}, "invalid"),
        ({"entries": [{"item": "coal_for_power", "value": "5"}]}, "unknown_item"),
        ({"entries": [{"item": "electricity_grid", "value": "1e5"}]}, None),
        ({"entries": []}, None),
    ):
        response = script.post(_quarter_url(cell_maker.code), body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert response.json()["message_zh"]
        assert response.json()["message_en"]
        if code:
            assert response.json()["code"] == code
    assert not Figure.objects.filter(scope=cell_maker.code).exists()
    year = script.get(_quarter_url(cell_maker.code).replace(PERIOD, "2024"))
    assert year.status_code == 404  # the address takes a quarter only


def test_submission_needs_every_item(energy_manager, cell_maker):
    script = _token_client(energy_manager)
    script.post(_quarter_url(cell_maker.code),
                {"entries": [{"item": "electricity_grid", "value": "1"}]}, format="json")  # fmt: skip
    response = script.post(_quarter_url(cell_maker.code, "submit"), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert response.json()["details"]
    assert not EnterprisePeriod.objects.filter(state="submitted").exists()


@pytest.mark.parametrize(
    "name", ["ledger", "quarter-list", "quarter", "quarter-submit", "quarter-approve"]
)
def test_another_enterprise_is_refused_at_the_wall_audited_nothing_written(
    energy_manager, cell_maker, other_enterprise, name
):
    script = _token_client(energy_manager)
    kwargs = {"credit_code": OTHER_CODE}
    if (name.startswith("quarter-") and name != "quarter-list") or name == "quarter":
        kwargs["period"] = PERIOD
    url = reverse(f"api:enterprise-{name}", kwargs=kwargs)
    before, figures = _attempts(), Figure.objects.count()
    if name in ("ledger", "quarter-list"):
        response = script.get(url)
    else:
        response = script.post(url, {"entries": _entries()}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_wall"
    assert response.json()["message_zh"]
    assert response.json()["message_en"]
    assert _attempts() == before + 1
    assert Figure.objects.count() == figures
    assert not EnterprisePeriod.objects.exists()


def test_the_wall_refuses_a_session_naming_another_enterprise(
    client, energy_manager, cell_maker, other_enterprise
):
    """In the browser (a session) the door refuses first: 403 with the reason, audited."""
    client.force_login(energy_manager)
    before = _attempts()
    response = client.get(_quarter_url(OTHER_CODE))
    assert response.status_code == 403
    assert response.json()["code"] == "enterprise_wall"
    assert _attempts() == before + 1
    # A filter naming it is refused alike.
    response = client.get(reverse("api:enterprise-list") + f"?code={OTHER_CODE}")
    assert response.status_code == 403
    assert _attempts() == before + 2


def test_a_token_naming_another_enterprise_by_filter_or_body_is_refused(
    energy_manager, cell_maker, other_enterprise
):
    """The wall holds for a script's token too (no session for the middleware to see)."""
    script = _token_client(energy_manager)
    before = _attempts()
    by_filter = script.get(reverse("api:enterprise-list") + f"?code={OTHER_CODE}")
    assert by_filter.status_code == 403
    assert by_filter.json()["code"] == "enterprise_wall"
    in_body = script.post(
        reverse("api:product-output-import"),
        {"rows": [{"code": OTHER_CODE, "year": "2024", "product": "x", "quantity": "1",
                   "unit": "t"}]},
        format="json",
    )  # fmt: skip
    assert in_body.status_code == 403
    assert _attempts() == before + 2
    own = script.get(reverse("api:enterprise-list") + f"?code={cell_maker.code}")
    assert own.status_code == 200


def test_department_staff_read_and_may_not_enter(clerk, other_clerk, cell_maker):
    reader = APIClient()
    reader.force_authenticate(clerk)  # DRS supervises cell_maker
    body = reader.get(_quarter_url(cell_maker.code)).json()
    assert body["may_enter"] is False
    refused = reader.post(_quarter_url(cell_maker.code), {"entries": _entries()}, format="json")
    assert refused.status_code == 403
    assert not Figure.objects.exists()
    outsider = APIClient()
    outsider.force_authenticate(other_clerk)  # ECO: not its enterprise
    assert outsider.get(_quarter_url(cell_maker.code)).status_code == 404


def test_revoked_token_is_refused(energy_manager, cell_maker):
    script = _token_client(energy_manager)
    token = ApiToken.objects.get(user=energy_manager)
    browser = Client()
    browser.force_login(energy_manager)
    revoked = browser.post(
        reverse("api:token-revoke", args=[token.pk]), content_type="application/json"
    )
    assert revoked.status_code == 200
    assert script.get(_quarter_url(cell_maker.code)).status_code == 401
    # A token cannot mint another.
    minted = script.post(reverse("api:token-list"), {"name": "x"}, format="json")
    assert minted.status_code == 401


def test_energy_manager_token_cannot_mint_tokens(energy_manager, cell_maker):
    script = _token_client(energy_manager)
    minted = script.post(reverse("api:token-list"), {"name": "再来一个"}, format="json")
    assert minted.status_code == 403
    assert ApiToken.objects.filter(user=energy_manager).count() == 1


def test_tokens_page_for_the_energy_manager(client, energy_manager, cell_maker):
    client.force_login(energy_manager)
    page = client.get(reverse("tokens"))
    assert page.status_code == 200
    created = client.post(reverse("tokens"), {"action": "create", "name": "脚本"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=energy_manager)
    assert token.prefix in created.content.decode()
    profile = client.get(reverse("enterprises:profile", args=[cell_maker.code]))
    assert reverse("tokens") in profile.content.decode()  # the header links to it


def test_another_enterprises_measure_by_id_is_404_and_audited(
    client, energy_manager, clerk, cell_maker, other_enterprise, administrator
):
    """By id: a measure of another enterprise reported on under one's own enterprise (the
    energy manager on the plan page; the supervising clerk in the API, which is the
    department's) answers as one that does not exist, and the attempt is audited."""
    from enterprises import work_services
    from enterprises.models import MeasureProgress

    theirs = work_services.measure_create(
        user=administrator, enterprise=other_enterprise,
        data={"title": "余热回收", "owner": "设备部", "start_quarter": "2026Q1",
              "due_quarter": "2026Q4", "savings_tce": "1", "savings_tco2": "2",
              "investment": "3"},
    )  # fmt: skip
    body = {"measure": theirs.pk, "period": "2026Q3", "state": "in_progress", "note": "x"}
    script = _token_client(clerk)
    before = _attempts()
    answer = script.post(
        reverse("api:enterprise-measure-progress", args=[cell_maker.code]), body, format="json"
    )
    assert answer.status_code == 404
    assert _attempts() == before + 1
    client.force_login(energy_manager)
    page = client.post(
        reverse("enterprises:plan", args=[cell_maker.code]), {"action": "progress", **body}
    )
    assert page.status_code == 404
    assert _attempts() == before + 2
    assert not MeasureProgress.objects.exists()
    # Not a number: as no measure at all, and not an attempt.
    typed = client.post(
        reverse("enterprises:plan", args=[cell_maker.code]),
        {"action": "progress", **body, "measure": "x"},
    )
    assert typed.status_code == 404
    assert _attempts() == before + 2


def test_an_administrator_finds_and_revokes_an_energy_managers_token(
    energy_manager, cell_maker, administrator, clerk
):
    script = _token_client(energy_manager)
    admin = APIClient()
    admin.force_authenticate(administrator)
    listed = admin.get(reverse("api:token-list") + f"?owner={energy_manager.username}").json()
    [token] = listed["results"]
    assert token["owner"] == energy_manager.username
    assert "key" not in token
    revoked = admin.post(reverse("api:token-revoke", args=[token["id"]]), format="json")
    assert revoked.status_code == 200
    assert AuditEvent.objects.filter(
        action="api_token_revoke", actor=administrator, object_id=str(token["id"])
    ).exists()
    assert script.get(_quarter_url(cell_maker.code)).status_code == 401
    # Anyone else asking for another person's tokens gets their own.
    other = APIClient()
    other.force_authenticate(clerk)
    assert (
        other.get(reverse("api:token-list") + f"?owner={energy_manager.username}").json()["results"]
        == []
    )
