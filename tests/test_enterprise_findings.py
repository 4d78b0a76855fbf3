"""Issue 17 items 5 and 9: an enterprise's energy manager answers its own visit findings
through the warning loop (acknowledge → progress with evidence → ask for closure), the
supervising department verifies and closes them or sends them back; the enterprise never
closes its own finding and never reaches another enterprise's (refused, audited)."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from dashboards import services as warning_services
from dashboards.models import EarlyWarning, WarningEvidence, WarningProgress
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import work_services
from enterprises.models import Enterprise, Finding
from reporting.models import Notification
from tasks.models import Department

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OTHER_CODE = "91350100M000100Y43"  # GB 32100's example code
DUE = dt.date(2099, 12, 31)


@pytest.fixture
def other_enterprise(park):
    return Enterprise.objects.create(
        code=OTHER_CODE,
        name="德州另一家企业",
        industry="3985",
        supervising_department=Department.objects.get(code="DRS"),
    )


def _finding(clerk, enterprise) -> Finding:
    visit = work_services.visit_record(
        user=clerk,
        enterprise=enterprise,
        visit_date=dt.date(2025, 10, 15),
        inspectors="李明、王芳",
        summary="检查能源计量器具配备情况",
        findings=[{"description": "二级计量缺失", "requirement": "加装电表", "due_date": DUE}],
    )
    return Finding.objects.select_related("warning").get(visit=visit)


def _attempts() -> int:
    return AuditEvent.objects.filter(action="enterprise_access_refused").count()


def _acknowledge(warning, user):
    return warning_services.warning_acknowledge(
        warning=warning, user=user, response="已安排采购", plan="加装二级电表", due_date=DUE
    )


def test_energy_manager_answers_and_the_department_closes(energy_manager, cell_maker, clerk, head):
    warning = _finding(clerk, cell_maker).warning
    warning = _acknowledge(warning, energy_manager)
    # The enterprise's own commitment starts the rectification (no department sign-off).
    assert warning.state == "acknowledged"
    assert warning.acknowledged_by == energy_manager
    assert Notification.objects.filter(user=head, kind="finding_acknowledged").exists()
    progress = warning_services.warning_progress_report(
        warning=warning,
        user=energy_manager,
        note="电表已到货，正在安装",
        upload=SimpleUploadedFile("进展.pdf", PDF, content_type="application/pdf"),
    )
    assert progress.evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert progress.evidence.size == len(PDF)
    warning = warning_services.warning_resolve(
        warning=warning, user=energy_manager, evidence="电表已安装并接入在线监测"
    )
    assert warning.state == "resolved"
    assert Notification.objects.filter(user=head, kind="finding_resolved").exists()
    # The enterprise never closes its own finding.
    with pytest.raises(PermissionRefused):
        warning_services.warning_close(warning=warning, user=energy_manager)
    # A clerk of the department does not close either: its head verifies.
    with pytest.raises(PermissionRefused):
        warning_services.warning_close(warning=warning, user=clerk)
    warning = warning_services.warning_close(warning=warning, user=head, comment="现场核实")
    assert warning.state == "closed"
    assert warning.closed_by == head
    assert Notification.objects.filter(user=energy_manager, kind="finding_closed").exists()
    actions = list(
        AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert actions[-4:] == [
        ("warning_acknowledge", energy_manager.username),
        ("warning_progress_report", energy_manager.username),
        ("warning_resolve", energy_manager.username),
        ("warning_close", head.username),
    ]


def test_the_department_sends_an_unfinished_rectification_back(
    energy_manager, cell_maker, clerk, head
):
    warning = _acknowledge(_finding(clerk, cell_maker).warning, energy_manager)
    warning = warning_services.warning_resolve(
        warning=warning, user=energy_manager, evidence="已整改"
    )
    with pytest.raises(ApplicationError) as refused:
        warning_services.warning_resolution_return(warning=warning, user=head, comment=" ")
    assert refused.value.code == "required"
    with pytest.raises(PermissionRefused):
        warning_services.warning_resolution_return(
            warning=warning, user=energy_manager, comment="我自己退回"
        )
    warning = warning_services.warning_resolution_return(
        warning=warning, user=head, comment="未接入在线监测"
    )
    assert warning.state == "acknowledged"
    assert warning.resolved_by is None
    assert Notification.objects.filter(
        user=energy_manager, kind="warning_resolution_returned"
    ).exists()
    # It rectifies again and asks again.
    warning_services.warning_resolve(warning=warning, user=energy_manager, evidence="已接入")
    assert EarlyWarning.objects.get(pk=warning.pk).state == "resolved"


def test_whoever_reported_it_done_does_not_close_it(administrator, cell_maker, clerk, head):
    warning = _finding(clerk, cell_maker).warning
    warning = warning_services.warning_acknowledge(
        warning=warning, user=clerk, response="由部门跟进", plan="督促整改", due_date=DUE
    )
    warning = warning_services.warning_sign_off(warning=warning, user=head)
    warning = warning_services.warning_resolve(
        warning=warning, user=administrator, evidence="已整改"
    )
    with pytest.raises(PermissionRefused):
        warning_services.warning_close(warning=warning, user=administrator)
    assert warning_services.warning_close(warning=warning, user=head).state == "closed"


def test_progress_needs_a_note_and_a_proper_file(energy_manager, cell_maker, clerk):
    warning = _finding(clerk, cell_maker).warning
    with pytest.raises(ApplicationError) as refused:  # not yet acknowledged
        warning_services.warning_progress_report(warning=warning, user=energy_manager, note="x")
    assert refused.value.code == "invalid_state"
    warning = _acknowledge(warning, energy_manager)
    with pytest.raises(ApplicationError) as refused:
        warning_services.warning_progress_report(warning=warning, user=energy_manager, note=" ")
    assert refused.value.code == "required"
    with pytest.raises(ApplicationError):  # an executable named .pdf
        warning_services.warning_progress_report(
            warning=warning, user=energy_manager, note="进展",
            upload=SimpleUploadedFile("a.pdf", b"MZ\x90\x00" * 10, content_type="application/pdf"),
        )  # fmt: skip
    assert not WarningProgress.objects.exists()
    assert not WarningEvidence.objects.exists()


def test_another_enterprises_finding_is_refused_in_the_services(
    energy_manager, cell_maker, other_enterprise, clerk
):
    warning = _finding(clerk, other_enterprise).warning
    for step in (
        lambda: _acknowledge(warning, energy_manager),
        lambda: warning_services.warning_progress_report(
            warning=warning, user=energy_manager, note="x"
        ),
        lambda: warning_services.warning_resolve(
            warning=warning, user=energy_manager, evidence="x"
        ),
        lambda: warning_services.warning_close(warning=warning, user=energy_manager),
    ):
        with pytest.raises(PermissionRefused):
            step()
    assert EarlyWarning.objects.get(pk=warning.pk).state == "open"


def test_finding_page_walk(client, energy_manager, cell_maker, clerk, head):
    finding = _finding(clerk, cell_maker)
    url = f"/enterprises/{cell_maker.code}/findings/{finding.pk}/"
    client.force_login(energy_manager)
    visits = client.get(f"/enterprises/{cell_maker.code}/visits/")
    assert url in visits.content.decode()  # its open findings, each a link
    page = client.get(url).content.decode()
    assert "二级计量缺失" in page
    assert 'value="acknowledge"' in page
    client.post(url, {"action": "acknowledge", "response": "已安排", "plan": "加装电表",
                      "due_date": "2099-06-30"})  # fmt: skip
    client.post(url, {"action": "progress", "note": "安装中",
                      "file": SimpleUploadedFile("照片.pdf", PDF, content_type="application/pdf")})  # fmt: skip
    evidence = WarningEvidence.objects.get()
    download = client.get(f"/enterprises/files/finding/{evidence.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    client.post(url, {"action": "resolve", "evidence": "已完成"})
    page = client.get(url).content.decode()
    assert 'data-state="resolved"' in page
    assert 'value="close"' not in page
    assert client.post(url, {"action": "close"}).status_code == 403  # never its own
    client.force_login(head)
    page = client.get(url).content.decode()
    assert 'value="close"' in page
    assert "安装中" in page
    client.post(url, {"action": "close", "comment": "已核实"})
    assert EarlyWarning.objects.get(pk=finding.warning_id).state == "closed"
    assert AuditEvent.objects.filter(action="warning_evidence_download").count() == 1


def test_another_enterprises_finding_by_id_is_refused_and_audited(
    client, energy_manager, cell_maker, other_enterprise, clerk, head
):
    other = _finding(clerk, other_enterprise)
    client.force_login(energy_manager)
    before = _attempts()
    # Its own enterprise's address with another enterprise's finding id.
    url = f"/enterprises/{cell_maker.code}/findings/{other.pk}/"
    assert client.get(url).status_code == 403
    response = client.post(url, {"action": "acknowledge", "response": "x", "plan": "x",
                                 "due_date": "2099-01-01"})  # fmt: skip
    assert response.status_code == 403
    # The other enterprise's address, and a filter naming it.
    assert client.get(f"/enterprises/{OTHER_CODE}/findings/{other.pk}/").status_code == 403
    assert (
        client.get(f"/enterprises/{cell_maker.code}/visits/?enterprise={OTHER_CODE}").status_code
        == 403
    )
    # Its evidence by id.
    warning = _acknowledge(other.warning, clerk)
    warning = warning_services.warning_sign_off(warning=warning, user=head)
    evidence = warning_services.warning_progress_report(
        warning=warning, user=clerk, note="x",
        upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    ).evidence  # fmt: skip
    assert client.get(f"/enterprises/files/finding/{evidence.pk}/").status_code == 404
    assert _attempts() == before + 5
    assert EarlyWarning.objects.get(pk=other.warning_id).acknowledged_by == clerk
    assert not AuditEvent.objects.filter(action="warning_evidence_download").exists()
    # A finding that does not exist: 404, nothing to audit.
    assert client.get(f"/enterprises/{cell_maker.code}/findings/999999/").status_code == 404
    assert _attempts() == before + 5


def test_the_warning_page_and_the_visits_page_lead_to_the_finding(
    client, energy_manager, cell_maker, clerk, head
):
    finding = _finding(clerk, cell_maker)
    url = f"/enterprises/{cell_maker.code}/findings/{finding.pk}/"
    client.force_login(head)
    detail = client.get(f"/dashboards/warnings/{finding.warning_id}/").content.decode()
    assert f'id="warning-finding" href="{url}"' in detail
    # The department's visits table keeps its link to the warning; the manager's leads to
    # its own finding page (the park's warning pages are closed to it).
    visits = client.get(f"/enterprises/{cell_maker.code}/visits/").content.decode()
    assert f"/dashboards/warnings/{finding.warning_id}/" in visits
    client.force_login(energy_manager)
    visits = client.get(f"/enterprises/{cell_maker.code}/visits/").content.decode()
    assert f"/dashboards/warnings/{finding.warning_id}/" not in visits
    assert client.get(f"/dashboards/warnings/{finding.warning_id}/").status_code == 403


def test_the_finding_page_reads_a_fixed_number_of_queries(
    client, energy_manager, cell_maker, clerk
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    finding = _finding(clerk, cell_maker)
    warning = _acknowledge(finding.warning, energy_manager)
    url = f"/enterprises/{cell_maker.code}/findings/{finding.pk}/"
    client.force_login(energy_manager)

    def report(n):
        for k in range(n):
            warning_services.warning_progress_report(
                warning=warning, user=energy_manager, note=f"进展{k}",
                upload=SimpleUploadedFile(f"{k}.pdf", PDF, content_type="application/pdf"),
            )  # fmt: skip

    report(1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    report(30)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert page.content.decode().count("进展2") >= 1
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_the_managers_profile_links_its_findings(client, energy_manager, cell_maker, clerk):
    finding = _finding(clerk, cell_maker)
    client.force_login(energy_manager)
    page = client.get(f"/enterprises/{cell_maker.code}/").content.decode()
    assert f'href="/enterprises/{cell_maker.code}/findings/{finding.pk}/"' in page
    assert f"/dashboards/warnings/{finding.warning_id}/" not in page
