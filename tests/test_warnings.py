"""Early warnings (预警): raised from the stored results, missed deadlines and engine alerts;
answered by the owning department (acknowledge → resolve), closed (销号) by the committee;
escalated (督办) when left unanswered or past their due date. The services first, then the
list and detail pages through Django's test client."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dashboards.services import (
    warning_acknowledge,
    warning_close,
    warning_resolve,
    warning_response_return,
    warning_sign_off,
    warnings_escalate,
    warnings_sync,
)
from dezhou_carbon.display import person as person_shown
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.models import EngineAlert, IndicatorResult, Target
from reporting.models import Notification
from reporting.services import departments_of_round, round_open
from reporting.workflow import department_period_submit
from tasks.models import Department
from tests.helpers import department_fill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _milestones_verified(db):
    """The 2025 milestone (T16, work item 11.4) is verified here: these tests are about the
    warnings of computed targets, deadlines and anomalies; a missed milestone's red warning
    is tests/test_task_workflow.py's."""
    from tasks.models import WorkItem

    WorkItem.objects.filter(targets__kind="milestone").update(verified_at=timezone.now())


D = Decimal
SHANGHAI = ZoneInfo("Asia/Shanghai")
State = EarlyWarning.State

# A DRS quarter that passes validation (t, 万m³, GJ, tce, 万元, %).
DRS_VALUES = {
    "coal_raw": "66000",
    "coke": "1200",
    "gasoline": "310",
    "diesel": "450",
    "lpg": "35",
    "natural_gas": "1350",
    "heat_purchased": "380000",
    "energy_feedstock": "2100",
    "iva_current": "312000",
    "iva_growth_ytd": "6.8",
    "gdp_current": "905000",
    "gdp_growth_ytd": "6.1",
}


# --- helpers -------------------------------------------------------------------------------


def _result(target_code: str, period: str, status: str, *, scope="", variant="", value="9.19"):
    """Store a judged result of the target's indicator, as the engine would."""
    target = Target.objects.get(code=target_code)
    year, _, quarter = period.partition("Q")
    return IndicatorResult.objects.update_or_create(
        indicator=target.indicator,
        period=period,
        scope=scope,
        variant=variant,
        defaults={
            "year": int(year),
            "quarter": int(quarter) if quarter else None,
            "value": D(value),
            "target": target,
            "target_value": target.value,
            "status": status,
        },
    )[0]


def _live(key: str) -> EarlyWarning | None:
    return EarlyWarning.objects.exclude(state=State.CLOSED).filter(dedupe_key=key).first()


def _t1_warning() -> EarlyWarning:
    """T1 red in 2025: a live status warning owned by DRS."""
    _result("T1", "2025", "red")
    warnings_sync()
    return _live("status:T1")


def _trail(warning: EarlyWarning) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def _told(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=kind))


def _soon(days: int = 30) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=days)


def _client(user=None, *, english: bool = False) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    if english:
        client.cookies["django_language"] = "en"
    return client


def _list_url(**query) -> str:
    url = reverse("dashboards:warnings")
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def _detail_url(warning: EarlyWarning) -> str:
    return reverse("dashboards:warning_detail", args=[warning.pk])


def _listed(page: str) -> set[str]:
    """The dedupe keys behind the rows of a list page (by their titles' links)."""
    ids = {int(pk) for pk in re.findall(r'<tr data-warning="(\d+)"', page)}
    return set(EarlyWarning.objects.filter(pk__in=ids).values_list("dedupe_key", flat=True))


def _make(key: str, *, department: str | None, level="red", kind="status", **extra):
    """A warning as warnings_sync would store it (for page tests that need many)."""
    return EarlyWarning.objects.create(
        dedupe_key=key,
        kind=kind,
        level=level,
        department=Department.objects.get(code=department) if department else None,
        period=extra.pop("period", "2025"),
        title_zh=extra.pop("title_zh", f"{key} 预警"),
        title_en=extra.pop("title_en", f"{key} warning"),
        message_zh="说明",
        message_en="Explanation",
        **extra,
    )


# --- raising: target status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "status", "level"),
    [
        ("a red result raises a red warning", "red", "red"),
        ("a yellow result raises a yellow warning", "yellow", "yellow"),
        ("on pace raises nothing", "green", None),
        ("achieved raises nothing", "achieved", None),
        ("no data raises nothing", "no_data", None),
    ],
)
def test_the_latest_park_result_of_a_target_decides_its_warning(park, _case, status, level):
    _result("T1", "2025", status)
    raised = warnings_sync()
    warning = _live("status:T1")
    if level is None:
        assert raised == []
        assert warning is None
        return
    assert raised == [warning]
    assert (warning.kind, warning.level, warning.state) == ("status", level, "open")
    assert (warning.period, warning.target.code) == ("2025", "T1")
    assert warning.department.code == "DRS"  # lead department of task 1, T1's first task
    assert warning.title_zh.startswith("T1 非化石能源消费占比")
    assert "9.19" in warning.message_zh
    assert warning.title_en.startswith("T1 ")


@pytest.mark.parametrize(
    ("_case", "scope", "variant"),
    [
        ("an enterprise's result", "913714000000000017", ""),
        ("a variant of the statistical basis", "", "excl_feedstock"),
    ],
)
def test_only_the_park_on_the_plain_basis_raises_warnings(park, _case, scope, variant):
    _result("T2", "2025", "red", scope=scope, variant=variant)
    assert warnings_sync() == []
    assert not EarlyWarning.objects.exists()


def test_a_warning_is_raised_once_audited_and_told_to_the_owning_department(
    clerk, head, other_clerk, committee_member
):
    warning = _t1_warning()

    for _ in range(3):  # the job after every recompute, and the daily job
        assert warnings_sync() == []
    assert EarlyWarning.objects.filter(dedupe_key="status:T1").count() == 1
    assert _trail(warning) == ["warning_raise"]
    event = AuditEvent.objects.get(object_type="warning", object_id=str(warning.pk))
    assert (event.actor_label, event.department_code, event.new_value) == ("system", "DRS", "red")
    for person in (clerk, head):
        (told,) = _told(person, "warning")
        assert told.link == f"/dashboards/warnings/{warning.pk}/"
        assert told.message_zh.startswith("【一级预警（红）】T1 ")
    assert _told(other_clerk, "warning") == []
    assert _told(committee_member, "warning") == []


def test_the_owner_is_the_targets_own_owner_or_the_lead_of_its_first_task(park):
    _result("T10", "2025", "yellow", value="88.7")  # green buildings: task 7, led by CON
    # Industrial solid waste: task 8 is led by URB, but the target is 生态环境分局's.
    _result("T11", "2025", "red", value="80")
    warnings_sync()
    assert _live("status:T10").department.code == "CON"
    assert _live("status:T11").department.code == "ECO"


def test_a_later_result_updates_the_period_and_never_lowers_red_while_live(committee_member, clerk):
    warning = _t1_warning()

    _result("T1", "2025Q1", "yellow")  # earlier than 2025 (the whole year): ignored
    assert warnings_sync() == []
    warning.refresh_from_db()
    assert (warning.period, warning.level) == ("2025", "red")

    _result("T1", "2026Q1", "yellow", value="10.43")  # later and only yellow: red stays
    assert warnings_sync() == []
    warning.refresh_from_db()
    assert (warning.period, warning.level) == ("2026Q1", "red")
    assert "10.43" in warning.message_zh
    assert EarlyWarning.objects.count() == 1

    # Once closed, the next yellow result raises a new, yellow warning.
    _respond(warning, user=clerk)
    warning_resolve(warning=warning, user=clerk, evidence="佐证")
    warning_close(warning=warning, user=committee_member)
    _result("T1", "2026Q2", "yellow")
    (again,) = warnings_sync()
    assert again.pk != warning.pk
    assert (again.level, again.period, again.state) == ("yellow", "2026Q2", "open")


def test_a_yellow_warning_turns_red_when_a_later_result_is_red(park):
    _result("T1", "2024", "yellow")
    warnings_sync()
    warning = _live("status:T1")
    assert warning.level == "yellow"
    _result("T1", "2025", "red")
    assert warnings_sync() == []
    warning.refresh_from_db()
    assert (warning.level, warning.period) == ("red", "2025")


# --- raising: missed deadlines and engine alerts -------------------------------------------


def test_a_round_past_its_deadline_warns_the_departments_that_did_not_submit(
    statistics_office, clerk, other_clerk
):
    deadline = dt.date(2024, 4, 15)
    reporting_round = round_open(period="2024Q1", user=statistics_office, deadline=deadline)
    department_fill("DRS", "2024Q1", user=clerk, values=DRS_VALUES)
    department_period_submit(department=clerk.department, period="2024Q1", user=clerk)
    late = {d.code for d in departments_of_round(reporting_round)} - {"DRS"}
    assert late  # every other department with quarterly items

    assert warnings_sync(today=deadline) == []  # due today: not late yet

    raised = warnings_sync(today=deadline + dt.timedelta(days=1))
    assert {w.department.code for w in raised} == late
    assert {(w.kind, w.level, w.period) for w in raised} == {("deadline", "yellow", "2024Q1")}
    assert not EarlyWarning.objects.filter(department__code="DRS").exists()
    eco = EarlyWarning.objects.get(department__code="ECO")
    assert "已逾期 1 天" in eco.message_zh
    assert len(_told(other_clerk, "warning")) == 1

    assert warnings_sync(today=deadline + dt.timedelta(days=30)) == []
    eco.refresh_from_db()
    assert eco.level == "yellow"  # 30 days late is still yellow

    assert warnings_sync(today=deadline + dt.timedelta(days=31)) == []
    assert set(EarlyWarning.objects.values_list("level", flat=True)) == {"red"}
    assert EarlyWarning.objects.count() == len(late)  # updated, never duplicated
    assert len(_told(other_clerk, "warning")) == 2  # raised, then turned red
    assert AuditEvent.objects.filter(action="warning_update").count() == len(late)
    warnings_sync(today=deadline + dt.timedelta(days=32))
    assert len(_told(other_clerk, "warning")) == 2  # red stays red: told once


def test_an_engine_alert_raises_an_anomaly_warning_the_statistics_office_answers(
    statistics_office, clerk, committee_member
):
    alert = EngineAlert.objects.create(
        kind="reconcile_difference",
        message_zh="2025 年单位工业增加值能耗的存储结果与全量重算不一致。",
        message_en="The stored 2025 energy intensity differs from a full recompute.",
    )
    (warning,) = warnings_sync()
    assert (warning.kind, warning.level, warning.department) == ("anomaly", "red", None)
    assert warning.dedupe_key == f"anomaly:{alert.pk}"
    assert warning.title_zh.startswith("数据异常：2025 年")
    assert len(_told(statistics_office, "warning")) == 1
    assert _told(clerk, "warning") == []
    assert warnings_sync() == []

    for outsider in (clerk, committee_member):
        with pytest.raises(PermissionRefused):
            warning_acknowledge(
                warning=warning, user=outsider, response="r", plan="p", due_date=_soon()
            )
    warning_acknowledge(
        warning=warning, user=statistics_office, response="核对中", plan="重算", due_date=_soon()
    )
    warning_resolve(warning=warning, user=statistics_office, evidence="已重算并核对")
    warning.refresh_from_db()
    assert warning.state == "resolved"


def test_an_engine_alert_older_than_thirty_days_raises_nothing(park):
    alert = EngineAlert.objects.create(kind="x", message_zh="旧", message_en="old")
    EngineAlert.objects.filter(pk=alert.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    assert warnings_sync() == []


# --- the response loop -----------------------------------------------------------------------


def test_acknowledge_resolve_close_each_audited_and_notified(clerk, head, committee_member):
    warning = _t1_warning()
    due = _soon(45)

    warning_acknowledge(
        warning=warning,
        user=clerk,
        response="2025 年光伏并网滞后。",
        plan="2026 年新增分布式光伏 30 MW。",
        due_date=due,
    )
    warning.refresh_from_db()
    assert (warning.state, warning.acknowledged_by, warning.due_date) == (
        "submitted",
        clerk,
        due,
    )
    # The head signs the response off before it reaches the committee.
    assert _told(committee_member, "warning_acknowledged") == []
    assert len(_told(head, "warning_signoff_requested")) == 1
    warning_sign_off(warning=warning, user=head, comment="同意。")
    warning.refresh_from_db()
    assert (warning.state, warning.signed_off_by, warning.signoff_comment) == (
        "acknowledged",
        head,
        "同意。",
    )
    (told,) = _told(committee_member, "warning_acknowledged")
    assert str(due) in told.message_zh

    warning_resolve(warning=warning, user=head, evidence="并网验收单 3 份。")
    warning.refresh_from_db()
    assert (warning.state, warning.resolved_by, warning.evidence) == (
        "resolved",
        head,
        "并网验收单 3 份。",
    )
    assert len(_told(committee_member, "warning_resolved")) == 1

    warning_close(warning=warning, user=committee_member, comment="同意销号。")
    warning.refresh_from_db()
    assert (warning.state, warning.closed_by, warning.closing_comment) == (
        "closed",
        committee_member,
        "同意销号。",
    )
    assert len(_told(clerk, "warning_closed")) == 1
    assert len(_told(head, "warning_closed")) == 1

    assert _trail(warning) == [
        "warning_raise",
        "warning_acknowledge",
        "warning_sign_off",
        "warning_resolve",
        "warning_close",
    ]
    events = AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
    steps = {e.action: (e.actor_label, e.old_value, e.new_value) for e in events}
    assert steps["warning_acknowledge"] == (clerk.username, "open", "submitted")
    assert steps["warning_sign_off"] == (head.username, "submitted", "acknowledged")
    assert steps["warning_resolve"] == (head.username, "acknowledged", "resolved")
    assert steps["warning_close"] == (committee_member.username, "resolved", "closed")
    assert events.get(action="warning_acknowledge").details["due_date"] == due.isoformat()


def _head_of(department):
    """A head of the warning's department to sign responses off (zhang.head for DRS)."""
    from accounts.models import User

    username = "zhang.head" if department.code == "DRS" else f"head.{department.code.lower()}"
    head, _created = User.objects.get_or_create(
        username=username, defaults={"role": User.Role.HEAD, "department": department}
    )
    return head


def _respond(warning, *, user, due_date=None, signer=None):
    """The department's response, signed off by its head (the committee sees it then)."""
    warning_acknowledge(
        warning=warning, user=user, response="r", plan="p", due_date=due_date or _soon()
    )
    if warning.department_id is not None:
        warning_sign_off(warning=warning, user=signer or _head_of(warning.department))


def _to(state: str, warning, *, clerk, committee_member):
    if state == "submitted":
        warning_acknowledge(warning=warning, user=clerk, response="r", plan="p", due_date=_soon())
    if state in ("acknowledged", "resolved", "closed"):
        _respond(warning, user=clerk)
    if state in ("resolved", "closed"):
        warning_resolve(warning=warning, user=clerk, evidence="e")
    if state == "closed":
        warning_close(warning=warning, user=committee_member)
    warning.refresh_from_db()
    return warning


REFUSALS = [
    ("another department's clerk cannot acknowledge", "open", "other_clerk", "acknowledge",
     PermissionRefused, "只有责任单位可以响应预警。"),
    ("the committee does not answer for the department", "open", "committee_member",
     "acknowledge", PermissionRefused, "只有责任单位可以响应预警。"),
    ("an auditor cannot acknowledge", "open", "auditor", "acknowledge", PermissionRefused,
     "只有责任单位可以响应预警。"),
    ("a due date in the past is refused", "open", "clerk", "acknowledge_yesterday",
     ApplicationError, "整改期限不能早于今天。"),
    ("a response is required", "open", "clerk", "acknowledge_blank", ApplicationError,
     "请填写情况说明和整改措施。"),
    ("acknowledged twice", "acknowledged", "clerk", "acknowledge", ApplicationError,
     "预警当前为“整改中”，不能执行该操作。"),
    ("a clerk cannot sign a response off", "submitted", "clerk", "sign_off", PermissionRefused,
     "只有责任单位负责人可以审签预警响应。"),
    ("another department's head cannot sign off", "submitted", "other_head", "sign_off",
     PermissionRefused, "只有责任单位负责人可以审签预警响应。"),
    ("the committee cannot sign off for the department", "submitted", "committee_member",
     "sign_off", PermissionRefused, "只有责任单位负责人可以审签预警响应。"),
    ("a head does not sign off the response they wrote", "submitted_by_head", "head",
     "sign_off", PermissionRefused, "须由另一位负责人审签"),
    ("an open warning has no response to sign off", "open", "head", "sign_off",
     ApplicationError, "预警当前为“待响应”"),
    ("a response is signed off once", "acknowledged", "head", "sign_off", ApplicationError,
     "预警当前为“整改中”"),
    ("a return says why", "submitted", "head", "return_blank", ApplicationError,
     "请填写退回理由。"),
    ("a clerk cannot return a response", "submitted", "clerk", "return", PermissionRefused,
     "只有责任单位负责人可以退回预警响应。"),
    ("an unsigned response cannot be resolved", "submitted", "clerk", "resolve",
     ApplicationError, "预警当前为“待负责人审签”"),
    ("another department's clerk cannot resolve", "acknowledged", "other_clerk", "resolve",
     PermissionRefused, "只有责任单位可以提交整改结果。"),
    ("evidence is required", "acknowledged", "clerk", "resolve_blank", ApplicationError,
     "请提供整改佐证。"),
    ("an open warning cannot be resolved", "open", "clerk", "resolve", ApplicationError,
     "不能执行该操作"),
    ("a clerk cannot close", "resolved", "clerk", "close", PermissionRefused,
     "只有管委会可以销号。"),
    ("a head cannot close", "resolved", "head", "close", PermissionRefused,
     "只有管委会可以销号。"),
    ("the committee closes only a resolved warning (open)", "open", "committee_member",
     "close", ApplicationError, "预警当前为“待响应”"),
    ("the committee closes only a resolved warning (acknowledged)", "acknowledged",
     "committee_member", "close", ApplicationError, "预警当前为“整改中”"),
    ("a closed warning stays closed", "closed", "committee_member", "close",
     ApplicationError, "预警当前为“已销号”"),
]  # fmt: skip


@pytest.mark.parametrize(("_case", "state", "persona", "step", "error", "message"), REFUSALS)
def test_refused_steps_change_nothing(
    request, clerk, head, committee_member, _case, state, persona, step, error, message
):
    if state == "submitted_by_head":
        warning = _to("submitted", _t1_warning(), clerk=head, committee_member=committee_member)
        state = "submitted"
    else:
        warning = _to(state, _t1_warning(), clerk=clerk, committee_member=committee_member)
    user = (
        _head_of(Department.objects.get(code="ECO"))
        if persona == "other_head"
        else request.getfixturevalue(persona)
    )
    trail = _trail(warning)
    notified = Notification.objects.count()
    calls = {
        "acknowledge": lambda: warning_acknowledge(
            warning=warning, user=user, response="r", plan="p", due_date=_soon()
        ),
        "acknowledge_yesterday": lambda: warning_acknowledge(
            warning=warning, user=user, response="r", plan="p", due_date=_soon(-1)
        ),
        "acknowledge_blank": lambda: warning_acknowledge(
            warning=warning, user=user, response="  ", plan="p", due_date=_soon()
        ),
        "resolve": lambda: warning_resolve(warning=warning, user=user, evidence="e"),
        "resolve_blank": lambda: warning_resolve(warning=warning, user=user, evidence=" "),
        "close": lambda: warning_close(warning=warning, user=user, comment="c"),
        "sign_off": lambda: warning_sign_off(warning=warning, user=user),
        "return": lambda: warning_response_return(warning=warning, user=user, comment="改"),
        "return_blank": lambda: warning_response_return(warning=warning, user=user, comment=" "),
    }
    with pytest.raises(error) as refused:
        calls[step]()
    assert message in refused.value.message_zh
    assert refused.value.message_en
    warning.refresh_from_db()
    assert warning.state == state
    assert _trail(warning) == trail
    assert Notification.objects.count() == notified


def test_the_administrator_may_do_every_step(administrator, clerk):
    answered_by_admin = _t1_warning()
    warning_acknowledge(
        warning=answered_by_admin, user=administrator, response="r", plan="p", due_date=_soon()
    )
    answered_by_admin.refresh_from_db()
    assert answered_by_admin.state == "submitted"
    with pytest.raises(PermissionRefused):  # four eyes hold for administrators too
        warning_sign_off(warning=answered_by_admin, user=administrator)

    warning = _make("status:T2", department="DRS")
    warning_acknowledge(warning=warning, user=clerk, response="r", plan="p", due_date=_soon())
    warning_sign_off(warning=warning, user=administrator)
    warning_resolve(warning=warning, user=administrator, evidence="e")
    warning_close(warning=warning, user=administrator, comment="")
    warning.refresh_from_db()
    assert warning.state == "closed"


# --- escalation ------------------------------------------------------------------------------

RAISED_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def test_an_unanswered_warning_is_escalated_after_seven_days_once(
    time_machine, clerk, head, committee_member
):
    time_machine.move_to(RAISED_AT, tick=False)
    warning = _t1_warning()

    time_machine.move_to(RAISED_AT + dt.timedelta(days=6, hours=23), tick=False)
    assert warnings_escalate() == 0

    time_machine.move_to(RAISED_AT + dt.timedelta(days=7, minutes=1), tick=False)
    assert warnings_escalate() == 1
    warning.refresh_from_db()
    assert warning.escalated_at == RAISED_AT + dt.timedelta(days=7, minutes=1)
    assert _trail(warning) == ["warning_raise", "warning_escalate"]
    for person in (committee_member, head):
        (told,) = _told(person, "warning_escalated")
        assert told.message_zh.startswith("【督办】预警“T1 ")
    assert _told(clerk, "warning_escalated") == []  # the head is told, not every clerk

    time_machine.move_to(RAISED_AT + dt.timedelta(days=20), tick=False)
    assert warnings_escalate() == 0  # once per warning
    assert _trail(warning).count("warning_escalate") == 1
    assert len(_told(committee_member, "warning_escalated")) == 1


def test_an_acknowledged_warning_is_escalated_once_past_its_due_date(
    time_machine, clerk, committee_member
):
    time_machine.move_to(RAISED_AT, tick=False)
    warning = _t1_warning()
    due = dt.date(2026, 3, 20)
    time_machine.move_to(RAISED_AT + dt.timedelta(days=2), tick=False)
    _respond(warning, user=clerk, due_date=due)

    time_machine.move_to(RAISED_AT + dt.timedelta(days=10), tick=False)
    assert warnings_escalate() == 0  # answered within the week, due date ahead

    time_machine.move_to(dt.datetime(2026, 3, 20, 12, 0, tzinfo=SHANGHAI), tick=False)
    assert warnings_escalate() == 0  # due today

    time_machine.move_to(dt.datetime(2026, 3, 21, 12, 0, tzinfo=SHANGHAI), tick=False)
    assert warnings_escalate() == 1
    assert warnings_escalate() == 0
    warning.refresh_from_db()
    assert warning.escalated_at is not None
    assert len(_told(committee_member, "warning_escalated")) == 1


def test_resolved_and_closed_warnings_are_never_escalated(
    time_machine, clerk, committee_member, administrator
):
    time_machine.move_to(RAISED_AT, tick=False)
    resolved = _to("resolved", _t1_warning(), clerk=clerk, committee_member=committee_member)
    _result("T10", "2025", "red")
    warnings_sync()
    closed = _to(  # CON's warning (no CON staff here): the administrator answers
        "closed", _live("status:T10"), clerk=administrator, committee_member=committee_member
    )
    assert closed.department.code == "CON"

    time_machine.move_to(RAISED_AT + dt.timedelta(days=90), tick=False)
    assert warnings_escalate() == 0
    resolved.refresh_from_db()
    assert resolved.escalated_at is None


# --- the list page ---------------------------------------------------------------------------


@pytest.fixture
def three_warnings(park):
    """One warning of DRS, one of ECO and a data anomaly (no department)."""
    return {
        "drs": _make("status:T1", department="DRS"),
        "eco": _make("deadline:2024Q1:ECO", department="ECO", level="yellow", kind="deadline"),
        "anomaly": _make("anomaly:1", department=None, kind="anomaly", period=""),
    }


ALL_THREE = {"status:T1", "deadline:2024Q1:ECO", "anomaly:1"}
LIST_CASES = [
    ("the committee sees every warning", "committee_member", 200, ALL_THREE),
    ("an auditor sees every warning", "auditor", 200, ALL_THREE),
    ("the statistics office sees every warning", "statistics_office", 200, ALL_THREE),
    ("an administrator sees every warning", "administrator", 200, ALL_THREE),
    ("the DRS clerk sees DRS's only", "clerk", 200, {"status:T1"}),
    ("the DRS head sees DRS's only", "head", 200, {"status:T1"}),
    ("the ECO clerk sees ECO's only", "other_clerk", 200, {"deadline:2024Q1:ECO"}),
    ("someone without a role is refused", "outsider", 403, None),
]


@pytest.mark.parametrize(("_case", "persona", "status", "keys"), LIST_CASES)
def test_the_list_shows_each_person_what_they_may_see(
    request, three_warnings, _case, persona, status, keys
):
    response = _client(request.getfixturevalue(persona)).get(_list_url())
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert _listed(page) == keys
        assert 'href="/static/css/warnings.css"' in page
        assert f'data-count="live"><strong>{len(keys)}</strong>' in page


def test_anonymous_visitors_are_sent_to_sign_in(three_warnings):
    for url in (_list_url(), _detail_url(three_warnings["drs"])):
        response = _client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_list_filters_by_state_level_department_and_marks(
    time_machine, committee_member, clerk
):
    time_machine.move_to(RAISED_AT, tick=False)
    old = _make("status:T1", department="DRS")
    answered = _make("status:T2", department="DRS", level="yellow")
    time_machine.move_to(RAISED_AT + dt.timedelta(days=3), tick=False)
    _respond(answered, user=clerk, due_date=dt.date(2026, 3, 6))
    _make("deadline:2024Q1:ECO", department="ECO", level="yellow", kind="deadline")
    _make("anomaly:9", department=None, kind="anomaly")
    _to(
        "closed",
        _make("status:T3", department="DRS"),
        clerk=clerk,
        committee_member=committee_member,
    )
    time_machine.move_to(RAISED_AT + dt.timedelta(days=8), tick=False)
    assert warnings_escalate() == 2  # the open DRS one (8 days), the acknowledged (past due)

    client = _client(committee_member)
    live = {"status:T1", "status:T2", "deadline:2024Q1:ECO", "anomaly:9"}
    cases = [
        ({}, live),
        ({"state": "all"}, {*live, "status:T3"}),
        ({"state": "closed"}, {"status:T3"}),
        ({"state": "acknowledged"}, {"status:T2"}),
        ({"level": "yellow"}, {"status:T2", "deadline:2024Q1:ECO"}),
        ({"department": "DRS"}, {"status:T1", "status:T2"}),
        ({"department": "DRS", "state": "all"}, {"status:T1", "status:T2", "status:T3"}),
        ({"department": "none"}, {"anomaly:9"}),
        ({"flag": "overdue"}, {"status:T1", "status:T2"}),
        ({"flag": "escalated"}, {"status:T1", "status:T2"}),
        ({"state": "bogus", "level": "green", "department": "NOPE"}, live),  # ignored
    ]
    for query, expected in cases:
        page = client.get(_list_url(**query)).content.decode()
        assert _listed(page) == expected, query

    page = client.get(_list_url()).content.decode()
    for name, count in {
        "live": 4, "red": 2, "yellow": 2, "open": 3, "submitted": 0, "acknowledged": 1,
        "resolved": 0,
        "closed": 1, "overdue": 2, "escalated": 2,
    }.items():  # fmt: skip
        assert f'data-count="{name}"><strong>{count}</strong>' in page, name
    row = re.search(rf'<tr data-warning="{old.pk}".*?</tr>', page, re.S).group(0)
    assert "data-overdue" in row
    assert "data-escalated" in row
    # Red before yellow among the open ones; acknowledged after open.
    order = [int(pk) for pk in re.findall(r'<tr data-warning="(\d+)"', page)]
    assert order.index(old.pk) < order.index(answered.pk)


def test_department_staff_get_no_department_filter(three_warnings, clerk, committee_member):
    mine = _client(clerk).get(_list_url(department="ECO")).content.decode()
    assert 'name="department"' not in mine
    assert _listed(mine) == {"status:T1"}  # a department filter cannot widen the scope
    assert "发改统计部的预警" in mine
    readers = _client(committee_member).get(_list_url()).content.decode()
    assert 'name="department"' in readers


def test_the_list_runs_a_fixed_number_of_queries(committee_member):
    for number in range(3):
        _make(f"status:A{number}", department="DRS")
    client = _client(committee_member)
    client.get(_list_url())
    with CaptureQueriesContext(connection) as few:
        client.get(_list_url())
    for number in range(30):
        _make(f"status:B{number}", department="ECO", level="yellow")
    with CaptureQueriesContext(connection) as many:
        page = client.get(_list_url()).content.decode()
    assert len(_listed(page)) == 33
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_list_pages_fifty_at_a_time(committee_member):
    for number in range(55):
        _make(f"status:P{number}", department="DRS")
    client = _client(committee_member)
    first = client.get(_list_url(level="red")).content.decode()
    assert len(_listed(first)) == 50
    assert "level=red&amp;page=2" in first
    second = client.get(_list_url(level="red", page=2)).content.decode()
    assert len(_listed(second)) == 5


# --- the detail page -------------------------------------------------------------------------

DETAIL_ACCESS = [
    ("DRS's warning: the DRS clerk", "drs", "clerk", 200),
    ("DRS's warning: the DRS head", "drs", "head", 200),
    ("DRS's warning: the committee", "drs", "committee_member", 200),
    ("DRS's warning: an auditor", "drs", "auditor", 200),
    ("DRS's warning: the statistics office", "drs", "statistics_office", 200),
    ("DRS's warning: an administrator", "drs", "administrator", 200),
    ("DRS's warning: the ECO clerk is refused", "drs", "other_clerk", 403),
    ("DRS's warning: no role is refused", "drs", "outsider", 403),
    ("an anomaly: the statistics office", "anomaly", "statistics_office", 200),
    ("an anomaly: the DRS clerk is refused", "anomaly", "clerk", 403),
]


@pytest.mark.parametrize(("_case", "which", "persona", "status"), DETAIL_ACCESS)
def test_the_detail_opens_for_who_may_see_the_warning(
    request, three_warnings, _case, which, persona, status
):
    response = _client(request.getfixturevalue(persona)).get(_detail_url(three_warnings[which]))
    assert response.status_code == status


def test_an_unknown_warning_is_not_found(committee_member):
    assert _client(committee_member).get("/dashboards/warnings/999999/").status_code == 404


FORM_CASES = [
    ("open: the DRS clerk acknowledges", "open", "clerk", "acknowledge-form"),
    ("open: the DRS head acknowledges", "open", "head", "acknowledge-form"),
    ("open: an administrator may acknowledge", "open", "administrator", "acknowledge-form"),
    ("open: the committee waits", "open", "committee_member", "waiting"),
    ("open: an auditor reads", "open", "auditor", "waiting"),
    ("open: the statistics office reads", "open", "statistics_office", "waiting"),
    ("submitted: the DRS head signs off", "submitted", "head", "sign-off-form"),
    ("submitted: the DRS clerk waits for the head", "submitted", "clerk", "waiting"),
    ("submitted: the committee waits", "submitted", "committee_member", "waiting"),
    ("acknowledged: the DRS clerk resolves", "acknowledged", "clerk", "resolve-form"),
    ("acknowledged: the committee waits", "acknowledged", "committee_member", "waiting"),
    ("resolved: the committee closes", "resolved", "committee_member", "close-form"),
    ("resolved: the DRS clerk waits", "resolved", "clerk", "waiting"),
    ("resolved: an auditor reads", "resolved", "auditor", "waiting"),
    ("closed: the committee reads", "closed", "committee_member", "waiting"),
    ("closed: the DRS clerk reads", "closed", "clerk", "waiting"),
]
FORM_IDS = {"acknowledge-form", "sign-off-form", "resolve-form", "close-form"}


@pytest.mark.parametrize(("_case", "state", "persona", "shown"), FORM_CASES)
def test_the_detail_offers_the_form_that_fits_the_person_and_state(
    request, clerk, head, committee_member, _case, state, persona, shown
):
    warning = _to(state, _t1_warning(), clerk=clerk, committee_member=committee_member)
    page = _client(request.getfixturevalue(persona)).get(_detail_url(warning)).content.decode()
    assert f'id="{shown}"' in page
    for other in FORM_IDS - {shown}:
        assert f'id="{other}"' not in page
    assert f'id="warning-state">{warning.get_state_display()}<' in page
    assert page.count('method="post"') == page.count('name="csrfmiddlewaretoken"')
    for script in re.findall(r"<script[^>]*>", page):
        assert "src=" in script  # the CSP allows no inline script


def test_the_statistics_office_answers_an_anomaly_on_the_page(three_warnings, statistics_office):
    page = _client(statistics_office).get(_detail_url(three_warnings["anomaly"])).content.decode()
    assert 'id="acknowledge-form"' in page
    assert "统计办（数据异常）" in page


def test_the_whole_loop_through_the_pages(clerk, head, committee_member):
    warning = _t1_warning()
    url = _detail_url(warning)

    as_clerk = _client(clerk)
    response = as_clerk.post(
        url,
        {
            "action": "acknowledge",
            "response": "2025 年光伏并网滞后。",
            "rectification_plan": "新增分布式光伏 30 MW。",
            "due_date": _soon(60).isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url
    page = as_clerk.get(url).content.decode()
    assert "响应已提交，等待本单位负责人审签后报送管委会。" in page
    assert "新增分布式光伏 30 MW。" in page
    assert 'id="waiting"' in page

    as_head = _client(head)
    assert 'id="sign-off-form"' in as_head.get(url).content.decode()
    response = as_head.post(url, {"action": "sign_off", "decision": "sign_off", "comment": ""})
    assert response.status_code == 302
    assert "已审签响应，已报送管委会。" in as_head.get(url).content.decode()
    assert 'id="resolve-form"' in as_clerk.get(url).content.decode()

    response = _client(head).post(url, {"action": "resolve", "evidence": "并网验收单 3 份。"})
    assert response.status_code == 302
    page = _client(committee_member).get(url).content.decode()
    assert "并网验收单 3 份。" in page
    assert 'id="close-form"' in page

    as_committee = _client(committee_member)
    response = as_committee.post(url, {"action": "close", "comment": "同意销号。"})
    assert response.status_code == 302
    page = as_committee.get(url).content.decode()
    assert "预警已销号。" in page
    assert 'id="warning-state">已销号<' in page
    assert "同意销号。" in page
    assert re.findall(r'<tr data-action="([a-z_]+)"', page) == [
        "warning_raise",
        "warning_acknowledge",
        "warning_sign_off",
        "warning_resolve",
        "warning_close",
    ]
    for who in (person_shown("system"), clerk.username, head.username, committee_member.username):
        assert f">{who}<" in page
    warning.refresh_from_db()
    assert (warning.state, warning.acknowledged_by, warning.resolved_by, warning.closed_by) == (
        "closed",
        clerk,
        head,
        committee_member,
    )


PAGE_ERRORS = [
    ("a due date in the past", {"due_date": "yesterday"}, "整改期限不能早于今天。",
     "The due date cannot be in the past."),
    ("no due date", {"due_date": ""}, "请填写整改期限。", None),
    ("a due date that is not a date", {"due_date": "下个月"}, "整改期限的格式应为", None),
    ("no response", {"response": " "}, "请填写情况说明和整改措施。",
     "A response and a rectification plan are required."),
]  # fmt: skip


@pytest.mark.parametrize(("_case", "change", "chinese", "english"), PAGE_ERRORS)
def test_a_refused_acknowledgement_says_why_and_keeps_what_was_typed(
    clerk, _case, change, chinese, english
):
    warning = _t1_warning()
    form = {
        "action": "acknowledge",
        "response": "光伏并网滞后",
        "rectification_plan": "新增光伏",
        "due_date": _soon().isoformat(),
        **change,
    }
    if form["due_date"] == "yesterday":
        form["due_date"] = _soon(-1).isoformat()
    response = _client(clerk).post(_detail_url(warning), form)
    assert response.status_code == 400
    page = response.content.decode()
    assert chinese in page
    assert 'id="form-errors"' in page
    assert "新增光伏" in page  # what the clerk typed is kept
    warning.refresh_from_db()
    assert warning.state == "open"
    if english:
        response = _client(clerk, english=True).post(_detail_url(warning), form)
        assert response.status_code == 400
        page = response.content.decode()
        assert '<html lang="en">' in page
        assert english in page
        assert chinese not in page


POST_REFUSALS = [
    ("the ECO clerk acknowledges DRS's warning", "open", "other_clerk",
     {"action": "acknowledge", "response": "r", "rectification_plan": "p"}, 403, ""),
    ("the committee acknowledges", "open", "committee_member",
     {"action": "acknowledge", "response": "r", "rectification_plan": "p"}, 403, ""),
    ("an auditor resolves", "acknowledged", "auditor", {"action": "resolve", "evidence": "e"},
     403, ""),
    ("a clerk closes", "resolved", "clerk", {"action": "close", "comment": "c"}, 403, ""),
    ("the head closes", "resolved", "head", {"action": "close", "comment": "c"}, 403, ""),
    ("the committee closes an unresolved warning", "acknowledged", "committee_member",
     {"action": "close", "comment": "c"}, 400, "预警当前为“整改中”，不能执行该操作。"),
    ("the clerk resolves without evidence", "acknowledged", "clerk",
     {"action": "resolve", "evidence": ""}, 400, "请提供整改佐证。"),
    ("an unknown action", "open", "clerk", {"action": "delete"}, 400, "请求无效。"),
    ("a clerk signs a response off", "submitted", "clerk",
     {"action": "sign_off", "decision": "sign_off"}, 403, ""),
    ("the committee signs a response off", "submitted", "committee_member",
     {"action": "sign_off", "decision": "sign_off"}, 403, ""),
    ("the head returns without a reason", "submitted", "head",
     {"action": "sign_off", "decision": "return", "comment": " "}, 400, "请填写退回理由。"),
]  # fmt: skip


@pytest.mark.parametrize(("_case", "state", "persona", "form", "status", "says"), POST_REFUSALS)
def test_refused_posts_change_nothing(
    request, clerk, head, committee_member, _case, state, persona, form, status, says
):
    warning = _to(state, _t1_warning(), clerk=clerk, committee_member=committee_member)
    trail = _trail(warning)
    form = {**form, "due_date": _soon().isoformat()}
    response = _client(request.getfixturevalue(persona)).post(_detail_url(warning), form)
    assert response.status_code == status
    if says:
        assert says in response.content.decode()
    warning.refresh_from_db()
    assert warning.state == state
    assert _trail(warning) == trail


def test_a_state_refusal_is_shown_in_english_on_the_english_page(clerk, committee_member):
    warning = _to("acknowledged", _t1_warning(), clerk=clerk, committee_member=committee_member)
    response = _client(committee_member, english=True).post(
        _detail_url(warning), {"action": "close", "comment": ""}
    )
    assert response.status_code == 400
    assert "The warning is acknowledged; expected resolved." in response.content.decode()


def test_posts_need_the_csrf_token(clerk):
    warning = _t1_warning()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    response = strict.post(
        _detail_url(warning),
        {"action": "acknowledge", "response": "r", "rectification_plan": "p",
         "due_date": _soon().isoformat()},
    )  # fmt: skip
    assert response.status_code == 403
    warning.refresh_from_db()
    assert warning.state == "open"


def test_the_detail_marks_overdue_and_escalated(time_machine, committee_member):
    time_machine.move_to(RAISED_AT, tick=False)
    warning = _t1_warning()
    url = _detail_url(warning)
    page = _client(committee_member).get(url).content.decode()
    assert 'id="warning-overdue"' not in page
    time_machine.move_to(RAISED_AT + dt.timedelta(days=8), tick=False)
    page = _client(committee_member).get(url).content.decode()
    assert 'id="warning-overdue"' in page
    assert 'id="warning-escalated"' not in page
    warnings_escalate()
    page = _client(committee_member).get(url).content.decode()
    assert 'id="warning-escalated"' in page
    assert "已督办 2026-03-10 10:00" in page
    assert re.findall(r'<tr data-action="([a-z_]+)"', page) == ["warning_raise", "warning_escalate"]


def test_the_detail_speaks_english_beside_chinese(clerk):
    warning = _t1_warning()
    page = _client(clerk, english=True).get(_detail_url(warning)).content.decode()
    assert '<html lang="en">' in page
    heading = re.search(r"<h1>.*?</h1>", page, re.S).group(0)
    assert warning.title_en in heading
    assert warning.title_zh not in heading
    assert warning.message_en in page
    assert warning.message_zh not in page


@pytest.mark.django_db
def test_a_closed_warning_is_not_raised_again_for_the_same_result(
    administrator, committee_member, head
):
    """Once answered and closed, the same period's unchanged result raises nothing new;
    a later period that is still yellow or red does."""
    from dashboards.services import warning_acknowledge, warning_close, warning_resolve
    from indicators.demo import demo_rows
    from indicators.recompute import results_recompute
    from tests.helpers import import_rows

    import_rows(demo_rows(), user=administrator)
    results_recompute()
    warnings_sync()
    t1 = EarlyWarning.objects.get(dedupe_key="status:T1")
    assert "9.19" in t1.message_zh  # rounded to the indicator's decimal places
    warning_acknowledge(
        warning=t1, user=head, response="说明", plan="措施", due_date=dt.date(2099, 1, 1)
    )
    warning_sign_off(warning=t1, user=administrator)
    warning_resolve(warning=t1, user=head, evidence="佐证")
    warning_close(warning=t1, user=committee_member, comment="同意")
    warnings_sync()
    assert EarlyWarning.objects.filter(dedupe_key="status:T1").count() == 1
