"""The plan's work made accountable (issue 16): each unit reports its part of a work item
inside the quarter's round, its head approves, the lead unit co-signs the supporting parts,
the committee verifies (销号) or returns; every step audited, four eyes, bad input refused
in both languages with nothing written; an overdue item and a missed milestone turn red."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from reporting.models import ReportingRound
from tasks import progress
from tasks.models import Department, PartEvidence, PartReport, WorkItem, WorkItemPart
from tasks.selectors import item_rows, unit_todo, verification_queue
from tasks.workflow import (
    part_report_approve,
    part_report_cosign,
    part_report_return,
    part_report_submit,
    work_item_plan_set,
    work_item_verification_return,
    work_item_verify,
)

pytestmark = pytest.mark.django_db
PERIOD = "2026Q3"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _person(username, role, department_code=None):
    department = Department.objects.get(code=department_code) if department_code else None
    return User.objects.create_user(username=username, role=role, department=department)


@pytest.fixture
def quarter(park):
    return ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 20)
    )


@pytest.fixture
def eit_clerk(park):
    """Reports 经信科技部's parts: EIT leads task 5 (green manufacturing)."""
    return _person("qian.eit", User.Role.CLERK, "EIT")


@pytest.fixture
def eit_head(park):
    return _person("sun.eit.head", User.Role.HEAD, "EIT")


@pytest.fixture
def eco_head(park):
    """Heads 生态环境分局, which supports task 5."""
    return _person("zhou.eco.head", User.Role.HEAD, "ECO")


def _part(item_code, department_code):
    return WorkItemPart.objects.get(work_item__code=item_code, department__code=department_code)


def _pdf(name="验收报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_every_unit_has_duties_in_the_product(park):
    """The twelve units named by the plan have parts of work items; the thirteenth, the
    management committee, verifies them (its rule is in accounts.permissions)."""
    with_parts = set(WorkItemPart.objects.values_list("department__code", flat=True))
    assert with_parts == set(Department.objects.exclude(code="MC").values_list("code", flat=True))
    # Supporting units have their own part of each item of the tasks they share.
    assert set(
        WorkItemPart.objects.filter(work_item__code="1.4").values_list("department__code", "role")
    ) == {("DRS", "lead"), ("EIT", "support"), ("NRB", "support"), ("GRID", "support")}


def test_the_plan_fills_due_quarters_quantities_and_tied_targets(park):
    assert (
        WorkItem.objects.get(code="3.5").due_year,
        WorkItem.objects.get(code="3.5").due_quarter,
    ) == (2025, 4)
    assert list(WorkItem.objects.get(code="3.5").targets.values_list("code", flat=True)) == ["T5"]
    assert list(WorkItem.objects.get(code="11.4").targets.values_list("code", flat=True)) == ["T16"]
    assert WorkItem.objects.get(code="P3.1").quantity_target == Decimal(2)
    assert WorkItem.objects.get(code="5.1").quantity_unit == "家"


@pytest.mark.parametrize(
    ("item_code", "targets"),
    [
        ("3.2", ["T6", "T7", "T8", "T9"]),
        ("3.5", ["T5"]),
        ("3.6", ["T5b"]),
        ("7.1", ["T10"]),
        ("8.3", ["T11"]),
        ("8.4", ["T12"]),
        ("9.3", ["T13"]),
        ("9.4", ["T14"]),
        ("9.5", ["T15"]),
        ("11.4", ["T16"]),
    ],
)
def test_the_items_that_restate_a_target_are_tied_to_it(park, item_code, targets):
    """Issue 16 #3: 3.2, 3.5, 3.6, 7.1, 8.3, 8.4, 9.3–9.5 restate computed targets (and
    11.4 is T16's milestone): each is tied to its targets, whose status it shows."""
    item = WorkItem.objects.get(code=item_code)
    assert list(item.targets.order_by("order").values_list("code", flat=True)) == targets


def test_a_supporting_units_part_goes_through_cosign_to_verification(
    quarter, eit_clerk, eit_head, other_clerk, eco_head, committee_member
):
    item = WorkItem.objects.get(code="5.1")  # 积极组织企业申报绿色工厂: EIT leads, ECO supports
    eco_report = part_report_submit(
        part=_part("5.1", "ECO"),
        period=PERIOD,
        progress="done",
        quantity="3",
        quantity_unit="家",
        narrative="完成3家企业绿色工厂申报的环评核查。",
        user=other_clerk,
        files=[_pdf()],
    )
    evidence = PartEvidence.objects.get(report=eco_report)
    assert len(evidence.sha256) == 64
    assert evidence.kind == "document"
    part_report_approve(report=eco_report, user=eco_head)
    lead_report = part_report_submit(
        part=_part("5.1", "EIT"),
        period=PERIOD,
        progress="done",
        quantity="5",
        narrative="组织5家企业申报省级绿色工厂，均已获批。",
        user=eit_clerk,
    )
    part_report_approve(report=lead_report, user=eit_head)
    assert [v.row.item.code for v in verification_queue()] == ["5.1"]
    assert verification_queue()[0].waiting_for == [Department.objects.get(code="ECO")]
    with pytest.raises(ApplicationError) as early:
        work_item_verify(item=item, period=PERIOD, user=committee_member)
    assert early.value.code == "not_ready"

    part_report_cosign(report=eco_report, user=eit_head)
    assert verification_queue()[0].ready
    work_item_verify(item=item, period=PERIOD, user=committee_member, comment="佐证齐全")

    item.refresh_from_db()
    assert item.verified_by == committee_member
    assert set(PartReport.objects.filter(part__work_item=item).values_list("state", flat=True)) == {
        "verified"
    }
    (row,) = item_rows([item])
    assert row.state == progress.VERIFIED
    assert row.achieved == Decimal(8)
    assert list(
        AuditEvent.objects.filter(action__in=[
            "part_report_submit", "part_report_approve", "part_report_cosign", "work_item_verify"
        ]).order_by("pk").values_list("action", "actor__username")
    ) == [
        ("part_report_submit", "zhao.clerk"),
        ("part_report_approve", "zhou.eco.head"),
        ("part_report_submit", "qian.eit"),
        ("part_report_approve", "sun.eit.head"),
        ("part_report_cosign", "sun.eit.head"),
        ("work_item_verify", "wang.committee"),
    ]  # fmt: skip
    assert verification_queue() == []


def test_the_committee_returns_with_a_comment_and_the_lead_reports_again(
    quarter, eit_clerk, eit_head, committee_member
):
    item = WorkItem.objects.get(code="13.1")  # EIT alone
    report = part_report_submit(
        part=_part("13.1", "EIT"),
        period=PERIOD,
        progress="done",
        narrative="已完成",
        user=eit_clerk,
    )
    part_report_approve(report=report, user=eit_head)
    work_item_verification_return(
        item=item, period=PERIOD, user=committee_member, comment="缺少孵化器认定文件"
    )
    report.refresh_from_db()
    assert report.state == "returned"
    assert report.return_comment == "缺少孵化器认定文件"
    assert unit_todo(Department.objects.get(code="EIT")).returned == [report]
    again = part_report_submit(
        part=_part("13.1", "EIT"),
        period=PERIOD,
        progress="done",
        narrative="补充认定文件",
        user=eit_clerk,
    )
    assert again.pk == report.pk
    assert again.state == "submitted"


def test_a_head_never_approves_their_own_report(quarter, eit_head):
    report = part_report_submit(
        part=_part("13.1", "EIT"),
        period=PERIOD,
        progress="in_progress",
        narrative="推进中",
        user=eit_head,
    )
    with pytest.raises(ApplicationError) as refused:
        part_report_approve(report=report, user=eit_head)
    assert refused.value.code == "four_eyes"


def test_a_head_returns_a_submitted_report(quarter, eit_clerk, eit_head):
    report = part_report_submit(
        part=_part("13.1", "EIT"),
        period=PERIOD,
        progress="in_progress",
        narrative="推进中",
        user=eit_clerk,
    )
    part_report_return(report=report, user=eit_head, comment="请补充数据")
    report.refresh_from_db()
    assert report.state == "returned"


def _written():
    return (
        PartReport.objects.count(),
        PartEvidence.objects.count(),
        AuditEvent.objects.filter(action__startswith="part_report").count(),
        AuditEvent.objects.filter(action__startswith="work_item").count(),
    )


MACRO_DOCM = b"PK\x03\x04"  # refused by its name before its bytes are read


@pytest.mark.parametrize(
    ("case", "kwargs", "code"),
    [
        ("a quantity in the wrong unit", {"quantity": "3", "quantity_unit": "个"}, "wrong_unit"),
        (
            "a quantity that is no number",
            {"quantity": "三", "quantity_unit": "家"},
            "invalid_quantity",
        ),
        ("no narrative", {"narrative": "  "}, "required"),
        ("a bad status", {"progress": "finished"}, "invalid"),
        ("a period without an open round", {"period": "2026Q2"}, "period_not_open"),
        (
            "an executable as evidence",
            {"files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00")]},
            "dangerous_name",
        ),
        (
            "a macro-enabled document",
            {"files": [SimpleUploadedFile("a.docm", MACRO_DOCM)]},
            "dangerous_name",
        ),
        (
            "an evidence file over the limit",
            {"files": [SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024))]},
            "too_large",
        ),
        (
            "a pdf that is an exe",
            {"files": [SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\x00" * 64)]},
            None,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_input_is_refused_in_both_languages_and_nothing_is_written(
    quarter, other_clerk, case, kwargs, code
):
    arguments = {
        "part": _part("5.1", "ECO"),
        "period": PERIOD,
        "progress": "in_progress",
        "narrative": "推进中",
        "user": other_clerk,
        **kwargs,
    }
    written = _written()
    with pytest.raises(ApplicationError) as refused:
        part_report_submit(**arguments)
    if code:
        assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert _written() == written


def test_only_the_lead_unit_cosigns_and_only_the_committee_verifies(
    quarter, other_clerk, eco_head, head, eit_head, eit_clerk
):
    report = part_report_submit(
        part=_part("5.1", "ECO"),
        period=PERIOD,
        progress="done",
        narrative="已完成",
        user=other_clerk,
    )
    part_report_approve(report=report, user=eco_head)
    written = _written()
    for not_lead in (head, eco_head):  # DRS's head; the supporting unit's own head
        with pytest.raises(ApplicationError) as refused:
            part_report_cosign(report=report, user=not_lead)
        assert refused.value.code == "cosign_not_lead"
        assert "牵头单位" in refused.value.message_zh
        assert "lead unit" in refused.value.message_en
    lead = part_report_submit(
        part=_part("5.1", "EIT"), period=PERIOD, progress="done", narrative="已完成", user=eit_clerk
    )
    part_report_approve(report=lead, user=eit_head)
    part_report_cosign(report=report, user=eit_head)
    written = _written()
    for not_committee in (eit_head, eit_clerk, head):
        with pytest.raises(ApplicationError) as refused:
            work_item_verify(
                item=WorkItem.objects.get(code="5.1"), period=PERIOD, user=not_committee
            )
        assert refused.value.code == "permission_denied"
        assert refused.value.message_en
    assert _written() == written
    assert WorkItem.objects.get(code="5.1").verified_at is None


def test_another_units_part_cannot_be_reported(quarter, clerk):
    with pytest.raises(ApplicationError) as refused:
        part_report_submit(
            part=_part("5.1", "ECO"), period=PERIOD, progress="done", narrative="x", user=clerk
        )
    assert refused.value.code == "permission_denied"


def test_the_committee_sets_what_the_plan_left_open_audited(park, committee_member, clerk):
    item = WorkItem.objects.get(code="3.4")  # 打造5G全连接工厂
    work_item_plan_set(
        item=item, user=committee_member, reason="管委会第3次主任会议", due_year=2027,
        due_quarter=2, quantity_unit="个", quantity_target="5",
    )  # fmt: skip
    item.refresh_from_db()
    assert (item.due_year, item.due_quarter, item.quantity_target) == (2027, 2, Decimal(5))
    event = AuditEvent.objects.get(action="work_item_plan_set")
    assert event.new_value == {"due": "2027Q2", "unit": "个", "target": "5"}
    with pytest.raises(ApplicationError):
        work_item_plan_set(item=item, user=clerk, reason="x", due_year=2028, due_quarter=1)


@pytest.mark.parametrize(
    ("due", "verified", "lead", "started", "today", "state"),
    [
        (None, False, None, False, dt.date(2026, 5, 1), progress.NOT_STARTED),
        (None, False, "in_progress", True, dt.date(2026, 5, 1), progress.IN_PROGRESS),
        (None, False, None, True, dt.date(2026, 5, 1), progress.IN_PROGRESS),
        (dt.date(2026, 6, 30), False, "done", True, dt.date(2026, 6, 30), progress.AWAITING_VERIFICATION),
        (dt.date(2026, 6, 30), False, "done", True, dt.date(2026, 7, 1), progress.OVERDUE),
        (dt.date(2026, 6, 30), True, "done", True, dt.date(2027, 1, 1), progress.VERIFIED),
    ],
)  # fmt: skip
def test_item_state_table(due, verified, lead, started, today, state):
    assert (
        progress.item_state(
            due=due, verified=verified, lead_progress=lead, started=started, today=today
        )
        == state
    )


@pytest.mark.parametrize(
    ("year", "verified", "today", "status"),
    [
        (2025, [False], dt.date(2025, 12, 31), progress.MILESTONE_OPEN),
        (2025, [False], dt.date(2026, 1, 1), progress.MILESTONE_RED),
        (2025, [True], dt.date(2026, 1, 1), progress.MILESTONE_ACHIEVED),
        (None, [False], dt.date(2031, 1, 1), progress.MILESTONE_OPEN),
        (2025, [], dt.date(2026, 1, 1), progress.MILESTONE_RED),
    ],
)
def test_milestone_status_table(year, verified, today, status):
    assert (
        progress.milestone_status(target_year=year, items_verified=verified, today=today) == status
    )


def test_an_overdue_item_turns_red_with_a_warning_to_its_lead_unit(park, committee_member):
    from dashboards.models import EarlyWarning
    from dashboards.services import warnings_sync

    item = WorkItem.objects.get(code="3.4")  # 打造5G全连接工厂, led by 发改统计部
    work_item_plan_set(
        item=item, user=committee_member, reason="管委会议定", due_year=2026, due_quarter=2,
        quantity_unit="个", quantity_target="3",
    )  # fmt: skip
    item.refresh_from_db()
    (row,) = item_rows([item], today=dt.date(2026, 7, 1))
    assert row.state == progress.OVERDUE

    warnings_sync(today=dt.date(2026, 7, 1))

    warning = EarlyWarning.objects.get(dedupe_key="work_item:3/3.4")
    assert (warning.level, warning.department.code, warning.period) == ("red", "DRS", "2026Q2")
    assert "逾期" in warning.title_zh
    assert "overdue" in warning.title_en


def test_a_missed_milestone_is_red_with_a_warning_until_verified(park, committee_member):
    from dashboards.models import EarlyWarning
    from dashboards.selectors import target_cards
    from dashboards.services import warnings_sync

    cards = {card.target.code: card for card in target_cards(period=None)}
    assert cards["T16"].status == "red"  # 2025 has passed, 11.4 not verified
    assert [i.code for i in cards["T16"].work_items] == ["11.4"]
    assert cards["T17"].status == "milestone"  # 积极争创: no year given
    warnings_sync(today=dt.date(2026, 1, 2))
    warning = EarlyWarning.objects.get(dedupe_key="status:T16")
    assert (warning.level, warning.department.code) == ("red", "ECO")
    assert not EarlyWarning.objects.filter(dedupe_key__startswith="work_item:11/").exists()

    WorkItem.objects.filter(code="11.4").update(verified_at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    cards = {card.target.code: card for card in target_cards(period=None)}
    assert cards["T16"].status == "achieved"


def test_the_demo_has_part_reports_in_every_state_and_a_second_run_changes_nothing(
    quarter, settings, tmp_path
):
    from tasks.demo import tasks_demo

    settings.MEDIA_ROOT = tmp_path
    people = {"committee": _person("committee", User.Role.COMMITTEE)}
    for unit in ("GRID", "NRB", "EIT", "ECO", "CON"):
        people[f"{unit.lower()}_clerk"] = _person(f"{unit.lower()}_clerk", User.Role.CLERK, unit)
        people[f"{unit.lower()}_head"] = _person(f"{unit.lower()}_head", User.Role.HEAD, unit)

    assert tasks_demo(people)

    states = set(PartReport.objects.values_list("state", flat=True))
    assert states == {"submitted", "approved", "cosigned", "verified", "returned"}
    assert [v.row.item.code for v in verification_queue()] == ["5.3"]
    assert WorkItem.objects.get(code="5.1").verified_at is not None
    count = PartReport.objects.count()
    assert tasks_demo(people) == []
    assert PartReport.objects.count() == count
