"""A unit's task parts in bulk (issue 16 item 4): the export read back, the row checks
table-tested, the import previewed and applied all or nothing through the same service as
the form, hostile and bad files refused with line, column and reason in zh/en."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from indicators.importing import ImportFileError
from reporting.models import ReportingRound
from tasks.models import Department, PartImport, PartReport, WorkItemPart
from tasks.part_file import PartSpec, parse_part_table
from tasks.part_import import part_import_apply, part_import_preview
from tasks.workflow import part_report_approve, part_report_submit

PERIOD = "2026Q3"
HEADER = ["工作要点编号", "计量单位", "报送期间", "进展", "完成数量", "进展情况"]
SPECS = {"5.1": PartSpec("5.1", "家"), "5.2": PartSpec("5.2", ""), "5.3": PartSpec("5.3", "")}


# --- the row checks (pure) ------------------------------------------------------------------


def test_good_rows_are_read_and_untouched_template_rows_skipped():
    table = [
        HEADER,
        ["5.1", "家", "2026Q3", "已完成", "3", "完成3家企业核查"],
        ["5.2", "", "2026年三季度", "in_progress", "", "推进中"],
        ["12.1", "", "2026Q3", "", "", ""],  # a part left unreported
        ["", "", "", "", "", ""],
    ]
    parsed = parse_part_table(table, SPECS, period=PERIOD)
    assert parsed.errors == []
    assert parsed.skipped == 1
    first, second = parsed.rows
    assert (first.line, first.work_item, first.progress, str(first.quantity), first.unit) == (
        2,
        "5.1",
        "done",
        "3",
        "家",
    )
    assert (second.period, second.progress, second.quantity) == (PERIOD, "in_progress", None)


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["9.9", "", "2026Q3", "推进中", "", "x"], "工作要点编号", "no_such_part"),
        (["", "", "2026Q3", "推进中", "", "x"], "工作要点编号", "required"),
        (["5.2", "", "2026Q2", "推进中", "", "x"], "报送期间", "wrong_period"),
        (["5.2", "", "明年", "推进中", "", "x"], "报送期间", "wrong_period"),
        (["5.2", "", "2026Q3", "差不多", "", "x"], "进展", "invalid"),
        (["5.2", "", "2026Q3", "推进中", "", "  "], "进展情况", "required"),
        (["5.2", "", "2026Q3", "推进中", "2", "x"], "完成数量", "no_quantity"),
        (["5.1", "MW", "2026Q3", "推进中", "2", "x"], "计量单位", "wrong_unit"),
        (["5.1", "家", "2026Q3", "推进中", "-2", "x"], "完成数量", "invalid_quantity"),
        (["5.1", "家", "2026Q3", "推进中", "三家", "x"], "完成数量", "invalid_quantity"),
        (["5.1", "家", "2026Q3", "推进中", "1e400", "x"], "完成数量", "invalid_quantity"),
    ],
)
def test_a_bad_row_is_reported_with_line_column_and_reason(row, column, code):
    parsed = parse_part_table(
        [HEADER, ["5.3", "", "2026Q3", "推进中", "", "好"], row], SPECS, period=PERIOD
    )
    assert [(e.line, e.column, e.code) for e in parsed.errors] == [(3, column, code)]
    assert parsed.errors[0].message_zh
    assert parsed.errors[0].message_en
    assert parsed.errors[0].message_zh != parsed.errors[0].message_en


def test_a_duplicate_row_and_a_formula_cell_are_errors():
    table = [
        HEADER,
        ["5.2", "", "2026Q3", "推进中", "", "一"],
        ["5.2", "", "2026Q3", "推进中", "", "二"],
        ["5.1", "家", "2026Q3", "推进中", "", "三"],
    ]
    parsed = parse_part_table(table, SPECS, period=PERIOD, formula_cells={(3, 4)})
    assert [(e.line, e.code) for e in parsed.errors] == [(3, "duplicate"), (4, "formula")]


def test_english_headers_are_read_and_a_missing_column_refuses_the_file():
    table = [["Work item", "Period", "Progress", "Narrative"], ["5.2", "2026Q3", "Done", "ok"]]
    assert parse_part_table(table, SPECS, period=PERIOD).rows[0].progress == "done"
    with pytest.raises(ImportFileError) as refused:
        parse_part_table([["工作要点编号", "进展"], ["5.2", "推进中"]], SPECS, period=PERIOD)
    assert refused.value.code == "missing_columns"
    assert "报送期间" in refused.value.message_zh
    with pytest.raises(ImportFileError):
        parse_part_table([HEADER, ["5.2", "", "2026Q3", "", "", ""]], SPECS, period=PERIOD)


# --- export, preview, apply -----------------------------------------------------------------


@pytest.fixture
def quarter(park, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 20)
    )


@pytest.fixture
def eco_head(park):
    return User.objects.create_user(
        username="zhou.eco.head", role=User.Role.HEAD, department=Department.objects.get(code="ECO")
    )


def _client(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _sheet(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["数据", "填写说明"]
    rows = [
        [c if c is not None else "" for c in row]
        for row in workbook["数据"].iter_rows(values_only=True)
    ]
    return workbook, rows


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_the_export_lists_the_units_open_parts_with_this_quarters_report_inert(
    quarter, other_clerk
):
    eco_part = WorkItemPart.objects.get(work_item__code="5.1", department__code="ECO")
    part_report_submit(
        part=eco_part, period=PERIOD, progress="in_progress", quantity="2", quantity_unit="家",
        narrative="=HYPERLINK(\"http://evil\")", user=other_clerk,
    )  # fmt: skip
    response = _client(other_clerk).get(reverse("tasks:parts_export"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ECO-parts-2026Q3.xlsx"'
    workbook, rows = _sheet(response.content)
    header = rows[0]
    assert header[:2] == ["工作要点编号", "工作要点"]
    codes = [row[0] for row in rows[1:]]
    expected = list(
        WorkItemPart.objects.filter(department__code="ECO")
        .order_by("work_item__task__order", "work_item__order", "pk")
        .values_list("work_item__code", flat=True)
    )
    assert codes == expected
    line = rows[1 + codes.index("5.1")]
    by = dict(zip(header, line, strict=True))
    assert (by["计量单位"], by["报送期间"], by["进展"], by["完成数量"]) == (
        "家",
        PERIOD,
        "推进中",
        "2",
    )
    assert by["本单位角色"] == "配合"
    assert by["当前状态"] == "待审核"
    # A narrative that looks like a formula is written as text, never as a formula.
    cell = workbook["数据"].cell(row=2 + codes.index("5.1"), column=10)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil")'
    assert (
        "<f>"
        not in zipfile.ZipFile(io.BytesIO(response.content))
        .read("xl/worksheets/sheet1.xml")
        .decode()
    )
    # English headers for an English page; they are read back the same.
    english = _client(other_clerk, "en").get(reverse("tasks:parts_export"))
    assert _sheet(english.content)[1][0][:2] == ["Work item", "Title"]


def test_a_filled_in_export_is_previewed_then_reported_through_the_service(
    quarter, other_clerk, eco_head
):
    client = _client(other_clerk)
    _workbook, rows = _sheet(client.get(reverse("tasks:parts_export")).content)
    header = rows[0]
    filled = [header]
    for row in rows[1:]:
        values = dict(zip(header, row, strict=True))
        if values["工作要点编号"] == "5.1":
            values.update({"进展": "已完成", "完成数量": "3", "进展情况": "完成3家企业环评核查。"})
        elif values["工作要点编号"] == "12.1":
            values.update({"进展": "推进中", "进展情况": "制定方案。"})
        filled.append([values[h] for h in header])
    response = client.post(
        reverse("tasks:parts_import"),
        {"file": _upload("ECO-parts.xlsx", _xlsx(filled))},
    )
    assert response.status_code == 302
    upload = PartImport.objects.get()
    assert upload.status == "preview"
    assert upload.errors == []
    assert [r["work_item"] for r in upload.rows] == ["5.1", "12.1"]
    assert upload.skipped == len(rows) - 3
    assert PartReport.objects.count() == 0  # the preview's dry run left nothing behind
    assert not AuditEvent.objects.filter(action="part_report_submit").exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-item="5.1" data-progress="done"' in page
    assert 'id="import-apply"' in page
    # Nobody else confirms it; another unit does not even see it.
    assert (
        _client(eco_head).post(reverse("tasks:parts_import_apply", args=[upload.pk])).status_code
        == 403
    )
    outsider = User.objects.create_user(
        username="qian.eit", role=User.Role.CLERK, department=Department.objects.get(code="EIT")
    )
    assert _client(outsider).get(response["Location"]).status_code == 403

    applied = client.post(reverse("tasks:parts_import_apply", args=[upload.pk]))
    assert applied.status_code == 302
    reports = {
        r.part.work_item.code: r for r in PartReport.objects.select_related("part__work_item")
    }
    assert set(reports) == {"5.1", "12.1"}
    assert reports["5.1"].quantity == 3
    assert reports["5.1"].state == "submitted"
    assert reports["5.1"].submitted_by == other_clerk
    assert AuditEvent.objects.filter(action="part_report_submit").count() == 2
    event = AuditEvent.objects.get(action="part_import_apply")
    assert event.details["sha256"] == upload.sha256
    assert event.actor == other_clerk
    # The head approves an imported report as any other; applying twice is refused.
    part_report_approve(report=reports["5.1"], user=eco_head)
    again = client.post(reverse("tasks:parts_import_apply", args=[upload.pk]))
    assert again.status_code == 400
    assert PartReport.objects.count() == 2


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_one_bad_row_refuses_the_file_with_every_error_in_both_languages(quarter, other_clerk):
    content = _xlsx(
        [
            HEADER,
            ["5.1", "家", PERIOD, "已完成", "3", "完成"],
            ["5.2", "", PERIOD, "差不多", "", "说明"],
            ["5.1", "MW", PERIOD, "推进中", "1", "重复"],
        ]
    )
    for language, reason in (("zh-hans", "进展应为"), ("en", "Progress must be")):
        response = _client(other_clerk, language).post(
            reverse("tasks:parts_import"), {"file": _upload("bad.xlsx", content)}
        )
        page = _client(other_clerk, language).get(response["Location"]).content.decode()
        assert 'data-line="3" data-column="进展" data-code="invalid"' in page
        assert 'data-line="4" data-column="工作要点编号" data-code="duplicate"' in page
        assert reason in page
        assert 'id="import-apply"' not in page
    upload = PartImport.objects.first()
    assert upload.status == "rejected"
    assert PartReport.objects.count() == 0
    assert AuditEvent.objects.filter(action="part_import_reject").count() == 2


def test_the_services_own_refusal_is_a_row_error_and_apply_is_all_or_nothing(
    quarter, other_clerk, eco_head
):
    part = WorkItemPart.objects.get(work_item__code="12.1", department__code="ECO")
    report = part_report_submit(
        part=part, period=PERIOD, progress="in_progress", narrative="一", user=other_clerk
    )
    part_report_approve(report=report, user=eco_head)
    content = _xlsx(
        [
            HEADER,
            ["5.1", "家", PERIOD, "推进中", "1", "好"],
            ["12.1", "", PERIOD, "已完成", "", "改"],
        ]
    )
    upload = part_import_preview(
        department=part.department, user=other_clerk, content=content, filename="a.xlsx"
    )
    assert upload.status == "rejected"
    assert [(e["line"], e["code"]) for e in upload.errors] == [(3, "invalid_state")]

    # A preview that was right, then the state moved on before it was confirmed.
    report.state = PartReport.State.SUBMITTED
    report.save()
    upload = part_import_preview(
        department=part.department, user=other_clerk, content=content, filename="a.xlsx"
    )
    assert upload.status == "preview"
    part_report_approve(report=report, user=eco_head)
    before = list(PartReport.objects.values_list("pk", "state", "narrative"))
    response = _client(other_clerk).post(reverse("tasks:parts_import_apply", args=[upload.pk]))
    assert response.status_code == 400
    assert "未写入任何数据" in response.content.decode()
    assert 'data-line="3"' in response.content.decode()
    assert list(PartReport.objects.values_list("pk", "state", "narrative")) == before
    upload.refresh_from_db()
    assert upload.status == "preview"
    with pytest.raises(ApplicationError) as refused:
        part_import_apply(upload=upload, user=other_clerk)
    assert refused.value.code == "import_rejected"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("parts.xlsx", b"period,item\n2026Q3,5.1\n", "not_xlsx"),
        ("parts.csv", b"\xef\xbb\xbf" + "工作要点编号,进展\n".encode(), "unsupported_type"),
        ("parts.xlsm", b"PK\x03\x04", "unsupported_type"),
    ],
)
def test_hostile_and_wrong_files_are_refused_whole(quarter, other_clerk, name, content, code):
    upload = part_import_preview(
        department=Department.objects.get(code="ECO"),
        user=other_clerk,
        content=content,
        filename=name,
    )
    assert upload.status == "rejected"
    assert upload.errors[0]["code"] == code
    assert upload.errors[0]["message_zh"]
    assert upload.errors[0]["message_en"]
    assert PartReport.objects.count() == 0


def test_a_workbook_with_macros_is_refused(quarter, other_clerk):
    buffer = io.BytesIO(_xlsx([HEADER, ["5.2", "", PERIOD, "推进中", "", "好"]]))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\x00" * 64)
    upload = part_import_preview(
        department=Department.objects.get(code="ECO"),
        user=other_clerk,
        content=buffer.getvalue(),
        filename="parts.xlsx",
    )
    assert (upload.status, upload.errors[0]["code"]) == ("rejected", "macro")


def test_without_an_open_round_or_for_another_unit_nothing_is_imported(park, other_clerk, clerk):
    content = _xlsx([HEADER, ["5.2", "", PERIOD, "推进中", "", "好"]])
    with pytest.raises(ApplicationError) as refused:
        part_import_preview(
            department=Department.objects.get(code="ECO"), user=other_clerk, content=content,
            filename="a.xlsx",
        )  # fmt: skip
    assert refused.value.code == "period_not_open"
    ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 20)
    )
    with pytest.raises(ApplicationError) as refused:
        part_import_preview(
            department=Department.objects.get(code="ECO"), user=clerk, content=content,
            filename="a.xlsx",
        )  # fmt: skip
    assert refused.value.code == "permission_denied"
    assert PartImport.objects.count() == 0
