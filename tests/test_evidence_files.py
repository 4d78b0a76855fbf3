"""dezhou_carbon/files.py: evidence attachments are judged by their bytes (issue 14 #13)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dezhou_carbon.exceptions import ApplicationError
from dezhou_carbon.files import EvidenceFileRefused, evidence_file_check
from tests.hostile import evidence as corpus


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content", "kind", "fmt"),
    [
        ("整改报告.pdf", corpus.PDF, "document", "pdf"),
        ("现场照片.png", corpus.PNG, "image", "png"),
        ("现场照片.JPG", corpus.JPEG, "image", "jpeg"),
        ("进展说明.txt", corpus.TEXT_GB18030, "document", "text"),
        ("进展说明.docx", corpus.DOCX, "document", "docx"),
        ("进展说明.wps", corpus.DOCX, "document", "docx"),
        ("台账.xlsx", corpus.XLSX, "spreadsheet", "xlsx"),
        ("说明.odt", corpus.ODT, "document", "odt"),
        ("佐证材料.zip", corpus.ZIP_OF_PDFS, "archive", "zip"),
        ("旧版说明.doc", corpus.LEGACY_DOC, "document", "ole"),
        ("旧版台账.xls", corpus.LEGACY_DOC, "spreadsheet", "ole"),
    ],
)
def test_allowed_evidence_answers_its_kind_and_digest(name, content, kind, fmt):
    uploaded = upload(name, content)

    checked = evidence_file_check(uploaded)

    assert (checked.kind, checked.format) == (kind, fmt)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)
    assert checked.name == name
    assert uploaded.tell() == 0  # ready for whoever stores it


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("报告.exe", corpus.EXE, "dangerous_name"),
        ("报告.pdf", corpus.EXE, "executable"),  # a program renamed to look like a document
        ("报告.pdf.exe", corpus.PDF, "dangerous_name"),
        ("报告.exe.pdf", corpus.PDF, "dangerous_name"),
        ("照片.png", corpus.ELF, "executable"),
        ("说明.txt", corpus.SHELL_SCRIPT, "executable"),
        ("说明.txt", corpus.HTML, "unsupported_type"),
        ("说明.html", corpus.HTML, "dangerous_name"),
        ("图.svg", corpus.SVG, "dangerous_name"),
        ("图.png", corpus.SVG, "unsupported_type"),
        ("报告.docm", corpus.DOCM, "dangerous_name"),
        ("报告.docx", corpus.DOCM, "macro"),  # macro-enabled content under a harmless name
        ("台账.xlsx", corpus.XLSX_WITH_VBA, "macro"),
        ("台账.xls", corpus.LEGACY_XLS_WITH_VBA, "macro"),
        ("说明.odt", corpus.ODT_WITH_BASIC, "macro"),
        ("材料.zip", corpus.ZIP_WITH_EXE, "archive_executable"),
        ("材料.zip", corpus.JAR, "executable"),
        ("材料.zip", corpus.ZIP_BOMB, "zip_bomb"),
        ("报告.pdf", corpus.PNG, "name_mismatch"),
        ("报告", corpus.PDF, "name_mismatch"),
        ("空.pdf", b"", "empty"),
        ("乱码.bin2", bytes(range(256)) * 4, "unsupported_type"),
    ],
)
def test_hostile_evidence_is_refused_in_both_languages(name, content, code):
    with pytest.raises(EvidenceFileRefused) as refused:
        evidence_file_check(upload(name, content))

    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message_zh)
    assert refused.value.message_en.isascii() or "'" in refused.value.message_en


def test_a_refusal_is_both_a_service_error_and_a_form_error():
    with pytest.raises(EvidenceFileRefused) as refused:
        evidence_file_check(upload("a.exe", corpus.EXE))

    assert isinstance(refused.value, ApplicationError)
    assert isinstance(refused.value, ValidationError)
    assert refused.value.as_dict()["code"] == "dangerous_name"
    assert "不接受" in refused.value.messages[0]


def test_the_size_limit_is_the_callers():
    content = corpus.PDF + b"0" * 2048

    with pytest.raises(EvidenceFileRefused) as refused:
        evidence_file_check(upload("大.pdf", content), max_bytes=1024)

    assert refused.value.code == "too_large"
    assert evidence_file_check(upload("大.pdf", content), max_bytes=4096).kind == "document"


# --- the progress report's attachment, on the plan board and through the API -------------


def _report(client, **extra):
    from django.urls import reverse

    from tasks.models import Task

    task = Task.objects.get(code="1")
    return client.post(
        reverse("dashboards:plan_board"),
        {"action": "report", "task": task.pk, "period": "2026Q3", "text": "进展", **extra},
    )


def test_a_program_attached_to_a_progress_report_is_refused_and_nothing_stored(
    clerk, settings, tmp_path
):
    from django.test import Client

    from dashboards.models import ProgressReport

    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(clerk)

    refused = _report(client, attachment=upload("验收单.pdf", corpus.EXE))

    assert refused.status_code == 400
    assert "附件是Windows 程序，不接受程序和脚本文件。" in refused.content.decode()
    assert not ProgressReport.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))
    # An attempt, on record (and the only record written).
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(action="evidence_file_refused")
    assert (event.actor, event.department_code, event.reason) == (clerk, "DRS", "验收单.pdf")
    assert event.details["code"] == "executable"
    assert not AuditEvent.objects.filter(action="progress_report").exists()


def test_an_accepted_attachment_keeps_its_digest_and_kind(clerk, settings, tmp_path):
    from django.test import Client

    from audit.models import AuditEvent
    from dashboards.models import ProgressReport

    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(clerk)

    assert _report(client, attachment=upload("验收单.pdf", corpus.PDF)).status_code == 302

    report = ProgressReport.objects.get()
    assert report.attachment_sha256 == hashlib.sha256(corpus.PDF).hexdigest()
    assert report.attachment_kind == "document"
    assert (tmp_path / report.attachment.name).read_bytes() == corpus.PDF
    event = AuditEvent.objects.get(action="progress_report")
    assert event.details["sha256"] == report.attachment_sha256


def test_the_api_refuses_a_macro_workbook_with_the_error_envelope(clerk, settings, tmp_path):
    from django.urls import reverse
    from rest_framework.test import APIClient

    from dashboards.models import ProgressReport

    settings.MEDIA_ROOT = tmp_path
    client = APIClient()
    client.force_authenticate(clerk)

    response = client.post(
        reverse("api:progress-report-list"),
        {
            "task": "1",
            "period": "2026Q3",
            "text": "进展",
            "attachment": upload("台账.xlsx", corpus.XLSX_WITH_VBA),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "macro"
    assert "宏" in response.json()["message_zh"]
    assert "macros" in response.json()["message_en"]
    assert not ProgressReport.objects.exists()
