"""Four eyes (issue 14 #8): whoever submitted a department's period never approves it, and
whoever submitted an approved period never unlocks it — in the service, on the review page
and through the API, with the refusal code `four_eyes` in both languages."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import permissions
from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import PermissionRefused
from indicators.models import DepartmentPeriod, StatisticalItem
from reporting.workflow import (
    department_period_approve,
    department_period_return,
    department_period_submit,
    lock_exception_grant,
)
from tasks.models import Department
from tests.helpers import department_fill, import_rows

pytestmark = pytest.mark.django_db
PERIOD = "2024Q1"


@pytest.fixture
def drs():
    return Department.objects.get(code="DRS")


@pytest.fixture
def deputy_head(park):
    """A second head of DRS: decides what the first head submitted."""
    return User.objects.create_user(
        "zhou.deputy", role=User.Role.HEAD, department=Department.objects.get(code="DRS")
    )


def _state() -> str:
    return DepartmentPeriod.objects.get(department__code="DRS", period=PERIOD).state


def _submitted_by(user, drs) -> None:
    department_fill("DRS", PERIOD, user=user)
    department_period_submit(department=drs, period=PERIOD, user=user)


def test_a_head_cannot_approve_what_they_submitted(head, deputy_head, drs):
    _submitted_by(head, drs)
    with pytest.raises(PermissionRefused) as refused:
        department_period_approve(department=drs, period=PERIOD, user=head)
    assert refused.value.code == "four_eyes"
    assert "四眼" in refused.value.message_zh
    assert "four eyes" in refused.value.message_en
    assert _state() == "submitted"
    assert not AuditEvent.objects.filter(action="approve").exists()

    department_period_approve(department=drs, period=PERIOD, user=deputy_head)
    row = DepartmentPeriod.objects.get(department=drs, period=PERIOD)
    assert (row.state, row.submitted_by, row.decided_by) == ("approved", head, deputy_head)


def test_the_submitter_may_still_return_and_the_clerk_head_pair_works(clerk, head, drs):
    _submitted_by(head, drs)
    department_period_return(department=drs, period=PERIOD, user=head, comment="补充说明")
    assert _state() == "returned"
    department_period_submit(department=drs, period=PERIOD, user=clerk)
    department_period_approve(department=drs, period=PERIOD, user=head)
    assert _state() == "approved"


def test_an_administrator_is_held_to_four_eyes_too(administrator, head, drs):
    _submitted_by(administrator, drs)
    with pytest.raises(PermissionRefused) as refused:
        department_period_approve(department=drs, period=PERIOD, user=administrator)
    assert refused.value.code == "four_eyes"
    department_period_approve(department=drs, period=PERIOD, user=head)
    assert _state() == "approved"


def test_whoever_imported_figures_for_review_cannot_approve_them(administrator, head, drs):
    """An import without approval submits the figures in the importer's name."""
    rows = [
        {"period": PERIOD, "item": item.code, "value": "1"}
        for item in StatisticalItem.objects.filter(department=drs, frequency="quarter")
    ]
    import_rows(rows, user=administrator, approve=False)
    assert _state() == "submitted"
    with pytest.raises(PermissionRefused) as refused:
        department_period_approve(department=drs, period=PERIOD, user=administrator)
    assert refused.value.code == "four_eyes"
    department_period_approve(department=drs, period=PERIOD, user=head)
    assert _state() == "approved"


def test_whoever_submitted_an_approved_period_cannot_unlock_it(
    administrator, head, statistics_office, drs
):
    _submitted_by(administrator, drs)
    department_period_approve(department=drs, period=PERIOD, user=head)
    with pytest.raises(PermissionRefused) as refused:
        lock_exception_grant(
            department=drs, period=PERIOD, reason="更正", hours=24, user=administrator
        )
    assert refused.value.code == "four_eyes"
    assert not AuditEvent.objects.filter(action="unlock").exists()
    lock_exception_grant(
        department=drs, period=PERIOD, reason="更正", hours=24, user=statistics_office
    )
    assert AuditEvent.objects.get(action="unlock").actor == statistics_office


@pytest.mark.parametrize(
    ("who", "submitters", "allowed"),
    [
        ("head", set(), True),
        ("head", {None}, True),
        ("head", {"clerk"}, True),
        ("head", {"clerk", "head"}, False),
        ("clerk", {"head"}, False),  # a clerk never approves
        ("administrator", {"clerk"}, True),
        ("administrator", {"administrator"}, False),
        ("other_head", {"clerk"}, False),  # another department's head
    ],
)
def test_the_approval_rule_table(request, who, submitters, allowed, drs):
    people = {
        "head": lambda: request.getfixturevalue("head"),
        "clerk": lambda: request.getfixturevalue("clerk"),
        "administrator": lambda: request.getfixturevalue("administrator"),
        "other_head": lambda: User.objects.create_user(
            "eco.head", role=User.Role.HEAD, department=Department.objects.get(code="ECO")
        ),
    }
    user = people[who]()
    ids = {None if name is None else people[name]().pk for name in submitters}
    assert permissions.can_approve_submission(user, drs.pk, ids) is allowed


# --- pages and API ---------------------------------------------------------------------------


def test_the_review_page_offers_the_submitter_no_approval(head, deputy_head, drs):
    _submitted_by(head, drs)
    url = reverse("reporting:review", kwargs={"period": PERIOD, "department_code": "DRS"})
    submitter = Client()
    submitter.force_login(head)
    page = submitter.get(url).content.decode()
    assert 'value="approve"' not in page
    assert 'id="four-eyes"' in page
    assert 'value="return"' in page
    refused = submitter.post(url, {"action": "approve", "comment": ""})
    assert refused.status_code == 403
    assert _state() == "submitted"

    deputy = Client()
    deputy.force_login(deputy_head)
    assert 'value="approve"' in deputy.get(url).content.decode()
    assert deputy.post(url, {"action": "approve", "comment": "同意"}).status_code == 302
    assert _state() == "approved"


def test_the_api_refuses_the_submitter_with_four_eyes(head, deputy_head, drs):
    _submitted_by(head, drs)
    kwargs = {"department": "DRS", "period": PERIOD}
    client = APIClient()
    client.force_authenticate(head)
    detail = client.get(reverse("api:department-period-detail", kwargs=kwargs)).json()
    assert (detail["may_decide"], detail["may_approve"]) == (True, False)
    refused = client.post(
        reverse("api:department-period-approve", kwargs=kwargs), {}, format="json"
    )
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "four_eyes"
    assert "四眼" in body["message_zh"]
    assert "four eyes" in body["message_en"]

    client.force_authenticate(deputy_head)
    assert client.get(reverse("api:department-period-detail", kwargs=kwargs)).json()["may_approve"]
    approved = client.post(
        reverse("api:department-period-approve", kwargs=kwargs), {}, format="json"
    )
    assert approved.status_code == 200, approved.json()
