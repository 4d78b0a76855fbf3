"""One visibility rule for warnings on every page and in the API (issue 14 #9): the overview,
the department page and the big screen listed DRS's warning titles to another
department's clerk while the warning's API answered 403. Also the rule's home: queryset
methods on EarlyWarning and the permission functions of accounts.permissions."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import permissions
from dashboards.models import EarlyWarning
from tasks.models import Department, Task

pytestmark = pytest.mark.django_db
DRS_TITLE = "DRS专属预警标题"
ECO_TITLE = "ECO专属预警标题"
ANOMALY_TITLE = "数据异常专属标题"


def _make(key, *, department, title, **extra) -> EarlyWarning:
    return EarlyWarning.objects.create(
        dedupe_key=key,
        kind=extra.pop("kind", "status"),
        level=extra.pop("level", "red"),
        department=Department.objects.get(code=department) if department else None,
        period="2025",
        title_zh=title,
        title_en=title,
        message_zh="说明",
        message_en="Explanation",
        **extra,
    )


@pytest.fixture
def warnings(park):
    return {
        "drs": _make("status:T1", department="DRS", title=DRS_TITLE),
        "eco": _make("deadline:2025:ECO", department="ECO", title=ECO_TITLE, kind="deadline"),
        "anomaly": _make("anomaly:1", department=None, title=ANOMALY_TITLE, kind="anomaly"),
    }


PAGES = {
    "overview": reverse("dashboards:overview"),
    "department DRS": reverse("dashboards:department", kwargs={"code": "DRS"}),
    "department ECO": reverse("dashboards:department", kwargs={"code": "ECO"}),
    "big screen": reverse("dashboards:bigscreen"),
    "warnings list": reverse("dashboards:warnings"),
}
SEES = {
    "other_clerk": {ECO_TITLE},  # ECO's clerk: ECO's only
    "clerk": {DRS_TITLE},
    "head": {DRS_TITLE},
    "committee_member": {DRS_TITLE, ECO_TITLE, ANOMALY_TITLE},
    "statistics_office": {DRS_TITLE, ECO_TITLE, ANOMALY_TITLE},
}
ON_PAGE = {  # which titles a page would list to someone who sees everything
    "overview": {DRS_TITLE, ECO_TITLE, ANOMALY_TITLE},
    "department DRS": {DRS_TITLE},
    "department ECO": {ECO_TITLE},
    "warnings list": {DRS_TITLE, ECO_TITLE, ANOMALY_TITLE},
}


@pytest.mark.parametrize("persona", list(SEES))
@pytest.mark.parametrize("page", list(ON_PAGE))
def test_pages_list_only_the_warnings_the_person_may_see(request, warnings, persona, page):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    html = client.get(PAGES[page]).content.decode()
    listed = {title for title in (DRS_TITLE, ECO_TITLE, ANOMALY_TITLE) if title in html}
    assert listed == ON_PAGE[page] & SEES[persona]


@pytest.mark.parametrize("persona", list(SEES))
def test_the_big_screen_shows_no_title_the_person_may_not_see(request, warnings, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    html = client.get(PAGES["big screen"]).content.decode()
    hidden = {DRS_TITLE, ECO_TITLE, ANOMALY_TITLE} - SEES[persona]
    assert not {title for title in hidden if title in html}


@pytest.mark.parametrize("persona", list(SEES))
def test_the_api_follows_the_same_rule(request, warnings, persona):
    user = request.getfixturevalue(persona)
    client = APIClient()
    client.force_authenticate(user)
    listed = client.get(reverse("api:warning-list")).json()["results"]
    assert {w["title_zh"] for w in listed} == SEES[persona]
    for warning in warnings.values():
        status = client.get(reverse("api:warning-detail", args=[warning.pk])).status_code
        assert status == (200 if warning.title_zh in SEES[persona] else 403)


def test_the_queryset_rule(warnings, clerk, other_clerk, committee_member, outsider):
    def keys(queryset) -> set[str]:
        return set(queryset.values_list("dedupe_key", flat=True))

    assert keys(EarlyWarning.objects.visible_to(clerk)) == {"status:T1"}
    assert keys(EarlyWarning.objects.visible_to(other_clerk)) == {"deadline:2025:ECO"}
    assert len(keys(EarlyWarning.objects.visible_to(committee_member))) == 3
    assert keys(EarlyWarning.objects.visible_to(outsider)) == set()
    EarlyWarning.objects.filter(pk=warnings["eco"].pk).update(state="closed")
    assert keys(EarlyWarning.objects.live()) == {"status:T1", "anomaly:1"}


def test_overdue_in_the_database_and_on_the_row_agree(warnings):
    now = timezone.now()
    EarlyWarning.objects.filter(pk=warnings["drs"].pk).update(created_at=now - dt.timedelta(days=8))
    EarlyWarning.objects.filter(pk=warnings["eco"].pk).update(
        state="acknowledged", due_date=timezone.localdate(now) - dt.timedelta(days=1)
    )
    overdue = set(EarlyWarning.objects.overdue(now).values_list("dedupe_key", flat=True))
    assert overdue == {"status:T1", "deadline:2025:ECO"}
    for warning in EarlyWarning.objects.all():
        assert warning.is_overdue(now) is (warning.dedupe_key in overdue)


@pytest.mark.parametrize(
    ("persona", "department", "sees", "answers"),
    [
        ("clerk", "DRS", True, True),
        ("head", "DRS", True, True),
        ("other_clerk", "DRS", False, False),
        ("committee_member", "DRS", True, False),
        ("statistics_office", "DRS", True, False),
        ("statistics_office", None, True, True),  # a data anomaly: the office answers
        ("clerk", None, False, False),
        ("administrator", "ECO", True, True),
        ("outsider", "DRS", False, False),
    ],
)
def test_who_sees_and_answers_a_warning(request, persona, department, sees, answers):
    user = request.getfixturevalue(persona)
    department_id = Department.objects.get(code=department).pk if department else None
    assert permissions.can_see_warning(user, department_id) is sees
    assert permissions.can_answer_warning(user, department_id) is answers


def test_a_task_has_one_lead(park):
    task = Task.objects.filter(responsibilities__role="lead").first()
    lead = task.lead
    assert lead.role == "lead"
    assert lead == task.responsibilities.filter(role="lead").order_by("order", "pk").first()
