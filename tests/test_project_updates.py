"""Quarterly updates of the key projects inside the reporting round (issue 18 item 5): the
project's department reports investment completed, stage, milestone and evidence (SHA-256);
its head approves or returns (four eyes); reminders and overdue warnings follow the round's
deadline like the figures; bad input writes nothing."""

import datetime as dt
import hashlib
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from projects import services, updates
from projects.models import ProjectUpdate, ProjectUpdateEvidence
from reporting.models import Notification, ReportingRound
from reporting.services import reminders_send, round_open
from tasks.models import Department

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def project(clerk, cell_maker):
    project = services.project_register(
        user=clerk, code="DZ-2026-101", name="园区屋顶光伏项目", enterprise=cell_maker,
        kind="new", department=Department.objects.get(code="DRS"),
        investment_planned={"special_bonds": D("3000"), "self_raised": D("2000")},
    )  # fmt: skip
    services.project_stage_record(
        user=clerk, project=project, stage="approved", actual_date=dt.date(2026, 2, 1)
    )
    return project


@pytest.fixture
def quarter(statistics_office):
    return round_open(period="2026Q4", user=statistics_office)


def test_the_department_reports_its_quarter_with_evidence_and_its_head_approves(
    clerk, head, project, quarter
):
    update = updates.project_update_submit(
        user=clerk, project=project, period="2026Q4", stage="approved",
        investment_completed={"special_bonds": "1200.5", "self_raised": "300"},
        milestone="完成桩基施工", files=[SimpleUploadedFile("施工许可证.pdf", PDF)],
    )  # fmt: skip
    assert update.state == "submitted"
    assert update.version == 1
    assert update.investment_total == D("1500.5")
    evidence = ProjectUpdateEvidence.objects.get(update=update)
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.kind == "document"
    assert Notification.objects.filter(user=head, kind="project_update_submitted").exists()
    updates.project_update_approve(update=update, user=head)
    update.refresh_from_db()
    assert update.state == "approved"
    assert update.decided_by == head
    actions = list(
        AuditEvent.objects.filter(object_type="project", object_id=str(project.pk))
        .filter(action__startswith="project_update")
        .values_list("action", flat=True)
    )
    assert sorted(actions) == ["project_update_approve", "project_update_submit"]
    with pytest.raises(ApplicationError) as refused:
        updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                      stage="approved", investment_completed={})  # fmt: skip
    assert refused.value.code == "invalid_state"


def test_who_submits_does_not_approve_and_a_return_asks_for_a_new_version(
    clerk, head, project, quarter
):
    update = updates.project_update_submit(user=head, project=project, period="2026Q4",
                                           stage="approved", investment_completed={"self_raised": "10"})  # fmt: skip
    with pytest.raises(PermissionRefused) as refused:
        updates.project_update_approve(update=update, user=head)
    assert refused.value.code == "four_eyes"
    with pytest.raises(PermissionRefused):
        updates.project_update_approve(update=update, user=clerk)  # a clerk is no head
    again = updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                          stage="approved", investment_completed={"self_raised": "12"})  # fmt: skip
    assert again.version == 2
    with pytest.raises(ApplicationError) as refused:
        updates.project_update_approve(update=update, user=head)  # an older version
    assert refused.value.code == "invalid_state"
    with pytest.raises(ApplicationError):
        updates.project_update_return(update=again, user=head, comment=" ")
    updates.project_update_return(update=again, user=head, comment="请补充佐证")
    assert Notification.objects.filter(user=clerk, kind="project_update_returned").exists()
    third = updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                          stage="approved", investment_completed={"self_raised": "12"})  # fmt: skip
    assert third.version == 3
    assert ProjectUpdate.objects.filter(project=project).count() == 3  # nothing overwritten


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"investment_completed": {"self_raised": "-5"}}, "negative_value"),
        ({"investment_completed": {"self_raised": "十万"}}, "invalid_number"),
        ({"investment_completed": {"lottery": "5"}}, "bad_funding_source"),
        ({"stage": "dreaming"}, "bad_stage"),
        ({"period": "2026Q2"}, "period_not_open"),
        ({"files": [SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")]}, None),
    ],
)
def test_bad_updates_are_refused_in_both_languages_and_nothing_is_written(
    clerk, project, quarter, change, code
):
    given = {"period": "2026Q4", "stage": "approved",
             "investment_completed": {"self_raised": "5"}} | change  # fmt: skip
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        updates.project_update_submit(user=clerk, project=project, **given)
    assert refused.value.message_zh
    assert refused.value.message_en
    if code:
        assert refused.value.code == code
    assert not ProjectUpdate.objects.exists()
    assert not ProjectUpdateEvidence.objects.exists()
    assert AuditEvent.objects.count() == before


def test_another_department_cannot_report_the_project(other_clerk, project, quarter):
    with pytest.raises(PermissionRefused):
        updates.project_update_submit(user=other_clerk, project=project, period="2026Q4",
                                      stage="approved", investment_completed={})  # fmt: skip
    assert not ProjectUpdate.objects.exists()


def test_reminders_and_overdue_warnings_follow_the_round_deadline(clerk, head, project, quarter):
    from dashboards.services import warnings_sync

    deadline = quarter.deadline
    reminders_send(today=deadline - dt.timedelta(days=1))
    near = Notification.objects.filter(user=clerk, kind="project_update_deadline_near")
    assert near.count() == 1
    assert project.code in near.get().message_zh
    reminders_send(today=deadline - dt.timedelta(days=1))  # once per person and round
    assert near.count() == 1
    warnings_sync(today=deadline + dt.timedelta(days=2))
    warning = EarlyWarning.objects.get(dedupe_key="project_update:2026Q4:DRS")
    assert warning.level == "yellow"
    assert warning.department.code == "DRS"
    assert project.code in warning.message_zh
    reminders_send(today=deadline + dt.timedelta(days=2))
    assert Notification.objects.filter(user=head, kind="project_update_deadline_passed").exists()
    # A project that has reported its quarter is no longer missing.
    updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                  stage="approved", investment_completed={"self_raised": "1"})  # fmt: skip
    assert updates.missing_updates("2026Q4") == {}


def test_a_reserve_project_has_no_quarter_to_report(clerk, cell_maker, quarter):
    services.project_register(
        user=clerk, code="DZ-2026-102", name="储备项目", enterprise=cell_maker, kind="new",
        department=Department.objects.get(code="DRS"),
    )  # fmt: skip
    assert updates.missing_updates("2026Q4") == {}
    assert ReportingRound.objects.filter(period="2026Q4").exists()


def test_a_project_owes_the_quarters_from_its_approval_on(clerk, project, statistics_office):
    """Approved (立项) on 2026-02-01: it owes 2026Q1 onwards, never 2025Q4."""
    round_open(period="2025Q4", user=statistics_office)
    round_open(period="2026Q1", user=statistics_office)
    assert updates.missing_updates("2025Q4") == {}
    assert list(updates.missing_updates("2026Q1").values()) == [[project]]


# --- An approved update that reports a new stage moves the project (issue 18 item 3) -----

REVIEWED = {"uses": [{"carrier": "electricity", "quantity": "3000", "unit": "万kWh"}],
            "year": 2022, "opinion_authority": "德州市发改委", "document_no": "德发改审〔2026〕31号"}  # fmt: skip


def test_an_approved_update_moves_the_stage_through_the_stage_service(
    clerk, head, project, quarter
):
    services.energy_review_record(user=clerk, project=project, **REVIEWED)
    update = updates.project_update_submit(
        user=clerk, project=project, period="2026Q4", stage="construction",
        stage_date=dt.date(2026, 10, 8), investment_completed={"self_raised": "300"},
        milestone="开工仪式", files=[SimpleUploadedFile("施工许可证.pdf", PDF)],
    )  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "approved"  # not before its head approves
    updates.project_update_approve(update=update, user=head)
    project.refresh_from_db()
    assert project.stage == "construction"
    event = project.stage_events.get(stage="construction")
    assert event.actual_date == dt.date(2026, 10, 8)
    assert event.recorded_by == head
    assert hashlib.sha256(PDF).hexdigest() in event.evidence
    recorded = AuditEvent.objects.get(
        action="project_stage_recorded", details__stage="construction"
    )
    assert recorded.details["source"] == f"project_update:{update.pk}"


def test_a_new_stage_needs_its_date_within_the_quarter_and_keeps_the_stage_rules(
    clerk, project, quarter
):
    cases = [
        ({}, "stage_date_required"),
        ({"stage_date": dt.date(2027, 1, 5)}, "stage_date_after_period"),
        ({"stage_date": dt.date(2026, 1, 5)}, "stage_date_before_previous"),  # 立项 2026-02-01
        ({"stage_date": dt.date(2026, 10, 8)}, "review_required"),  # no review opinion yet
    ]
    for given, code in cases:
        with pytest.raises(ApplicationError) as refused:
            updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                          stage="construction", investment_completed={}, **given)  # fmt: skip
        assert refused.value.code == code, given
        assert refused.value.message_zh.endswith("。")
        assert refused.value.message_en
    assert not ProjectUpdate.objects.exists()


def test_a_refused_stage_change_refuses_the_approval_and_writes_nothing(
    clerk, head, project, quarter
):
    """The update passed the rules when submitted; before its head decides, DRS records a
    newer review without an opinion (文号), so 开工 is no longer allowed: the approval is
    refused with the reason, the update stays submitted and the stage where it was."""
    services.energy_review_record(user=clerk, project=project, **REVIEWED)
    update = updates.project_update_submit(
        user=clerk, project=project, period="2026Q4", stage="construction",
        stage_date=dt.date(2026, 10, 8), investment_completed={"self_raised": "300"},
    )  # fmt: skip
    services.energy_review_record(user=clerk, project=project, uses=REVIEWED["uses"], year=2022)
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as refused:
        updates.project_update_approve(update=update, user=head)
    assert refused.value.code == "stage_change_refused"
    assert "节能审查意见" in refused.value.message_zh
    assert "energy-review opinion" in refused.value.message_en
    update.refresh_from_db()
    project.refresh_from_db()
    assert update.state == "submitted"
    assert project.stage == "approved"
    assert not project.stage_events.filter(stage="construction").exists()
    assert AuditEvent.objects.count() == before


def test_an_update_at_the_current_stage_leaves_the_stage(clerk, head, project, quarter):
    update = updates.project_update_submit(user=clerk, project=project, period="2026Q4",
                                           stage="approved", investment_completed={})  # fmt: skip
    updates.project_update_approve(update=update, user=head)
    project.refresh_from_db()
    assert project.stage == "approved"
    assert project.stage_events.count() == 1
