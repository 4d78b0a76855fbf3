"""The reporting pages through Django's test client: who may open each page, and the
department-period workflow (save, conflict, validation, submit, review, return, approve,
lock exception, history, notifications) driven through the forms people use."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from indicators.models import DepartmentPeriod, Figure, LockException, StatisticalItem
from reporting.models import Notification, ReportingRound
from reporting.services import round_open
from reporting.workflow import (
    EntryValue,
    department_items,
    department_period_approve,
    department_period_return,
    department_period_save,
    department_period_submit,
    lock_exception_grant,
)
from tasks.models import Department
from tests.helpers import department_approve, department_fill, import_rows

pytestmark = pytest.mark.django_db
D = Decimal
PERIOD = "2024Q1"

# Realistic DRS quarter (t, 万m³, GJ, tce, 万元, %); every item gets a value.
DRS_VALUES = {
    "coal_raw": "66000",
    "coal_washed": "0",
    "coke": "1200",
    "fuel_oil": "0",
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


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _drs():
    return Department.objects.get(code="DRS")


def _form(values=None, *, versions=None, notes=None, action="save", reason=None) -> dict:
    """The entry form as the browser posts it: every DRS item, its note and version."""
    values = {**DRS_VALUES, **(values or {})}
    versions = versions or {}
    notes = notes or {}
    data = {"action": action}
    for item in department_items(_drs(), PERIOD):
        data[f"value_{item.code}"] = values.get(item.code, "")
        data[f"note_{item.code}"] = notes.get(item.code, "")
        data[f"version_{item.code}"] = str(versions.get(item.code, 0))
    if reason is not None:
        data["reason"] = reason
    return data


def _current_versions() -> dict[str, int]:
    return dict(
        Figure.objects.filter(department=_drs(), period=PERIOD, is_latest=True).values_list(
            "item__code", "version"
        )
    )


def _state(code="DRS", period=PERIOD) -> str | None:
    row = DepartmentPeriod.objects.filter(department__code=code, period=period).first()
    return row.state if row else None


def _row(page: str, attribute: str, value: str) -> str:
    """The <tr> of a table whose `attribute` is `value`."""
    match = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>.*?</tr>', page, flags=re.S)
    assert match, f"no row {attribute}={value}"
    return match.group(0)


def _entry_url(period=PERIOD):
    return reverse("reporting:entry", args=[period])


def _review_url(code="DRS", period=PERIOD):
    return reverse("reporting:review", args=[period, code])


def _board_url(period=PERIOD):
    return reverse("reporting:board", args=[period])


def _history_url(code="DRS", period=PERIOD):
    return reverse("reporting:history", args=[period, code])


# --- who may open which page ---------------------------------------------------------------

PAGES = {
    "index": lambda: reverse("reporting:index"),
    "entry": _entry_url,
    "review": _review_url,
    "board": _board_url,
    "history": _history_url,
    "notifications": lambda: reverse("reporting:notifications"),
}
EVERYONE = {
    "committee_member",
    "clerk",
    "other_clerk",
    "head",
    "statistics_office",
    "auditor",
    "administrator",
}
READERS = {"committee_member", "statistics_office", "auditor", "administrator"}
ALLOWED = {
    "index": EVERYONE,
    "entry": {"clerk", "other_clerk", "head"},  # each their own department's form
    "review": {"head", *READERS},  # the DRS head decides; readers of all data look on
    "board": READERS,
    "history": {"clerk", "head", *READERS},  # DRS staff and readers; not the ECO clerk
    "notifications": EVERYONE,
}
ACCESS_CASES = [
    pytest.param(
        f"{page}: {persona} {'opens it' if persona in allowed else 'is refused'}",
        page,
        persona,
        200 if persona in allowed else 403,
        id=f"{page}-{persona}",
    )
    for page, allowed in ALLOWED.items()
    for persona in [*sorted(EVERYONE), "outsider"]
]


@pytest.mark.parametrize(("_case", "page", "persona", "expected"), ACCESS_CASES)
def test_each_page_opens_for_the_right_personas_only(request, _case, page, persona, expected):
    user = request.getfixturevalue(persona)
    response = _client(user).get(PAGES[page]())
    assert response.status_code == expected
    if expected == 200:
        body = response.content.decode()
        assert "季度填报" in body  # the sub-navigation of every reporting page
        assert 'href="/static/css/reporting.css"' in body


@pytest.mark.parametrize("page", sorted(PAGES))
def test_anonymous_visitors_are_sent_to_login(park, page):
    response = _client().get(PAGES[page]())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("_case", "url"),
    [
        ("an unknown department", "/reporting/2024Q1/review/NOPE/"),
        ("a quarter that does not exist", "/reporting/2024Q5/"),
        ("not a period", "/reporting/soon/board/"),
    ],
)
def test_unknown_departments_and_periods_are_not_found(head, _case, url):
    assert _client(head).get(url).status_code == 404


def test_refused_writes_change_nothing(committee_member, clerk, other_clerk):
    """Posting to a page one may only read is refused like opening one may not open."""
    assert _client(committee_member).post(_entry_url(), _form()).status_code == 403
    department_fill("DRS", PERIOD, user=clerk)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    decision = {"action": "approve", "comment": ""}
    assert _client(committee_member).post(_review_url(), decision).status_code == 403
    assert _client(other_clerk).post(_review_url(), decision).status_code == 403
    grant = {"department_code": "DRS", "reason": "x", "hours": "2"}
    assert _client(committee_member).post(_board_url(), grant).status_code == 403
    assert _state() == "submitted"


def test_every_form_posts_with_a_csrf_token_and_no_script_is_inline(clerk, statistics_office):
    pages = [
        _client(clerk).get(_entry_url()).content.decode(),
        _client(statistics_office).get(reverse("reporting:index")).content.decode(),
        _client(clerk).get(reverse("reporting:notifications")).content.decode(),
    ]
    for page in pages:
        assert page.count('method="post"') == page.count('name="csrfmiddlewaretoken"')
        for script in re.findall(r"<script[^>]*>", page):
            assert "src=" in script
    assert 'src="/static/js/entry.js"' in pages[0]
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(clerk)
    assert strict.post(_entry_url(), _form()).status_code == 403
    assert not Figure.objects.exists()


# --- the reporting home ----------------------------------------------------------------------


def test_the_statistics_office_opens_a_round_and_departments_see_it(statistics_office, clerk):
    client = _client(statistics_office)
    index = client.get(reverse("reporting:index")).content.decode()
    assert "开启填报轮次" in index

    refused = client.post(reverse("reporting:index"), {"period": "2024Q9"})
    assert refused.status_code == 400
    assert "期间格式应为" in refused.content.decode()
    response = client.post(reverse("reporting:index"), {"period": PERIOD, "deadline": ""})
    assert response.status_code == 302
    assert response["Location"] == _board_url()
    opened = ReportingRound.objects.get(period=PERIOD)
    assert opened.deadline == date(2024, 4, 15)  # 15 days after the quarter by default

    mine = _client(clerk).get(reverse("reporting:index")).content.decode()
    row = _row(mine, "data-period", PERIOD)
    assert "未开始" in row
    assert "已逾期" in row  # 2024-04-15 has long passed
    assert _entry_url() in row
    assert "开启填报轮次" not in mine  # clerks do not open rounds


def test_readers_see_every_round_with_a_link_to_its_board(statistics_office, committee_member):
    round_open(period="2024Q2", user=statistics_office)
    round_open(period=PERIOD, user=statistics_office)

    page = _client(committee_member).get(reverse("reporting:index")).content.decode()

    assert re.findall(r'<tr data-period="([0-9Q]+)"', page) == ["2024Q2", PERIOD]
    assert f'href="{_board_url()}"' in _row(page, "data-period", PERIOD)
    assert "开启填报轮次" not in page  # only the statistics office opens rounds


def test_clerks_may_not_open_rounds(clerk):
    response = _client(clerk).post(reverse("reporting:index"), {"period": PERIOD})
    assert response.status_code == 403
    assert not ReportingRound.objects.exists()


# --- entry -----------------------------------------------------------------------------------


def test_saving_a_draft_through_the_page_creates_versions(clerk):
    client = _client(clerk)
    page = client.get(_entry_url()).content.decode()
    assert "发改统计部" in page
    assert "填报中" in page or "未开始" in page
    for item in department_items(_drs(), PERIOD):
        assert f'name="value_{item.code}"' in page
        assert f'name="version_{item.code}" value="0"' in page

    response = client.post(_entry_url(), _form())
    assert response.status_code == 302
    drafts = Figure.objects.filter(department=_drs(), period=PERIOD)
    assert drafts.count() == len(DRS_VALUES)
    assert set(drafts.values_list("state", "version")) == {("draft", 1)}

    response = client.post(
        _entry_url(), _form({"coal_raw": "66,500"}, versions=_current_versions())
    )
    assert response.status_code == 302
    coal = Figure.objects.filter(item__code="coal_raw", period=PERIOD).order_by("version")
    assert [(f.version, f.value, f.is_latest) for f in coal] == [
        (1, D("66000"), False),
        (2, D("66500"), True),
    ]
    page = client.get(response["Location"]).content.decode()
    assert "草稿已保存" in page
    assert 'value="66500"' in page
    assert 'name="version_coal_raw" value="2"' in page


def test_a_stale_form_shows_the_conflict_with_both_values_and_writes_nothing(clerk, head):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)  # v1 of every item
    seen = _current_versions()
    department_period_save(  # the head saves first: coal v2
        department=_drs(),
        period=PERIOD,
        entries=[EntryValue("coal_raw", D("67000"), "", 1)],
        user=head,
    )
    before = Figure.objects.count()

    response = _client(clerk).post(_entry_url(), _form({"coal_raw": "65800"}, versions=seen))

    assert response.status_code == 409
    page = response.content.decode()
    assert "数据已被他人修改" in page
    row = _row(page, "data-item", "coal_raw")
    assert "您填写 65800，当前值 67000（zhang.head 保存）" in row
    assert 'value="65800"' in row  # what the clerk typed is kept
    assert 'name="version_coal_raw" value="2"' in row  # saving again is a deliberate choice
    assert Figure.objects.count() == before
    latest = Figure.objects.get(item__code="coal_raw", period=PERIOD, is_latest=True)
    assert (latest.version, latest.value) == (2, D("67000"))


@pytest.mark.parametrize(
    ("_case", "values", "action", "message"),
    [
        ("a negative quantity, saving", {"diesel": "-5"}, "save", "“柴油”不能为负数"),
        ("a negative quantity, submitting", {"diesel": "-5"}, "submit", "“柴油”不能为负数"),
        (
            "growth of 500 %",
            {"iva_growth_ytd": "500"},
            "submit",
            "“工业增加值可比价累计增速”500% 超出合理范围",
        ),
        ("an item left empty", {"coke": ""}, "submit", "“焦炭”未填写（无数据请填 0）"),
        ("not a number", {"coke": "一千"}, "submit", "“一千”不是数字"),
    ],
)
def test_a_hard_error_is_shown_next_to_its_item_and_nothing_is_written(
    clerk, _case, values, action, message
):
    response = _client(clerk).post(_entry_url(), _form(values, action=action))

    assert response.status_code == 400
    page = response.content.decode()
    item = next(iter(values))
    row = _row(page, "data-item", item)
    assert message in row
    assert 'class="issue hard' in row
    assert "has-error" in row
    assert not Figure.objects.exists()  # not even the valid values of the same form
    assert _state() in (None, "open")
    assert not AuditEvent.objects.filter(action__in=["figure_enter", "submit"]).exists()


def test_a_large_change_asks_for_a_note_before_submitting(administrator, clerk):
    last_year = [{"period": "2023Q1", "item": c, "value": v} for c, v in DRS_VALUES.items()]
    import_rows(last_year, user=administrator)
    client = _client(clerk)
    client.post(_entry_url(), _form({"coal_raw": "99000"}))  # +50 %: saved, but explain it

    page = client.get(_entry_url()).content.decode()
    row = _row(page, "data-item", "coal_raw")
    assert "较上年同期变化 +50.0%，超过 30%，请在备注中说明原因" in row
    assert 'class="issue soft"' in row
    assert '<td class="num change large"' in row
    assert "+50.0%" in row
    assert ">66,000<" in row  # the same period last year, with thousands separators

    unexplained = _form({"coal_raw": "99000"}, versions=_current_versions(), action="submit")
    refused = client.post(_entry_url(), unexplained)
    assert refused.status_code == 400
    assert "请在备注中说明原因" in _row(refused.content.decode(), "data-item", "coal_raw")
    assert _state() == "open"

    explained = _form(
        {"coal_raw": "99000"},
        versions=_current_versions(),
        notes={"coal_raw": "新增热电联产机组投运"},
        action="submit",
    )
    assert client.post(_entry_url(), explained).status_code == 302
    assert _state() == "submitted"


# --- the whole cycle -------------------------------------------------------------------------


def test_submit_review_return_correct_submit_approve_through_the_pages(clerk, head):
    clerk_client, head_client = _client(clerk), _client(head)

    response = clerk_client.post(_entry_url(), _form(action="submit"))
    assert response.status_code == 302
    assert _state() == "submitted"
    page = clerk_client.get(_entry_url()).content.decode()
    assert "已提交，等待部门负责人审核" in page
    assert 'name="value_coal_raw"' in page
    assert re.search(r'name="value_coal_raw"[^>]*disabled', page)

    review = head_client.get(_review_url()).content.decode()
    assert "审核通过" in review
    assert "退回修改" in review
    assert ">66000" in _row(review, "data-item", "coal_raw")
    assert 'data-unread="1"' in review  # the head was told

    refused = head_client.post(_review_url(), {"action": "return", "comment": "  "})
    assert refused.status_code == 400
    assert "退回时必须填写意见" in refused.content.decode()
    assert _state() == "submitted"

    comment = "天然气用量与燃气公司抄表数不符，请核实。"
    assert (
        head_client.post(_review_url(), {"action": "return", "comment": comment}).status_code == 302
    )
    assert _state() == "returned"

    page = clerk_client.get(_entry_url()).content.decode()
    assert "已退回" in page
    assert comment in page
    assert not re.search(r'name="value_coal_raw"[^>]*disabled', page)
    corrected = _form({"natural_gas": "1290"}, versions=_current_versions(), action="submit")
    assert clerk_client.post(_entry_url(), corrected).status_code == 302
    assert _state() == "submitted"

    assert (
        head_client.post(_review_url(), {"action": "approve", "comment": "同意"}).status_code == 302
    )
    assert _state() == "approved"
    gas = Figure.objects.get(item__code="natural_gas", period=PERIOD, counts=True)
    assert (gas.value, gas.version, gas.state) == (D("1290"), 2, "approved")
    assert Figure.objects.filter(department=_drs(), period=PERIOD, counts=True).count() == 14

    page = clerk_client.get(_entry_url()).content.decode()
    assert "已审核锁定" in page
    assert re.search(r'<button type="submit" name="action" value="submit"[^>]*disabled', page)
    kinds = list(Notification.objects.filter(user=clerk).values_list("kind", flat=True))
    assert sorted(kinds) == ["approved", "returned"]


@pytest.mark.parametrize("persona", ["committee_member", "auditor"])
def test_readers_see_the_review_without_the_decision_forms(request, clerk, persona):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)

    page = _client(request.getfixturevalue(persona)).get(_review_url()).content.decode()

    assert ">66000" in _row(page, "data-item", "coal_raw")
    assert "只读：只有本部门负责人可以审核。" in page
    assert 'name="action"' not in page


# --- the board -------------------------------------------------------------------------------


def test_board_shows_late_returned_and_who_did_what(
    statistics_office, committee_member, clerk, head, other_clerk
):
    round_open(period=PERIOD, user=statistics_office, deadline=date(2024, 4, 15))
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    department_period_return(
        department=_drs(), period=PERIOD, user=head, comment="焦炭数据缺少附表"
    )
    eco_head = User.objects.create_user(
        "eco.head", password="x", role="head", department=other_clerk.department
    )
    department_fill("ECO", PERIOD, user=other_clerk, values={"iw_generated": "5200"})
    department_approve("ECO", PERIOD, clerk=other_clerk, head=eco_head)

    page = _client(committee_member).get(_board_url()).content.decode()

    assert "截止日期 2024-04-15" in page
    drs = _row(page, "data-department", "DRS")
    assert "已退回" in drs
    assert "焦炭数据缺少附表" in drs
    assert "data-late" in drs  # returned and the deadline passed
    assert "li.clerk" in drs
    assert "zhang.head" in drs
    assert "14 / 14" in drs
    eco = _row(page, "data-department", "ECO")
    assert "已审核锁定" in eco
    assert "data-late" not in eco
    assert "eco.head" in eco
    grid = _row(page, "data-department", "GRID")
    assert "未开始" in grid
    assert "data-late" in grid
    assert "0 / " in grid
    assert "限时解锁" not in page  # only the statistics office grants exceptions
    codes = re.findall(r'<tr data-department="([A-Z]+)"', page)
    quarterly = set(
        StatisticalItem.objects.filter(frequency="quarter").values_list(
            "department__code", flat=True
        )
    )
    assert set(codes) == quarterly


def test_a_lock_exception_granted_from_the_board_lets_the_clerk_correct(
    statistics_office, clerk, head
):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    department_approve("DRS", PERIOD, clerk=clerk, head=head)
    clerk_client, office = _client(clerk), _client(statistics_office)

    change = _form({"coal_raw": "66900"}, versions=_current_versions())
    locked = clerk_client.post(_entry_url(), change)
    assert locked.status_code == 400
    assert "已审核锁定" in locked.content.decode()

    board = office.get(_board_url()).content.decode()
    assert "开通解锁" in _row(board, "data-department", "DRS")
    missing = office.post(_board_url(), {"department_code": "DRS", "reason": "", "hours": "4"})
    assert missing.status_code == 400
    assert "请填写解锁原因" in _row(missing.content.decode(), "data-department", "DRS")
    too_long = office.post(
        _board_url(), {"department_code": "DRS", "reason": "更正原煤", "hours": "500"}
    )
    assert too_long.status_code == 400
    assert "1 至 168 小时" in too_long.content.decode()
    assert not LockException.objects.exists()

    granted = office.post(
        _board_url(), {"department_code": "DRS", "reason": "原煤台账更正", "hours": "4"}
    )
    assert granted.status_code == 302
    assert "解锁至" in _row(office.get(_board_url()).content.decode(), "data-department", "DRS")

    page = clerk_client.get(_entry_url()).content.decode()
    assert "已限时解锁至" in page
    assert "原煤台账更正" in page
    assert 'name="reason"' in page
    no_reason = clerk_client.post(
        _entry_url(), _form({"coal_raw": "66900"}, versions=_current_versions(), reason="")
    )
    assert no_reason.status_code == 400
    assert "须填写修订原因" in no_reason.content.decode()

    correction = _form(
        {"coal_raw": "66900"},
        versions=_current_versions(),
        reason="台账漏记一批来煤",
        action="submit",
    )
    assert clerk_client.post(_entry_url(), correction).status_code == 302
    assert _state() == "submitted"
    department_period_approve(department=_drs(), period=PERIOD, user=head)
    coal = Figure.objects.get(item__code="coal_raw", period=PERIOD, counts=True)
    assert (coal.value, coal.version, coal.reason) == (D("66900"), 2, "台账漏记一批来煤")


# --- history and notifications ---------------------------------------------------------------


def test_history_lists_every_version_and_audit_event(clerk, head, auditor, statistics_office):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    department_period_approve(department=_drs(), period=PERIOD, user=head, comment="同意")
    lock_exception_grant(
        department=_drs(), period=PERIOD, reason="更正柴油", hours=2, user=statistics_office
    )
    department_fill(
        "DRS", PERIOD, user=clerk, values={**DRS_VALUES, "diesel": "470"}, reason="油品台账更正"
    )

    for persona in (clerk, auditor):
        page = _client(persona).get(_history_url()).content.decode()
        versions = re.findall(r'<tr data-item="diesel" data-version="(\d)"', page)
        assert versions == ["1", "2"]
        v2 = re.search(r'<tr data-item="diesel" data-version="2".*?</tr>', page, re.S).group(0)
        for text in ["470 t", "油品台账更正", "草稿", "li.clerk"]:
            assert text in v2
        v1 = re.search(r'<tr data-item="diesel" data-version="1".*?</tr>', page, re.S).group(0)
        for text in ["已审核", "zhang.head", "同意"]:
            assert text in v1
        actions = re.findall(r'<tr data-action="([a-z_]+)"', page)
        assert actions[:1] == ["figure_enter"]
        assert {"submit", "approve", "unlock"} <= set(actions)
        assert actions.count("figure_enter") == 15  # 14 items, then the diesel correction
        approve = _row(page, "data-action", "approve")
        for text in ["审核通过", "已提交 → 已审核锁定", "同意"]:
            assert text in approve
        correction = re.findall(r'<tr data-action="figure_enter".*?</tr>', page, re.S)[-1]
        for text in ["柴油", "450 → 470", "油品台账更正"]:
            assert text in correction


def test_notifications_are_listed_newest_first_and_marked_read(clerk, head):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    department_period_return(department=_drs(), period=PERIOD, user=head, comment="请补充附表")
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    client = _client(head)

    page = client.get(reverse("reporting:notifications")).content.decode()
    assert page.count('class="notification unread"') == 2
    assert 'data-unread="2"' in page
    assert "发改统计部 2024年一季度 数据已提交，请审核。" in page
    assert f'href="{_review_url()}"' in page

    response = client.post(reverse("reporting:notifications"))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已将 2 条通知标为已读" in page
    assert 'class="notification unread"' not in page
    assert 'data-unread="0"' in page
    assert not Notification.objects.filter(user=head, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=clerk, read_at__isnull=True).count() == 1


# --- the board's query count -----------------------------------------------------------------


def _deputy():
    """A second administrator: approves what the first one submitted (four eyes)."""
    deputy, _created = User.objects.get_or_create(
        username="admin.deputy",
        defaults={"role": User.Role.ADMINISTRATOR, "is_staff": True, "is_superuser": True},
    )
    return deputy


def _extra_departments(count: int, start: int, *, administrator, statistics_office):
    """Departments with a quarterly item each, every one approved by someone, half of them
    unlocked again: all the per-row data the board shows."""
    for number in range(start, start + count):
        department = Department.objects.create(
            code=f"X{number}", name_zh=f"新增部门{number}", order=100 + number
        )
        StatisticalItem.objects.create(
            code=f"extra_{number}",
            name_zh=f"新增指标{number}",
            unit="t",
            frequency="quarter",
            aggregation="sum",
            department=department,
            order=100 + number,
        )
        department_period_save(
            department=department,
            period=PERIOD,
            entries=[EntryValue(f"extra_{number}", D(number))],
            user=administrator,
        )
        department_period_submit(department=department, period=PERIOD, user=administrator)
        # Four eyes: another person approves what the administrator submitted.
        department_period_approve(department=department, period=PERIOD, user=_deputy())
        if number % 2:
            lock_exception_grant(
                department=department,
                period=PERIOD,
                reason="更正",
                hours=2,
                user=statistics_office,
            )


def test_the_board_runs_a_fixed_number_of_queries(
    statistics_office, administrator, committee_member
):
    round_open(
        period=PERIOD, user=statistics_office, deadline=timezone.localdate() - timedelta(days=1)
    )
    client = _client(statistics_office)
    _extra_departments(2, 1, administrator=administrator, statistics_office=statistics_office)
    client.get(_board_url())
    with CaptureQueriesContext(connection) as two:
        page = client.get(_board_url()).content.decode()
    assert page.count('data-department="X') == 2

    _extra_departments(8, 3, administrator=administrator, statistics_office=statistics_office)
    with CaptureQueriesContext(connection) as ten:
        page = client.get(_board_url()).content.decode()
    assert page.count('data-department="X') == 10
    assert page.count("开通解锁") >= 10  # every approved department gets the grant form
    assert len(ten) == len(two), [q["sql"] for q in ten.captured_queries]


# --- English ---------------------------------------------------------------------------------


def test_the_pages_speak_english_beside_chinese(clerk, committee_member):
    department_fill("DRS", PERIOD, user=clerk, values=DRS_VALUES)
    client = _client(clerk)
    client.cookies["django_language"] = "en"
    page = client.get(_entry_url()).content.decode()
    assert '<html lang="en">' in page
    for english in ["Quarterly reporting", "Save draft", "Submit", "Same period last year"]:
        assert english in page, english
    assert "Raw coal" in page
    for chinese in ["保存草稿", "上年同期", "季度填报"]:
        assert chinese not in page, chinese
    reader = _client(committee_member)
    reader.cookies["django_language"] = "en"
    board = reader.get(_board_url()).content.decode()
    assert "Not started" in board
    assert "未开始" not in board


def test_a_history_line_shows_a_recorded_state_in_words_not_python_notation():
    from audit.models import AuditEvent
    from reporting.selectors import AuditLine

    line = AuditLine(AuditEvent(old_value="submitted", new_value={"state": "approved", "version": 1,
                                                                   "evidence": []}))  # fmt: skip
    assert line.new == "已审核锁定 · v1"
