"""Issue 17 #9: an enterprise's energy manager uploads its quarter as xlsx — a pre-filled
template, a preview with every error by line, column and reason, all or nothing — through
the figures import machinery (isolated parse, unit and credit-code checks)."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from enterprises import quarter_file
from enterprises.models import Enterprise
from enterprises.quarters import (
    ENTERPRISE_ITEMS,
    enterprise_quarter_approve,
    enterprise_quarter_save,
    enterprise_quarter_submit,
)
from indicators.models import Figure, ImportBatch
from reporting.workflow import EntryValue
from tasks.models import Department

PERIOD = "2024Q1"
OTHER_CODE = "91350100M000100Y43"


@pytest.fixture
def other_enterprise(park):
    return Enterprise.objects.create(
        code=OTHER_CODE,
        name="德州另一家企业",
        industry="3985",
        supervising_department=Department.objects.get(code="EIT"),
    )


def _filled(template: bytes, values: dict, scope: str | None = None) -> bytes:
    """The template with these values (item code → value) typed into it."""
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["数据"]
    for row in sheet.iter_rows(min_row=2):
        code = row[1].value
        if code in values:
            row[3].value = values[code]
        if scope is not None and code == "coke":
            row[5].value = scope
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _template(manager, enterprise) -> bytes:
    return quarter_file.enterprise_quarter_template_xlsx(
        enterprise=enterprise, period=PERIOD, user=manager
    )


def _all(**values) -> dict:
    return {code: values.get(code, 0) for code in ENTERPRISE_ITEMS}


def test_template_upload_preview_confirm(client, energy_manager, cell_maker):
    client.force_login(energy_manager)
    base = f"/enterprises/{cell_maker.code}/quarters/{PERIOD}/"
    template = client.get(base + "template.xlsx")
    assert template.status_code == 200
    content = _filled(template.content, _all(electricity_grid=120.5, iva_current=3400))
    response = client.post(base + "upload/", {"file": SimpleUploadedFile("企业.xlsx", content)})
    assert response.status_code == 302
    batch = ImportBatch.objects.get(source="enterprise_upload")
    assert batch.errors == []
    preview = client.get(response["Location"]).content.decode()
    assert 'id="confirm-button"' in preview
    assert not Figure.objects.filter(scope=cell_maker.code).exists()  # a preview writes none
    response = client.post(response["Location"])
    assert response["Location"] == reverse("enterprises:quarter", args=[cell_maker.code, PERIOD])
    figures = Figure.objects.filter(scope=cell_maker.code, is_latest=True)
    assert figures.count() == len(ENTERPRISE_ITEMS)
    assert {f.state for f in figures} == {"draft"}
    assert {f.import_batch_id for f in figures} == {batch.pk}
    assert figures.get(item__code="electricity_grid").value == Decimal("120.5")
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert AuditEvent.objects.filter(action="enterprise_quarter_upload").count() == 1
    # Confirmed once: a second confirmation is refused, nothing more written.
    client.post(base + f"upload/{batch.pk}/")
    assert Figure.objects.filter(scope=cell_maker.code).count() == len(ENTERPRISE_ITEMS)
    # The template now carries the drafts.
    again = openpyxl.load_workbook(io.BytesIO(client.get(base + "template.xlsx").content))
    grid = next(r for r in again["数据"].iter_rows(min_row=2, values_only=True)
            if r[1] == "electricity_grid")  # fmt: skip
    assert grid[3] == 120.5
    assert grid[5] == cell_maker.code


def test_every_error_by_line_column_and_reason_and_nothing_written(
    energy_manager, cell_maker, other_enterprise
):
    attempts = AuditEvent.objects.filter(action="enterprise_access_refused").count()
    content = _filled(
        _template(energy_manager, cell_maker),
        _all(electricity_grid="abc", natural_gas=-5),
        scope=OTHER_CODE,
    )
    batch = quarter_file.enterprise_quarter_upload_preview(
        enterprise=cell_maker, period=PERIOD, content=content, filename="a.xlsx",
        user=energy_manager,
    )  # fmt: skip
    by_code = {e["code"]: e for e in batch.errors}
    assert set(by_code) >= {"other_enterprise"}
    lines = {e["line"] for e in batch.errors}
    assert len(lines) >= 3  # the bad number, the negative amount, the other enterprise
    other = by_code["other_enterprise"]
    assert other["column"] == "统计范围"
    assert OTHER_CODE in other["message_zh"]
    assert all(e["message_en"] for e in batch.errors)
    # A row naming another enterprise is an attempt on it.
    assert AuditEvent.objects.filter(action="enterprise_access_refused").count() == attempts + 1
    with pytest.raises(ApplicationError) as refused:
        quarter_file.enterprise_quarter_upload_confirm(
            enterprise=cell_maker, batch=batch, user=energy_manager
        )
    assert refused.value.code == "invalid"
    assert not Figure.objects.filter(scope__in=[cell_maker.code, OTHER_CODE]).exists()


def test_a_file_refused_as_a_whole(client, energy_manager, cell_maker):
    client.force_login(energy_manager)
    url = f"/enterprises/{cell_maker.code}/quarters/{PERIOD}/upload/"
    response = client.post(url, {"file": SimpleUploadedFile("a.xlsx", b"not a workbook")})
    assert response.status_code == 400
    assert 'id="upload-error"' in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert AuditEvent.objects.filter(action="import_file_refused").count() == 1


def test_a_submitted_or_approved_quarter_refuses_an_upload(energy_manager, cell_maker, head):
    entries = [EntryValue(code, Decimal("1")) for code in ENTERPRISE_ITEMS]
    enterprise_quarter_save(enterprise=cell_maker, period=PERIOD, user=energy_manager,
                            entries=entries)  # fmt: skip
    enterprise_quarter_submit(enterprise=cell_maker, period=PERIOD, user=energy_manager)
    content = _filled(_template(energy_manager, cell_maker), {"coke": 7})
    batch = quarter_file.enterprise_quarter_upload_preview(
        enterprise=cell_maker, period=PERIOD, content=content, filename="a.xlsx",
        user=energy_manager,
    )  # fmt: skip
    assert [e["code"] for e in batch.errors] == ["period_submitted"]
    enterprise_quarter_approve(enterprise=cell_maker, period=PERIOD, user=head)
    batch = quarter_file.enterprise_quarter_upload_preview(
        enterprise=cell_maker, period=PERIOD, content=content, filename="a.xlsx",
        user=energy_manager,
    )  # fmt: skip
    assert [e["code"] for e in batch.errors] == ["period_locked"]


def test_only_its_energy_manager_uploads(client, energy_manager, cell_maker, clerk, head):
    base = f"/enterprises/{cell_maker.code}/quarters/{PERIOD}/"
    for person in (clerk, head):
        client.force_login(person)
        assert client.get(base + "template.xlsx").status_code == 403
        assert client.get(base + "upload/").status_code == 403
    # Another enterprise's address: the wall.
    client.force_login(energy_manager)
    assert client.get(f"/enterprises/{OTHER_CODE}/quarters/{PERIOD}/upload/").status_code == 403
