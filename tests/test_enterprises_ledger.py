"""The key-unit ledger and the enterprise profile: values from stored results, rank and
share in the park, the xlsx export, the wall around another department's enterprise, and
a query count that does not grow with the enterprises."""

import io

import openpyxl
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from enterprises import credit_code
from indicators.models import IndicatorResult
from indicators.recompute import results_recompute
from tests.enterprise_fixtures import OTHER, UNIT_A, UNIT_B, unit_rows
from tests.helpers import enterprises_register, import_rows


def _energy(scope, period="2025"):
    return IndicatorResult.objects.get(
        indicator__code="energy_total_calorific", period=period, scope=scope, variant=""
    ).value


def test_ledger_ranks_key_units_with_their_share_of_the_park(
    client, committee_member, park_with_key_units
):
    client.force_login(committee_member)
    page = client.get("/enterprises/ledger/?period=2025").content.decode()
    first, second = page.index(f'data-code="{UNIT_A}"'), page.index(f'data-code="{UNIT_B}"')
    assert first < second  # A uses more energy than B
    assert f'data-code="{OTHER}"' not in page  # not a key unit
    share = _energy(UNIT_A) / _energy("")
    assert f"{float(share) * 100:.1f}%" in page
    answer = client.get("/enterprises/ledger.xlsx?period=2025")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).worksheets[0]
    assert sheet.cell(3, 2).value == UNIT_A
    assert sheet.cell(3, 4).value == float(_energy(UNIT_A))


def test_profile_and_the_wall_around_it(
    client, committee_member, other_clerk, clerk, park_with_key_units
):
    client.force_login(committee_member)
    page = client.get(f"/enterprises/{UNIT_A}/").content.decode()
    assert "profile-figure" in page
    assert 'data-item="coal_raw"' in page
    client.force_login(clerk)  # DRS supervises the fixture's enterprises
    assert client.get(f"/enterprises/{UNIT_A}/").status_code == 200
    client.force_login(other_clerk)
    assert client.get(f"/enterprises/{UNIT_A}/").status_code == 404
    assert AuditEvent.objects.filter(
        action="enterprise_access_refused", actor=other_clerk, object_id=UNIT_A
    ).exists()
    page = client.get("/enterprises/ledger/?period=2025").content.decode()
    assert UNIT_A not in page  # nor through the ledger


def test_ledger_query_count_does_not_grow_with_the_enterprises(
    client, committee_member, park_with_key_units, administrator
):
    from enterprises.models import Enterprise

    client.force_login(committee_member)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/enterprises/ledger/?period=2025&all=1").status_code == 200
        return len(captured)

    small = queries()
    codes = [credit_code.complete(f"91371400MA3D{n:05d}") for n in range(30)]
    enterprises_register(codes)
    rows = []
    for code in codes:
        rows += unit_rows(code, {2025: {"coal_raw": "400", "iva_current": "100"}})
    import_rows(rows, user=administrator)
    results_recompute(scopes=set(codes))
    Enterprise.objects.filter(code__in=codes).update(is_key_unit=True)
    assert queries() == small
