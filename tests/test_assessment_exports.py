"""Exports of the units' ranking in a job (issue 20 item 3, Speed): the ranking page asks
for the file (POST), a job renders it when a worker is configured — the durable row is what
the sweep re-queues — and in process otherwise; the file is byte-stable from the same
frozen snapshot and read back; bad requests are refused in zh/en with nothing written."""

import hashlib
import io
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from assessment import services
from assessment.models import Assessment, RankingExport
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from tests.test_assessment import _moment, second_committee_member, year_2025  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(year_2025, committee_member):  # noqa: F811
    return services.assessment_freeze(year=2025, user=committee_member)


def _ask(client, fmt="xlsx", period="2025"):
    return client.post(reverse("assessment:export", kwargs={"period": period, "fmt": fmt}))


def test_in_process_the_button_makes_the_file_at_once_and_it_reads_back(
    client, auditor, frozen, django_capture_on_commit_callbacks
):
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client)
    export = RankingExport.objects.get()
    assert response["Location"] == reverse(
        "assessment:export_status", kwargs={"export_id": export.pk}
    )
    export.refresh_from_db()
    assert export.status == "done"
    assert export.source == "frozen"
    assert export.snapshot_sha256 == Assessment.objects.get().snapshot_sha256
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="done"' in page
    assert 'http-equiv="refresh"' not in page
    download = client.get(reverse("assessment:export_download", kwargs={"export_id": export.pk}))
    content = b"".join(download) if download.streaming else download.content
    assert hashlib.sha256(content).hexdigest() == export.sha256
    scores, method = openpyxl.load_workbook(io.BytesIO(content)).worksheets
    codes = [row[1] for row in scores.iter_rows(min_row=5, values_only=True) if row[1]]
    assert "DRS" in codes
    texts = [c for row in method.iter_rows(values_only=True) for c in row if c]
    assert export.snapshot_sha256 in texts
    actions = list(
        AuditEvent.objects.filter(object_type="assessment_export")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "assessment_export_request",
        "assessment_export_generate",
        "assessment_export_download",
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_the_same_frozen_snapshot_gives_the_same_bytes(
    client, auditor, frozen, django_capture_on_commit_callbacks, fmt
):
    client.force_login(auditor)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            _ask(client, fmt)
    first, second = RankingExport.objects.order_by("pk")
    assert first.status == second.status == "done"
    assert first.sha256 == second.sha256
    assert bytes(first.content) == bytes(second.content)
    # and the in-process GET (no worker) gives those bytes too
    response = client.get(reverse("assessment:export", kwargs={"period": "2025", "fmt": fmt}))
    assert hashlib.sha256(response.content).hexdigest() == first.sha256


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_from_the_job_reads_back_with_the_method(
    client, committee_member, frozen, django_capture_on_commit_callbacks
):
    client.force_login(committee_member)
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client, "pdf")
    export = RankingExport.objects.get()
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=bytes(export.content), capture_output=True, check=True
    ).stdout.decode()
    assert "考核方法" in text.replace(" ", "")
    assert export.filename == "assessment-2025-zh-hans.pdf"


def test_with_a_worker_the_request_only_queues_and_the_sweep_requeues_a_lost_job(
    client, auditor, frozen, django_capture_on_commit_callbacks, monkeypatch, time_machine
):
    """With a worker configured nothing is rendered in the request: the row waits (its page
    refreshes itself), GET no longer renders in the request, the worker's job renders it,
    and a job the broker lost is queued again by the sweep from the durable row."""
    import datetime as dt

    from assessment import jobs
    from dezhou_carbon.celery import app

    queued = []
    monkeypatch.setattr(jobs.assessment_export_job, "delay", queued.append)
    app.conf.task_always_eager = False  # a worker configured (the autouse fixture restores)
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), tick=False)
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, "xlsx")
    export = RankingExport.objects.get()
    assert queued == [export.pk]
    assert export.status == "pending"
    assert export.content is None
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="pending"' in page
    assert 'http-equiv="refresh"' in page
    download = client.get(reverse("assessment:export_download", kwargs={"export_id": export.pk}))
    assert download.status_code == 302  # not ready: back to its page
    assert (
        client.get(
            reverse("assessment:export", kwargs={"period": "2025", "fmt": "xlsx"})
        ).status_code
        == 405
    )
    # The broker lost the job: nothing happens until the sweep finds the old pending row.
    assert services.ranking_exports_requeue() == 0
    time_machine.move_to(dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC), tick=False)
    assert services.ranking_exports_requeue() == 1
    assert queued == [export.pk, export.pk]
    # The worker runs the job (twice: the second run changes nothing).
    assert jobs.assessment_export_job.run(export.pk) == "done"
    export.refresh_from_db()
    digest = export.sha256
    assert export.status == "done"
    assert jobs.assessment_export_job.run(export.pk) == "done"
    export.refresh_from_db()
    assert export.sha256 == digest
    assert AuditEvent.objects.filter(action="assessment_export_generate").count() == 1
    assert services.ranking_exports_requeue() == 0


@pytest.mark.parametrize(
    ("fmt", "language", "period", "code"),
    [
        ("doc", "zh-hans", "2025", "format"),
        ("xlsx", "fr", "2025", "language"),
        ("xlsx", "zh-hans", "2025Q5", "invalid_period"),
    ],
)
def test_a_bad_request_is_refused_in_both_languages_and_writes_nothing(
    auditor, frozen, fmt, language, period, code
):
    before = (RankingExport.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as refused:
        services.ranking_export_request(period=period, fmt=fmt, language=language, user=auditor)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert (RankingExport.objects.count(), AuditEvent.objects.count()) == before


def test_a_unit_cannot_export_the_ranking_nor_fetch_anothers_file(
    client, clerk, auditor, frozen, django_capture_on_commit_callbacks
):
    with pytest.raises(PermissionRefused):
        services.ranking_export_request(period="2025", fmt="xlsx", language="en", user=clerk)
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        _ask(client)
    export = RankingExport.objects.get()
    client.force_login(clerk)
    assert _ask(client).status_code == 403
    url = reverse("assessment:export_download", kwargs={"export_id": export.pk})
    assert client.get(url).status_code == 403
    assert RankingExport.objects.count() == 1
