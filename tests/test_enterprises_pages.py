"""The register, reconciliation and gap-attribution pages, and the waterfall on the
intensity indicator page."""

import json
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from enterprises.models import Enterprise, RegisterUpload
from enterprises.views import gap_contexts_precompute
from tests.enterprise_fixtures import UNIT_A, UNIT_B

GOOD = "统一社会信用代码,企业名称,行业代码,主管部门,主导产业,规上\n91350100M000100Y43,德州甲电子有限公司,3985,DRS,电子信息,是\n"
BAD = GOOD + "91350100M000100Y44,坏码企业,3985,DRS,,否\n"


def _upload(client, text, name="名录.csv"):
    return client.post(
        "/enterprises/", {"file": SimpleUploadedFile(name, text.encode("utf-8"))}, follow=True
    )


def test_register_upload_preview_then_confirm(client, statistics_office):
    client.force_login(statistics_office)
    page = _upload(client, GOOD).content.decode()
    assert "新增 1 家" in page
    assert not Enterprise.objects.exists()  # a preview writes nothing to the register
    upload = RegisterUpload.objects.get()
    page = client.post(f"/enterprises/uploads/{upload.pk}/", follow=True).content.decode()
    assert Enterprise.objects.get().name == "德州甲电子有限公司"
    assert "德州甲电子有限公司" in page
    again = client.post(f"/enterprises/uploads/{upload.pk}/", follow=True).content.decode()
    assert "已处理" in again  # confirming twice is refused


def test_register_upload_with_an_error_imports_nothing(client, statistics_office):
    client.force_login(statistics_office)
    page = unescape(_upload(client, BAD).content.decode())
    assert 'data-line="3"' in page
    assert "校验码不正确" in page
    assert RegisterUpload.objects.get().status == "rejected"
    assert not Enterprise.objects.exists()
    assert AuditEvent.objects.filter(action="enterprise_import_rejected").exists()


def test_register_page_scoped_for_department_staff(client, statistics_office, other_clerk):
    client.force_login(statistics_office)
    _upload(client, GOOD)
    client.post(f"/enterprises/uploads/{RegisterUpload.objects.get().pk}/")
    client.force_login(other_clerk)  # ECO does not supervise the DRS enterprise
    page = client.get("/enterprises/").content.decode()
    assert "德州甲电子有限公司" not in page
    assert "企业与园区核对" not in page  # a link the clerk may not follow is not shown
    assert client.get("/enterprises/export.xlsx").status_code == 200


def test_reconciliation_page(client, committee_member, park_with_key_units):
    client.force_login(committee_member)
    page = client.get("/enterprises/reconciliation/?period=2025Q2").content.decode()
    assert 'data-item="coal_raw" data-window="quarter"' in page
    assert "67%" in page  # 40,000 of 60,000 t


def test_gap_page_and_the_intensity_page_waterfall(client, committee_member, park_with_key_units):
    client.force_login(committee_member)
    page = client.get("/dashboards/indicators/energy_intensity_iva/").content.decode()
    assert 'id="gap-attribution"' in page
    assert 'id="gap-pending"' in page  # this page never computes the attribution
    assert gap_contexts_precompute() == 2  # what the job does after each recompute
    page = client.get("/dashboards/indicators/energy_intensity_iva/").content.decode()
    assert f'data-sector="{UNIT_B}"' in page
    page = client.get("/enterprises/gap/?from=2020&to=2025").content.decode()
    assert f'data-sector="{UNIT_A}"' in page
    assert 'data-sector="rest_of_park"' in page
    script = page.split('id="gap-figure" type="application/json">')[1].split("</script>")[0]
    assert json.loads(unescape(script))["data"][0]["type"] == "waterfall"


def test_gap_page_explains_periods_that_do_not_compare(
    client, committee_member, park_with_key_units
):
    client.force_login(committee_member)
    page = client.get("/enterprises/gap/?from=2025&to=2020").content.decode()
    assert 'id="gap-error"' in page


@pytest.mark.parametrize("persona", ["clerk", "outsider"])
def test_gap_and_reconciliation_refused(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/enterprises/gap/").status_code == 403
    assert client.get("/enterprises/reconciliation/").status_code == 403


def test_pages_in_english(client, committee_member, park_with_key_units):
    client.force_login(committee_member)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get("/enterprises/gap/?from=2020&to=2025").content.decode()
    assert "Who moved the park" in page
    page = client.get("/enterprises/reconciliation/?period=2025").content.decode()
    assert "more than 0.5%" in page
