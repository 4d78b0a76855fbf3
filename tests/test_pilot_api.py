"""The pilot's API (pilot/api.py): workspaces and sections read, a section saved, submitted
and approved through the same services as the page (four eyes, versions, the owning unit),
the frozen report's exports asked for, polled and downloaded byte for byte, the case
library, the committee's publications and the public data — anonymous, published items
only, whatever the search words. Refusals carry zh/en messages and write nothing."""

import hashlib

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from pilot import services
from pilot.models import Case, Publication, ReportExport, ReportSection, SectionVersion

pytestmark = pytest.mark.django_db

API = "/api/v1/pilot"


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def workspace(committee_member):
    return services.annual_report_open(year=2025, user=committee_member)


def _section(report, key="problems") -> ReportSection:
    return report.sections.get(key=key)


def _refused(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["message_zh"]
    assert body["message_en"]
    if code:
        assert body["code"] == code
    return body


def test_the_workspaces_and_a_year_read_with_sections_versions_and_the_document(
    workspace, clerk, auditor
):
    services.section_save(section=_section(workspace), narrative="初稿", user=clerk)
    listed = _api(auditor).get(f"{API}/reports/").json()["results"]
    assert listed == [
        {
            "year": 2025, "frozen_at": None, "frozen_by": None, "content_sha256": "",
            "submitted_on": None, "receiving_authority": "", "document_no": "",
            "sections_approved": 0, "sections_total": 7,
        }
    ]  # fmt: skip
    detail = _api(auditor).get(f"{API}/reports/2025/").json()
    keys = [(s["key"], s["owner"], s["state"]) for s in detail["sections"]]
    assert keys[3] == ("innovations", "ECO", "draft")
    problems = next(s for s in detail["sections"] if s["key"] == "problems")
    assert (problems["narrative"], problems["version"], problems["title_en"]) == (
        "初稿",
        1,
        "Problems",
    )
    assert detail["document"]["year"] == 2025  # the precomputed workspace document
    assert detail["workspace_built_at"] is not None
    assert _api(auditor).get(f"{API}/reports/2024/").status_code == 404


def test_a_section_goes_through_the_services_four_eyes_and_versions(
    workspace, clerk, other_clerk, head, committee_member, administrator
):
    section = _section(workspace)
    url = f"{API}/sections/{section.pk}"
    events = AuditEvent.objects.count()
    # Another unit's staff get past the door and are refused by the service.
    _refused(_api(other_clerk).post(f"{url}/save/", {"narrative": "越权"}), 403, "forbidden")
    saved = _api(clerk).post(f"{url}/save/", {"narrative": "第一稿", "version": 0}).json()
    assert (saved["narrative"], saved["version"]) == ("第一稿", 1)
    _refused(  # written on version 0 while version 1 exists: refused, nothing written
        _api(head).post(f"{url}/save/", {"narrative": "覆盖", "version": 0}), 409, "stale_version"
    )
    assert (
        _api(clerk).post(f"{url}/save/", {"narrative": "第二稿", "version": 1}).json()["version"]
        == 2
    )
    versions = _api(committee_member).get(f"{url}/versions/").json()["results"]
    assert [(v["number"], v["narrative"]) for v in versions] == [(2, "第二稿"), (1, "第一稿")]
    assert _api(clerk).post(f"{url}/submit/").json()["state"] == "submitted"
    _refused(_api(head).post(f"{url}/approve/"), 403)  # a department head is not the committee
    _refused(_api(committee_member).post(f"{url}/return/", {"comment": " "}), 400)
    approved = _api(committee_member).post(f"{url}/approve/").json()
    assert (approved["state"], approved["approved_by"]) == ("approved", committee_member.username)
    assert AuditEvent.objects.count() == events + 4  # two saves, the submit, the approval
    # Four eyes: the administrator who submitted a section does not approve it.
    measures = _section(workspace, "measures")
    murl = f"{API}/sections/{measures.pk}"
    _api(administrator).post(f"{murl}/save/", {"narrative": "举措"})
    _api(administrator).post(f"{murl}/submit/")
    _refused(_api(administrator).post(f"{murl}/approve/"), 403)
    measures.refresh_from_db()
    assert measures.state == "submitted"


def test_the_committee_reassigns_a_section_with_a_reason(
    workspace, committee_member, clerk, other_clerk
):
    from pilot.models import OwnerChange

    section = _section(workspace)
    url = f"{API}/sections/{section.pk}/reassign/"
    _refused(_api(clerk).post(url, {"owner": "ECO", "reason": "调整"}), 403)
    _refused(_api(committee_member).post(url, {"owner": "ECO", "reason": " "}), 400)
    _refused(_api(committee_member).post(url, {"owner": "NOPE", "reason": "调整"}), 400, "owner")
    assert not OwnerChange.objects.exists()
    moved = _api(committee_member).post(url, {"owner": "ECO", "reason": "改由生态环境分局撰写"})
    assert moved.json()["owner"] == "ECO"
    event = AuditEvent.objects.get(action="pilot_section_reassign")
    assert (event.old_value, event.new_value, event.reason) == (
        "DRS",
        "ECO",
        "改由生态环境分局撰写",
    )
    _refused(_api(clerk).post(f"{API}/sections/{section.pk}/save/", {"narrative": "越权"}), 403)
    saved = _api(other_clerk).post(f"{API}/sections/{section.pk}/save/", {"narrative": "生态"})
    assert saved.json()["version"] == 1


def test_bad_section_input_is_refused_and_nothing_is_written(workspace, clerk):
    section = _section(workspace)
    url = f"{API}/sections/{section.pk}/save/"
    for body in ({}, {"narrative": "x", "version": -1}, {"narrative": "x" * 20_001}):
        _refused(_api(clerk).post(url, body, format="json"), 400)
    assert not SectionVersion.objects.exists()
    _refused(_api(clerk).post(f"{API}/sections/{section.pk}/submit/"), 400, "empty")
    section.refresh_from_db()
    assert section.state == "draft"


def _frozen(report, committee_member, clerk, other_clerk):
    for section in report.sections.all():
        writer = other_clerk if section.owner.code == "ECO" else clerk
        services.section_save(section=section, narrative=f"{section.key} 说明", user=writer)
        services.section_submit(section=section, user=writer)
        services.section_decide(section=section, approve=True, comment="", user=committee_member)
    return services.annual_report_freeze(report=report, user=committee_member)


def test_the_frozen_report_is_exported_polled_and_downloaded(
    workspace, committee_member, clerk, other_clerk, auditor, django_capture_on_commit_callbacks
):
    body = {"year": 2025, "format": "docx", "language": "zh-hans"}
    _refused(_api(auditor).post(f"{API}/exports/", body), 409, "not_frozen")
    _refused(_api(clerk).post(f"{API}/exports/", body), 403)
    _refused(_api(auditor).post(f"{API}/exports/", {**body, "format": "doc"}), 400)
    assert not ReportExport.objects.exists()
    report = _frozen(workspace, committee_member, clerk, other_clerk)
    with django_capture_on_commit_callbacks(execute=True):  # the job queued after commit
        asked = _api(auditor).post(f"{API}/exports/", body)
    assert asked.status_code == 202
    export_id = asked.json()["id"]
    polled = _api(auditor).get(f"{API}/exports/{export_id}/").json()
    assert polled["status"] == "done"
    assert polled["content_sha256"] == report.content_sha256
    download = _api(auditor).get(polled["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download)).hexdigest() == polled["sha256"]
    assert AuditEvent.objects.filter(action="pilot_export_download").count() == 1
    detail = _api(auditor).get(f"{API}/reports/2025/").json()
    assert detail["content_sha256"] == report.content_sha256
    assert detail["document"]["frozen_at"]  # the frozen document itself


def test_the_submission_and_feedback_are_recorded_through_the_api(
    workspace, committee_member, clerk, other_clerk, auditor
):
    from dashboards.models import EarlyWarning

    submission = {
        "submitted_on": "2026-01-20",
        "authority": "山东省发展和改革委员会",
        "document_no": "德经开管发〔2026〕3号",
    }
    url = f"{API}/reports/2025"
    _refused(_api(committee_member).post(f"{url}/submission/", submission), 409, "not_frozen")
    _frozen(workspace, committee_member, clerk, other_clerk)
    _refused(_api(auditor).post(f"{url}/submission/", submission), 403)
    _refused(
        _api(committee_member).post(f"{url}/submission/", {**submission, "authority": ""}), 400
    )
    feedback = {"text": "典型案例佐证材料不足", "department": "DRS"}
    _refused(_api(committee_member).post(f"{url}/feedback/", feedback), 409, "not_submitted")
    recorded = _api(committee_member).post(f"{url}/submission/", submission).json()
    assert (recorded["submitted_on"], recorded["document_no"]) == (
        "2026-01-20",
        "德经开管发〔2026〕3号",
    )
    _refused(  # recorded once, never overwritten
        _api(committee_member).post(f"{url}/submission/", {**submission, "document_no": "x"}),
        409,
        "recorded",
    )
    _refused(
        _api(committee_member).post(f"{url}/feedback/", {**feedback, "department": "NOPE"}), 400
    )
    assert not EarlyWarning.objects.filter(kind="feedback").exists()
    answer = _api(committee_member).post(f"{url}/feedback/", feedback)
    assert answer.status_code == 201
    point = answer.json()["feedback"][0]
    assert (point["text"], point["department"], point["warning_state"]) == (
        "典型案例佐证材料不足",
        "DRS",
        "open",
    )
    assert EarlyWarning.objects.get(pk=point["warning"]).kind == "feedback"


@pytest.fixture
def cases(clerk, committee_member):
    shown = services.case_create(
        user=clerk, title_zh="公开的案例", summary_zh="摘要", year=2026, department=clerk.department
    )
    hidden = services.case_create(
        user=clerk,
        title_zh="内部案例",
        summary_zh="保密摘要",
        year=2026,
        department=clerk.department,
    )
    services.case_decide(case=shown, status="submitted", user=committee_member)
    services.publish(kind="case", object_id=shown.pk, user=committee_member)
    return shown, hidden


def test_the_case_library_and_publications(cases, clerk, committee_member, auditor):
    shown, hidden = cases
    rows = _api(clerk).get(f"{API}/cases/").json()["results"]
    assert [(r["title_zh"], r["status"], r["published"]) for r in rows] == [
        ("公开的案例", "submitted", True),
        ("内部案例", "candidate", False),
    ]
    only = _api(clerk).get(f"{API}/cases/", {"status": "candidate"}).json()["results"]
    assert [r["id"] for r in only] == [hidden.pk]
    assert _api(clerk).get(f"{API}/cases/{hidden.pk}/").json()["department"] == "DRS"
    published = _api(committee_member).get(f"{API}/publications/").json()["results"]
    assert [(p["kind"], p["object_id"]) for p in published] == [("case", shown.pk)]
    _refused(_api(auditor).get(f"{API}/publications/"), 403)


def test_the_public_data_shows_published_items_only_to_anyone(cases, outsider, clerk):
    shown, hidden = cases
    for client in (_api(), _api(outsider), _api(clerk)):
        for q in ("", "案例", "保密", "内部"):
            data = client.get(f"{API}/public/", {"q": q}).json()
            assert hidden.pk not in [c["id"] for c in data["cases"]]
            assert all("保密" not in c["summary"] for c in data["cases"])
        assert [c["id"] for c in client.get(f"{API}/public/").json()["cases"]] == [shown.pk]
    # Unpublished: gone from the public data at once.
    Publication.objects.all().delete()
    assert _api().get(f"{API}/public/").json()["cases"] == []


def test_the_case_list_reads_in_a_fixed_number_of_queries(
    clerk, committee_member, django_assert_num_queries
):
    def add(n):
        Case.objects.bulk_create(
            Case(title_zh=f"案例{i}", summary_zh="摘要", year=2026, department=clerk.department,
                 created_by=clerk)
            for i in range(n)
        )  # fmt: skip

    client = _api(committee_member)
    add(10)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        assert client.get(f"{API}/cases/").json()["count"] == 10
    add(990)
    with django_assert_num_queries(CASE_LIST_QUERIES):
        assert client.get(f"{API}/cases/").json()["count"] == 1000


# Count, page, tasks, projects, enterprises, evidence, published ids.
CASE_LIST_QUERIES = 7
