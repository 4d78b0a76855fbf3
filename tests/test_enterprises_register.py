"""The enterprise register: the GB 32100 check character, the register file (every bad
row refused with line, column and reason, nothing written), designations with a reason,
and who may read or change what through the API."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import credit_code
from enterprises.exporting import register_xlsx
from enterprises.models import Enterprise, KeyUnitDesignation
from enterprises.register_file import parse_register_table
from enterprises.selectors import register_rows
from enterprises.services import enterprise_save, key_unit_designate, register_import

# Codes checked by hand against GB 32100-2015's rule (the standard's own example first).
VALID = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91371400MA3C4QXX1C",
]


@pytest.mark.parametrize(
    ("text", "expected_code", "reason_fragment"),
    [
        ("91350100M000100Y43", "91350100M000100Y43", ""),
        ("91350100m000100y43", "91350100M000100Y43", ""),  # lower case accepted
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43", ""),  # full width
        (" 91350100 M000100Y43 ", "91350100M000100Y43", ""),  # spaces
        ("91350100M000100Y44", "", "check character"),
        ("91350100M000100Y4", "", "18 characters, not 17"),
        ("91350100M000100Y433", "", "18 characters, not 19"),
        ("91350100I000100Y43", "", "'I'"),  # I, O, S, V, Z are never used
        ("91350100O000100Y43", "", "'O'"),
        ("", "", "18 characters, not 0"),
    ],
)
def test_credit_code_validation_table(text, expected_code, reason_fragment):
    code, why_zh, why_en = credit_code.validate(text)
    assert code == expected_code
    assert reason_fragment in why_en
    assert bool(why_zh) == bool(reason_fragment)


def test_check_character_by_hand():
    """GB 32100's example 91350100M000100Y43 by hand: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1
    0 0 Y=30 4, weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1,640; 1,640 mod 31 = 28; 31 − 28 = 3."""
    assert credit_code.check_char("91350100M000100Y4") == "3"
    assert credit_code.WEIGHTS[:4] == (1, 3, 9, 27)
    assert credit_code.check_char("00000000000000000") == "0"  # 31 maps to 0


@pytest.mark.parametrize("first17", ["91371400MA3C00001", "12371400000000000", "9137140012345678A"])
def test_complete_gives_valid_codes(first17):
    assert credit_code.is_valid(credit_code.complete(first17))


def test_every_single_character_change_is_caught():
    code = VALID[0]
    for position in range(18):
        for replacement in credit_code.ALPHABET:
            if replacement == code[position]:
                continue
            changed = code[:position] + replacement + code[position + 1 :]
            assert not credit_code.is_valid(changed), changed


# --- the register file -----------------------------------------------------------------

HEADER = ["统一社会信用代码", "企业名称", "行业代码", "主管部门", "主导产业", "规上"]


def test_register_rows_are_checked_and_every_error_has_line_column_reason():
    table = [
        HEADER,
        [VALID[0], "德州甲电子有限公司", "3985", "DRS", "电子信息", "是"],
        ["91350100M000100Y44", "坏码企业", "3985", "DRS", "", "否"],  # check character
        [VALID[0], "重复企业", "3985", "DRS", "", ""],  # duplicate in the file
        [VALID[1], "", "39", "NOPE", "钢铁", "也许"],  # five errors in one row
    ]
    rows, errors = parse_register_table(table, {"DRS", "ECO"})
    assert [r.code for r in rows] == [VALID[0]]
    found = {(e.line, e.column, e.code) for e in errors}
    assert found == {
        (3, "统一社会信用代码", "bad_credit_code"),
        (4, "统一社会信用代码", "duplicate_code"),
        (5, "企业名称", "required"),
        (5, "行业代码", "bad_industry"),
        (5, "主管部门", "unknown_department"),
        (5, "主导产业", "bad_leading_industry"),
        (5, "规上", "bad_flag"),
    }
    duplicate = next(e for e in errors if e.code == "duplicate_code")
    assert "第 2 行" in duplicate.message_zh
    assert "line 2" in duplicate.message_en
    assert all(e.message_zh and e.message_en for e in errors)


def test_register_header_in_english_and_missing_columns():
    rows, errors = parse_register_table(
        [["code", "name", "industry", "department"], [VALID[2], "A", "2614", "drs"]], {"DRS"}
    )
    assert not errors
    assert rows[0].department == "DRS"
    assert rows[0].above_scale is False
    _rows, errors = parse_register_table([["code", "name"], [VALID[2], "A"]], {"DRS"})
    assert {e.code for e in errors} == {"missing_column"}


@pytest.fixture
def register_table():
    return [
        HEADER,
        [VALID[0], "德州甲电子有限公司", "3985", "DRS", "电子信息", "是"],
        [VALID[1], "德州乙新材料有限公司", "2614", "ECO", "新能源新材料", "否"],
    ]


def test_register_import_is_all_or_nothing(statistics_office, register_table):
    bad = [*register_table, ["91350100M000100Y44", "坏码", "3985", "DRS", "", ""]]
    with pytest.raises(ApplicationError) as refused:
        register_import(user=statistics_office, table=bad, filename="名录.xlsx")
    assert refused.value.code == "register_rejected"
    assert refused.value.details[0]["line"] == 4
    assert "校验码" in refused.value.message_zh
    assert "check character" in refused.value.message_en
    assert not Enterprise.objects.exists()
    assert AuditEvent.objects.filter(action="enterprise_import_rejected").count() == 1


def test_register_import_preview_then_apply_then_change(statistics_office, register_table):
    preview = register_import(user=statistics_office, table=register_table, dry_run=True)
    assert preview.created == [VALID[0], VALID[1]]
    assert not Enterprise.objects.exists()
    register_import(user=statistics_office, table=register_table, filename="名录.xlsx")
    assert Enterprise.objects.get(code=VALID[1]).supervising_department.code == "ECO"
    again = register_import(user=statistics_office, table=register_table)
    assert (again.created, again.changed, again.unchanged) == ([], [], 2)
    register_table[2][1] = "德州乙新材料股份有限公司"
    changed = register_import(user=statistics_office, table=register_table)
    assert changed.changed == [
        {
            "code": VALID[1],
            "field": "name",
            "old": "德州乙新材料有限公司",
            "new": "德州乙新材料股份有限公司",
        }
    ]
    event = AuditEvent.objects.get(action="enterprise_update")
    assert event.old_value == {"name": "德州乙新材料有限公司"}
    assert event.actor == statistics_office


def test_only_the_statistics_office_maintains_the_register(clerk, head, register_table):
    for person in (clerk, head):
        with pytest.raises(PermissionRefused):
            register_import(user=person, table=register_table)
    assert not Enterprise.objects.exists()


def test_export_round_trips_through_the_import(statistics_office, register_table):
    register_import(user=statistics_office, table=register_table)
    content = register_xlsx(register_rows(Enterprise.objects.order_by("code")))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    table = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert table[0][-1] == "重点用能单位"  # read-only, ignored by the import
    outcome = register_import(user=statistics_office, table=table)
    assert (outcome.created, outcome.changed, outcome.unchanged) == ([], [], 2)


def test_export_never_writes_a_formula(statistics_office):
    enterprise_save(
        user=statistics_office,
        data={"code": VALID[2], "name": "=HYPERLINK(\"http://x\")", "industry": "3985",
              "department": "DRS"},
    )  # fmt: skip
    content = register_xlsx(register_rows(Enterprise.objects.all()))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.cell(2, 2).data_type == "s"


def test_import_enterprises_command(statistics_office, register_table, tmp_path, capsys):
    path = tmp_path / "名录.csv"
    path.write_text("\n".join(",".join(r) for r in register_table), encoding="utf-8")
    call_command("import_enterprises", str(path), "--dry-run")
    assert not Enterprise.objects.exists()
    call_command("import_enterprises", str(path))
    assert Enterprise.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,industry,department\n91350100M000100Y44,A,3985,DRS\n")
    with pytest.raises(CommandError):
        call_command("import_enterprises", str(bad))
    assert "line 2" in capsys.readouterr().err


# --- designations ----------------------------------------------------------------------


@pytest.fixture
def enterprise(statistics_office):
    return enterprise_save(
        user=statistics_office,
        data={"code": VALID[0], "name": "德州甲电子有限公司", "industry": "3985",
              "department": "DRS"},
    )  # fmt: skip


def test_designation_needs_a_reason_and_is_audited(statistics_office, enterprise):
    with pytest.raises(ApplicationError) as refused:
        key_unit_designate(
            user=statistics_office, enterprise=enterprise, designated=True,
            basis="threshold_10000", year=2025, reason="  ",
        )  # fmt: skip
    assert refused.value.code == "reason_required"
    assert not KeyUnitDesignation.objects.exists()
    key_unit_designate(
        user=statistics_office, enterprise=enterprise, designated=True,
        basis="threshold_10000", year=2025, reason="2025年综合能耗1.2万吨标准煤",
    )  # fmt: skip
    assert Enterprise.objects.get(pk=enterprise.pk).is_key_unit
    event = AuditEvent.objects.get(action="key_unit_designate")
    assert (event.object_id, event.reason, event.new_value) == (
        VALID[0],
        "2025年综合能耗1.2万吨标准煤",
        True,
    )


# --- API -------------------------------------------------------------------------------


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_key_units_and_scopes_department_staff(
    statistics_office, committee_member, clerk, other_clerk, enterprise
):
    enterprise_save(
        user=statistics_office,
        data={"code": VALID[1], "name": "乙", "industry": "2614", "department": "ECO"},
    )
    key_unit_designate(
        user=statistics_office, enterprise=enterprise, designated=True,
        basis="designated_5000", year=2024, reason="市发改委指定",
    )  # fmt: skip
    body = _api(committee_member).get("/api/v1/enterprises/?key_unit=true").json()
    assert [e["code"] for e in body["results"]] == [VALID[0]]
    assert [e["code"] for e in _api(clerk).get("/api/v1/enterprises/").json()["results"]] == [
        VALID[0]
    ]
    assert [e["code"] for e in _api(other_clerk).get("/api/v1/enterprises/").json()["results"]] == [
        VALID[1]
    ]


def test_api_refuses_a_bad_code_with_its_reason(statistics_office):
    answer = _api(statistics_office).post(
        "/api/v1/enterprises/",
        {"code": "91350100M000100Y44", "name": "A", "industry": "3985", "department": "DRS"},
        format="json",
    )
    assert answer.status_code == 400
    assert "check character" in answer.json()["message_en"]
    assert not Enterprise.objects.exists()
    answer = _api(statistics_office).get("/api/v1/enterprises/91350100M000100Y44/")
    assert answer.status_code == 400
    assert answer.json()["code"] == "bad_credit_code"


def test_another_departments_enterprise_is_not_disclosed_and_the_attempt_is_audited(
    other_clerk, enterprise
):
    answer = _api(other_clerk).get(f"/api/v1/enterprises/{VALID[0]}/")
    assert answer.status_code == 404
    assert "德州甲" not in answer.content.decode()
    event = AuditEvent.objects.get(action="enterprise_access_refused")
    assert (event.actor, event.object_id) == (other_clerk, VALID[0])
    by_filter = _api(other_clerk).get("/api/v1/enterprises/?department=DRS").json()
    assert by_filter["results"] == []


def test_api_designation_with_reason(statistics_office, head, enterprise):
    url = f"/api/v1/enterprises/{VALID[0]}/designations/"
    body = {"designated": True, "basis": "threshold_10000", "year": 2025, "reason": "超过1万吨"}
    assert _api(head).post(url, body, format="json").status_code == 403
    answer = _api(statistics_office).post(url, body, format="json")
    assert answer.status_code == 201
    assert answer.json()["key_unit"] is True
    answer = _api(statistics_office).post(url, {**body, "reason": ""}, format="json")
    assert answer.status_code == 400


# --- figures only for registered enterprises ----------------------------------------------


def test_figures_for_an_unregistered_enterprise_are_refused(administrator):
    from indicators.models import Figure, ImportBatch
    from tests.helpers import import_rows

    rows = [
        {"period": "2024Q1", "item": "coal_raw", "value": "5"},
        {"period": "2024Q1", "item": "coal_raw", "value": "1", "scope": VALID[0]},
        {"period": "2024Q2", "item": "coal_raw", "value": "2", "scope": VALID[0]},
    ]
    with pytest.raises(ApplicationError) as refused:
        import_rows(rows, user=administrator, register_scopes=False)
    assert refused.value.code == "import_rejected"
    assert [(e["line"], e["column"], e["code"]) for e in refused.value.details] == [
        (2, "scope", "unregistered_scope")
    ]
    assert "不在企业名录中" in refused.value.details[0]["message_zh"]
    assert "not in the enterprise register" in refused.value.details[0]["message_en"]
    assert not Figure.objects.exists()  # all or nothing: not even the park's row
    assert ImportBatch.objects.get().status == "rejected"
    import_rows(rows, user=administrator)  # registered first: accepted
    assert Figure.objects.count() == 3


def test_the_api_import_refuses_an_unregistered_enterprise(statistics_office):
    client = _api(statistics_office)
    answer = client.post(
        "/api/v1/imports/",
        {"rows": [{"period": "2024Q1", "item": "coal_raw", "value": "1", "scope": VALID[1]}]},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["details"][0]["code"] == "unregistered_scope"
