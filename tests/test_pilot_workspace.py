"""The annual report's workspace (issue 20 items 4 and the pilot's follow-up): narrative
edits are versioned (every save keeps the previous text, the history is shown, a save over
a newer version is refused), the committee reassigns a section's owner with a reason
(audited), and the workspace page reads a precomputed document — assembled when the
workspace opens, after cases change, new results or a frozen round, and by the sweep — in
a number of queries that does not grow with the data."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from pilot import selectors, services
from pilot.models import AnnualReport, OwnerChange, ReportSection, SectionVersion
from tasks.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(committee_member):
    return services.annual_report_open(year=2025, user=committee_member)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url() -> str:
    return reverse("pilot:report", kwargs={"year": 2025})


def _section(report, key="problems") -> ReportSection:
    return report.sections.get(key=key)


# --- narrative versions --------------------------------------------------------------------


def test_every_save_keeps_the_previous_text_and_the_page_shows_the_history(workspace, clerk):
    section = _section(workspace)
    services.section_save(section=section, narrative="第一稿：能耗强度下降。", user=clerk)
    services.section_save(section=section, narrative="第二稿：能耗强度下降4.1%。", user=clerk)
    services.section_save(section=section, narrative="第二稿：能耗强度下降4.1%。", user=clerk)
    versions = list(
        SectionVersion.objects.filter(section=section)
        .order_by("number")
        .values_list("number", "narrative", "saved_by__username")
    )
    assert versions == [
        (1, "第一稿：能耗强度下降。", clerk.username),
        (2, "第二稿：能耗强度下降4.1%。", clerk.username),
    ]  # the unchanged third save adds nothing
    section.refresh_from_db()
    assert section.narrative == "第二稿：能耗强度下降4.1%。"
    saves = AuditEvent.objects.filter(action="pilot_section_save", object_id=section.pk)
    assert [e.details["version"] for e in saves.order_by("pk")] == [1, 2]
    page = _client(clerk).get(_url()).content.decode()
    assert "第一稿：能耗强度下降。" in page  # the earlier text is still shown
    assert 'data-version="1"' in page
    assert 'data-version="2"' in page
    assert 'name="version" value="2"' in page  # the form says which version it edits


def test_a_save_over_a_newer_version_is_refused_and_nothing_is_written(workspace, clerk, head):
    section = _section(workspace)
    services.section_save(section=section, narrative="甲稿", user=clerk, base_version=0)
    with pytest.raises(ConflictError) as refused:
        services.section_save(section=section, narrative="乙稿", user=head, base_version=0)
    assert refused.value.code == "stale_version"
    assert "第 1 版" in refused.value.message_zh
    assert "version" in refused.value.message_en
    section.refresh_from_db()
    assert section.narrative == "甲稿"
    assert SectionVersion.objects.filter(section=section).count() == 1
    # The page's form carries the version: a stale form is refused with the message.
    response = _client(head).post(
        _url(),
        {"action": "save", "section": section.pk, "narrative": "丙稿", "version": "0"},
        follow=True,
    )
    assert "请刷新后在最新版本上修改" in response.content.decode()
    section.refresh_from_db()
    assert section.narrative == "甲稿"


def test_versions_written_before_they_existed_become_version_one(workspace, clerk):
    """The migration's step: a narrative stored before versions is version 1."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "pilot.migrations.0004_section_versions_owner_changes_workspace"
    )
    section = _section(workspace)
    ReportSection.objects.filter(pk=section.pk).update(narrative="旧文字")
    migration.first_versions(apps, None)
    assert list(SectionVersion.objects.values_list("section", "number", "narrative")) == [
        (section.pk, 1, "旧文字")
    ]


# --- reassigning a section -----------------------------------------------------------------


def test_the_committee_reassigns_a_draft_section_with_a_reason(
    workspace, committee_member, clerk, other_clerk
):
    section = _section(workspace)
    eco = Department.objects.get(code="ECO")
    with pytest.raises(PermissionRefused):  # the owning unit cannot give its section away
        services.section_reassign(section=section, owner=eco, reason="分工调整", user=clerk)
    with pytest.raises(ApplicationError) as refused:
        services.section_reassign(section=section, owner=eco, reason="  ", user=committee_member)
    assert refused.value.code == "reason_required"
    with pytest.raises(ApplicationError):  # to the unit it already has
        services.section_reassign(
            section=section, owner=section.owner, reason="无变化", user=committee_member
        )
    assert not OwnerChange.objects.exists()
    assert not AuditEvent.objects.filter(action="pilot_section_reassign").exists()

    services.section_reassign(
        section=section, owner=eco, reason="问题章节由生态环境分局牵头", user=committee_member
    )
    section.refresh_from_db()
    assert section.owner == eco
    change = OwnerChange.objects.get()
    assert (change.old_owner.code, change.new_owner.code, change.changed_by) == (
        "DRS",
        "ECO",
        committee_member,
    )
    event = AuditEvent.objects.get(action="pilot_section_reassign")
    assert (event.old_value, event.new_value, event.reason) == (
        "DRS",
        "ECO",
        "问题章节由生态环境分局牵头",
    )
    # The new unit writes it; the old one no longer does.
    with pytest.raises(PermissionRefused):
        services.section_save(section=section, narrative="越权", user=clerk)
    services.section_save(section=section, narrative="生态环境分局撰写。", user=other_clerk)
    page = _client(committee_member).get(_url()).content.decode()
    assert "问题章节由生态环境分局牵头" in page  # the history shows the reassignment


def test_a_submitted_section_is_not_reassigned_until_returned(workspace, committee_member, clerk):
    section = _section(workspace, "targets")
    services.section_submit(section=section, user=clerk)
    eco = Department.objects.get(code="ECO")
    with pytest.raises(ConflictError):
        services.section_reassign(section=section, owner=eco, reason="调整", user=committee_member)
    section.refresh_from_db()
    assert section.owner.code == "DRS"


def test_the_reassign_form_refuses_bad_input_with_a_message(workspace, committee_member, clerk):
    section = _section(workspace)
    client = _client(committee_member)
    for owner in ("abc", "", "999999"):
        response = client.post(
            _url(),
            {"action": "reassign", "section": section.pk, "owner": owner, "reason": "调整"},
            follow=True,
        )
        assert response.status_code == 200
        assert "请选择有效的责任单位" in response.content.decode()
    assert (
        _client(clerk)
        .post(_url(), {"action": "reassign", "section": section.pk, "owner": "1", "reason": "x"})
        .status_code
        == 403
    )
    assert not OwnerChange.objects.exists()


# --- the precomputed workspace ------------------------------------------------------------


def test_the_page_reads_the_stored_document_and_never_assembles_it(
    workspace, committee_member, clerk, monkeypatch
):
    workspace.refresh_from_db()
    assert workspace.workspace_content is not None  # built when the workspace opened
    assert workspace.workspace_built_at is not None

    def assembled(report):
        raise AssertionError("the page assembled the live document")

    monkeypatch.setattr(selectors, "pilot_document", assembled)
    section = _section(workspace)
    services.section_save(section=section, narrative="今日新写的说明。", user=clerk)
    page = _client(committee_member).get(_url()).content.decode()
    assert "今日新写的说明。" in page  # the sections' own text is read live


def test_a_workspace_not_assembled_yet_says_so_and_the_sweep_builds_it(workspace, committee_member):
    AnnualReport.objects.filter(pk=workspace.pk).update(
        workspace_content=None, workspace_built_at=None
    )
    page = _client(committee_member).get(_url())
    assert page.status_code == 200
    assert "正在汇总" in page.content.decode()
    assert services.workspaces_stale() == [workspace.pk]
    assert services.workspaces_requeue() == 1  # eager here: the job built it
    workspace.refresh_from_db()
    assert workspace.workspace_content is not None
    assert services.workspaces_stale() == []
    # A build older than the maximum age is stale again (sources without an announcement).
    AnnualReport.objects.filter(pk=workspace.pk).update(
        workspace_built_at=timezone.now() - services.WORKSPACE_MAX_AGE - dt.timedelta(minutes=1)
    )
    assert services.workspaces_stale() == [workspace.pk]


def test_a_refresh_request_is_durable_when_the_job_is_lost(workspace, monkeypatch):
    from pilot import jobs

    monkeypatch.setattr(jobs.pilot_workspace_job, "delay", lambda pk: None)  # broker lost it
    assert services.workspace_refresh_request() == 1
    assert services.workspaces_stale() == [workspace.pk]
    monkeypatch.undo()
    services.workspaces_requeue()
    assert services.workspaces_stale() == []


def test_a_frozen_report_is_never_rebuilt(workspace):
    AnnualReport.objects.filter(pk=workspace.pk).update(frozen_at=timezone.now())
    assert services.workspace_build(report_id=workspace.pk) == "skipped"
    assert services.workspace_refresh_request() == 0
    assert services.workspaces_stale() == []


def test_an_older_build_never_replaces_a_newer_one(workspace):
    later = timezone.now() + dt.timedelta(minutes=5)
    AnnualReport.objects.filter(pk=workspace.pk).update(
        workspace_built_at=later, workspace_content={"marker": True}
    )
    assert services.workspace_build(report_id=workspace.pk) == "skipped"
    workspace.refresh_from_db()
    assert workspace.workspace_content == {"marker": True}


def test_a_new_case_reaches_the_stored_document_after_commit(
    workspace, clerk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.case_create(
            user=clerk,
            title_zh="园区光伏整体推进",
            summary_zh="屋顶光伏全覆盖。",
            year=2025,
            department=clerk.department,
        )
    workspace.refresh_from_db()
    assert [c["title_zh"] for c in workspace.workspace_content["cases"]] == ["园区光伏整体推进"]


def test_new_results_and_a_frozen_round_ask_for_a_rebuild(
    workspace, statistics_office, django_capture_on_commit_callbacks
):
    from dezhou_carbon.followups import RESULTS_RECOMPUTED, announce
    from reporting.services import round_open
    from reports.services import round_snapshot_take

    AnnualReport.objects.filter(pk=workspace.pk).update(workspace_built_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        announce(RESULTS_RECOMPUTED)  # what the recompute job announces
    workspace.refresh_from_db()
    assert workspace.workspace_built_at is not None
    assert workspace.workspace_content["snapshot"] is None

    reporting_round = round_open(period="2025", user=statistics_office)
    with django_capture_on_commit_callbacks(execute=True):  # the snapshot announces it
        snapshot = round_snapshot_take(reporting_round=reporting_round, user=statistics_office)
    workspace.refresh_from_db()
    assert workspace.workspace_content["snapshot"]["sha256"] == snapshot.content_sha256


def _many_versions_and_cases(report, clerk, n: int) -> None:
    from pilot.models import Case

    section = _section(report)
    SectionVersion.objects.bulk_create(
        SectionVersion(section=section, number=i + 1, narrative=f"第{i + 1}稿", saved_by=clerk)
        for i in range(n)
    )
    Case.objects.bulk_create(
        Case(
            title_zh=f"案例{i}",
            summary_zh="摘要",
            year=2025,
            department=clerk.department,
            created_by=clerk,
        )
        for i in range(n)
    )
    services.workspace_build(report_id=report.pk)


@pytest.mark.parametrize("n", [10, 1000])
def test_the_workspace_page_queries_do_not_grow_with_the_data(
    workspace, committee_member, clerk, n, django_assert_num_queries
):
    _many_versions_and_cases(workspace, clerk, n)
    client = _client(committee_member)
    client.get(_url())
    with django_assert_num_queries(WORKSPACE_PAGE_QUERIES):
        response = client.get(_url())
    assert response.status_code == 200
    assert f"第{n}稿" in response.content.decode()


# Session and user, the report, sections with their versions and owner changes (4), the
# departments of the reassign form, feedback (exports and the rest are frozen-only).
WORKSPACE_PAGE_QUERIES = 9


def test_after_freezing_no_save_or_reassignment_is_accepted(
    workspace, committee_member, clerk, other_clerk
):
    for section in workspace.sections.all():
        writer = other_clerk if section.owner.code == "ECO" else clerk
        services.section_save(section=section, narrative=f"{section.key} 说明", user=writer)
        services.section_submit(section=section, user=writer)
        services.section_decide(section=section, approve=True, comment="", user=committee_member)
    report = services.annual_report_freeze(report=workspace, user=committee_member)
    versions, events = SectionVersion.objects.count(), AuditEvent.objects.count()
    section = _section(report)
    with pytest.raises(ConflictError) as refused:
        services.section_reassign(
            section=section, owner=Department.objects.get(code="ECO"), reason="调整",
            user=committee_member,
        )  # fmt: skip
    assert refused.value.code == "frozen"
    assert refused.value.message_en
    with pytest.raises(ConflictError):
        services.section_save(section=section, narrative="定稿后修改", user=clerk)
    assert services.workspace_build(report_id=report.pk) == "skipped"
    assert (SectionVersion.objects.count(), AuditEvent.objects.count()) == (versions, events)
    section.refresh_from_db()
    assert (section.owner.code, section.narrative) == ("DRS", "problems 说明")
    page = _client(committee_member).get(_url()).content.decode()
    assert "pilot-reassign" not in page  # no form offered on a frozen report


def test_the_history_and_reassignment_read_in_english(workspace, committee_member, clerk):
    services.section_save(section=_section(workspace), narrative="初稿", user=clerk)
    client = _client(committee_member)
    page = client.get(_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for english in (
        "History (versions: 1)",
        "Version 1",
        "Reassign to",
        "The sections' data as of",
    ):
        assert english in page, english
    for chinese in ("修改记录", "调整责任单位", "各章节数据更新于"):
        assert chinese not in page, chinese
