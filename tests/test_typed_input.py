"""Issue 14 #2 and #3: what people type reaches the services through one reading.

Numbers: the entry form, the API and the import read a typed number with the one strict
parser (indicators.numbers, data-exchange §2) and refuse the same values for the same
reason, instead of a 500 or a silently rounded figure. Periods: a full-width `２０２４Q1` is
the same period as `2024Q1` where people type it (API bodies, query parameters, forms) and
no period at all in a URL path, so it can never open a second, empty form at version 0
that overwrites a colleague's newer value without the 409."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from indicators.exchange import item_specs
from indicators.importing import parse_import_records
from indicators.models import DepartmentPeriod, Figure
from reporting.models import ReportingRound
from reporting.workflow import (
    EntryValue,
    department_items,
    department_period_save,
    department_period_submit,
)
from tasks.models import Department
from tests.helpers import department_fill

pytestmark = pytest.mark.django_db
PERIOD = "2024Q1"
FULL_WIDTH = "２０２４Q1"
D = Decimal

# The probe's numbers (issue 14 #2), each with the words of the reason all edges give.
HOSTILE_NUMBERS = [
    ("1e309", "scientific notation"),  # was HTTP 500 in the entry form
    ("99999999999999999999", "integer digits"),  # was HTTP 500
    ("1.1234567", "decimal places"),  # was stored as 1.123457
    ("1e-7", "scientific notation"),  # was stored as 0.000000
    ("1,2,3", "thousands separator"),  # was stored as 123
    ("1,0,0", "thousands separator"),  # issue 13 #5: the form took it, the upload did not
    ("1e3", "scientific notation"),
    (" 1 000 ", "spaces inside"),
]


def _drs() -> Department:
    return Department.objects.get(code="DRS")


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _footprint():
    return (
        Figure.objects.count(),
        AuditEvent.objects.count(),
        list(DepartmentPeriod.objects.values_list("period", "state", "version").order_by("pk")),
    )


def _form(values: dict[str, str], versions: dict[str, int] | None = None) -> dict:
    """The entry form as the browser posts it for every DRS item (blank: left alone)."""
    versions = versions or {}
    data = {"action": "save"}
    for item in department_items(_drs(), PERIOD):
        data[f"value_{item.code}"] = values.get(item.code, "")
        data[f"note_{item.code}"] = ""
        data[f"version_{item.code}"] = str(versions.get(item.code, 0))
    return data


# --- numbers: one parser for the form, the API and the import ---------------------------------


@pytest.mark.parametrize(("typed", "reason"), HOSTILE_NUMBERS)
def test_the_entry_form_refuses_a_hostile_number_saying_why_and_writes_nothing(
    clerk, typed, reason
):
    client = _page(clerk)  # signing in is audited: counted before
    before = _footprint()

    response = client.post(reverse("reporting:entry", args=[PERIOD]), _form({"coal_raw": typed}))

    assert response.status_code == 400
    page = response.content.decode()
    assert f"“{typed.strip()}”" in page or f"“{typed}”" in page
    assert _footprint() == before


def test_the_entry_form_says_why_in_english_too(clerk):
    client = _page(clerk)
    client.cookies["django_language"] = "en"

    response = client.post(
        reverse("reporting:entry", args=[PERIOD]),
        _form({"coal_raw": "1e309"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "&#x27;1e309&#x27;: scientific notation is not accepted" in response.content.decode()


@pytest.mark.parametrize(("typed", "reason"), HOSTILE_NUMBERS)
def test_the_api_refuses_a_hostile_number_with_both_messages_and_writes_nothing(
    clerk, typed, reason
):
    before = _footprint()

    response = _api(clerk).post(
        reverse("api:figure-list"),
        {"period": PERIOD, "entries": [{"item": "coal_raw", "value": typed}]},
        format="json",
    )

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "not_a_number"
    assert reason in body["message_en"]
    assert not body["message_zh"].isascii()
    assert _footprint() == before


@pytest.mark.parametrize("number", [1e309, 1e-7, 1.1234567])
def test_the_api_refuses_json_numbers_it_cannot_keep_exactly(clerk, number):
    before = _footprint()
    body = f'{{"period": "{PERIOD}", "entries": [{{"item": "coal_raw", "value": {number!r}}}]}}'
    body = body.replace("inf", "1e309")  # what the client sent: JSON has no inf

    response = _api(clerk).post(reverse("api:figure-list"), body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "not_a_number"
    assert _footprint() == before


def test_the_api_reads_what_people_write_exactly(clerk):
    response = _api(clerk).post(
        reverse("api:figure-list"),
        {
            "period": PERIOD,
            "entries": [
                {"item": "coal_raw", "value": "１２,３４５.５"},
                {"item": "coke", "value": 1200},
                {"item": "diesel", "value": 450.25},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    saved = {f["item"]: D(f["value"]) for f in response.json()["saved"]}
    assert saved == {"coal_raw": D("12345.5"), "coke": D(1200), "diesel": D("450.25")}


@pytest.mark.parametrize(("typed", "reason"), HOSTILE_NUMBERS)
def test_the_import_refuses_the_same_numbers_for_the_same_reason(park, typed, reason):
    parsed = parse_import_records(
        [{"period": PERIOD, "item": "coal_raw", "value": typed}], item_specs()
    )

    assert [error.code for error in parsed.errors] == ["not_a_number"]
    assert reason in parsed.errors[0].message_en


# --- periods: canonical at every edge ---------------------------------------------------------


def test_a_full_width_period_url_is_not_a_second_empty_form(clerk, head):
    department_fill("DRS", PERIOD, user=clerk, values={"coal_raw": "100"})  # v1
    department_period_save(  # a colleague's newer value: v2
        department=_drs(), period=PERIOD, entries=[EntryValue("coal_raw", D(200), "", 1)], user=head
    )
    client = _page(clerk)
    before = _footprint()

    assert client.get(f"/reporting/{FULL_WIDTH}/").status_code == 404
    posted = client.post(f"/reporting/{FULL_WIDTH}/", _form({"coal_raw": "150"}))

    assert posted.status_code == 404
    assert _footprint() == before
    latest = Figure.objects.get(item__code="coal_raw", period=PERIOD, is_latest=True)
    assert (latest.version, latest.value) == (2, D(200))
    # The canonical URL still gives the 409 a stale form deserves.
    stale = client.post(f"/reporting/{PERIOD}/", _form({"coal_raw": "150"}, {"coal_raw": 1}))
    assert stale.status_code == 409


@pytest.mark.parametrize(
    "path",
    [
        "/reporting/２０２４Q1/",
        "/reporting/2024Ｑ1/",
        "/reporting/٢٠٢٤Q1/",
        "/reporting/２０２４Q1/board/",
        "/reporting/２０２４Q1/review/DRS/",
        "/reporting/２０２４Q1/history/DRS/",
        "/reporting/２０２４Q1/upload/",
        "/reporting/２０２４Q1/template.xlsx",
    ],
)
def test_every_reporting_page_refuses_a_period_in_other_digits(clerk, path):
    assert _page(clerk).get(path).status_code == 404


def test_a_full_width_period_in_the_api_body_is_the_same_period_and_keeps_the_409(clerk, head):
    department_fill("DRS", PERIOD, user=clerk, values={"coal_raw": "100"})  # v1
    department_period_save(
        department=_drs(), period=PERIOD, entries=[EntryValue("coal_raw", D(200), "", 1)], user=head
    )
    before = _footprint()

    response = _api(clerk).post(
        reverse("api:figure-list"),
        {
            "period": FULL_WIDTH,
            "entries": [{"item": "coal_raw", "value": "150", "expected_version": 0}],
        },
        format="json",
    )

    assert response.status_code == 409, response.content
    assert response.json()["details"]["current_value"] == "200"
    assert _footprint() == before
    assert not Figure.objects.exclude(period__regex=r"^[0-9]{4}(Q[1-4])?$").exists()


def test_a_full_width_period_is_saved_under_its_canonical_code(clerk):
    response = _api(clerk).post(
        reverse("api:figure-list"),
        {"period": "２０２４ｑ１", "entries": [{"item": "coal_raw", "value": "150"}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [f["period"] for f in response.json()["saved"]] == [PERIOD]


def test_no_phantom_department_period_in_the_api(clerk, committee_member):
    for user in (clerk, committee_member):
        response = _api(user).get("/api/v1/department-periods/GRID/２０２５Q1/")
        assert response.status_code == 404
        response = _api(user).get("/api/v1/department-periods/GRID/2025Q1/")
        assert response.status_code in (200, 403)
    assert not DepartmentPeriod.objects.exists()


def test_query_parameters_read_a_typed_period_as_its_code(clerk):
    department_fill("DRS", PERIOD, user=clerk, values={"coal_raw": "100"})

    canonical = _api(clerk).get(reverse("api:figure-list"), {"period": PERIOD}).json()
    typed = _api(clerk).get(reverse("api:figure-list"), {"period": "２０２４Ｑ１"}).json()

    assert canonical["count"] > 0
    assert typed == canonical


def test_a_round_opened_with_a_typed_period_is_the_canonical_round(statistics_office):
    page = _page(statistics_office).post(reverse("reporting:index"), {"period": "２０２４Ｑ２"})
    api = _api(statistics_office).post(
        reverse("api:round-list"), {"period": "2024年第三季度"}, format="json"
    )

    assert page.status_code in (200, 302)
    assert api.status_code == 201, api.content
    assert sorted(ReportingRound.objects.values_list("period", flat=True)) == ["2024Q2", "2024Q3"]


@pytest.mark.parametrize("period", [FULL_WIDTH, "2024q1", " 2024Q1", "2024Q5"])
def test_the_services_take_canonical_periods_only(clerk, period):
    before = _footprint()
    with pytest.raises(ApplicationError) as refused:
        department_period_save(
            department=_drs(),
            period=period,
            entries=[EntryValue("coal_raw", D(1), "")],
            user=clerk,
        )
    assert refused.value.code == "bad_period"
    with pytest.raises(ApplicationError):
        department_period_submit(department=_drs(), period=period, user=clerk)
    assert _footprint() == before


# --- every typed number: governed target changes too -----------------------------------------


@pytest.mark.parametrize(
    ("typed", "reason"),
    [("1e3", "scientific notation"), ("13.1234567", "decimal places"), ("1,3,5", "separator")],
)
def test_a_target_value_typed_badly_is_refused_not_rounded(
    statistics_office, committee_member, typed, reason
):
    from indicators.models import Target
    from indicators.targets import target_change

    t3 = Target.objects.get(code="T3")
    with pytest.raises(ApplicationError) as refused:
        target_change(
            t3, {"value": typed}, "下达目标", "文号〔2026〕1号", committee_member, statistics_office
        )

    assert reason in refused.value.message_en
    t3.refresh_from_db()
    assert t3.value is None


def test_a_target_value_in_full_width_digits_is_read(statistics_office, committee_member):
    from indicators.models import Target
    from indicators.targets import target_change

    t3 = Target.objects.get(code="T3")
    target_change(
        t3,
        {"value": "１３．５"},
        "下达目标",
        "文号〔2026〕1号",
        committee_member,
        statistics_office,
    )

    t3.refresh_from_db()
    assert t3.value == D("13.5")
