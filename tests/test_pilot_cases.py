"""The case library (典型经验做法, issue 20 item 5): cases linked to tasks, projects and
enterprises with a summary and evidence files, proposed by unit staff and moved on by the
committee (candidate → submitted → selected by the province or the nation, with 文号),
every step audited, and the year's cases in the annual report."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from pilot import rendering, selectors, services
from pilot.models import Case, CaseEvidence
from projects.models import Project
from tasks.models import Department, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def enterprise(clerk):
    from enterprises.models import Enterprise

    return Enterprise.objects.create(
        code="91350100M000100Y43", name="德州光伏科技", industry="3985",
        supervising_department=clerk.department,
    )  # fmt: skip


def _case(clerk, **extra) -> Case:
    return services.case_create(
        user=clerk,
        title_zh="园区绿电直供",
        summary_zh="分布式光伏与储能直供园区企业，年替代外购电 1200 万千瓦时。",
        year=2026,
        department=clerk.department,
        tasks=Task.objects.filter(code__in=["1", "P1"]),
        **extra,
    )


def test_unit_staff_propose_a_linked_case_and_others_cannot(
    clerk, other_clerk, statistics_office, outsider
):
    case = _case(clerk)
    assert (case.status, case.department.code) == ("candidate", "DRS")
    assert sorted(case.tasks.values_list("code", flat=True)) == ["1", "P1"]
    event = AuditEvent.objects.get(action="pilot_case_create")
    assert event.details["tasks"] == ["1", "P1"]
    for person in (statistics_office, outsider):
        with pytest.raises(PermissionRefused):
            _case(person)
    with pytest.raises(PermissionRefused):  # not in another unit's name
        services.case_create(
            user=other_clerk, title_zh="x", summary_zh="y", year=2026,
            department=Department.objects.get(code="DRS"),
        )  # fmt: skip
    with pytest.raises(ApplicationError):
        services.case_create(user=clerk, title_zh=" ", summary_zh="y", year=2026, department=None)
    assert Case.objects.count() == 1


def test_a_case_links_projects_and_enterprises(clerk, enterprise):
    project = Project.objects.create(
        code="P-9", name="光伏项目", enterprise=enterprise, kind="new",
        department=clerk.department, created_by=clerk,
    )  # fmt: skip
    case = _case(clerk, projects=[project], enterprises=[enterprise])
    row = selectors._cases(2026)[0]
    assert (row["projects"], row["enterprises"]) == (["P-9"], [enterprise.name])
    assert row["id"] == case.pk


def test_evidence_is_checked_by_content_and_downloads_are_audited(clerk, other_clerk, media):
    case = _case(clerk)
    evidence = services.case_evidence_attach(
        case=case, upload=SimpleUploadedFile("验收单.txt", "并网验收".encode()), user=clerk
    )
    assert evidence.sha256
    assert evidence.kind == "document"
    with pytest.raises(ApplicationError):
        services.case_evidence_attach(
            case=case, upload=SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 10), user=clerk
        )
    with pytest.raises(PermissionRefused):  # ECO's clerk does not attach to DRS's case
        services.case_evidence_attach(
            case=case, upload=SimpleUploadedFile("a.txt", b"abc"), user=other_clerk
        )
    assert CaseEvidence.objects.count() == 1
    client = Client()
    client.force_login(other_clerk)
    response = client.get(reverse("pilot:case_evidence", kwargs={"pk": evidence.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == "并网验收".encode()
    assert AuditEvent.objects.filter(action="pilot_case_evidence_download").count() == 1


def test_the_committee_moves_a_case_to_selection_with_its_document_number(
    clerk, head, committee_member
):
    case = _case(clerk)
    with pytest.raises(PermissionRefused):
        services.case_decide(case=case, status="submitted", user=head)
    with pytest.raises(ConflictError):  # a candidate is not selected before it is submitted
        services.case_decide(case=case, status="province", user=committee_member, document_no="x")
    services.case_decide(case=case, status="submitted", user=committee_member)
    with pytest.raises(ApplicationError):  # a selection needs its 文号
        services.case_decide(case=case, status="province", user=committee_member)
    services.case_decide(
        case=case, status="province", user=committee_member, document_no="鲁发改环资〔2026〕9号"
    )
    case.refresh_from_db()
    assert (case.status, case.document_no) == ("province", "鲁发改环资〔2026〕9号")
    assert list(
        AuditEvent.objects.filter(action="pilot_case_status")
        .order_by("pk")
        .values_list("old_value", "new_value")
    ) == [("candidate", "submitted"), ("submitted", "province")]


def test_the_years_cases_come_out_in_the_annual_report(clerk, committee_member):
    from docx import Document

    case = _case(clerk)
    services.case_decide(case=case, status="submitted", user=committee_member)
    report = services.annual_report_open(year=2026, user=committee_member)
    document = selectors.pilot_document(report)
    document["frozen_at"] = "2026-12-31T12:00:00+08:00"
    assert [c["title_zh"] for c in document["cases"]] == ["园区绿电直供"]
    content = rendering.render_docx(document, language="zh-hans", progress=lambda p: None)
    cells = [c.text for t in Document(io.BytesIO(content)).tables for r in t.rows for c in r.cells]
    assert "园区绿电直供" in cells
    assert "已推荐报送" in cells
    english = rendering.render_docx(document, language="en", progress=lambda p: None)
    words = [c.text for t in Document(io.BytesIO(english)).tables for r in t.rows for c in r.cells]
    assert "Submitted" in " ".join(words) or "submitted" in " ".join(words).lower()


def test_the_pages_propose_and_show_a_case(clerk, committee_member, media):
    client = Client()
    client.force_login(clerk)
    response = client.post(
        reverse("pilot:cases"),
        {"title_zh": "页面案例", "summary_zh": "摘要", "year": "2026",
         "tasks": [Task.objects.get(code="1").pk]},
    )  # fmt: skip
    case = Case.objects.get()
    assert response["Location"] == reverse("pilot:case", kwargs={"pk": case.pk})
    assert case.department.code == "DRS"
    page = client.get(reverse("pilot:case", kwargs={"pk": case.pk})).content.decode()
    assert "页面案例" in page
    assert "候选" in page
    listing = client.get(reverse("pilot:cases")).content.decode()
    assert "页面案例" in listing
    refused = client.post(
        reverse("pilot:case", kwargs={"pk": case.pk}), {"action": "status", "status": "submitted"}
    )
    assert refused.status_code == 403
