"""Who may open what: every named page and API endpoint with every persona.

The URL list comes from the resolver, so a new page or endpoint without a row here fails
`test_every_url_has_a_row`. Codes: 200 allowed; 403 refused; 302 (pages) sends an anonymous
visitor to sign in; 405 a POST-only address opened with GET by someone allowed to use it;
400 asks the person to choose a department first."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dashboards.services import progress_report_submit, warning_evidence_attach
from indicators.models import Figure
from reporting.uploads import department_upload_preview
from tasks.models import Department, PartImport, Task, WorkItem

PERSONAS = [
    "anonymous",
    "outsider",
    "clerk",
    "other_clerk",
    "head",
    "committee_member",
    "statistics_office",
    "auditor",
    "administrator",
]
ALL_ROLES = [200, 403, 200, 200, 200, 200, 200, 200, 200]  # API: anonymous 403 too
API_READ = [403, 403, 200, 200, 200, 200, 200, 200, 200]
PAGE_ANY_ROLE = [302, 403, 200, 200, 200, 200, 200, 200, 200]
API_POST_ONLY = [403, 403, 405, 405, 405, 405, 405, 405, 405]  # a write opened with GET
# Product footprints: everyone who reads all data and the ECO sub-bureau's staff (other_clerk)
# read; ECO's staff, the statistics office and administrators prepare.
FOOTPRINT_READ = [302, 403, 403, 200, 403, 200, 200, 200, 200]
FOOTPRINT_PREPARE = [302, 403, 403, 200, 403, 403, 200, 403, 200]
# Key projects are managed by DRS (clerk, head), the statistics office and administrators.
PROJECT_MANAGE = [302, 403, 200, 403, 200, 403, 200, 403, 200]

# GET status per persona, in PERSONAS order. The URL uses period 2024Q1, department DRS
# and an upload batch of DRS's clerk.
GET_MATRIX = {
    "home": [302] * 9,  # to sign in, or to the person's own start page
    "login": [200] * 9,
    "logout": [405] * 9,  # POST only
    "set_language": [302] * 9,
    "health": [200] * 9,  # monitoring: no sign-in, and nothing sensitive in the answer
    # The pilot's case library: everyone with a role reads the cases and their evidence.
    "pilot:cases": PAGE_ANY_ROLE,
    "pilot:case": PAGE_ANY_ROLE,
    "pilot:case_evidence": PAGE_ANY_ROLE,
    # The public page (宣传推广): anyone, signed in or not; what it shows is tested in
    # tests/test_pilot_public.py. What to publish: the committee.
    "pilot:public": [200] * 9,
    "pilot:public_data": [200] * 9,
    "pilot:publishing": [302, 403, 403, 403, 403, 200, 403, 403, 200],
    "plan": PAGE_ANY_ROLE,
    "schema": API_READ,
    "api-docs": [302, 403, 200, 200, 200, 200, 200, 200, 200],  # anonymous: sign in first
    "api:department-list": API_READ,
    "api:task-list": API_READ,
    "api:target-list": API_READ,
    "api:item-list": API_READ,
    "api:indicator-list": API_READ,
    "api:indicator-value-list": API_READ,
    "api:figure-list": API_READ,  # scoped to the department for department staff
    "api:import-create": API_READ,  # GET lists imports (department staff: their own)
    # API v1 for scripts (tests/test_api_schema.py has every operation × persona).
    "api:me": API_READ,
    "api:token-list": API_READ,
    "api:token-revoke": API_POST_ONLY,
    "api:token-renew": API_POST_ONLY,
    "tokens": PAGE_ANY_ROLE,  # one's own API tokens
    "api:section-list": API_READ,
    "api:work-item-list": API_READ,
    "api:work-item-detail": API_READ,
    "api:progress-report-list": API_READ,
    "api:import-detail": [403, 403, 200, 403, 200, 200, 200, 200, 200],  # DRS's upload
    "api:import-undo": API_POST_ONLY,
    "api:department-period-list": API_READ,
    "api:department-period-detail": [403, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:department-period-submit": API_POST_ONLY,
    "api:department-period-approve": API_POST_ONLY,
    "api:department-period-return": API_POST_ONLY,
    "api:department-period-unlock": API_POST_ONLY,
    "api:round-list": API_READ,
    "api:notification-list": API_READ,
    "api:notification-mark-read": API_POST_ONLY,
    "api:warning-list": API_READ,
    "api:warning-detail": [403, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:warning-acknowledge": API_POST_ONLY,
    "api:warning-resolve": API_POST_ONLY,
    "api:warning-close": API_POST_ONLY,
    "api:warning-sign-off": API_POST_ONLY,
    "reporting:index": PAGE_ANY_ROLE,
    "reporting:notifications": PAGE_ANY_ROLE,
    # The entry form is the user's own department's: staff of any department; nobody else.
    "reporting:entry": [302, 403, 200, 200, 200, 403, 403, 403, 403],
    "reporting:review": [302, 403, 403, 403, 200, 200, 200, 200, 200],
    "reporting:board": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "reporting:history": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "reporting:template": [302, 403, 200, 200, 200, 400, 400, 400, 400],
    "reporting:upload": [302, 403, 200, 200, 200, 403, 403, 403, 200],
    "reporting:upload_preview": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "reporting:upload_confirm": [405] * 9,
    "reporting:upload_undo": [405] * 9,
    "dashboards:overview": PAGE_ANY_ROLE,
    "dashboards:bigscreen": PAGE_ANY_ROLE,
    "dashboards:indicator": PAGE_ANY_ROLE,
    "dashboards:plan_board": PAGE_ANY_ROLE,
    "dashboards:report_attachment": PAGE_ANY_ROLE,
    "dashboards:department": PAGE_ANY_ROLE,
    "dashboards:heatmap": PAGE_ANY_ROLE,
    # Department staff see their own department's warnings (the sample is DRS's).
    "dashboards:warnings": PAGE_ANY_ROLE,
    "dashboards:warning_detail": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    # An evidence file of the DRS warning: whoever may see the warning (downloads audited).
    "dashboards:warning_file": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    # Reports: those who export (committee, statistics office, auditors); lineage of
    # results for those who read all data, of a figure also for its department's staff;
    # the audit trail for auditors.
    "reports:index": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "reports:status": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "reports:download": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "reports:lineage_result": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "reports:lineage_figure": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "reports:audit_export": [302, 403, 403, 403, 403, 403, 403, 200, 200],
    "api:report-list": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    "api:report-detail": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    "api:report-download": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    # Enterprises: readers of all data, and the supervising department's staff (the sample
    # is DRS's; another department's staff get 404, as for an enterprise that does not exist).
    "api:enterprise-list": API_READ,
    "api:enterprise-detail": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-designation": API_POST_ONLY,
    "footprints:index": FOOTPRINT_READ,
    "footprints:factors": FOOTPRINT_READ,
    "footprints:study": FOOTPRINT_READ,
    "footprints:study_template": FOOTPRINT_READ,
    "footprints:study_export": FOOTPRINT_READ,
    "footprints:study_new": FOOTPRINT_PREPARE,
    "footprints:study_import": FOOTPRINT_PREPARE,
    "api:footprint-list": [403, 403, 403, 200, 403, 200, 200, 200, 200],
    "api:footprint-detail": [403, 403, 403, 200, 403, 200, 200, 200, 200],
    # Key projects: DRS (which runs the energy review) and everyone who reads all data; the
    # sample project is DRS's own. Its admission answers 404: it has no review yet.
    "projects:register": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "projects:project": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:project-list": [403, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:project-admission": [403, 403, 404, 403, 404, 404, 404, 404, 404],
    # API writes (projects/api.py): DRS, the statistics office and administrators record;
    # the project's department reports its quarter, its head decides (POST only).
    "api:project-detail": [403, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:project-what-if": [403, 403, 405, 403, 405, 405, 405, 405, 405],
    "api:project-stages": [403, 403, 405, 403, 405, 403, 405, 403, 405],
    "api:project-reviews": [403, 403, 405, 403, 405, 403, 405, 403, 405],
    "api:project-assessments": [403, 403, 405, 403, 405, 403, 405, 403, 405],
    "api:project-updates": API_POST_ONLY,
    "api:project-update-approve": API_POST_ONLY,
    "api:project-update-return": API_POST_ONLY,
    "projects:admission": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "projects:new": PROJECT_MANAGE,
    "projects:edit": PROJECT_MANAGE,
    "projects:stage": PROJECT_MANAGE,
    "projects:review": PROJECT_MANAGE,
    "projects:assessment": PROJECT_MANAGE,
    # The sample project's quarter: DRS's staff report it; its head decides (POST only).
    "projects:update": [302, 403, 200, 403, 200, 403, 403, 403, 200],
    "projects:update_decide": [302] + [405] * 8,
    "projects:export": [302, 403, 200, 403, 200, 200, 200, 200, 200],  # the list as xlsx
    # The energy budget: DRS and readers of all data read (no budget for 2026 here: the
    # page says so, the API answers 404); DRS and the statistics office draft; the
    # committee approves (POST only).
    "budgets:index": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "budgets:dashboard": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "budgets:draft": [302, 403, 405, 403, 405, 403, 405, 403, 405],
    "budgets:approve": [302, 403, 403, 403, 403, 405, 403, 403, 403],
    "api:budget-detail": [403, 403, 404, 403, 404, 404, 404, 404, 404],
    "budgets:export": [302, 403, 404, 403, 404, 404, 404, 404, 404],
    "api:reconciliation": [403, 403, 403, 403, 403, 400, 400, 400, 400],  # ?period= needed
    "api:decomposition": [403, 403, 403, 403, 403, 400, 400, 400, 400],  # ?from=&to= needed
    # Register pages: department staff read their supervised enterprises; the statistics
    # office maintains the register; reconciliation and attribution for readers of all data.
    "enterprises:register": PAGE_ANY_ROLE,
    "enterprises:export": PAGE_ANY_ROLE,
    "enterprises:template": [302, 403, 403, 403, 403, 403, 200, 403, 200],
    "enterprises:upload": [302, 403, 403, 403, 403, 403, 200, 403, 200],
    "enterprises:reconciliation": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "enterprises:gap": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    # The accountable work: a department's to-do; the committee's verification queue;
    # evidence of a DRS part report for its staff and those who read everything.
    "tasks:todo": [302, 403, 200, 200, 200, 403, 403, 403, 403],
    "api:part-report-list": API_READ,
    "api:part-report-approve": API_POST_ONLY,
    "api:part-report-return": API_POST_ONLY,
    "api:part-report-cosign": API_POST_ONLY,
    "api:work-item-verify": API_POST_ONLY,
    "api:work-item-verification-return": API_POST_ONLY,
    "tasks:part_report": [302] + [405] * 8,
    "tasks:report_action": [302] + [405] * 8,
    "tasks:verification": [302, 403, 403, 403, 403, 200, 403, 403, 200],
    "tasks:verification_action": [302] + [405] * 8,
    "tasks:evidence": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    # A unit's parts in bulk: its own staff export and import; a preview (DRS's, uploaded
    # by the DRS clerk) is seen by its unit's staff and confirmed only by its uploader.
    "tasks:parts_export": [302, 403, 200, 200, 200, 403, 403, 403, 403],
    "tasks:parts_import": [302] + [405] * 8,
    "tasks:parts_import_preview": [302, 403, 200, 403, 200, 403, 403, 403, 403],
    "tasks:parts_import_apply": [302] + [405] * 8,
    "enterprises:ledger": PAGE_ANY_ROLE,
    "enterprises:ledger_export": PAGE_ANY_ROLE,
    "enterprises:profile": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    # An enterprise's plan, visits, certificates and evidence files: as its profile (its
    # supervising department DRS keeps them); counters and benchmarks: any role;
    # designation suggestions: who reads all data (the statistics office decides).
    "enterprises:plan": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    "enterprises:visits": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    # A visit finding of the sample enterprise (its rectification in the warning loop).
    "enterprises:finding": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    "enterprises:certificates": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    "enterprises:evidence_file": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    "enterprises:counters": PAGE_ANY_ROLE,
    "enterprises:benchmarks": PAGE_ANY_ROLE,
    "enterprises:suggestions": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "enterprises:ledger_pdf": PAGE_ANY_ROLE,
    # Their API (enterprises/work_api.py): as the pages; the progress endpoint is POST only.
    "api:enterprise-measures": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-visits": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-certificates": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-measure-progress": API_POST_ONLY,
    # The enterprise's ledger and own quarters (enterprises/quarter_api.py): read as its
    # profile; saving drafts (POST on the quarter) is its energy manager's; submit, approve
    # and return are POST only.
    "api:enterprise-ledger": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-quarter-list": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-quarter": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:enterprise-quarter-submit": API_POST_ONLY,
    "api:enterprise-quarter-approve": API_POST_ONLY,
    "api:enterprise-quarter-return": API_POST_ONLY,
    "api:enterprise-quarter-correction": API_POST_ONLY,
    "api:enterprise-quarter-reopen": API_POST_ONLY,
    # Product output against product benchmarks (enterprises/product_views.py, product_api.py):
    # read as the profile; the import page for the statistics office and department staff.
    "enterprises:products": [302, 403, 200, 404, 200, 200, 200, 200, 200],
    "enterprises:products_import": [302, 403, 200, 200, 200, 403, 200, 403, 200],
    "api:enterprise-products": [403, 403, 200, 404, 200, 200, 200, 200, 200],
    "api:product-output-import": API_POST_ONLY,
    "api:certificate-counts": API_READ,
    "api:benchmarks": API_READ,
    # The units' assessment: the committee's ranking, exports, scheme and API for readers of
    # all data; a unit's scorecard also for its own staff (DRS here); the index sends each
    # person to theirs.
    "assessment:index": [302, 403, 302, 302, 302, 302, 302, 302, 302],
    "assessment:scheme": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "assessment:ranking": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "assessment:export": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    # A requested export's page and file (a job makes it when a worker is configured).
    "assessment:export_status": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "assessment:export_download": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "assessment:unit": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    "api:assessment-detail": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    # An enterprise's own quarter (its energy manager enters, the supervising head reviews):
    # readers of the enterprise see it; another department's staff are refused (audited).
    "enterprises:quarter": [302, 403, 200, 403, 200, 200, 200, 200, 200],
    # The review queue of enterprises' quarters: staff see their supervised enterprises'
    # (ECO supervises none of the sample's: an empty list), readers of all data all.
    "enterprises:quarters": PAGE_ANY_ROLE,
    # The quarter as xlsx: the enterprise's own energy manager (and administrators); the
    # sample batch is a department's upload, not the enterprise's (404).
    "enterprises:quarter_template": [302, 403, 403, 403, 403, 403, 403, 403, 200],
    "enterprises:quarter_upload": [302, 403, 403, 403, 403, 403, 403, 403, 200],
    "enterprises:quarter_upload_preview": [302, 403, 403, 403, 403, 403, 403, 403, 404],
    # The pilot's annual report: everyone with a role reads the workspace; its exports are
    # the exporters' (can_export).
    "pilot:index": PAGE_ANY_ROLE,
    "pilot:report": PAGE_ANY_ROLE,
    "pilot:export": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    "pilot:download": [302, 403, 403, 403, 403, 200, 200, 200, 200],
    # The pilot's API (pilot/api.py): the 2026 workspace, its export and the sample case;
    # no section exists (404 past the door); the writes answer 405 to a GET past the door.
    "api:pilot-report-list": API_READ,
    "api:pilot-report-detail": API_READ,
    "api:pilot-report-submission": [403, 403, 403, 403, 403, 405, 403, 403, 405],
    "api:pilot-report-feedback": [403, 403, 403, 403, 403, 405, 403, 403, 405],
    "api:pilot-section-versions": [403, 403, 404, 404, 404, 404, 404, 404, 404],
    "api:pilot-section-save": [403, 403, 405, 405, 405, 403, 403, 403, 405],
    "api:pilot-section-submit": [403, 403, 405, 405, 405, 403, 403, 403, 405],
    "api:pilot-section-approve": [403, 403, 403, 403, 403, 405, 403, 403, 405],
    "api:pilot-section-return": [403, 403, 403, 403, 403, 405, 403, 403, 405],
    "api:pilot-section-reassign": [403, 403, 403, 403, 403, 405, 403, 403, 405],
    "api:pilot-export-list": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    "api:pilot-export-detail": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    "api:pilot-export-download": [403, 403, 403, 403, 403, 200, 200, 200, 200],
    "api:pilot-case-list": API_READ,
    "api:pilot-case-detail": API_READ,
    "api:pilot-publication-list": [403, 403, 403, 403, 403, 200, 403, 403, 200],
    "api:pilot-public": [200, 200, 200, 200, 200, 200, 200, 200, 200],  # published only
}


def named_patterns(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def app_urls():
    """Every named URL of the product (the Django admin has its own staff checks)."""
    return {name: pattern for name, pattern in named_patterns() if not name.startswith("admin:")}


def test_every_url_has_a_row():
    assert sorted(app_urls()) == sorted(GET_MATRIX)


@pytest.fixture
def drs_batch(clerk, settings, tmp_path):
    """An upload of DRS, a DRS warning and a progress report: the objects the URLs name."""
    batch = department_upload_preview(
        department=Department.objects.get(code="DRS"),
        period="2024Q1",
        content=b"period,item,value\n2024Q1,coal_raw,1\n",
        filename="a.csv",
        user=clerk,
    )
    drs = Department.objects.get(code="DRS")
    batch.warning = EarlyWarning.objects.create(
        dedupe_key="status:T1", kind="status", level="red", department=drs, period="2025",
        title_zh="T1 预警", message_zh="说明",
    )  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    batch.evidence = warning_evidence_attach(
        warning=batch.warning,
        user=clerk,
        upload=SimpleUploadedFile("验收清单.txt", "并网验收单".encode()),
    )
    batch.report = progress_report_submit(
        task=Task.objects.get(code="1"),
        period="2024Q1",
        text="进展",
        user=clerk,
        attachment=SimpleUploadedFile("进展.txt", "一季度进展".encode()),
    )
    batch.work_item = WorkItem.objects.get(task__code="1", code="1.1")
    batch.part_report, batch.part_evidence = _part_report_sample(clerk, batch.work_item)
    batch.part_import = PartImport.objects.create(
        department=drs, period="2024Q1", filename="parts.xlsx", sha256="0" * 64,
        status="preview", created_by=clerk,
    )  # fmt: skip
    batch.export, batch.result, batch.figure = _reports_samples(clerk, drs)
    batch.enterprise = _enterprise_sample(drs)
    batch.footprint = _footprint_sample(clerk, batch.enterprise)
    batch.project = _project_sample(clerk, batch.enterprise, drs)
    batch.project_update = batch.project.updates.create(
        period="2024Q1", stage="approved", submitted_by=clerk
    )
    batch.pilot_export = _pilot_sample(clerk)
    batch.assessment_export = _assessment_export_sample(clerk)
    return batch


def _assessment_export_sample(user):
    """A finished export of the ranking (its page and file are what the URLs name)."""
    from assessment.models import RankingExport

    return RankingExport.objects.create(
        period="2024", format="xlsx", language="zh-hans", requested_by=user, status="done",
        content=b"xlsx", sha256="0" * 64, size=4, filename="assessment-2024-zh-hans.xlsx",
    )  # fmt: skip


def _pilot_sample(clerk):
    """The 2026 annual pilot report with a finished export (the pilot pages' objects)."""
    from pilot.models import AnnualReport, ReportExport

    report = AnnualReport.objects.create(year=2026, created_by=clerk)
    from pilot.services import case_create, case_evidence_attach

    case = case_create(
        user=clerk, title_zh="样例案例", summary_zh="摘要", year=2026, department=clerk.department
    )
    case_evidence_attach(
        case=case, upload=SimpleUploadedFile("案例.txt", "佐证".encode()), user=clerk
    )
    return ReportExport.objects.create(
        report=report, format="xlsx", language="zh-hans", requested_by=clerk, status="done",
        content=b"PK", filename="a.xlsx", sha256="0" * 64,
    )  # fmt: skip


def _part_report_sample(clerk, item):
    """DRS's report on its (lead) part of work item 1.1, with an evidence file."""
    from django.utils import timezone

    from tasks.models import PartEvidence, PartReport

    report = PartReport.objects.create(
        part=item.parts.get(department__code="DRS"), period="2024Q1", progress="in_progress",
        narrative="推进中", submitted_by=clerk, submitted_at=timezone.now(),
    )  # fmt: skip
    evidence = PartEvidence.objects.create(
        report=report, file=SimpleUploadedFile("佐证.txt", "佐证".encode()), name="佐证.txt",
        kind="document", size=6, sha256="0" * 64, uploaded_by=clerk,
    )  # fmt: skip
    return report, evidence


def _enterprise_sample(drs):
    from accounts.models import User
    from enterprises.models import Enterprise, EnterpriseCertificate, RegisterUpload

    enterprise = Enterprise.objects.create(
        code="91350100M000100Y43", name="样例企业", industry="3985", supervising_department=drs
    )
    enterprise.upload = RegisterUpload.objects.create(
        sha256="0" * 64,
        filename="名录.csv",
        status="preview",
        table=[["code", "name", "industry", "department"]],
        created_by=User.objects.create_user(username="register.keeper", role="statistics_office"),
    )
    enterprise.certificate = EnterpriseCertificate.objects.create(
        enterprise=enterprise, kind="energy_audit", year=2024, recorded_by=enterprise.upload.created_by,
        file=SimpleUploadedFile("审计报告.txt", "能源审计".encode()), file_name="审计报告.txt",
    )  # fmt: skip
    enterprise.finding = _finding_sample(enterprise, drs)
    return enterprise


def _finding_sample(enterprise, drs):
    """A finding of a visit to the sample enterprise, its rectification reported done."""
    from enterprises.models import Finding, Visit

    visit = Visit.objects.create(
        enterprise=enterprise, visit_date="2024-03-01", inspectors="李明",
        recorded_by=enterprise.upload.created_by,
    )  # fmt: skip
    warning = EarlyWarning.objects.create(
        kind="finding", level="yellow", state="resolved", department=drs,
        dedupe_key=f"enterprise:{enterprise.code}:finding:sample", title_zh="整改事项",
        message_zh="二级计量缺失", response="已安排", rectification_plan="加装电表",
        due_date="2099-12-31", evidence="已安装",
    )  # fmt: skip
    return Finding.objects.create(
        visit=visit, description="二级计量缺失", requirement="加装电表", due_date="2099-12-31",
        warning=warning,
    )  # fmt: skip


def _project_sample(clerk, enterprise, drs):
    """A key project of DRS, registered without a review."""
    from projects.models import Project

    return Project.objects.create(
        code="P-1", name="样例项目", enterprise=enterprise, kind="new", department=drs,
        created_by=clerk,
    )  # fmt: skip


def _footprint_sample(clerk, enterprise):
    """A computed footprint study of a registered enterprise (the footprint pages' object)."""
    from footprints.models import Study

    return Study.objects.create(
        enterprise=enterprise, product_key="p", product_zh="样例产品", leading_industry="",
        declared_unit="1 个", reference_year=2024, prepared_by=clerk, total=1,
        by_stage={"raw_materials": "1", "production": "0", "transport": "0"},
    )  # fmt: skip


def _reports_samples(clerk, drs):
    """A finished report of a 2023 round, a stored result and a DRS draft figure."""
    from indicators.models import Indicator, IndicatorResult, StatisticalItem
    from reporting.models import ReportingRound
    from reports.models import ReportRequest

    reporting_round = ReportingRound.objects.create(period="2023", year=2023, deadline="2024-01-15")
    export = ReportRequest.objects.create(
        reporting_round=reporting_round, format="csv", language="zh-hans", requested_by=clerk,
        status="done", percent=100, content=b"\xef\xbb\xbfa\r\n", filename="r.csv",
    )  # fmt: skip
    result = IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code="energy_intensity_iva"), period="2024", year=2024
    )
    figure = Figure.objects.create(
        item=StatisticalItem.objects.get(code="coal_raw"), department=drs, period="2024Q1",
        year=2024, quarter=1, value=1, entered_by=clerk,
    )  # fmt: skip
    return export, result, figure


def _url(name: str, batch) -> str:
    sample = {
        "period": "2024Q1",
        "department_code": "DRS",
        "code": "DRS",
        "batch_id": batch.pk,
        "indicator_code": "energy_intensity_iva",
        "report_id": batch.report.pk,
        "pk": batch.warning.pk,
        "export_id": batch.export.pk,
        "result_id": batch.result.pk,
        "figure_id": batch.figure.pk,
        "credit_code": batch.enterprise.code,
        "upload_id": batch.enterprise.upload.pk,
        "file_id": batch.evidence.pk,
        "finding_id": batch.enterprise.finding.pk,
    }
    sample["department"] = "DRS"
    if name == "enterprises:evidence_file":
        sample["kind"], sample["pk"] = "certificate", batch.enterprise.certificate.pk
    if name in ("api:import-detail", "api:import-undo"):
        sample["pk"] = batch.pk
    elif name.startswith("api:work-item-"):
        sample["pk"] = batch.work_item.pk
    elif name.startswith("api:part-report-"):
        sample["pk"] = batch.part_report.pk
    elif name == "tasks:report_action":
        sample["pk"], sample["action"] = batch.part_report.pk, "approve"
    elif name == "tasks:evidence":
        sample["pk"] = batch.part_evidence.pk
    elif name.startswith("tasks:parts_import_"):
        sample["pk"] = batch.part_import.pk
    elif name == "tasks:part_report":
        sample["part_id"] = batch.part_report.part_id
    elif name == "tasks:verification_action":
        sample["item_id"], sample["action"] = batch.work_item.pk, "verify"
    elif name.startswith(("footprints:", "api:footprint-")):
        sample["pk"] = batch.footprint.pk
    elif name in (
        "projects:update_decide",
        "api:project-update-approve",
        "api:project-update-return",
    ):
        sample["pk"] = batch.project_update.pk
    elif name == "projects:export":
        sample["kind"] = "list"
    elif name.startswith(("projects:", "api:project-")):
        sample["pk"] = batch.project.pk
    sample["year"] = 2026
    if name.startswith("api:pilot-"):
        from pilot.models import Case

        sample["export_id"] = batch.pilot_export.pk
        sample["pk"] = Case.objects.get().pk if name == "api:pilot-case-detail" else 0
    if name.startswith("assessment:export_"):
        sample["export_id"] = batch.assessment_export.pk
    if name.startswith("pilot:"):
        from pilot.models import Case, CaseEvidence

        sample["export_id"] = batch.pilot_export.pk
        sample["pk"] = (CaseEvidence if name == "pilot:case_evidence" else Case).objects.get().pk
    sample["fmt"] = "xlsx"
    pattern = app_urls()[name]
    return reverse(name, kwargs={key: sample[key] for key in pattern.pattern.regex.groupindex})


def _as(request, client, persona):
    client.logout()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


@pytest.mark.parametrize("name", sorted(GET_MATRIX))
def test_get_matrix(request, client, drs_batch, name):
    url = _url(name, drs_batch)
    seen = []
    for persona in PERSONAS:
        _as(request, client, persona)
        seen.append(client.get(url).status_code)
    assert dict(zip(PERSONAS, seen, strict=True)) == dict(
        zip(PERSONAS, GET_MATRIX[name], strict=True)
    )


# The enterprise's energy manager (tests/conftest.py energy_manager: 德州锂能电池, not the
# sample enterprise): none of the park's pages or endpoints; its own enterprise's pages;
# every address naming another enterprise (the sample's code) is refused at the wall (403,
# audited). Every row of GET_MATRIX not listed here must refuse them: 403.
ENERGY_MANAGER_GET = {
    "home": 302,  # to their enterprise's page
    "login": 200,
    "logout": 405,
    "set_language": 302,
    "health": 200,
    "reporting:notifications": 200,  # their own notifications (returned, approved)
    "reporting:template": 403,
    "reporting:upload_confirm": 405,
    "reporting:upload_undo": 405,
    "tasks:part_report": 405,
    "tasks:report_action": 405,
    "tasks:verification_action": 405,
    "tasks:parts_import": 405,
    "tasks:parts_import_apply": 405,
    "projects:update_decide": 405,
    "api:enterprise-list": 200,  # their own enterprise only
    # Their own API tokens (a script reports their enterprise's quarter).
    "tokens": 200,
    "api:token-list": 200,
    "api:token-revoke": 405,
    "api:token-renew": 405,
    "api:enterprise-detail": 403,  # the sample enterprise: the wall
    "enterprises:profile": 403,  # the sample enterprise: the wall
    "enterprises:quarter": 403,
    "enterprises:evidence_file": 404,  # the sample enterprise's file (no code in the address)
    # The sample enterprise's finding, its quarter's upload pages: the wall (403, audited).
    "enterprises:finding": 403,
    "enterprises:quarter_template": 403,
    "enterprises:quarter_upload": 403,
    "enterprises:quarter_upload_preview": 403,
    # Footprints: their own enterprise's studies (the sample study is another's: 404, audited).
    "footprints:index": 200,
    "footprints:factors": 200,
    "footprints:study_new": 200,
    "footprints:study": 404,
    "footprints:study_template": 404,
    "footprints:study_export": 404,
    "footprints:study_import": 404,
    "api:footprint-list": 200,
    "api:footprint-detail": 404,
    # The public page is everyone's.
    "pilot:public": 200,
    "pilot:public_data": 200,
    "api:pilot-public": 200,
}
# Their writes answered otherwise than 403: the sample study is another enterprise's (404),
# and a new study of their own enterprise is theirs to make (this body lacks its product).
ENERGY_MANAGER_POST = {"footprints:study": 404, "footprints:study_import": 404,
                       "footprints:study_new": 200}  # fmt: skip
# Their own API token is theirs to create (the key is shown once).
ENERGY_MANAGER_POST.update({"api:token-list": 201, "tokens": 200})
ENERGY_MANAGER_WRITES = {"api:token-list", "tokens"}  # their effect: the audited new token


def test_energy_manager_rows_are_pages_of_the_product():
    assert set(ENERGY_MANAGER_GET) <= set(GET_MATRIX)


@pytest.mark.parametrize("name", sorted(GET_MATRIX))
def test_get_matrix_energy_manager(request, client, drs_batch, name):
    _as(request, client, "energy_manager")
    assert client.get(_url(name, drs_batch)).status_code == ENERGY_MANAGER_GET.get(name, 403)


# State-changing requests: who is refused, and that a refusal changes nothing.
POST_ALLOWED = {
    # A case is proposed by unit staff or the committee; the committee moves it on.
    "pilot:cases": {"clerk", "other_clerk", "head", "committee_member", "administrator"},
    "pilot:case": {"committee_member", "administrator"},
    "pilot:publishing": {"committee_member", "administrator"},
    "reporting:entry": {"clerk", "head"},  # DRS's own form (the ECO clerk posts to ECO's)
    "reporting:review": {"head", "administrator"},
    "reporting:board": {"statistics_office", "administrator"},
    # Department staff post to their own department's upload (ECO's for the ECO clerk).
    "reporting:upload": {"clerk", "other_clerk", "head", "administrator"},
    "reporting:upload_confirm": {"clerk", "head", "administrator"},
    "reporting:upload_undo": {"clerk", "head", "administrator"},
    "api:import-create": {"statistics_office", "administrator"},
    # API v1 writes: DRS's drafts, period 2024Q1 and the DRS warning, as on the pages.
    "api:figure-list": {"clerk", "head", "administrator"},
    "api:department-period-submit": {"clerk", "head", "administrator"},
    "api:department-period-approve": {"head", "administrator"},
    "api:department-period-return": {"head", "administrator"},
    "api:department-period-unlock": {"statistics_office", "administrator"},
    "api:round-list": {"statistics_office", "administrator"},
    "api:import-undo": {"clerk", "head", "administrator"},
    "api:progress-report-list": {"clerk", "head", "administrator"},
    "api:warning-acknowledge": {"clerk", "head", "administrator"},
    "api:warning-resolve": {"clerk", "head", "administrator"},
    "api:warning-close": {"committee_member", "administrator"},
    "api:warning-sign-off": {"head", "administrator"},
    "api:token-list": {p for p in PERSONAS if p not in ("anonymous", "outsider")},
    "tokens": {p for p in PERSONAS if p not in ("anonymous", "outsider")},
    "api:notification-mark-read": {p for p in PERSONAS if p not in ("anonymous", "outsider")},
    # The lead department of the tasks (DRS leads task 1) updates work items and reports.
    "dashboards:plan_board": {"clerk", "head", "administrator"},
    "dashboards:warning_detail": {"clerk", "head", "committee_member", "administrator"},
    "reports:index": {"committee_member", "statistics_office", "auditor", "administrator"},
    "api:report-list": {"committee_member", "statistics_office", "auditor", "administrator"},
    "footprints:factors": {"statistics_office", "administrator"},
    "footprints:index": {"statistics_office", "administrator"},
    "footprints:study_new": {"other_clerk", "statistics_office", "administrator"},
    "footprints:study": {"other_clerk", "statistics_office", "administrator"},
    "footprints:study_import": {"other_clerk", "statistics_office", "administrator"},
    "enterprises:register": {"statistics_office", "administrator"},
    "enterprises:upload": {"statistics_office", "administrator"},
    # The enterprise's supervising department (DRS) keeps its plan, visits, certificates.
    "enterprises:plan": {"clerk", "head", "administrator"},
    "enterprises:visits": {"clerk", "head", "administrator"},
    # Verifying and closing a rectified finding: the supervising head, the committee, admins.
    "enterprises:finding": {"head", "committee_member", "administrator"},
    "enterprises:certificates": {"clerk", "head", "administrator"},
    "enterprises:counters": {"statistics_office", "administrator"},
    "enterprises:benchmarks": {"statistics_office", "administrator"},
    "enterprises:suggestions": {"statistics_office", "administrator"},
    "api:enterprise-measures": {"clerk", "head", "administrator"},
    "api:enterprise-visits": {"clerk", "head", "administrator"},
    "api:enterprise-certificates": {"clerk", "head", "administrator"},
    "api:enterprise-measure-progress": {"clerk", "head", "administrator"},
    "projects:new": {"clerk", "head", "statistics_office", "administrator"},
    "projects:edit": {"clerk", "head", "statistics_office", "administrator"},
    "projects:stage": {"clerk", "head", "statistics_office", "administrator"},
    "projects:review": {"clerk", "head", "statistics_office", "administrator"},
    "projects:assessment": {"clerk", "head", "statistics_office", "administrator"},
    "projects:update": {"clerk", "head", "administrator"},
    "projects:update_decide": {"head", "administrator"},
    "api:project-list": {"clerk", "head", "statistics_office", "administrator"},
    "api:project-stages": {"clerk", "head", "statistics_office", "administrator"},
    "api:project-reviews": {"clerk", "head", "statistics_office", "administrator"},
    "api:project-assessments": {"clerk", "head", "statistics_office", "administrator"},
    "api:project-updates": {"clerk", "head", "administrator"},
    "api:project-update-approve": {"head", "administrator"},
    "api:project-update-return": {"head", "administrator"},
    # The admission check of proposed projects computes only: whoever reads the projects.
    "api:project-what-if": {
        "clerk",
        "head",
        "committee_member",
        "statistics_office",
        "auditor",
        "administrator",
    },
    # DRS's part of 1.1: its staff report it, its head (not the submitter) approves it; the
    # committee verifies.
    "tasks:part_report": {"clerk", "head"},
    "tasks:report_action": {"head"},
    "tasks:verification_action": {"committee_member", "administrator"},
    "tasks:parts_import": {"clerk", "other_clerk", "head"},
    "tasks:parts_import_apply": {"clerk"},
    "api:enterprise-list": {"statistics_office", "administrator"},
    "api:enterprise-designation": {"statistics_office", "administrator"},
    "assessment:ranking": {"committee_member", "administrator"},
    "assessment:unit": {"clerk", "head"},
    "assessment:scheme": {"statistics_office", "administrator"},
    # Exporting the ranking: whoever reads it (the job's file is theirs to download).
    "assessment:export": {"committee_member", "statistics_office", "auditor", "administrator"},
    "budgets:draft": {"clerk", "head", "statistics_office", "administrator"},
    "budgets:approve": {"committee_member"},
    # The sample enterprise's quarter: only its energy manager (none here) and administrators
    # enter figures; the DRS head reviews a submitted quarter only.
    "enterprises:quarter": {"administrator"},
    "enterprises:quarter_upload": {"administrator"},
    "enterprises:quarter_upload_preview": {"administrator"},
    # The same through the API: drafts and submission by its energy manager (none here) and
    # administrators; approve and return by the DRS head (and administrators).
    "api:enterprise-quarter": {"administrator"},
    "api:enterprise-quarter-submit": {"administrator"},
    "api:enterprise-quarter-approve": {"head", "administrator"},
    "api:enterprise-quarter-return": {"head", "administrator"},
    "api:enterprise-quarter-correction": {"administrator"},
    "api:enterprise-quarter-reopen": {"head", "administrator"},
    # Product output: the supervising department (DRS), the statistics office, administrators
    # (and the enterprise's energy manager, none here); imports also other departments' staff
    # (their rows of enterprises they do not supervise are refused row by row).
    "enterprises:products": {"clerk", "head", "statistics_office", "administrator"},
    "enterprises:products_import": {
        "clerk",
        "other_clerk",
        "head",
        "statistics_office",
        "administrator",
    },
    "api:enterprise-products": {"clerk", "head", "statistics_office", "administrator"},
    "api:product-output-import": {
        "clerk",
        "other_clerk",
        "head",
        "statistics_office",
        "administrator",
    },
    "pilot:index": {"committee_member", "administrator"},  # opening a year's workspace
    "pilot:report": {"committee_member", "administrator"},  # freezing it
    # The pilot's API: a section's unit staff write and submit it, the committee decides;
    # exporters ask for the frozen report's files.
    "api:pilot-section-save": {"clerk", "other_clerk", "head", "administrator"},
    "api:pilot-section-submit": {"clerk", "other_clerk", "head", "administrator"},
    "api:pilot-section-approve": {"committee_member", "administrator"},
    "api:pilot-section-return": {"committee_member", "administrator"},
    "api:pilot-section-reassign": {"committee_member", "administrator"},
    "api:pilot-report-submission": {"committee_member", "administrator"},
    "api:pilot-report-feedback": {"committee_member", "administrator"},
    "api:pilot-export-list": {"committee_member", "statistics_office", "auditor", "administrator"},
}
POST_BODIES = {
    "api:pilot-section-save": {"narrative": "说明"},
    "api:pilot-section-submit": {},
    "api:pilot-section-approve": {},
    "api:pilot-section-return": {"comment": "请补充"},
    "api:pilot-section-reassign": {"owner": "ECO", "reason": "分工调整"},
    "api:pilot-report-submission": {
        "submitted_on": "2026-01-20",
        "authority": "山东省发展和改革委员会",
        "document_no": "德经开管发〔2026〕3号",
    },
    "api:pilot-report-feedback": {"text": "补充典型案例佐证", "department": "DRS"},
    "api:pilot-export-list": {"year": 2026, "format": "docx", "language": "zh-hans"},
    "pilot:cases": {"title_zh": "案例", "summary_zh": "摘要", "year": "2026"},
    "pilot:case": {"action": "status", "status": "submitted"},
    "pilot:publishing": {"kind": "case", "object_id": "1", "action": "publish"},
    "assessment:ranking": {
        "action": "adjust",
        "department": "DRS",
        "points": "1",
        "reason": "理由",
    },
    "assessment:unit": {"text": "情况说明"},
    "assessment:export": {},
    "assessment:scheme": {"year": "2026", "weight_targets": "40", "document_no": "文号"},
    "reporting:entry": {"action": "save", "value_coal_raw": "5"},
    "reporting:review": {"action": "return", "comment": "请核对"},
    "reporting:board": {"department": "DRS", "reason": "更正", "hours": "2"},
    "reporting:upload": {},
    "reporting:upload_confirm": {},
    "reporting:upload_undo": {},
    "api:import-create": {"rows": [{"period": "2024Q1", "item": "coal_raw", "value": "1"}]},
    "api:figure-list": {
        "department": "DRS",
        "period": "2024Q1",
        "entries": [{"item": "coal_raw", "value": "5"}],
    },
    "api:department-period-submit": {},
    "api:department-period-approve": {"comment": "同意"},
    "api:department-period-return": {"comment": "请核对"},
    "api:department-period-unlock": {"reason": "更正", "hours": 2},
    "api:round-list": {"period": "2024Q1"},
    "api:import-undo": {},
    "api:progress-report-list": {"task": "1", "period": "2024Q1", "text": "进展"},
    "api:warning-acknowledge": {
        "response": "说明",
        "rectification_plan": "措施",
        "due_date": "2099-01-01",
    },
    "api:warning-resolve": {"evidence": "佐证"},
    "api:warning-close": {"comment": "同意"},
    "api:warning-sign-off": {"decision": "sign_off"},
    "api:token-list": {"name": "脚本"},
    "tokens": {"action": "create", "name": "脚本"},
    "api:notification-mark-read": {},
    "dashboards:plan_board": {"action": "report", "period": "2024Q1", "text": "进展"},  # + task
    "reports:index": {"format": "csv", "language": "zh-hans"},
    "api:report-list": {"period": "2023", "format": "csv"},
    "footprints:factors": {"key": "x", "value": "1", "unit": "kgCO₂e/kg", "year": "2024"},
    "footprints:index": {"counter": "certified_products", "year": "2026", "value": "3"},
    "footprints:study_new": {"product_zh": "产品"},
    "footprints:study": {"action": "submit"},
    "footprints:study_import": {},
    "enterprises:register": {},
    "enterprises:upload": {},
    "enterprises:plan": {
        "title": "措施",
        "owner": "王工",
        "start_quarter": "2026Q1",
        "due_quarter": "2026Q4",
        "savings_tce": "1",
        "savings_tco2": "2",
        "investment": "3",
    },
    "enterprises:visits": {"visit_date": "2026-01-05", "inspectors": "李明"},
    "enterprises:finding": {"action": "close", "comment": "已核实"},
    "enterprises:certificates": {"kind": "energy_audit", "year": "2026"},
    "enterprises:counters": {
        "counter": "green_factory",
        "year": "2026",
        "value": "3",
        "reason": "计划",
        "document_no": "1号",
    },
    "enterprises:benchmarks": {
        "industry": "26",
        "metric": "per_value_added",
        "unit": "tce/万元",
        "advanced": "0.1",
        "baseline": "0.2",
        "year": "2026",
        "source": "标准",
    },
    "enterprises:suggestions": {"decision": "dismiss", "reason": "理由"},
    "api:enterprise-measures": {
        "title": "措施",
        "owner": "王工",
        "start_quarter": "2026Q1",
        "due_quarter": "2026Q4",
        "savings_tce": "1",
        "savings_tco2": "2",
        "investment": "3",
    },
    "api:enterprise-visits": {"visit_date": "2026-01-05", "inspectors": "李明"},
    "api:enterprise-certificates": {"kind": "energy_audit", "year": 2026},
    "api:enterprise-measure-progress": {
        "measure": 1,
        "period": "2026Q1",
        "state": "done",
        "note": "完成",
    },
    "projects:new": {"code": "X-9", "name": "项目"},
    "projects:edit": {"name": "改名", "reason": "调整"},
    "projects:stage": {"stage": "approved", "actual_date": "2024-01-01"},
    "projects:review": {"year": "2024", "carrier": ["coal_raw"], "quantity": ["1"], "unit": [""]},
    "projects:assessment": {"year": "2024", "carrier": ["coal_raw"], "quantity": ["1"]},
    "projects:update": {"period": "2024Q1", "stage": "approved"},
    "projects:update_decide": {"action": "approve"},
    "api:project-list": {
        "code": "X-9",
        "name": "项目",
        "enterprise": "91350100M000100Y43",
        "kind": "new",
        "department": "DRS",
    },
    "api:project-stages": {"stage": "approved", "actual_date": "2024-01-01"},
    "api:project-reviews": {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "1"}]},
    "api:project-assessments": {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "1"}]},
    "api:project-updates": {"period": "2024Q1", "stage": "approved"},
    "api:project-update-approve": {},
    "api:project-update-return": {"comment": "请补充"},
    "api:project-what-if": {"proposed": [{"energy_tce": "1", "value_added": "2"}]},
    "tasks:part_report": {"period": "2024Q1", "progress": "in_progress", "narrative": "推进中"},
    "tasks:report_action": {},
    "tasks:verification_action": {"comment": "同意"},
    "tasks:parts_import": {},
    "tasks:parts_import_apply": {},
    "api:enterprise-list": {
        "code": "91110000600037341L",
        "name": "新企业",
        "industry": "2614",
        "department": "DRS",
    },
    "api:enterprise-designation": {
        "designated": True,
        "basis": "threshold_10000",
        "year": 2025,
        "reason": "超过门槛",
    },
    "budgets:draft": {"year": "2026", "basis": "calorific", "energy_tce": "1", "co2_t": "1"},
    "budgets:approve": {"version": "1", "reason": "同意", "document_no": "德经管字〔2026〕1号"},
    "enterprises:quarter": {"action": "save", "value_coal_raw": "5"},
    "enterprises:quarter_upload": {},
    "enterprises:quarter_upload_preview": {},
    "api:enterprise-quarter": {"entries": [{"item": "coal_raw", "value": "5"}]},
    "api:enterprise-quarter-submit": {},
    "api:enterprise-quarter-approve": {"comment": "同意"},
    "api:enterprise-quarter-return": {"comment": "请核对"},
    "api:enterprise-quarter-correction": {"reason": "漏计"},
    "api:enterprise-quarter-reopen": {"reason": "准予更正"},
    "enterprises:products": {"year": "2024", "product": "电芯", "quantity": "1", "unit": "t"},
    "enterprises:products_import": {},
    "api:enterprise-products": {"year": 2024, "product": "电芯", "quantity": "1", "unit": "t"},
    "api:product-output-import": {
        "rows": [{"code": "x", "year": "2024", "product": "电芯", "quantity": "1", "unit": "t"}]
    },
    "pilot:index": {"year": "2030"},
    "pilot:report": {"action": "freeze"},
    "dashboards:warning_detail": {
        "action": "acknowledge",
        "response": "说明",
        "rectification_plan": "措施",
        "due_date": "2099-01-01",
    },
}


def _footprint():
    from budgets.models import Budget
    from enterprises.models import (
        Benchmark,
        CertificateCountTarget,
        Enterprise,
        EnterpriseCertificate,
        KeyUnitDesignation,
        Measure,
        RegisterUpload,
        Visit,
    )

    return (
        Enterprise.objects.count(),
        KeyUnitDesignation.objects.count(),
        Measure.objects.count(),
        Visit.objects.count(),
        EnterpriseCertificate.objects.count(),
        CertificateCountTarget.objects.count(),
        Benchmark.objects.count(),
        _product_outputs(),
        list(RegisterUpload.objects.values_list("pk", "status").order_by("pk")),
        Figure.objects.count(),
        # A refused attempt on an enterprise is itself audited (that is the point of it).
        AuditEvent.objects.exclude(
            action__in=["login", "import_file_refused", "enterprise_access_refused"]
        ).count(),
        list(Budget.objects.values_list("pk", "state").order_by("pk")),
        list(EarlyWarning.objects.values_list("pk", "state").order_by("pk")),
        *_project_footprint(),
    )


def _project_footprint():
    from projects.models import CarbonAssessment, EnergyReview, Project, ProjectUpdate, StageEvent

    return (
        list(Project.objects.values_list("pk", "stage", "name").order_by("pk")),
        StageEvent.objects.count(),
        EnergyReview.objects.count(),
        CarbonAssessment.objects.count(),
        list(ProjectUpdate.objects.values_list("pk", "state").order_by("pk")),
    )


def _product_outputs():
    from enterprises.models import ProductOutput

    return list(ProductOutput.objects.values_list("pk", "quantity").order_by("pk"))


ENTERPRISE_WORK_PAGES = {
    "enterprises:plan",
    "enterprises:visits",
    "enterprises:finding",
    "enterprises:certificates",
    "api:enterprise-measures",
    "api:enterprise-visits",
    "api:enterprise-certificates",
    "api:enterprise-measure-progress",
    "api:enterprise-quarter",
    "api:enterprise-quarter-submit",
    "api:enterprise-quarter-approve",
    "api:enterprise-quarter-return",
    "api:enterprise-quarter-correction",
    "api:enterprise-quarter-reopen",
    "enterprises:products",
    "api:enterprise-products",
}


# Every signed-in persona a write refuses. The allowed ones are not generated (rather than
# skipped): their effects are tested with each page and endpoint. The entry form's URL is
# the user's own department's, so the ECO clerk posting to it writes ECO's form: allowed.
REFUSED_POSTS = [
    (name, persona)
    for name in sorted(POST_ALLOWED)
    for persona in PERSONAS
    if persona != "anonymous"
    and persona not in POST_ALLOWED[name]
    and not (name == "reporting:entry" and persona == "other_clerk")
    # Another department's enterprise answers 404 (tests/test_enterprise_work.py).
    and not (name in ENTERPRISE_WORK_PAGES and persona == "other_clerk")
]


@pytest.mark.parametrize(("name", "persona"), REFUSED_POSTS)
def test_post_refusals_change_nothing(request, client, drs_batch, name, persona):
    url = _url(name, drs_batch)
    _as(request, client, persona)
    before = _footprint()
    body = dict(POST_BODIES[name])
    if name == "dashboards:plan_board":
        body["task"] = drs_batch.work_item.task_id
    if name.startswith("api:"):
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, body)
    assert response.status_code == 403
    assert _footprint() == before


@pytest.mark.parametrize("name", sorted(POST_ALLOWED))
def test_energy_manager_posts_are_refused(request, client, drs_batch, name):
    """Every write of the park refuses an enterprise's energy manager, nothing written (an
    attempt on another enterprise is audited: that is the one event it leaves)."""
    url = _url(name, drs_batch)
    _as(request, client, "energy_manager")
    attempts = AuditEvent.objects.filter(action="enterprise_access_refused")
    before, attempts_before = _footprint(), attempts.count()
    body = dict(POST_BODIES[name])
    if name == "dashboards:plan_board":
        body["item"] = drs_batch.work_item.pk
    if name.startswith("api:"):
        response = client.post(url, body, content_type="application/json")
    else:
        response = client.post(url, body)
    assert response.status_code == ENERGY_MANAGER_POST.get(name, 403)
    if name not in ENERGY_MANAGER_WRITES:
        assert _footprint() == before
    if drs_batch.enterprise.code in url or response.status_code == 404:  # an attempt
        assert attempts.count() == attempts_before + 1


@pytest.mark.parametrize("name", sorted(POST_ALLOWED))
def test_anonymous_posts_are_refused(client, drs_batch, name):
    url = _url(name, drs_batch)
    before = _footprint()
    if name.startswith("api:"):
        response = client.post(url, POST_BODIES[name], content_type="application/json")
        assert response.status_code == 403
    else:
        response = client.post(url, POST_BODIES[name])
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert _footprint() == before
