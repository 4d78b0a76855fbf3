"""Issue 14 #1 and #4: the hostile spreadsheets of tests/hostile/ are refused in both
languages, audited, nothing is written, the server lives and its memory stays bounded
(measured as the peak RSS of the process that parses, and of the parse's child)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from indicators.importing import ImportFileError, ItemSpec, parse_import_file
from indicators.isolated_parse import parse_import_file_isolated
from indicators.models import Figure, ImportBatch
from tests.hostile import spreadsheets
from tests.hostile.generate import CORPUS, FILES_DIR

PERIOD = "2024Q3"
BASE_DIR = Path(__file__).resolve().parent.parent
SPECS = {"coal_raw": ItemSpec("coal_raw", "吨", "quarter")}

# file -> the refusal's code
EXPECTED = {
    "sparse_range_XFD1048576.xlsx": "sheet_too_large",
    "sparse_range_XFD2000.xlsx": "sheet_too_large",
    "sparse_range_BM2.xlsx": "sheet_too_large",
    "sparse_range_F200000.xlsx": "sheet_too_large",
    "sparse_dimension_XFD1048576.xlsx": "sheet_too_large",
    "dtd_billion_laughs.xlsx": "xml_dtd",
    "dtd_external_entity.xlsx": "xml_dtd",
    "dtd_in_workbook.xlsx": "xml_dtd",
}


def _corpus(name: str) -> bytes:
    return (FILES_DIR / name).read_bytes()


def _written() -> tuple[int, int]:
    return Figure.objects.count(), ImportBatch.objects.count()


def test_the_committed_corpus_is_what_the_builders_make():
    assert set(EXPECTED) == set(CORPUS)
    for name, (content, _why) in CORPUS.items():
        assert _corpus(name) == content, f"rebuild with python -m tests.hostile.generate: {name}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_parser_refuses_each_hostile_workbook_before_building_a_range(name):
    with pytest.raises(ImportFileError) as refused:
        parse_import_file(_corpus(name), name, SPECS)

    assert refused.value.code == EXPECTED[name]
    assert "工作" in refused.value.message_zh
    assert "workbook" in refused.value.message_en.lower() or "worksheet" in (
        refused.value.message_en.lower()
    )


def test_the_refusal_names_how_far_the_sheet_reaches_and_the_limits():
    with pytest.raises(ImportFileError) as refused:
        parse_import_file(_corpus("sparse_range_XFD2000.xlsx"), "a.xlsx", SPECS)

    assert "XFD2000" in refused.value.message_zh
    assert "XFD2000" in refused.value.message_en
    assert refused.value.details["columns"] == 16384
    assert refused.value.details["max_columns"] == 64


def test_a_workbook_inside_the_limits_is_still_read():
    parsed = parse_import_file(spreadsheets.valid(1), "ok.xlsx", SPECS)

    assert not parsed.errors
    assert [(r.period, r.item_code, str(r.value)) for r in parsed.rows] == [
        ("2026Q3", "coal_raw", "2")
    ]


def test_a_workbook_read_in_the_child_process_gives_the_same_result():
    content = spreadsheets.valid(3)

    isolated = parse_import_file_isolated(
        content, "ok.xlsx", SPECS, max_bytes=1 << 20, max_rows=10, memory_mb=512, timeout_seconds=60
    )
    direct = parse_import_file(content, "ok.xlsx", SPECS, max_rows=10)

    assert isolated.rows == direct.rows
    assert isolated.errors == direct.errors
    assert (isolated.sha256, isolated.sheet, isolated.encoding) == (
        direct.sha256,
        direct.sheet,
        direct.encoding,
    )


def test_a_workbook_that_outgrows_the_memory_limit_is_refused_and_the_caller_lives():
    """Six thousand cells naming one shared string of a megabyte: the extent scan sees a
    small table, calamine would copy the string into every cell (6 GB). The child hits
    its address-space limit and aborts; the caller gets a refusal."""
    content = spreadsheets.shared_string_amplification()

    with pytest.raises(ImportFileError) as refused:
        parse_import_file_isolated(
            content, "amp.xlsx", SPECS, max_bytes=20 << 20, max_rows=100_000, memory_mb=512,
            timeout_seconds=120,
        )  # fmt: skip

    assert refused.value.code == "parse_memory"
    assert "512 MB" in refused.value.message_zh
    assert "512 MB" in refused.value.message_en


_MEASURE = """
import json, resource, sys
sys.path.insert(0, sys.argv[1])
from indicators.importing import ImportFileError, ItemSpec
from indicators.isolated_parse import parse_import_file_isolated
from tests.hostile import spreadsheets

def peak_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024

content = eval(sys.argv[2])  # a builder call from the test below
before = peak_mb(resource.RUSAGE_SELF)
try:
    parse_import_file_isolated(
        content, "probe.xlsx", {"coal_raw": ItemSpec("coal_raw", "t", "quarter")},
        max_bytes=20 << 20, max_rows=100_000, memory_mb=int(sys.argv[3]), timeout_seconds=120,
    )
    code = "accepted"
except ImportFileError as refusal:
    code = refusal.code
print(json.dumps({
    "code": code,
    "self_before_mb": before,
    "self_after_mb": peak_mb(resource.RUSAGE_SELF),
    "children_mb": peak_mb(resource.RUSAGE_CHILDREN),
}))
"""


@pytest.mark.parametrize(
    ("builder", "code"),
    [
        ('spreadsheets.sparse_range("XFD1048576")', "sheet_too_large"),
        ('spreadsheets.sparse_range("XFD2000")', "sheet_too_large"),
        ('spreadsheets.sparse_range("XFD200")', "sheet_too_large"),
        ('spreadsheets.sparse_range("F200000")', "sheet_too_large"),
        ('spreadsheets.sparse_dimension("XFD1048576")', "sheet_too_large"),
        ("spreadsheets.shared_string_amplification()", "parse_memory"),
        ("spreadsheets.valid(200)", "accepted"),
    ],
)
def test_peak_memory_around_the_parse_stays_bounded(builder, code):
    """Measured in a fresh process, so that the peaks are this parse's alone: the process
    that asked (the web server, in production) grows by less than 64 MB whatever the
    file, and the parse's child stays under its 384 MB limit (before issue 14, A1+XFD2000
    cost +1 GB and A1+XFD1048576 aborted the process)."""
    limit_mb = 384
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(BASE_DIR), builder, str(limit_mb)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])

    assert result["code"] == code
    assert result["self_after_mb"] - result["self_before_mb"] < 64, result
    assert result["children_mb"] < limit_mb, result


# ---------------------------------------------------------------- the entry points


def _upload(client, content: bytes, filename: str):
    return client.post(
        reverse("reporting:upload", args=[PERIOD]), {"file": SimpleUploadedFile(filename, content)}
    )


@pytest.mark.parametrize(
    "name",
    ["sparse_range_XFD1048576.xlsx", "sparse_range_XFD2000.xlsx", "dtd_billion_laughs.xlsx"],
)
def test_the_upload_page_refuses_the_file_audits_it_and_keeps_serving(clerk, name):
    client = Client()
    client.force_login(clerk)
    before = _written()

    response = _upload(client, _corpus(name), name)

    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="upload-error"' in page
    assert ("超出导入格式的范围" in page) or ("文档类型定义" in page)
    assert _written() == before
    event = AuditEvent.objects.get(action="import_file_refused")
    assert (event.actor, event.department_code, event.period, event.reason) == (
        clerk,
        "DRS",
        PERIOD,
        name,
    )
    assert event.details["code"] == EXPECTED[name]
    assert event.details["source"] == "upload"
    # The server lives: the next request is served.
    assert client.get(reverse("reporting:upload", args=[PERIOD])).status_code == 200


def test_the_upload_page_refuses_a_workbook_that_outgrows_the_memory_limit(clerk, settings):
    settings.IMPORT_XLSX_MEMORY_MB = 384
    client = Client()
    client.force_login(clerk)
    before = _written()

    response = _upload(client, spreadsheets.shared_string_amplification(), "amp.xlsx")

    assert response.status_code == 400
    assert "384 MB" in response.content.decode()
    assert _written() == before
    event = AuditEvent.objects.get(action="import_file_refused")
    assert event.details["code"] == "parse_memory"


@pytest.mark.parametrize("name", ["sparse_range_XFD1048576.xlsx", "dtd_external_entity.xlsx"])
def test_import_statistics_refuses_the_file_and_audits_it(administrator, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(_corpus(name))
    before = _written()

    with pytest.raises(CommandError) as refused:
        call_command("import_statistics", str(path), "--user", administrator.username)

    assert str(refused.value) == EXPECTED[name]
    assert _written() == before
    event = AuditEvent.objects.get(action="import_file_refused")
    assert (event.actor, event.reason) == (administrator, name)
    assert event.details["source"] == "command"
