"""The pilot's annual progress report (issue 20 item 4): a workspace per year whose sections
are written by their units and approved by the committee (four eyes), prefilled from the
round snapshot, the verified milestones, the projects and the innovations' counters; frozen
and hashed, exported by a job as .docx, PDF and the xlsx annex, each read back and the
same bytes when generated again; the submission recorded once and the evaluators'
feedback raised as rectification items in the warning loop."""

import datetime as dt
import hashlib
import io
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators.recompute import results_recompute
from pilot import selectors, services
from pilot.models import AnnualReport, FeedbackPoint, ReportExport, ReportSection
from reporting.services import round_open
from reports.services import round_snapshot_take
from tasks.models import Department, WorkItem
from tests.helpers import import_rows, worked_example_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2025(administrator, statistics_office):
    """The worked example approved and computed, the 2025 round frozen, one work item
    verified in 2025Q4, and the 2025 workspace."""
    import_rows(worked_example_rows(), user=administrator)
    results_recompute()
    reporting_round = round_open(period="2025", user=statistics_office)
    round_snapshot_take(reporting_round=reporting_round, user=statistics_office)
    WorkItem.objects.filter(task__code="1", code="1.1").update(
        verified_at=timezone.now(),
        verified_period="2025Q4",
        verified_by=administrator,
    )
    return reporting_round


@pytest.fixture
def workspace(year_2025, committee_member):
    return services.annual_report_open(year=2025, user=committee_member)


def _section(report, key) -> ReportSection:
    return report.sections.get(key=key)


def _approve_all(report, committee_member, clerk, other_clerk):
    for section in report.sections.all():
        writer = other_clerk if section.owner.code == "ECO" else clerk
        services.section_save(section=section, narrative=f"{section.key} 说明", user=writer)
        services.section_submit(section=section, user=writer)
        services.section_decide(section=section, approve=True, comment="", user=committee_member)


def _frozen(report, committee_member, clerk, other_clerk):
    _approve_all(report, committee_member, clerk, other_clerk)
    return services.annual_report_freeze(report=report, user=committee_member)


def _exported(report, user, fmt, language="zh-hans") -> ReportExport:
    export = services.export_request(report=report, fmt=fmt, language=language, user=user)
    services.export_generate(export_id=export.pk)  # what the on-commit job does
    export.refresh_from_db()
    assert export.status == "done", export.error
    return export


def test_a_workspace_has_seven_sections_with_owners_and_is_opened_once(workspace, committee_member):
    keys = list(workspace.sections.order_by("order").values_list("key", "owner__code"))
    assert keys == [
        ("targets", "DRS"), ("tasks", "DRS"), ("projects", "DRS"), ("innovations", "ECO"),
        ("cases", "DRS"), ("problems", "DRS"), ("measures", "DRS"),
    ]  # fmt: skip
    with pytest.raises(ConflictError):
        services.annual_report_open(year=2025, user=committee_member)
    assert AnnualReport.objects.count() == 1
    assert AuditEvent.objects.filter(action="pilot_report_open").count() == 1


def test_only_the_committee_opens_a_workspace(year_2025, clerk, head, statistics_office):
    for person in (clerk, head, statistics_office):
        with pytest.raises(PermissionRefused):
            services.annual_report_open(year=2025, user=person)
    assert not AnnualReport.objects.exists()


def test_the_owning_unit_writes_and_the_committee_approves_never_the_submitter(
    workspace, clerk, other_clerk, head, committee_member, administrator
):
    targets = _section(workspace, "targets")
    with pytest.raises(PermissionRefused):  # ECO's clerk does not write DRS's section
        services.section_save(section=targets, narrative="越权", user=other_clerk)
    services.section_save(section=targets, narrative="完成情况良好。", user=clerk)
    services.section_submit(section=targets, user=clerk)
    with pytest.raises(ConflictError):  # submitted: no more edits until returned
        services.section_save(section=targets, narrative="改", user=clerk)
    with pytest.raises(PermissionRefused):  # the department head is not the committee
        services.section_decide(section=targets, approve=True, comment="", user=head)
    with pytest.raises(ApplicationError):  # a return needs a comment
        services.section_decide(section=targets, approve=False, comment=" ", user=committee_member)
    services.section_decide(
        section=targets, approve=False, comment="补充数据", user=committee_member
    )
    targets.refresh_from_db()
    assert (targets.state, targets.return_comment) == ("draft", "补充数据")
    services.section_submit(section=targets, user=clerk)
    services.section_decide(section=targets, approve=True, comment="", user=committee_member)
    targets.refresh_from_db()
    assert (targets.state, targets.approved_by) == ("approved", committee_member)
    # Four eyes: an administrator who submitted a section does not approve it.
    problems = _section(workspace, "problems")
    services.section_save(section=problems, narrative="数据报送不及时。", user=administrator)
    services.section_submit(section=problems, user=administrator)
    with pytest.raises(PermissionRefused):
        services.section_decide(section=problems, approve=True, comment="", user=administrator)
    problems.refresh_from_db()
    assert problems.state == "submitted"
    assert list(
        AuditEvent.objects.filter(object_type="pilot_section", object_id=str(targets.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["pilot_section_save", "pilot_section_submit", "pilot_section_return",
          "pilot_section_submit", "pilot_section_approve"]  # fmt: skip


def test_problems_and_measures_need_a_narrative_before_submission(workspace, clerk):
    with pytest.raises(ApplicationError):
        services.section_submit(section=_section(workspace, "measures"), user=clerk)
    assert _section(workspace, "measures").state == "draft"


def test_the_document_is_prefilled_from_the_snapshot_milestones_and_counters(workspace):
    document = selectors.pilot_document(workspace)
    assert document["snapshot"]["period"] == "2025"
    snapshot = year_snapshot = selectors.year_snapshot(2025)
    assert document["snapshot"]["sha256"] == year_snapshot.content_sha256
    frozen_codes = [t["code"] for t in snapshot.content["targets"]]
    assert [t["code"] for t in document["targets"]] == frozen_codes
    first = snapshot.content["targets"][0]["assessments"][""]
    assert document["targets"][0]["value"] == first["value"]
    task_1 = next(t for t in document["tasks"] if t["code"] == "1")
    assert [i["code"] for i in task_1["verified_in_year"]] == ["1.1"]
    assert [i["code"] for i in document["innovations"]] == ["P1", "P2", "P3"]
    assert document["innovations"][0]["counters"][0]["value"] == 0  # no key unit designated
    assert document["projects"] == {"rows": [], "total": 0, "reviewed": 0, "assessed": 0}
    assert document["cases"] is None  # the case library is not filled: nothing invented
    # The units' scores come from the assessment app (a preview while the year is open).
    from assessment.selectors import year_scores

    scores = year_scores(2025)
    assert document["assessment"]["source"] == scores[0]["source"]
    assert [r["department"] for r in document["assessment"]["rows"]] == [
        r["department"] for r in scores
    ]


def test_a_year_without_a_frozen_round_says_so(park, committee_member):
    report = services.annual_report_open(year=2027, user=committee_member)
    document = selectors.pilot_document(report)
    assert document["snapshot"] is None
    assert document["targets"] == []


def test_freezing_needs_every_section_approved_and_fixes_the_document(
    workspace, committee_member, clerk, other_clerk, administrator
):
    with pytest.raises(ConflictError):
        services.annual_report_freeze(report=workspace, user=committee_member)
    report = _frozen(workspace, committee_member, clerk, other_clerk)
    assert report.content["sections"][0]["narrative"] == "targets 说明"
    assert len(report.content_sha256) == 64
    WorkItem.objects.filter(task__code="2").update(
        verified_at=timezone.now(), verified_period="2025Q4"
    )  # a later verification does not change the frozen report
    report.refresh_from_db()
    assert all(not t["verified_in_year"] for t in report.content["tasks"] if t["code"] == "2")
    with pytest.raises(ConflictError):
        services.section_save(section=_section(report, "problems"), narrative="x", user=clerk)
    with pytest.raises(ConflictError):
        services.annual_report_freeze(report=report, user=committee_member)


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_docx_pdf_and_annex_are_read_back_and_byte_stable(
    workspace, committee_member, clerk, other_clerk, auditor, tmp_path
):
    from docx import Document
    from openpyxl import load_workbook

    report = _frozen(workspace, committee_member, clerk, other_clerk)
    first_code = report.content["targets"][0]["code"]
    for fmt in ("docx", "pdf", "xlsx"):
        one = _exported(report, auditor, fmt)
        two = _exported(report, committee_member, fmt)
        assert one.sha256 == two.sha256 == hashlib.sha256(bytes(one.content)).hexdigest()
        assert one.pk != two.pk
    docx = Document(io.BytesIO(bytes(one_docx := _exported(report, auditor, "docx").content)))
    text = "\n".join(p.text for p in docx.paragraphs)
    assert (
        "德州经济技术开发区2025年度碳达峰试点进展报告" in text
        or "2025年度碳达峰试点进展报告" in text
    )
    assert "一、目标及完成情况" in text
    assert "七、下一年度工作举措" in text
    assert "measures 说明" in text
    assert "案例库尚无典型经验做法。" in text
    cells = [c.text for table in docx.tables for row in table.rows for c in row.cells]
    assert first_code in cells
    assert "1.1" in cells
    assert docx.core_properties.created == report.frozen_at
    assert docx.core_properties.modified == report.frozen_at
    assert len(one_docx) > 0
    pdf = _pdf_text(bytes(_exported(report, auditor, "pdf").content), tmp_path)
    assert "目标及完成情况" in pdf
    assert "政策创新" in pdf
    assert first_code in pdf
    annex = load_workbook(io.BytesIO(bytes(_exported(report, auditor, "xlsx").content)))
    assert "目标完成情况" in annex.sheetnames
    assert "任务进展" in annex.sheetnames
    tasks = annex["任务进展"]
    counts = [row[3] for row in tasks.iter_rows(min_row=5, values_only=True)]
    assert all(isinstance(v, int) for v in counts)
    english = _exported(report, auditor, "docx", "en")
    words = "\n".join(p.text for p in Document(io.BytesIO(bytes(english.content))).paragraphs)
    assert "1. Targets and their attainment" in words
    assert AuditEvent.objects.filter(action="pilot_export_generate").count() == 10


def test_generating_twice_changes_nothing_and_exports_need_a_frozen_report(
    workspace, committee_member, clerk, other_clerk, auditor
):
    with pytest.raises(ConflictError):
        services.export_request(report=workspace, fmt="docx", language="zh-hans", user=auditor)
    with pytest.raises(PermissionRefused):
        services.export_request(report=workspace, fmt="docx", language="zh-hans", user=clerk)
    report = _frozen(workspace, committee_member, clerk, other_clerk)
    with pytest.raises(ApplicationError):
        services.export_request(report=report, fmt="doc", language="zh-hans", user=auditor)
    export = _exported(report, auditor, "docx")
    digest = export.sha256
    assert services.export_generate(export_id=export.pk) == "done"
    export.refresh_from_db()
    assert export.sha256 == digest
    assert ReportExport.objects.count() == 1


def test_a_lost_export_is_requeued_by_the_sweep(
    workspace, committee_member, clerk, other_clerk, auditor, settings
):
    report = _frozen(workspace, committee_member, clerk, other_clerk)
    export = ReportExport.objects.create(
        report=report, format="xlsx", language="zh-hans", requested_by=auditor
    )  # the row of a request whose job the broker lost
    ReportExport.objects.filter(pk=export.pk).update(
        requested_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert services.exports_requeue() == 1
    export.refresh_from_db()
    assert export.status == "done"
    assert export.sha256


def test_the_submission_is_recorded_once_and_feedback_becomes_rectification_items(
    workspace, committee_member, clerk, other_clerk, head
):
    report = _frozen(workspace, committee_member, clerk, other_clerk)
    with pytest.raises(ApplicationError):  # no 文号
        services.submission_record(
            report=report, submitted_on=dt.date(2026, 1, 20), authority="省发展改革委",
            document_no=" ", user=committee_member,
        )  # fmt: skip
    with pytest.raises(ConflictError):  # feedback before the submission
        services.feedback_record(
            report=report, text="x", department=Department.objects.get(code="DRS"),
            user=committee_member,
        )  # fmt: skip
    with pytest.raises(PermissionRefused):
        services.submission_record(
            report=report, submitted_on=dt.date(2026, 1, 20), authority="省发展改革委",
            document_no="德经开管发〔2026〕3号", user=head,
        )  # fmt: skip
    services.submission_record(
        report=report, submitted_on=dt.date(2026, 1, 20), authority="省发展改革委",
        document_no="德经开管发〔2026〕3号", user=committee_member,
    )  # fmt: skip
    with pytest.raises(ConflictError):  # never overwritten
        services.submission_record(
            report=report, submitted_on=dt.date(2026, 1, 21), authority="国家发展改革委",
            document_no="另号", user=committee_member,
        )  # fmt: skip
    report.refresh_from_db()
    assert (report.document_no, report.receiving_authority) == (
        "德经开管发〔2026〕3号",
        "省发展改革委",
    )
    point = services.feedback_record(
        report=report, text="重点项目碳排放评价覆盖面不足，需补充存量项目评价。",
        department=Department.objects.get(code="ECO"), user=committee_member,
    )  # fmt: skip
    warning = point.warning
    assert warning is not None
    assert (warning.kind, warning.department.code, warning.state, warning.period) == (
        "feedback", "ECO", "open", "2025"
    )  # fmt: skip
    assert "存量项目" in warning.message_zh
    with pytest.raises(ApplicationError):
        services.feedback_record(
            report=report, text="", department=Department.objects.get(code="ECO"),
            user=committee_member,
        )  # fmt: skip
    assert FeedbackPoint.objects.count() == 1
    assert EarlyWarning.objects.filter(kind="feedback").count() == 1


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_take_a_section_from_draft_to_export(
    workspace, committee_member, clerk, other_clerk, auditor, django_capture_on_commit_callbacks
):
    url = reverse("pilot:report", kwargs={"year": 2025})
    page = _client(clerk).get(url)
    assert page.status_code == 200
    assert "目标及完成情况" in page.content.decode()
    targets = _section(workspace, "targets")
    _client(clerk).post(url, {"action": "save", "section": targets.pk, "narrative": "页面说明"})
    _client(clerk).post(url, {"action": "submit", "section": targets.pk})
    # ECO's clerk may not submit DRS's section through the page either
    refused = _client(other_clerk).post(url, {"action": "save", "section": targets.pk})
    assert refused.status_code == 403
    _client(committee_member).post(url, {"action": "approve", "section": targets.pk})
    targets.refresh_from_db()
    assert (targets.narrative, targets.state) == ("页面说明", "approved")
    for section in workspace.sections.exclude(pk=targets.pk):
        writer = other_clerk if section.owner.code == "ECO" else clerk
        services.section_save(section=section, narrative="说明", user=writer)
        services.section_submit(section=section, user=writer)
        services.section_decide(section=section, approve=True, comment="", user=committee_member)
    _client(committee_member).post(url, {"action": "freeze"})
    with django_capture_on_commit_callbacks(execute=True):  # the job queued after commit
        response = _client(auditor).post(
            url, {"action": "export", "format": "docx", "language": "zh-hans"}
        )
    export = ReportExport.objects.get()
    assert response["Location"] == reverse("pilot:export", kwargs={"export_id": export.pk})
    export.refresh_from_db()
    assert export.status == "done"  # eager on the embedded default
    download = _client(auditor).get(reverse("pilot:download", kwargs={"export_id": export.pk}))
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download)).hexdigest() == export.sha256
    english = _client(auditor).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_the_workspace_page_reads_in_a_fixed_number_of_queries(
    workspace, committee_member, django_assert_max_num_queries
):
    client = _client(committee_member)
    url = reverse("pilot:report", kwargs={"year": 2025})
    client.get(url)
    with django_assert_max_num_queries(40):
        client.get(url)


def test_the_demo_shows_a_workspace_under_way_cases_and_published_items(
    park, committee_member, clerk, other_clerk, settings, tmp_path
):
    from pilot.demo import pilot_demo
    from pilot.models import Case, Publication

    settings.MEDIA_ROOT = tmp_path
    pilot_demo()
    report = AnnualReport.objects.get(year=2026)
    states = dict(report.sections.values_list("key", "state"))
    assert (states["targets"], states["tasks"]) == ("approved", "approved")
    assert states["innovations"] == "submitted"
    assert states["problems"] == "draft"
    assert sorted(Case.objects.values_list("status", flat=True)) == ["province", "submitted"]
    assert Publication.objects.filter(kind="case").count() == 1
    assert Publication.objects.filter(kind="target").count() == 3
    events = AuditEvent.objects.count()
    assert "already present" in pilot_demo()[0]  # a second run changes nothing
    assert AuditEvent.objects.count() == events
