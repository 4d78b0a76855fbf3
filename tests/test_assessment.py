"""The units' responsibility assessment (issue 20 items 1–2): the scheme as versioned data
approved with 文号, the snapshot read from the product's own records, the freeze, the
explanations and adjustments, the sign-off (four eyes) and what is refused after it."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounts.models import User
from assessment import calculations as calc
from assessment import selectors, services
from assessment.models import Adjustment, Assessment, Consequence, Explanation, Scheme
from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.models import DepartmentPeriod
from reporting.models import ReportingRound
from tasks.models import Department, WorkItem

TZ = dt.timezone(dt.timedelta(hours=8))


def _moment(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), tzinfo=TZ)


@pytest.fixture
def second_committee_member(park):
    return User.objects.create_user(
        username="li.committee", password="correct horse battery staple", role=User.Role.COMMITTEE
    )


# --- item 1: the scheme --------------------------------------------------------------------------


def test_the_default_scheme_is_seeded(park):
    scheme = selectors.scheme_for(2025)
    assert scheme.year == 0
    assert scheme.rules == calc.rules_checked(calc.DEFAULT_RULES)


def test_a_years_scheme_is_recorded_with_its_document_number_and_approver(
    statistics_office, committee_member
):
    rules = {**calc.DEFAULT_RULES, "weights": {**calc.DEFAULT_RULES["weights"]}}
    rules["weights"].update(targets="45", warnings="10")
    scheme = services.scheme_record(
        year=2026,
        rules=rules,
        document_no="德经开管发〔2026〕3号",
        reason="加大目标权重",
        approver=committee_member,
        actor=statistics_office,
    )
    assert selectors.scheme_for(2026) == scheme
    assert scheme.version == 1
    assert scheme.rules["weights"]["targets"] == "45"
    assert selectors.scheme_for(2025).year == 0  # other years keep the default
    again = services.scheme_record(
        year=2026,
        rules=calc.DEFAULT_RULES,
        document_no="德经开管发〔2026〕9号",
        reason="恢复默认",
        approver=committee_member,
        actor=statistics_office,
    )
    assert again.version == 2
    assert selectors.scheme_for(2026) == again
    assert Scheme.objects.filter(year=2026).count() == 2  # the old version stays
    event = AuditEvent.objects.filter(action="assessment_scheme_recorded").first()
    assert event.details["document_no"] == "德经开管发〔2026〕9号"


def test_weights_not_summing_to_100_are_refused_and_nothing_is_written(
    statistics_office, committee_member
):
    rules = {**calc.DEFAULT_RULES, "weights": {**calc.DEFAULT_RULES["weights"], "targets": "50"}}
    before = (Scheme.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as refused:
        services.scheme_record(
            year=2026,
            rules=rules,
            document_no="德经开管发〔2026〕3号",
            reason="",
            approver=committee_member,
            actor=statistics_office,
        )
    assert refused.value.code == "weights_not_100"
    assert "110" in refused.value.message_zh
    assert "110" in refused.value.message_en
    assert (Scheme.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("actor", "approver", "document_no", "code"),
    [
        ("committee_member", "committee_member", "文号", "permission_denied"),
        ("statistics_office", "auditor", "文号", "approver_not_committee"),
        ("statistics_office", "committee_member", " ", "document_no_required"),
        # longer than the column: refused on every database, not a PostgreSQL error page
        ("statistics_office", "committee_member", "德" * 121, "document_no_too_long"),
    ],
)
def test_a_scheme_needs_the_committees_approval_and_its_document_number(
    request, actor, approver, document_no, code
):
    with pytest.raises(ApplicationError) as refused:
        services.scheme_record(
            year=2026,
            rules=calc.DEFAULT_RULES,
            document_no=document_no,
            reason="",
            approver=request.getfixturevalue(approver),
            actor=request.getfixturevalue(actor),
        )
    assert refused.value.code == code
    assert not Scheme.objects.filter(year=2026).exists()


# --- item 2: a year of records ---------------------------------------------------------------


@pytest.fixture
def year_2025(park, clerk, head, committee_member, time_machine):
    """DRS's 2025: two rounds (Q1 on time with a return; Q2 late), a work item of task 1
    due 2025Q2 verified on time and one due 2025Q3 verified late, two warnings (one answered
    in time)."""
    drs = Department.objects.get(code="DRS")
    q1 = ReportingRound.objects.create(period="2025Q1", year=2025, quarter=1, deadline="2025-04-20")
    q2 = ReportingRound.objects.create(period="2025Q2", year=2025, quarter=2, deadline="2025-07-20")
    for reporting_round, submits, returns in (
        (q1, ["2025-04-10", "2025-04-15"], ["2025-04-12"]),
        (q2, ["2025-07-25"], []),
    ):
        row = DepartmentPeriod.objects.create(
            department=drs, period=reporting_round.period, state="approved"
        )
        for day, action in [(d, "submit") for d in submits] + [(d, "return") for d in returns]:
            time_machine.move_to(_moment(day), tick=False)
            AuditEvent.objects.create(
                actor=clerk,
                action=action,
                object_type="department_period",
                object_id=row.pk,
                department_code="DRS",
                period=reporting_round.period,
            )
    WorkItem.objects.filter(due_year=2025).update(due_year=2024)  # only this test's items
    items = list(WorkItem.objects.filter(task__code="1").order_by("order")[:3])
    for item, due_quarter, verified in zip(
        items, [2, 3, 4], ["2025-06-20", "2025-10-15", None], strict=True
    ):
        item.due_year, item.due_quarter = 2025, due_quarter
        item.verified_at = _moment(verified) if verified else None
        item.verified_by = committee_member if verified else None
        item.save()
    for day, acknowledged, key in (
        ("2025-03-03", "2025-03-07", "a"),
        ("2025-05-05", None, "b"),
    ):
        time_machine.move_to(_moment(day), tick=False)
        EarlyWarning.objects.create(
            kind="status",
            level="yellow",
            dedupe_key=f"test-{key}",
            department=drs,
            title_zh="预警",
            message_zh="说明",
            state="acknowledged" if acknowledged else "open",
            acknowledged_by=clerk if acknowledged else None,
            acknowledged_at=_moment(acknowledged) if acknowledged else None,
            signed_off_by=head if acknowledged else None,
            signed_off_at=_moment(acknowledged) if acknowledged else None,
            due_date=dt.date(2025, 12, 31) if acknowledged else None,
        )
    time_machine.move_to(_moment("2026-03-02"), tick=False)
    return drs, items


def test_the_snapshot_reads_every_component_from_the_records(year_2025):
    _drs, items = year_2025
    snapshot = selectors.snapshot_build("2025")
    records = snapshot["units"]["DRS"]
    assert snapshot["as_of"] == "2025-12-31"
    assert [(r["period"], r["submitted_on"], r["returns"]) for r in records["timeliness"]] == [
        ("2025Q1", "2025-04-10", 1),  # the first submission counts, the return deducts
        ("2025Q2", "2025-07-25", 0),
    ]
    work = {r["code"]: r for r in records["work_items"]}
    assert work[items[0].code]["verified_on"] == "2025-06-20"
    assert work[items[2].code]["verified_on"] is None
    assert [(r["raised_on"], r["acknowledged_on"]) for r in records["warnings"]] == [
        ("2025-03-03", "2025-03-07"),
        ("2025-05-05", None),
    ]
    assert {r["status"] for r in records["targets"]} <= {*calc.STATUSES, "upcoming", "base",
                                                         "milestone"}  # fmt: skip
    score = calc.unit_score(
        "DRS", records, selectors.scheme_for(2025).rules, as_of=dt.date(2025, 12, 31)
    )
    # work items: DRS leads task 1: (1 + 0.5 + 0) / 3
    assert score.components["work_items"].score == D(100) * D("1.5") / 3
    # timeliness: 100 × 1 / 2 − 5 × 1 = 45
    assert score.components["timeliness"].score == D(45)
    # warnings: 1 of 2 acknowledged within 5 working days, no overdue rectification
    assert score.components["warnings"].score == D(50)


def test_a_quarter_preview_sees_the_year_so_far(year_2025):
    snapshot = selectors.snapshot_build("2025Q1")
    records = snapshot["units"]["DRS"]
    assert snapshot["as_of"] == "2025-03-31"
    assert records["timeliness"] == []  # Q1's deadline is in April
    assert records["work_items"] == []  # nothing due in Q1
    assert [r["raised_on"] for r in records["warnings"]] == ["2025-03-03"]


def _frozen(committee_member):
    return services.assessment_freeze(year=2025, user=committee_member)


def test_a_year_is_frozen_from_a_hashed_snapshot_and_signed_off_by_another_member(
    year_2025, committee_member, second_committee_member, clerk, head
):
    assessment = _frozen(committee_member)
    assert assessment.snapshot_sha256 == calc.sha256_of(assessment.snapshot)
    # read back from the database (jsonb reorders an object's keys): the plan's order kept
    stored = Assessment.objects.get(pk=assessment.pk).snapshot
    plan_order = Department.objects.filter(is_active=True).order_by("order", "code")
    assert stored["order"] == list(plan_order.values_list("code", flat=True))
    assert stored["calendar"]["years"] == [2025, 2026]
    assert "2025-10-11" in stored["calendar"]["workdays"]
    services.explanation_add(
        assessment=assessment, department="DRS", text="二季度数据因系统故障延迟报送。", user=clerk
    )
    services.adjustment_add(
        assessment=assessment,
        department="DRS",
        points=D(2),
        reason="牵头完成省级试点中期评估",
        user=committee_member,
    )
    view = selectors.year_view("2025")
    drs = next(s for s in view.scores if s.department == "DRS")
    assert view.source == selectors.FROZEN
    assert drs.adjustments == D(2)
    with pytest.raises(PermissionRefused) as refused:
        services.assessment_sign_off(assessment=assessment, user=committee_member)
    assert refused.value.code == "four_eyes"
    signed = services.assessment_sign_off(
        assessment=assessment, user=second_committee_member, comment="同意"
    )
    assert signed.signed_off
    assert signed.scores_sha256 == calc.sha256_of(signed.scores)
    rows = selectors.year_scores(2025)
    drs_row = next(row for row in rows if row["department"] == "DRS")
    assert drs_row["source"] == "signed_off"
    assert drs_row["adjustments"] == "2.00"
    assert drs_row["total"] == drs.as_dict()["total"]
    assert {
        "assessment_frozen",
        "assessment_explained",
        "assessment_adjusted",
        "assessment_signed_off",
    } <= set(AuditEvent.objects.values_list("action", flat=True))


def test_after_sign_off_nothing_changes_and_a_recomputation_shows_the_difference(
    year_2025, committee_member, second_committee_member, clerk
):
    _drs, items = year_2025
    assessment = _frozen(committee_member)
    services.assessment_sign_off(assessment=assessment, user=second_committee_member)
    stored = Assessment.objects.get().scores
    before = (Explanation.objects.count(), Adjustment.objects.count(), AuditEvent.objects.count())
    for attempt in (
        lambda: services.adjustment_add(
            assessment=assessment,
            department="DRS",
            points=D(1),
            reason="补充",
            user=committee_member,
        ),
        lambda: services.explanation_add(
            assessment=assessment, department="DRS", text="补充说明", user=clerk
        ),
        lambda: services.assessment_sign_off(assessment=assessment, user=second_committee_member),
    ):
        with pytest.raises(ApplicationError) as refused:
            attempt()
        assert refused.value.code == "signed_off"
        assert "已审定" in refused.value.message_zh
        assert "signed off" in refused.value.message_en
    with pytest.raises(ApplicationError) as again:
        services.assessment_freeze(year=2025, user=committee_member)
    assert again.value.code == "already_frozen"
    assert (
        Explanation.objects.count(),
        Adjustment.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    # A later revision: the third work item is verified (late) after the freeze.
    items[2].verified_at = _moment("2025-12-20")
    items[2].save()
    differences = selectors.recomputation_differences(assessment)
    # every unit with a part of the item (DRS leads task 1; its supporting units too)
    parts = set(items[2].parts.values_list("department__code", flat=True))
    assert "DRS" in parts
    assert {d["department"] for d in differences} == parts
    assert Assessment.objects.get().scores == stored  # shown, never applied
    assert selectors.year_scores(2025)[0]["source"] == "signed_off"


def test_an_adjustment_without_reason_is_refused_and_nothing_is_written(
    year_2025, committee_member
):
    assessment = _frozen(committee_member)
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.adjustment_add(
            assessment=assessment, department="DRS", points=D(-3), reason="", user=committee_member
        )
    assert refused.value.code == "reason_required"
    assert not Adjustment.objects.exists()
    assert AuditEvent.objects.count() == before


def test_who_may_do_what(year_2025, committee_member, clerk, other_clerk, statistics_office):
    assessment = _frozen(committee_member)
    with pytest.raises(PermissionRefused):
        services.adjustment_add(
            assessment=assessment, department="DRS", points=D(1), reason="理由", user=clerk
        )
    with pytest.raises(PermissionRefused):
        services.explanation_add(
            assessment=assessment, department="DRS", text="说明", user=other_clerk
        )
    with pytest.raises(PermissionRefused):
        services.assessment_freeze(year=2024, user=statistics_office)


def test_a_running_year_is_previewed_not_frozen(park, committee_member, time_machine):
    time_machine.move_to(_moment("2026-08-01"), tick=False)
    with pytest.raises(ApplicationError) as refused:
        services.assessment_freeze(year=2026, user=committee_member)
    assert refused.value.code == "year_not_ended"
    view = selectors.year_view("2026Q2")
    assert view.source == selectors.PREVIEW
    assert view.assessment is None


def test_rewards_and_sanctions_follow_the_sign_off(
    year_2025, committee_member, second_committee_member
):
    assessment = _frozen(committee_member)
    with pytest.raises(ApplicationError) as early:
        services.consequence_record(
            assessment=assessment,
            department="DRS",
            kind="commendation",
            reason="优秀",
            document_no="",
            user=committee_member,
        )
    assert early.value.code == "not_signed_off"
    services.assessment_sign_off(assessment=assessment, user=second_committee_member)
    services.consequence_record(
        assessment=assessment,
        department="DRS",
        kind="interview",
        reason="数据报送逾期",
        document_no="德经开管字〔2026〕5号",
        user=committee_member,
    )
    assert Consequence.objects.get().get_kind_display() == "约谈"
    before = (Consequence.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as too_long:
        services.consequence_record(
            assessment=assessment, department="DRS", kind="criticism", reason="理由",
            document_no="号" * 121, user=committee_member,
        )  # fmt: skip
    assert too_long.value.code == "document_no_too_long"
    assert "120" in too_long.value.message_zh
    assert (Consequence.objects.count(), AuditEvent.objects.count()) == before


def test_the_year_scores_selector_answers_other_apps(park, time_machine):
    time_machine.move_to(_moment("2026-08-01"), tick=False)
    rows = selectors.year_scores(2026)
    assert rows
    assert {row["source"] for row in rows} == {"preview"}
    assert {"department", "name_zh", "total", "grade", "components"} <= set(rows[0])
    assert timezone.localdate().year == 2026
