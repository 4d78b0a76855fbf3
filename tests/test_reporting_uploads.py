"""A department's spreadsheet round trip through the pages: template download, upload,
preview, confirm, undo; every file of the bad-input corpus refused with its message and
nothing written; who may do what."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse
from django.utils.html import escape

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators.importing import ImportFileError, ItemSpec, parse_import_file
from indicators.models import DepartmentPeriod, Figure, ImportBatch
from reporting import uploads
from reporting.uploads import (
    TEMPLATE_HEADERS,
    department_template_xlsx,
    department_upload_confirm,
    department_upload_preview,
    department_upload_undo,
)
from reporting.workflow import (
    EntryValue,
    department_items,
    department_period_approve,
    department_period_save,
    latest_figures,
)
from tasks.models import Department
from tests.helpers import department_fill

PERIOD = "2024Q3"
HEADER = ["期间", "指标代码", "数值", "单位", "备注"]


# ---------------------------------------------------------------- builders


def _drs() -> Department:
    return Department.objects.get(code="DRS")


def _csv(rows, header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _xlsx(rows, header=HEADER) -> bytes:
    """Written by XlsxWriter: numbers as numbers, text as text (never a formula)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet("数据")
    for c, title in enumerate(header):
        sheet.write_string(0, c, title)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            if isinstance(cell, (int, float)):
                sheet.write_number(r, c, cell)
            elif cell is not None:
                sheet.write_string(r, c, cell)
    workbook.close()
    return buffer.getvalue()


def _xlsx_with_formula() -> bytes:
    """Written by openpyxl: a formula cell has no cached value."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    sheet.append(HEADER)
    sheet.append([PERIOD, "coal_raw", 5, "t", ""])
    sheet.append([PERIOD, "coke", "=C2*2", "t", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    """About 0.3 MB compressed, 300 MB of zeros declared in sheet1.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = bytes(1 << 20)
            for _ in range(300):
                entry.write(chunk)
    return buffer.getvalue()


def _macro_workbook() -> bytes:
    """A .xlsm-like package renamed .xlsx: a real workbook plus xl/vbaProject.bin."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx([[PERIOD, "coal_raw", 1, "t", ""]])))
    entries = {name: source.read(name) for name in source.namelist()}
    entries["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + bytes(512)
    return _zip(entries)


_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def _hundred_thousand_and_one_rows() -> bytes:
    line = f"{PERIOD},coal_raw,1\r\n".encode()
    return "期间,指标代码,数值\r\n".encode() + line * 100_001


def _upload(client, content: bytes, filename: str, *, department: str | None = None):
    url = reverse("reporting:upload", args=[PERIOD])
    if department:
        url += f"?department={department}"
    return client.post(url, {"file": SimpleUploadedFile(filename, content)})


def _batch_of(response) -> ImportBatch:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = resolve(response.url)
    assert match.url_name == "upload_preview"
    return ImportBatch.objects.get(pk=match.kwargs["batch_id"])


def _preview_url(batch) -> str:
    return reverse("reporting:upload_preview", args=[PERIOD, batch.pk])


def _confirm(client, batch):
    return client.post(reverse("reporting:upload_confirm", args=[PERIOD, batch.pk]))


def _undo(client, batch):
    return client.post(reverse("reporting:upload_undo", args=[PERIOD, batch.pk]))


def _entry_url() -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("reporting:entry", args=[PERIOD])
    except NoReverseMatch:
        return f"/reporting/{PERIOD}/"


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def _written() -> tuple[int, int]:
    return Figure.objects.count(), ImportBatch.objects.filter(status="applied").count()


def _drs_specs() -> dict[str, ItemSpec]:
    return {
        item.code: ItemSpec(item.code, item.unit, item.frequency, item.non_negative)
        for item in department_items(_drs(), PERIOD)
    }


# ---------------------------------------------------------------- template


def test_template_downloads_with_headers_one_row_per_item_numbers_and_instructions(clerk, client):
    department_fill(
        "DRS",
        PERIOD,
        user=clerk,
        values={"coal_raw": "1234.5", "natural_gas": "12.345678", "iva_growth_ytd": "-2.5"},
        notes={"coal_raw": "新增产能"},
    )
    client.force_login(clerk)

    response = client.get(reverse("reporting:template", args=[PERIOD]))

    assert response.status_code == 200
    assert response["Content-Type"] == uploads_xlsx_type()
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name, fallback = uploads.template_filename(_drs(), PERIOD)
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert f'filename="{fallback}"' in disposition
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"

    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["数据", "填写说明"]
    sheet = workbook["数据"]
    assert [c.value for c in sheet[1]] == list(TEMPLATE_HEADERS)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width > 20
    assert sheet.column_dimensions["F"].width > 30
    items = department_items(_drs(), PERIOD)
    body = list(sheet.iter_rows(min_row=2))
    assert [row[1].value for row in body] == [item.code for item in items]
    assert {row[0].value for row in body} == {PERIOD}
    by_code = {row[1].value: row for row in body}
    for item in items:
        assert by_code[item.code][2].value == item.name_zh
        assert by_code[item.code][4].value == item.unit
    coal = by_code["coal_raw"]
    assert coal[3].data_type == "n"
    assert coal[3].value == 1234.5
    assert coal[5].value == "新增产能"
    assert by_code["natural_gas"][3].value == pytest.approx(12.345678)
    assert by_code["iva_growth_ytd"][3].value == -2.5
    assert by_code["coke"][3].value == 0

    guide = "\n".join(
        str(cell.value) for row in workbook["填写说明"].iter_rows() for cell in row if cell.value
    )
    for fragment in ("单季度", "30%", "公式", "选择性粘贴", "Paste Special", "single-quarter"):
        assert fragment in guide

    # The parser reads the template's columns (指标名称 is ignored) back exactly.
    parsed = parse_import_file(response.content, "t.xlsx", _drs_specs())
    assert parsed.errors == []
    values = {row.item_code: row.value for row in parsed.rows}
    assert values["coal_raw"] == Decimal("1234.5")
    assert values["natural_gas"] == Decimal("12.345678")
    assert values["iva_growth_ytd"] == Decimal("-2.5")
    assert AuditEvent.objects.filter(action="template_download", department_code="DRS").exists()


def uploads_xlsx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_template_keeps_more_digits_than_a_double_as_exact_text(clerk, monkeypatch):
    """PostgreSQL keeps 18 + 6 digits; a double keeps 15, so such a value is written as
    text, which the parser reads back exactly. (SQLite itself rounds to a double, so the
    stored figure is stubbed here.)"""
    from types import SimpleNamespace

    exact = Decimal("123456789012.345678")
    monkeypatch.setattr(
        uploads,
        "latest_figures",
        lambda department, period: {"iva_current": SimpleNamespace(value=exact, note="")},
    )

    content = department_template_xlsx(department=_drs(), period=PERIOD, user=clerk)

    parsed = parse_import_file(content, "t.xlsx", _drs_specs())
    assert parsed.errors == [] or {e.code for e in parsed.errors} == {"missing_value"}
    assert {r.item_code: r.value for r in parsed.rows}["iva_current"] == exact


@pytest.mark.parametrize(
    ("_case", "filled"),
    [
        ("every item filled", "all"),
        ("some items filled", "some"),
        ("nothing entered yet", "none"),
    ],
)
def test_unchanged_template_uploads_back_with_no_change(clerk, client, _case, filled):
    if filled == "all":
        department_fill(
            "DRS", PERIOD, user=clerk, values={"coal_raw": "7.25"}, notes={"coal_raw": "说明"}
        )
    elif filled == "some":
        department_period_save(
            department=_drs(),
            period=PERIOD,
            entries=[EntryValue("coal_raw", Decimal("3")), EntryValue("coke", Decimal("0"), "无")],
            user=clerk,
        )
    client.force_login(clerk)
    template = client.get(reverse("reporting:template", args=[PERIOD])).content
    before = _written()
    drafts_before = Figure.objects.count()

    batch = _batch_of(_upload(client, template, "模板.xlsx"))

    assert batch.status == "preview"
    assert batch.errors == []
    page = client.get(_preview_url(batch)).content.decode()
    assert 'id="summary-changed" data-count="0"' in page
    assert not [r for r in batch.preview_rows if r.get("changed")]
    if filled != "all":
        assert [r for r in batch.preview_rows if r.get("skipped")]
    response = _confirm(client, batch)
    assert response.status_code == 302
    assert response.url == _entry_url()
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("applied", 0)
    assert Figure.objects.count() == drafts_before
    assert _written() == (before[0], before[1] + 1)


# ---------------------------------------------------------------- upload, confirm, undo


def test_upload_preview_confirm_creates_drafts_linked_to_the_batch_and_undo_restores(clerk, client):
    department_fill("DRS", PERIOD, user=clerk)  # version 1 of every item: 0
    client.force_login(clerk)
    content = _xlsx(
        [
            [PERIOD, "coal_raw", 1500, "t", "扩产"],
            [PERIOD, "natural_gas", "125000", "m³", ""],
            [PERIOD, "coke", 0, "t", ""],
        ]
    )

    batch = _batch_of(_upload(client, content, "三季度.xlsx"))

    assert Figure.objects.filter(import_batch=batch).count() == 0
    rows = {r["item"]: r for r in batch.preview_rows}
    assert (rows["coal_raw"]["old"], rows["coal_raw"]["value"]) == ("0", "1500")
    assert rows["natural_gas"]["value"] == "12.5"  # 125000 m³ = 12.5 万m³
    assert rows["coke"]["changed"] is False
    page = client.get(_preview_url(batch)).content.decode()
    assert "1500" in page
    assert "扩产" in page
    assert 'id="confirm-button"' in page
    assert 'id="confirm-button" disabled' not in page

    response = _confirm(client, batch)

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.unchanged_count) == ("applied", 2, 1)
    latest = latest_figures(_drs(), PERIOD)
    assert latest["coal_raw"].value == Decimal(1500)
    assert latest["coal_raw"].state == Figure.State.DRAFT
    assert latest["coal_raw"].version == 2
    assert latest["coal_raw"].import_batch_id == batch.pk
    assert latest["coal_raw"].note == "扩产"
    assert latest["natural_gas"].value == Decimal("12.5")
    assert latest["coke"].import_batch_id is None
    assert set(Figure.objects.filter(import_batch=batch).values_list("item__code", flat=True)) == {
        "coal_raw",
        "natural_gas",
    }
    actions = set(
        AuditEvent.objects.filter(object_id=str(batch.pk)).values_list("action", flat=True)
    )
    assert {"upload_preview", "upload_confirm"} <= actions

    page = client.get(reverse("reporting:upload", args=[PERIOD])).content.decode()
    assert f'data-undo="{batch.pk}"' in page
    page = client.get(_preview_url(batch)).content.decode()
    assert 'id="batch-applied"' in page
    assert 'id="undo-form"' in page
    assert 'id="confirm-form"' not in page

    response = _undo(client, batch)

    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "undone"
    latest = latest_figures(_drs(), PERIOD)
    assert (latest["coal_raw"].value, latest["coal_raw"].version) == (Decimal(0), 1)
    assert (latest["natural_gas"].value, latest["natural_gas"].version) == (Decimal(0), 1)
    assert set(Figure.objects.filter(import_batch=batch).values_list("state", flat=True)) == {
        "withdrawn"
    }
    page = client.get(reverse("reporting:upload", args=[PERIOD])).content.decode()
    assert f'data-undo="{batch.pk}"' not in page
    assert 'data-status="undone"' in page
    assert 'id="batch-undone"' in client.get(_preview_url(batch)).content.decode()


def test_confirming_twice_is_refused_cleanly(clerk, client):
    client.force_login(clerk)
    batch = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv"))
    assert _confirm(client, batch).status_code == 302
    before = _written()

    response = _confirm(client, batch)

    assert response.status_code == 302
    assert response.url == _preview_url(batch)
    assert any("已经确认过" in m and "confirmed already" in m for m in _messages(response))
    assert _written() == before
    with pytest.raises(ApplicationError) as caught:
        department_upload_confirm(batch=batch, user=clerk)
    assert caught.value.code == "already_confirmed"


@pytest.mark.parametrize(
    ("_case", "approve", "fragment"),
    [
        ("submitted for approval", False, "已提交待审核"),
        ("approved", True, "审核通过"),
    ],
)
def test_undo_is_refused_once_the_period_is_submitted_or_approved(
    clerk, head, client, _case, approve, fragment
):
    from reporting.workflow import department_period_submit

    department_fill("DRS", PERIOD, user=clerk)
    client.force_login(clerk)
    batch = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "10", "t", ""]]), "a.csv"))
    _confirm(client, batch)
    department_period_submit(department=_drs(), period=PERIOD, user=clerk)
    if approve:
        department_period_approve(department=_drs(), period=PERIOD, user=head)
    states = sorted(Figure.objects.filter(import_batch=batch).values_list("state", flat=True))

    response = _undo(client, batch)

    assert response.status_code == 302
    assert any(fragment in m for m in _messages(response))
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert sorted(Figure.objects.filter(import_batch=batch).values_list("state", flat=True)) == (
        states
    )
    assert latest_figures(_drs(), PERIOD)["coal_raw"].value == Decimal(10)
    page = client.get(reverse("reporting:upload", args=[PERIOD])).content.decode()
    assert f'data-undo="{batch.pk}"' not in page


def test_a_preview_of_an_approved_period_shows_the_lock(clerk, head, client):
    from tests.helpers import department_approve

    department_fill("DRS", PERIOD, user=clerk)
    department_approve("DRS", PERIOD, clerk=clerk, head=head)
    client.force_login(clerk)

    batch = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "10", "t", ""]]), "a.csv"))

    assert [e["code"] for e in batch.errors] == ["period_locked"]
    page = client.get(_preview_url(batch)).content.decode()
    assert "审核锁定" in page
    assert 'id="confirm-button" disabled' in page


def test_a_preview_older_than_an_hour_cannot_be_confirmed(clerk, client):
    client.force_login(clerk)
    batch = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv"))
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=batch.created_at - timedelta(minutes=61)
    )
    before = _written()

    response = _confirm(client, batch)

    assert any("超过 1 小时" in m for m in _messages(response))
    assert _written() == before
    assert 'id="confirm-button" disabled' in client.get(_preview_url(batch)).content.decode()


def test_a_figure_changed_after_the_preview_refuses_the_confirmation(clerk, client):
    department_fill("DRS", PERIOD, user=clerk)
    client.force_login(clerk)
    batch = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv"))
    department_fill("DRS", PERIOD, user=clerk, values={"coal_raw": "6"})
    before = _written()

    response = _confirm(client, batch)

    assert any("已被他人修改" in m for m in _messages(response))
    assert _written() == before
    batch.refresh_from_db()
    assert batch.status == "preview"


def test_validation_of_the_merged_values_is_shown_and_blocks(clerk, client):
    """Feedstock above the fossil energy of the same values is a hard rule of the
    department's values as a whole (the stored fuels, all 0, with the file's feedstock)."""
    department_fill("DRS", PERIOD, user=clerk)
    client.force_login(clerk)

    batch = _batch_of(_upload(client, _csv([[PERIOD, "energy_feedstock", "100", "", ""]]), "a.csv"))

    assert [(e["code"], e["line"], e["kind"]) for e in batch.errors] == [
        ("feedstock_exceeds_energy", 2, "validation")
    ]
    page = client.get(_preview_url(batch)).content.decode()
    assert "用作原料的能源" in page
    assert 'id="confirm-button" disabled' in page


# ---------------------------------------------------------------- the bad-input corpus

_FILE_REFUSALS = [
    # (case, build, filename, status, fragment in the page)
    ("wrong encoding", lambda: b"\xff\xfe\x00\x81", "a.csv", 400, "无法识别文件编码"),
    ("zip bomb", _zip_bomb, "a.xlsx", 400, "压缩比异常"),
    ("xlsm-like macro workbook", _macro_workbook, "a.xlsx", 400, "含有宏"),
    ("PNG renamed .xlsx", lambda: _PNG, "a.xlsx", 400, "不是有效的 .xlsx"),
    ("unsupported type", lambda: b"a,b\r\n", "a.txt", 400, "不支持的文件类型"),
    ("100,001 rows", _hundred_thousand_and_one_rows, "a.csv", 400, "超过上限 100000 行"),
    ("header mismatch", lambda: _csv([["x"]], header=["foo"]), "a.csv", 400, "表头不匹配"),
]


@pytest.mark.parametrize(
    ("_case", "build", "filename", "status", "fragment"),
    _FILE_REFUSALS,
    ids=[c[0] for c in _FILE_REFUSALS],
)
def test_files_refused_as_a_whole_show_why_and_write_nothing_but_the_audit_record(
    clerk, client, _case, build, filename, status, fragment
):
    client.force_login(clerk)
    before = _written()
    batches = ImportBatch.objects.count()

    response = _upload(client, build(), filename)

    assert response.status_code == status
    page = response.content.decode()
    assert 'id="upload-error"' in page
    assert fragment in page
    assert _written() == before
    assert ImportBatch.objects.count() == batches
    event = AuditEvent.objects.get(action="import_file_refused")
    assert (event.department_code, event.period, event.reason) == ("DRS", PERIOD, filename)


def test_a_file_over_20_mb_is_refused_before_it_is_read(clerk, client, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an oversize file must not reach the parser")

    monkeypatch.setattr(uploads, "import_file_read", never)
    client.force_login(clerk)
    before = _written()

    response = _upload(client, b"a" * (21 * 1024 * 1024), "big.csv")

    assert response.status_code == 413
    page = response.content.decode()
    assert "20 MB" in page
    assert "larger than the 20 MB limit" in page
    assert _written() == before
    assert ImportBatch.objects.count() == 0


def test_the_size_limit_handler_discards_the_rest_of_an_oversize_file(rf):
    from django.core.files.uploadhandler import SkipFile

    from reporting.upload_views import UploadSizeLimitHandler

    request = rf.post("/")
    handler = UploadSizeLimitHandler(request, limit=10)
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"678901", 5)
    assert request.upload_too_large is True


_ROW_ERRORS = [
    # (case, build, filename, line, column, code, fragment)
    (
        "unknown item",
        lambda: _csv([[PERIOD, "no_such_item", "1", "", ""]]),
        "a.csv",
        2,
        "指标代码",
        "unknown_item",
        "不存在",
    ),
    (
        "another department's item",
        lambda: _csv([[PERIOD, "coal_raw", "1", "", ""], [PERIOD, "iw_generated", "1", "", ""]]),
        "a.csv",
        3,
        "指标代码",
        "other_department_item",
        "another department",
    ),
    (
        "another period",
        lambda: _csv([[PERIOD, "coal_raw", "1", "", ""], ["2024Q2", "coke", "1", "", ""]]),
        "a.csv",
        3,
        "期间",
        "other_period",
        "与本次上传的期间 2024Q3 不符",
    ),
    (
        "a yearly period",
        lambda: _csv([["2024", "coal_raw", "1", "", ""]]),
        "a.csv",
        2,
        "期间",
        "period_frequency",
        "按季度填报",
    ),
    (
        "an enterprise scope",
        lambda: _csv(
            [[PERIOD, "coal_raw", "1", "", "", "91350100M000100Y43"]], header=[*HEADER, "统计范围"]
        ),
        "a.csv",
        2,
        "统计范围",
        "scope_not_allowed",
        "统计范围”请留空",
    ),
    (
        "bad unit",
        lambda: _csv([[PERIOD, "coal_raw", "1", "kWh", ""]]),
        "a.csv",
        2,
        "单位",
        "bad_unit",
        "无法换算",
    ),
    (
        "text in a number",
        lambda: _xlsx([[PERIOD, "coal_raw", "一千", "t", ""]]),
        "a.xlsx",
        2,
        "数值",
        "not_a_number",
        "不是数字",
    ),
    (
        "negative value",
        lambda: _csv([[PERIOD, "coal_raw", "-5", "t", ""]]),
        "a.csv",
        2,
        "数值",
        "negative",
        "不能为负数",
    ),
    (
        "duplicate rows",
        lambda: _csv([[PERIOD, "coal_raw", "1", "t", ""], [PERIOD, "coal_raw", "2", "t", ""]]),
        "a.csv",
        3,
        "",
        "duplicate",
        "第2行与第3行重复",
    ),
    (
        "formula without a value",
        _xlsx_with_formula,
        "a.xlsx",
        3,
        "数值",
        "formula_without_value",
        "单元格含公式",
    ),
]


@pytest.mark.parametrize(
    ("_case", "build", "filename", "line", "column", "code", "fragment"),
    _ROW_ERRORS,
    ids=[c[0] for c in _ROW_ERRORS],
)
def test_row_errors_are_shown_with_line_and_column_and_nothing_can_be_confirmed(
    clerk, client, _case, build, filename, line, column, code, fragment
):
    department_fill("DRS", PERIOD, user=clerk)
    client.force_login(clerk)
    before = _written()

    batch = _batch_of(_upload(client, build(), filename))

    assert batch.status == "preview"
    (error,) = [e for e in batch.errors if e["code"] == code]
    assert (error["line"], error["column"]) == (line, column)
    assert error["message_zh"]
    assert error["message_en"]
    page = client.get(_preview_url(batch)).content.decode()
    assert f'data-line="{line}" data-code="{code}"' in page
    assert fragment in page
    assert 'id="confirm-button" disabled' in page
    response = _confirm(client, batch)
    assert any("错误" in m and "error" in m for m in _messages(response))
    batch.refresh_from_db()
    assert batch.status == "preview"
    assert _written() == before


def test_errors_beyond_the_listed_maximum_are_counted(clerk, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_LISTED_ERRORS", 3)
    rows = [[PERIOD, "coal_raw", str(i), "t", ""] for i in range(7)]  # 6 duplicates

    batch = department_upload_preview(
        department=_drs(), period=PERIOD, content=_csv(rows), filename="a.csv", user=clerk
    )

    assert [e["code"] for e in batch.errors] == ["duplicate"] * 3 + ["more_errors"]
    assert "另有 3 处错误未列出" in batch.errors[-1]["message_zh"]


def test_another_departments_item_names_its_department(clerk):
    batch = department_upload_preview(
        department=_drs(),
        period=PERIOD,
        content=_csv([[PERIOD, "iw_generated", "1", "", ""]]),
        filename="a.csv",
        user=clerk,
    )

    (error,) = batch.errors
    eco = Department.objects.get(code="ECO")
    assert eco.name_zh in error["message_zh"]
    assert "不是本部门" in error["message_zh"]


@pytest.mark.parametrize(
    ("_case", "note"),
    [
        ("hyperlink formula", '=HYPERLINK("http://x")'),
        ("DDE", "=cmd|' /C calc'!A0"),
        ("at sign", "@SUM(1)"),
        ("plus", "+1"),
        ("minus", "-1+1"),
        ("markup", '<script>alert("x")</script>'),
    ],
)
def test_injection_strings_in_notes_are_stored_as_plain_text_and_shown_escaped(
    clerk, client, _case, note
):
    client.force_login(clerk)
    batch = _batch_of(_upload(client, _xlsx([[PERIOD, "coal_raw", 3, "t", note]]), "a.xlsx"))

    page = client.get(_preview_url(batch)).content.decode()

    assert escape(note) in page
    if escape(note) != note:
        assert note not in page
    assert '<a href="http://x"' not in page
    assert "<script>alert" not in page
    _confirm(client, batch)
    figure = latest_figures(_drs(), PERIOD)["coal_raw"]
    assert figure.note == note
    template = client.get(reverse("reporting:template", args=[PERIOD])).content
    workbook = openpyxl.load_workbook(io.BytesIO(template))
    (row,) = [r for r in workbook["数据"].iter_rows(min_row=2) if r[1].value == "coal_raw"]
    assert row[5].data_type == "s"
    assert row[5].value == note
    assert row[5].quotePrefix is (note[0] in "=+-@")


# ---------------------------------------------------------------- permissions


def test_another_departments_clerk_cannot_preview_confirm_or_undo(clerk, other_clerk, client):
    client.force_login(clerk)
    preview = _batch_of(_upload(client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv"))
    applied = _batch_of(_upload(client, _csv([[PERIOD, "coke", "5", "t", ""]]), "b.csv"))
    _confirm(client, applied)
    before = _written()
    client.force_login(other_clerk)

    upload = _upload(client, _csv([[PERIOD, "coal_raw", "9", "t", ""]]), "c.csv", department="DRS")
    page = client.get(_preview_url(preview))
    confirm = _confirm(client, preview)
    undo = _undo(client, applied)

    assert (upload.status_code, page.status_code, confirm.status_code, undo.status_code) == (
        403,
        403,
        403,
        403,
    )
    assert ImportBatch.objects.filter(created_by=other_clerk).count() == 0
    preview.refresh_from_db()
    applied.refresh_from_db()
    assert (preview.status, applied.status) == ("preview", "applied")
    assert _written() == before
    with pytest.raises(PermissionRefused):
        department_upload_confirm(batch=preview, user=other_clerk)
    with pytest.raises(PermissionRefused):
        department_upload_undo(batch=applied, user=other_clerk)
    with pytest.raises(PermissionRefused):
        department_upload_preview(
            department=_drs(), period=PERIOD, content=b"", filename="a.csv", user=other_clerk
        )


@pytest.mark.parametrize(
    ("_case", "persona", "department"),
    [
        ("committee member", "committee_member", None),
        ("committee member naming DRS", "committee_member", "DRS"),
        ("auditor", "auditor", None),
        ("auditor naming DRS", "auditor", "DRS"),
        ("outsider", "outsider", None),
        ("outsider naming DRS", "outsider", "DRS"),
        ("statistics office naming DRS", "statistics_office", "DRS"),
    ],
)
def test_readers_and_outsiders_cannot_upload(request, client, _case, persona, department):
    user = request.getfixturevalue(persona)
    client.force_login(user)

    response = _upload(
        client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv", department=department
    )

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0
    with pytest.raises(PermissionRefused):
        department_upload_preview(
            department=_drs(),
            period=PERIOD,
            content=_csv([[PERIOD, "coal_raw", "5", "t", ""]]),
            filename="a.csv",
            user=user,
        )


@pytest.mark.parametrize(
    ("_case", "persona", "department", "status"),
    [
        ("own department's clerk", "clerk", None, 200),
        ("committee member naming DRS", "committee_member", "DRS", 200),
        ("auditor naming DRS", "auditor", "DRS", 200),
        ("another department's clerk", "other_clerk", "DRS", 403),
        ("outsider naming DRS", "outsider", "DRS", 403),
    ],
)
def test_who_may_download_a_departments_template(
    request, client, _case, persona, department, status
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("reporting:template", args=[PERIOD])
    if department:
        url += f"?department={department}"

    assert client.get(url).status_code == status


def test_the_upload_form_is_csrf_protected(clerk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)

    response = _upload(client, _csv([[PERIOD, "coal_raw", "5", "t", ""]]), "a.csv")

    assert response.status_code == 403
    assert ImportBatch.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(park, client):
    response = client.get(reverse("reporting:upload", args=[PERIOD]))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_a_refused_file_leaves_the_department_period_untouched(clerk):
    before = DepartmentPeriod.objects.count()

    with pytest.raises(ImportFileError):
        department_upload_preview(
            department=_drs(), period=PERIOD, content=_PNG, filename="a.xlsx", user=clerk
        )

    assert DepartmentPeriod.objects.count() == before
