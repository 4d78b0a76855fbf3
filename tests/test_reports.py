"""The auditors' target-attainment report and lineage through the pages, the API and the
services: each format read back (openpyxl for xlsx, pdftotext/pdftoppm for the PDF, the
CSV with its BOM), injection text written inert, a round frozen so a later revision does
not change its report and the same snapshot giving the same bytes, who may ask, the
audit of every request, generation and download, the audit-trail export, and constant
query counts on the pages.

The data: the methodology's worked example (2020 and 2025) imported as approved, the
results recomputed, the 2025 round opened and warnings raised from the results."""

import csv
import datetime as dt
import hashlib
import io
import itertools
import re
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dashboards.services import warning_acknowledge, warnings_sync
from dezhou_carbon.exceptions import PermissionRefused
from indicators.models import Figure, IndicatorResult, Target
from indicators.recompute import results_recompute
from reporting.services import round_open
from reports.models import ReportRequest, RoundSnapshot
from reports.services import report_generate, report_request
from tasks.models import WorkItem
from tests.helpers import import_rows, worked_example_rows

pytestmark = pytest.mark.django_db

INJECTIONS = ['=HYPERLINK("http://x")', "+1", "-1+1", "@SUM(A1)", "\t=1"]


@pytest.fixture
def round_2025(administrator, statistics_office):
    """The worked example as approved figures, its results, the 2025 round, warnings."""
    import_rows(worked_example_rows(), user=administrator)
    results_recompute()
    reporting_round = round_open(period="2025", user=statistics_office)
    warnings_sync()
    return reporting_round


def _generated(reporting_round, user, fmt, language="zh-hans") -> ReportRequest:
    """Ask for a report; the job runs in process (eager) once the request commits."""
    request = report_request(reporting_round=reporting_round, fmt=fmt, language=language, user=user)
    report_generate(request_id=request.pk)  # what the on-commit job does
    request.refresh_from_db()
    assert request.status == "done", request.error
    return request


def _sheet_rows(workbook, title):
    return list(workbook[title].iter_rows(values_only=True))


# --- xlsx ------------------------------------------------------------------------------------


def test_the_xlsx_report_has_numbers_as_numbers_and_a_lineage_sheet_matching_the_trace(
    round_2025, auditor
):
    report = _generated(round_2025, auditor, "xlsx")
    workbook = load_workbook(io.BytesIO(bytes(report.content)))
    assert workbook.sheetnames == ["目标完成情况", "任务进展", "预警及响应", "指标数值", "数据溯源"]

    targets = workbook["目标完成情况"]
    assert targets.freeze_panes == "C5"
    headings = [cell.value for cell in targets[4]]
    assert headings[:11] == [
        "编号", "目标", "指标", "单位", "责任单位", "目标值", "期间", "实际值", "状态",
        "完成进度", "时间进度",
    ]  # fmt: skip
    rows = {row[0].value: row for row in targets.iter_rows(min_row=5)}
    t2 = rows["T2"]  # energy per unit of IVA, judged in 2025
    stored = IndicatorResult.objects.get(target__code="T2", period="2025", scope="", variant="")
    value_cell = t2[7]
    assert value_cell.data_type == "n"
    assert isinstance(value_cell.value, float)
    assert Decimal(str(value_cell.value)).quantize(Decimal("0.000001")) == stored.value.quantize(
        Decimal("0.000001")
    )
    assert value_cell.number_format.startswith("#,##0.")
    assert t2[9].data_type == "n"
    assert t2[9].number_format == "0.0%"
    assert t2[8].value == "达标" or t2[8].value in {"进展顺利", "进度滞后", "形势严峻"}
    assert rows["T1"][4].value == "发改统计部"  # the lead unit of task 1 owns T1

    lineage = _sheet_rows(workbook, "数据溯源")
    header = lineage[3]
    assert header[:3] == ("结果编号", "目标", "指标")
    by_result: dict[int, set[int]] = {}
    coefficients: dict[int, str] = {}
    for row in lineage[4:]:
        by_result.setdefault(int(row[0]), set())
        if row[10] is not None:
            by_result[int(row[0])].add(int(row[10]))
        coefficients[int(row[0])] = row[8] or ""
    assert stored.pk in by_result
    for result in IndicatorResult.objects.filter(pk__in=by_result):
        assert by_result[result.pk] == set(result.input_figure_ids), result
        for used in (result.method.get("coefficients") or {}).values():
            assert used["key"] in coefficients[result.pk]
            assert f"(v{used['version']})" in coefficients[result.pk]
    # Who entered and approved each input, and when.
    first_input = next(row for row in lineage[4:] if row[0] == stored.pk and row[10])
    figure = Figure.objects.select_related("entered_by", "decided_by").get(pk=first_input[10])
    assert first_input[18] == figure.entered_by.username
    assert first_input[20] == figure.decided_by.username
    assert first_input[21] is not None  # approved at (a date cell)
    assert first_input[15] == figure.version

    values = _sheet_rows(workbook, "指标数值")
    assert values[3][:4] == ("target_code", "indicator", "period", "scope")
    assert "change_vs_base" in values[3]
    assert "status" in values[3]


def test_the_xlsx_report_is_in_english_when_asked(round_2025, committee_member):
    report = _generated(round_2025, committee_member, "xlsx", language="en")
    workbook = load_workbook(io.BytesIO(bytes(report.content)))
    assert workbook.sheetnames == ["Targets", "Tasks", "Warnings", "Values", "Lineage"]
    assert [c.value for c in workbook["Targets"][4]][:3] == ["Code", "Target", "Indicator"]
    statuses = {row[8] for row in _sheet_rows(workbook, "Targets")[4:]}
    assert statuses & {"Achieved", "On track", "Lagging", "Serious", "No data"}, statuses


def _sheet_xml(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        }


def _plant_injections(round_2025, administrator, clerk):
    """Injection text as a figure note, a warning response, a work item's evidence and
    a target's title (an administrator's edit)."""
    notes = iter(INJECTIONS)
    rows = [
        {**row, "value": str(Decimal(row["value"]) + 1), "note": next(notes)}
        for row in worked_example_rows()
        if row["period"] == "2025Q4" and row["item"] in {"coal_raw", "natural_gas", "diesel"}
    ]
    import_rows(rows, user=administrator)
    results_recompute()
    warning = EarlyWarning.objects.filter(department__code="DRS").first()
    assert warning is not None, "the worked example raises a warning for DRS"
    warning_acknowledge(
        warning=warning,
        user=clerk,
        response=INJECTIONS[1],
        plan=INJECTIONS[2],
        due_date=dt.date(2099, 1, 1),
    )
    # The evidence text lead units wrote before parts existed (kept, read-only).
    WorkItem.objects.filter(task__code="1", code="1.1").update(evidence=INJECTIONS[3])
    Target.objects.filter(code="T1").update(title_zh=INJECTIONS[0])


def test_injection_text_comes_out_inert_in_xlsx_and_csv(round_2025, administrator, clerk, auditor):
    _plant_injections(round_2025, administrator, clerk)
    xlsx = _generated(round_2025, auditor, "xlsx")
    for name, xml in _sheet_xml(bytes(xlsx.content)).items():
        assert "<f>" not in xml, name
        assert "<f " not in xml, name
    workbook = load_workbook(io.BytesIO(bytes(xlsx.content)))
    seen = {}
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value in INJECTIONS:
                    seen[cell.value] = cell
    assert set(seen) >= {'=HYPERLINK("http://x")', "+1", "-1+1", "@SUM(A1)"}, seen.keys()
    for text, cell in seen.items():
        assert cell.data_type == "s", text
        assert cell.quotePrefix, text  # Excel shows it as text, never evaluates it
    # A negative number stays a number: change_vs_base of T2 is a decrease.
    values = _sheet_rows(workbook, "指标数值")
    column = values[3].index("change_vs_base")
    negatives = [r[column] for r in values[4:] if isinstance(r[column], float) and r[column] < 0]
    assert negatives

    report_csv = _generated(round_2025, auditor, "csv")
    content = bytes(report_csv.content)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["target_title", "owner", "status_label", "target_code"]
    titles = {row[0] for row in rows[1:]}
    assert "'" + INJECTIONS[0] in titles
    assert INJECTIONS[0] not in titles
    value_column = rows[0].index("change_vs_base")
    assert any(row[value_column].startswith("-") for row in rows[1:])  # numbers unprefixed


# --- CSV and PDF ---------------------------------------------------------------------------


def test_the_csv_report_opens_with_its_bom_and_keeps_the_exchange_fields(round_2025, auditor):
    report = _generated(round_2025, auditor, "csv")
    content = bytes(report.content)
    assert content[:3] == b"\xef\xbb\xbf"
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    fields = set(rows[0])
    assert {"indicator", "period", "value", "unit", "change_vs_base", "change_yoy",
            "target_id", "target_value", "target_year", "path_value", "status",
            "provisional"} <= fields  # fmt: skip
    t2 = next(r for r in rows if r["target_code"] == "T2" and r["variant"] == "")
    stored = IndicatorResult.objects.get(target__code="T2", period="2025", scope="", variant="")
    assert Decimal(t2["value"]) == stored.value
    assert t2["status_label"]
    assert t2["owner"]
    assert report.filename == "target-attainment-2025-zh-hans.csv"


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_the_pdf_report_has_chinese_text_page_numbers_charts_and_renders(
    round_2025, auditor, tmp_path
):
    report = _generated(round_2025, auditor, "pdf")
    content = bytes(report.content)
    assert content.startswith(b"%PDF")
    text = _pdf_text(content, tmp_path)
    assert "目标完成情况报告" in text
    assert "德州经济技术开发区" in text
    assert "第 1 页,共" in text
    assert "数据冻结于" in text  # the running header
    assert "完成进度" in text
    assert "T1" in text
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert "Noto-Sans-CJK-SC" in fonts
    pages = subprocess.run(
        ["pdfinfo", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True
    ).stdout
    count = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages")))
    assert f"共 {count} 页" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "2", str(tmp_path / "report.pdf"),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == min(2, count)
    for image in images:
        data = image.read_bytes()
        assert data.startswith(b"\x89PNG")
        assert len(data) > 2000


_ONE_CJK = re.compile(r"(?<!\S)[\u3400-\u9fff](?!\S)")


def _stacked_characters(text: str) -> list[tuple[int, str]]:
    """Single Chinese characters standing alone on consecutive lines at the same place: a
    column so narrow that it wraps one character per line."""
    singles = [
        {m.start(): m.group() for m in _ONE_CJK.finditer(line)} for line in text.splitlines()
    ]
    found = []
    for number, (line, below) in enumerate(itertools.pairwise(singles)):
        for column, character in line.items():
            if any(abs(column - other) <= 2 for other in below):
                found.append((number, character))
    return found


def test_pdf_columns_do_not_wrap_a_character_per_line(round_2025, auditor, tmp_path):
    """Issue 15 #10: a unit's name, a period, a status, a target and a lineage variant stay
    whole on their line (pdftotext -layout keeps a cell's line together), and no column is
    so narrow that it stacks one character per line."""
    report = _generated(round_2025, auditor, "pdf")
    text = _pdf_text(bytes(report.content), tmp_path)
    lines = text.splitlines()
    t1 = next(line for line in lines if line.strip().startswith("T1 "))
    assert "2025年" in t1  # the period, not "2025" over "年"
    for whole in ["未到考核期", "社会事务管理部", "目标值待管理员设定", "扣除原料用能和非化石能源"]:
        assert any(whole in line for line in lines), whole
    for heading in ["责任单位", "目标值", "完成进度", "时间进度", "牵头单位", "配合单位"]:
        assert any(heading in line for line in lines), heading
    assert _stacked_characters(text) == []


def test_stacked_characters_are_found():
    assert _stacked_characters("T1  达标  年\n  期\n") == []  # not in the same place
    assert _stacked_characters("编号  状\n      态\n") == [(0, "状")]


def test_the_pdf_fetches_nothing_but_data_uris():
    from reports.rendering import _data_uri_only_fetcher

    fetcher = _data_uri_only_fetcher()
    for url in ["file:///etc/passwd", "http://127.0.0.1/", "https://example.com/x.css"]:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    response = fetcher.fetch("data:text/plain,abc")
    assert response is not None


def test_english_pdf_says_page_of(round_2025, auditor, tmp_path):
    report = _generated(round_2025, auditor, "pdf", language="en")
    text = _pdf_text(bytes(report.content), tmp_path)
    assert "Target attainment report" in text
    assert "Page 1 of" in text


# --- frozen rounds ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "pdf"])
def test_the_same_round_gives_the_same_bytes(round_2025, auditor, committee_member, fmt):
    first = _generated(round_2025, auditor, fmt)
    second = _generated(round_2025, committee_member, fmt)
    assert first.pk != second.pk
    assert first.sha256 == second.sha256 == hashlib.sha256(bytes(first.content)).hexdigest()
    assert first.snapshot_id == second.snapshot_id
    # Who asked is recorded with each generation, not in the file.
    generated = AuditEvent.objects.filter(action="report_generate").order_by("id")
    assert [e.details["requested_by"] for e in generated] == [
        auditor.username,
        committee_member.username,
    ]
    assert {e.details["sha256"] for e in generated} == {first.sha256}


def test_a_figure_revised_after_the_freeze_does_not_change_the_frozen_report(
    round_2025, administrator, auditor
):
    before = _generated(round_2025, auditor, "xlsx")
    live_before = IndicatorResult.objects.get(
        target__code="T2", period="2025", scope="", variant=""
    ).value
    revised = [
        {**row, "value": str(Decimal(row["value"]) * 2)}
        for row in worked_example_rows()
        if row["period"] == "2025Q4" and row["item"] == "coal_raw"
    ]
    import_rows(revised, user=administrator)
    results_recompute()
    live_after = IndicatorResult.objects.get(
        target__code="T2", period="2025", scope="", variant=""
    ).value
    assert live_after != live_before  # the revision changed the live result

    after = _generated(round_2025, auditor, "xlsx")
    assert after.sha256 == before.sha256
    assert RoundSnapshot.objects.count() == 1
    workbook = load_workbook(io.BytesIO(bytes(after.content)))
    t2 = next(r for r in _sheet_rows(workbook, "目标完成情况")[4:] if r[0] == "T2")
    assert Decimal(str(t2[7])).quantize(Decimal("0.0001")) == live_before.quantize(
        Decimal("0.0001")
    )


def test_rerunning_a_finished_job_changes_nothing(round_2025, auditor):
    report = _generated(round_2025, auditor, "csv")
    events = AuditEvent.objects.count()
    assert report_generate(request_id=report.pk) == "done"
    report.refresh_from_db()
    assert report.status == "done"
    assert report.percent == 100
    assert AuditEvent.objects.count() == events


# --- pages, API, permissions and the audit of each step ---------------------------------------


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_an_auditor_asks_watches_and_downloads_through_the_pages(
    round_2025, auditor, django_capture_on_commit_callbacks
):
    client = _client(auditor)
    page = client.get(reverse("reports:index"))
    assert page.status_code == 200
    assert "2025" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:index"),
            {"round": round_2025.pk, "format": "xlsx", "language": "zh-hans"},
        )
    report = ReportRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:status", kwargs={"export_id": report.pk})
    status = client.get(response["Location"])
    body = status.content.decode()
    assert report.sha256 in body
    assert 'data-percent="100"' in body
    assert reverse("reports:lineage_result", kwargs={"result_id": IndicatorResult.objects.get(
        target__code="T2", period="2025", scope="", variant="").pk}) in body  # fmt: skip
    download = client.get(reverse("reports:download", kwargs={"export_id": report.pk}))
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        "attachment; filename*=UTF-8''target-attainment-2025-zh-hans.xlsx"
    )
    assert download["Cache-Control"] == "no-store"
    assert hashlib.sha256(download.content).hexdigest() == report.sha256
    actions = list(
        AuditEvent.objects.filter(action__startswith="report_")
        .order_by("id")
        .values_list("action", "actor_label")
    )
    assert actions == [
        ("report_snapshot", auditor.username),
        ("report_request", auditor.username),
        ("report_generate", "system"),
        ("report_download", auditor.username),
    ]


def test_the_api_requests_polls_and_downloads(
    round_2025, statistics_office, django_capture_on_commit_callbacks
):
    client = _client(statistics_office)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("api:report-list"),
            {"period": "2025", "format": "csv", "language": "en"},
            content_type="application/json",
        )
    assert created.status_code == 202, created.content
    export_id = created.json()["id"]
    status = client.get(reverse("api:report-detail", kwargs={"export_id": export_id})).json()
    assert (status["status"], status["percent"]) == ("done", 100)
    assert status["download_url"] == f"/api/v1/reports/{export_id}/download/"
    listed = client.get(reverse("api:report-list")).json()
    assert listed["count"] == 1
    assert listed["results"][0]["id"] == export_id
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == status["sha256"]
    refused = client.post(
        reverse("api:report-list"), {"period": "2025", "format": "doc"},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 400


def test_a_report_not_ready_is_not_downloaded(round_2025, auditor):
    report = report_request(reporting_round=round_2025, fmt="csv", language="zh-hans", user=auditor)
    client = _client(auditor)
    page = client.get(reverse("reports:download", kwargs={"export_id": report.pk}))
    assert page.status_code == 409
    api = client.get(reverse("api:report-download", kwargs={"export_id": report.pk}))
    assert api.status_code == 409
    assert api.json()["code"] == "not_ready"
    running = client.get(reverse("reports:status", kwargs={"export_id": report.pk}))
    assert 'http-equiv="refresh"' in running.content.decode()


@pytest.mark.parametrize("persona", ["clerk", "head", "outsider"])
def test_department_staff_and_outsiders_cannot_ask_or_download(
    request, round_2025, auditor, persona
):
    done = _generated(round_2025, auditor, "csv")
    user = request.getfixturevalue(persona)
    client = _client(user)
    before = (ReportRequest.objects.count(), AuditEvent.objects.count())
    assert client.get(reverse("reports:index")).status_code == 403
    posted = client.post(
        reverse("reports:index"), {"round": round_2025.pk, "format": "csv", "language": "en"}
    )
    assert posted.status_code == 403
    assert client.get(reverse("reports:download", kwargs={"export_id": done.pk})).status_code == 403
    assert (
        client.get(reverse("api:report-download", kwargs={"export_id": done.pk})).status_code == 403
    )
    with pytest.raises(PermissionRefused):
        report_request(reporting_round=round_2025, fmt="csv", language="en", user=user)
    assert (ReportRequest.objects.count(), AuditEvent.objects.count()) == before


# --- lineage pages -------------------------------------------------------------------------


def test_the_lineage_page_shows_formula_inputs_people_and_coefficient_versions(round_2025, auditor):
    result = IndicatorResult.objects.get(target__code="T2", period="2025", scope="", variant="")
    page = _client(auditor).get(reverse("reports:lineage_result", kwargs={"result_id": result.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert result.method["formula"] in body
    for pk in result.input_figure_ids:
        assert f'data-figure="{pk}"' in body
    for used in result.method["coefficients"].values():
        assert f'data-key="{used["key"]}" data-version="{used["version"]}"' in body
    figure = Figure.objects.select_related("entered_by", "decided_by").get(
        pk=result.input_figure_ids[0]
    )
    assert figure.decided_by.username in body
    figure_page = _client(auditor).get(
        reverse("reports:lineage_figure", kwargs={"figure_id": figure.pk})
    )
    assert figure_page.status_code == 200
    assert reverse("reports:lineage_result", kwargs={"result_id": result.pk}) in (
        figure_page.content.decode()
    )
    # The indicator page links to it for those who read all data.
    indicator = _client(auditor).get(
        reverse("dashboards:indicator", kwargs={"indicator_code": "energy_intensity_iva"})
    )
    assert reverse("reports:lineage_result", kwargs={"result_id": result.pk}) in (
        indicator.content.decode()
    )


def test_a_figures_lineage_lists_every_version(round_2025, administrator, auditor):
    original = Figure.objects.get(item__code="coal_raw", period="2025Q4", scope="", version=1)
    import_rows([{"period": "2025Q4", "item": "coal_raw", "value": "70000"}], user=administrator)
    page = _client(auditor).get(
        reverse("reports:lineage_figure", kwargs={"figure_id": original.pk})
    )
    body = page.content.decode()
    versions = Figure.objects.filter(item__code="coal_raw", period="2025Q4", scope="")
    assert versions.count() == 2
    for figure in versions:
        assert f'data-figure="{figure.pk}"' in body


# --- audit export ------------------------------------------------------------------------------


def test_the_audit_export_filters_and_writes_inert_csv_and_xlsx(round_2025, auditor, clerk):
    from audit.services import audit_record

    for text in INJECTIONS:
        audit_record(actor=clerk, action="figure_correct", department_code="DRS",
                     period="2025Q4", reason=text)  # fmt: skip
    audit_record(actor=clerk, action="figure_correct", department_code="ECO", period="2025Q4")
    client = _client(auditor)
    assert client.get(reverse("reports:audit_export")).status_code == 200
    query = {"department": "DRS", "action": "figure_correct", "period_from": "2025",
             "period_to": "2025Q4"}  # fmt: skip
    response = client.get(reverse("reports:audit_export"), {**query, "format": "csv"})
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "时间", "操作人", "操作"]
    assert len(rows) == 1 + len(INJECTIONS)
    reasons = [row[10] for row in rows[1:]]
    assert reasons == ["'" + text for text in INJECTIONS]

    response = client.get(reverse("reports:audit_export"), {**query, "format": "xlsx"})
    content = response.content
    for name, xml in _sheet_xml(content).items():
        assert "<f>" not in xml, name
    sheet = load_workbook(io.BytesIO(content)).active
    cells = [row[10] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == INJECTIONS
    assert all(c.quotePrefix for c in cells)
    assert sheet.cell(row=2, column=1).data_type == "n"
    exports = AuditEvent.objects.filter(action="audit_export", actor=auditor)
    assert exports.count() == 2
    assert exports.first().details["rows"] == len(INJECTIONS)


@pytest.mark.parametrize("persona", ["committee_member", "statistics_office", "clerk"])
def test_only_auditors_export_the_audit_trail(request, round_2025, persona):
    client = _client(request.getfixturevalue(persona))
    assert client.get(reverse("reports:audit_export"), {"format": "csv"}).status_code == 403


# --- query counts ---------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_page_query_counts_do_not_grow_with_the_data(round_2025, administrator, auditor):
    client = _client(auditor)
    first = _generated(round_2025, auditor, "csv")
    small_result = IndicatorResult.objects.filter(scope="").exclude(input_figure_ids=[]).order_by(
        "pk"
    ).first()  # fmt: skip
    big_result = max(
        IndicatorResult.objects.filter(scope=""), key=lambda r: len(r.input_figure_ids)
    )
    assert len(big_result.input_figure_ids) > len(small_result.input_figure_ids)
    figure = Figure.objects.get(pk=small_result.input_figure_ids[0])
    pages = lambda: {  # noqa: E731
        "index": _count(client, reverse("reports:index")),
        "status": _count(client, reverse("reports:status", kwargs={"export_id": first.pk})),
        "lineage": _count(
            client, reverse("reports:lineage_result", kwargs={"result_id": small_result.pk})
        ),
        "figure": _count(
            client, reverse("reports:lineage_figure", kwargs={"figure_id": figure.pk})
        ),
        "audit": _count(client, reverse("reports:audit_export")),
    }
    few = pages()
    for _ in range(12):
        _generated(round_2025, auditor, "csv")
    for quarter in (1, 2):
        import_rows(
            [{"period": f"2025Q{quarter}", "item": "coal_raw", "value": str(70000 + quarter)}],
            user=administrator,
        )
    results_recompute()
    many = pages()
    many["lineage"] = _count(
        client, reverse("reports:lineage_result", kwargs={"result_id": big_result.pk})
    )
    assert many == few


# --- freezing on close, and requests the broker lost -----------------------------------------


def test_closing_a_round_freezes_it_once(
    round_2025, statistics_office, django_capture_on_commit_callbacks
):
    from reporting.services import round_close

    with django_capture_on_commit_callbacks(execute=True):
        round_close(reporting_round=round_2025, user=statistics_office, reason="按期结束")
    snapshot = RoundSnapshot.objects.get(reporting_round=round_2025)
    assert snapshot.taken_by is None
    assert AuditEvent.objects.filter(action="report_snapshot", actor_label="system").count() == 1
    assert {t["code"] for t in snapshot.content["targets"]} >= {"T1", "T2"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        round_close(reporting_round=round_2025, user=statistics_office)
    assert callbacks == []  # closed and frozen already: nothing queued
    assert RoundSnapshot.objects.count() == 1


def test_the_sweep_requeues_requests_the_broker_lost(round_2025, auditor):
    from django.utils import timezone

    from reports.services import report_requests_requeue

    report = report_request(reporting_round=round_2025, fmt="csv", language="en", user=auditor)
    # The on-commit job never ran (as when Redis was down at the time).
    assert report_requests_requeue() == 0  # too recent to be called lost
    ReportRequest.objects.filter(pk=report.pk).update(
        requested_at=timezone.now() - dt.timedelta(minutes=5)
    )
    assert report_requests_requeue() == 1  # eager here: the job runs at once
    report.refresh_from_db()
    assert report.status == "done"
    assert report_requests_requeue() == 0
