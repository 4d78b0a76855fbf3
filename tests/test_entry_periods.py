"""Figures only for periods that have ended, or whose round is open (issue 14 #12, issue 15
#2): one rule (reporting.workflow.period_accepts_entry) for the entry page, the API and
the upload, refused with the code `period_not_ended` in both languages, nothing written.

The day is fixed by the `today` parameter in the rule's table and by real dates far from
"now" elsewhere (2100Q4 has not ended, 2024Q1 has)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from dezhou_carbon.exceptions import ApplicationError
from indicators.models import DepartmentPeriod, Figure, ImportBatch
from reporting.services import round_close, round_open
from reporting.workflow import department_period_submit, period_accepts_entry
from tasks.models import Department
from tests.helpers import department_fill

pytestmark = pytest.mark.django_db
FUTURE = "2100Q4"  # never ended while this code lives
PAST = "2024Q1"


def _current_quarter() -> str:
    today = timezone.localdate()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


@pytest.mark.parametrize(
    ("period", "today", "round_open", "accepted"),
    [
        ("2026Q3", dt.date(2026, 10, 1), False, True),  # ended yesterday
        ("2026Q3", dt.date(2026, 9, 30), False, False),  # its last day: not ended yet
        ("2026Q4", dt.date(2026, 12, 3), False, False),  # running
        ("2026Q4", dt.date(2026, 12, 3), True, True),  # round opened early
        ("2027Q1", dt.date(2026, 12, 3), False, False),  # not even started
        ("2026", dt.date(2026, 12, 31), False, False),  # the year ends tonight
        ("2026", dt.date(2027, 1, 1), False, True),
        ("2100Q4", dt.date(2026, 12, 3), False, False),
    ],
)
def test_the_rule(period, today, round_open, accepted):
    assert period_accepts_entry(period, today=today, round_open=round_open) is accepted


def test_a_future_quarter_is_refused_and_nothing_is_written(clerk):
    with pytest.raises(ApplicationError) as refused:
        department_fill("DRS", FUTURE, user=clerk)
    assert refused.value.code == "period_not_ended"
    assert "尚未结束" in refused.value.message_zh
    assert "has not ended" in refused.value.message_en
    assert not Figure.objects.filter(period=FUTURE).exists()
    assert not DepartmentPeriod.objects.filter(period=FUTURE).exists()
    with pytest.raises(ApplicationError) as submit:
        department_period_submit(
            department=Department.objects.get(code="DRS"), period=FUTURE, user=clerk
        )
    assert submit.value.code == "period_not_ended"


def test_the_running_quarter_takes_figures_once_its_round_is_opened(clerk, statistics_office):
    running = _current_quarter()
    with pytest.raises(ApplicationError):
        department_fill("DRS", running, user=clerk)
    round_open(period=running, user=statistics_office)
    assert department_fill("DRS", running, user=clerk)


def test_an_ended_quarter_takes_figures_with_or_without_a_round(clerk, statistics_office):
    assert department_fill("DRS", PAST, user=clerk)
    reporting_round = round_open(period="2024Q2", user=statistics_office)
    round_close(reporting_round=reporting_round, user=statistics_office)
    assert department_fill("DRS", "2024Q2", user=clerk)  # late figures still go to review


def test_the_api_refuses_drafts_for_2100q4(clerk):
    """Issue 14 #12: the API accepted drafts for far-future quarters."""
    client = APIClient()
    client.force_authenticate(clerk)
    body = {
        "department": "DRS",
        "period": FUTURE,
        "entries": [{"item": "coal_raw", "value": "1"}],
        "reason": "",
    }
    refused = client.post(reverse("api:figure-list"), body, format="json")
    assert refused.status_code == 400, refused.json()
    assert refused.json()["code"] == "period_not_ended"
    assert "尚未结束" in refused.json()["message_zh"]
    submitted = client.post(
        reverse("api:department-period-submit", kwargs={"department": "DRS", "period": FUTURE}),
        {},
        format="json",
    )
    assert submitted.status_code == 400
    assert submitted.json()["code"] == "period_not_ended"
    assert not Figure.objects.filter(period=FUTURE).exists()


def test_the_entry_page_is_read_only_and_refuses_a_post(clerk):
    client = Client()
    client.force_login(clerk)
    url = reverse("reporting:entry", kwargs={"period": FUTURE})
    page = client.get(url).content.decode()
    assert 'id="read-only-reason"' in page
    assert "本期尚未结束" in page
    assert 'value="submit" class="primary" disabled' in page
    assert 'id="upload-link"' not in page
    posted = client.post(url, {"action": "save", "value_coal_raw": "1"})
    assert posted.status_code == 400
    assert "尚未结束" in posted.content.decode()
    assert not Figure.objects.filter(period=FUTURE).exists()


def test_an_upload_for_a_future_quarter_is_refused(clerk):
    from reporting.uploads import department_upload_preview

    with pytest.raises(ApplicationError) as refused:
        department_upload_preview(
            department=Department.objects.get(code="DRS"),
            period=FUTURE,
            content=b"item,value\ncoal_raw,1\n",
            filename="drs.csv",
            user=clerk,
        )
    assert refused.value.code == "period_not_ended"
    assert not ImportBatch.objects.exists()
