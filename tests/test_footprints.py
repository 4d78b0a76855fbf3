"""Product carbon footprints (issue 19, management.md §5): the ECO clerk builds a study from
the template, gets the footprint by stage, exports it, the ECO head approves it (never its
submitter), a certificate is recorded and the counts appear for the pilot report."""

import datetime as dt
import io
import subprocess
from decimal import Decimal as D

import pytest
import xlsxwriter
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from footprints import selectors, services
from footprints.models import Certificate, Study

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


HAND_LINES = [
    # no, name, stage, kind, quantity, unit, factor, carrier, quality, mass
    [1, "正极材料", "原材料获取", "物料", "2.0", "kg", "ncm811", "", "次级数据", "2.0"],
    [2, "钢壳", "原材料获取", "物料", "0.002", "吨", "steel.cold_rolled", "", "次级数据", "2"],
    [3, "外购电力", "生产", "能源", "35", "千瓦时", "", "electricity", "初级数据", ""],
    [4, "原料运输", "运输", "运输", "0.5", "吨公里", "truck.heavy", "", "次级数据", ""],
    [5, "N₂O 逸散", "生产", "过程排放", "0.002", "kg", "gwp.n2o", "", "初级数据", ""],
]
HEADINGS = [
    "行号",
    "名称",
    "阶段",
    "类别",
    "数量",
    "单位",
    "排放因子代码",
    "能源品种",
    "数据质量",
    "质量（kg）",
]


def inventory_xlsx(rows, omissions=()) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet("数据")
    for col, heading in enumerate(HEADINGS):
        sheet.write_string(0, col, heading)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            sheet.write_string(r, col, str(value))
    omitted = workbook.add_worksheet("舍弃项")
    omitted.write_row(0, 0, ["舍弃项名称", "质量（kg）"])
    for r, (name, mass) in enumerate(omissions, start=1):
        omitted.write_row(r, 0, [name, mass])
    workbook.close()
    return output.getvalue()


def upload(client, study, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/footprints/studies/{study.pk}/import/",
        {"file": SimpleUploadedFile("清单.xlsx", content, content_type=XLSX)},
    )


def test_the_gwp100_values_of_ar6_ship_as_data(park):
    rows = {row.key: row for row in selectors.library_rows()}
    assert rows["gwp.n2o"].value == D("273")
    assert rows["gwp.sf6"].value == D("25200")
    assert rows["gwp.ch4_fossil"].value == D("29.8")
    assert "AR6" in rows["gwp.co2"].source


def test_eco_clerk_imports_the_template_and_gets_the_hand_computed_footprint(
    client, other_clerk, study
):
    # Shandong's grid factor of 2022 stands in for 2023 (the registry's rule, marked provisional):
    # 41.0 + 4.2 + 35 kWh × 0.6410 kg/kWh = 22.435 + 0.05 + 0.002 × 273 = 0.546 → 68.231 × 80 %.
    client.force_login(other_clerk)
    preview = upload(client, study, inventory_xlsx(HAND_LINES, [("胶带", "0.04")]))
    assert preview.status_code == 200
    assert "54.5848" in preview.content.decode()
    assert not Study.objects.get(pk=study.pk).lines.exists()  # a preview writes nothing
    token = preview.context["preview"]["token"]
    confirmed = client.post(f"/footprints/studies/{study.pk}/import/", {"confirm": token})
    assert confirmed.status_code == 302
    study.refresh_from_db()
    assert study.total == D("54.5848")
    assert {k: D(v) for k, v in study.by_stage.items()} == {
        "raw_materials": D("36.16"), "production": D("18.3848"), "transport": D("0.04"),
    }  # fmt: skip
    assert study.cutoff_passed is True
    grid = next(f for f in study.trace["factors"] if f["ref"] == "registry:co2.grid.shandong")
    assert grid["year"] == 2022
    assert grid["provisional"] is True
    assert AuditEvent.objects.filter(
        action="footprint_inventory_replaced", object_id=str(study.pk)
    ).exists()
    page = client.get(f"/footprints/studies/{study.pk}/")
    assert page.status_code == 200
    assert "54.5848" in page.content.decode()
    assert "stage-figure" in page.content.decode()
    # The same token twice: the inventory changed meanwhile, so the stale preview is refused.
    again = client.post(f"/footprints/studies/{study.pk}/import/", {"confirm": token}, follow=True)
    assert "清单已被他人修改" in again.content.decode()


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            [1, "正极材料", "原材料获取", "物料", "-2", "kg", "ncm811", "", "", ""],
            "数量",
            "不能为负数",
        ),
        ([1, "正极材料", "出厂", "物料", "2", "kg", "ncm811", "", "", ""], "阶段", "无效"),
        (
            [1, "正极材料", "原材料获取", "物料", "2e3", "kg", "ncm811", "", "", ""],
            "数量",
            "科学计数法",
        ),
    ],
)
def test_bad_cells_are_listed_with_line_column_and_reason_and_nothing_is_written(
    client, other_clerk, study, row, column, reason
):
    client.force_login(other_clerk)
    response = upload(client, study, inventory_xlsx([HAND_LINES[2], row]))
    assert response.status_code == 400
    errors = response.context["errors"]
    assert errors[0]["line"] == 3
    assert errors[0]["column"] == column
    assert reason in errors[0]["reason_zh"]
    assert not Study.objects.get(pk=study.pk).lines.exists()


def test_a_unit_that_does_not_convert_to_its_factor_is_refused(client, other_clerk, study):
    client.force_login(other_clerk)
    bad = [1, "正极材料", "原材料获取", "物料", "2", "kWh", "ncm811", "", "", ""]
    response = upload(client, study, inventory_xlsx([bad]))
    assert response.status_code == 400
    assert "无法换算" in response.content.decode()
    assert not Study.objects.get(pk=study.pk).lines.exists()


def test_a_factor_missing_for_the_reference_year_is_refused(other_clerk, cell_maker, study):
    line = services.LineInput(1, "正极材料", "raw_materials", "material", D("2"), "kg", "ncm811")
    late = services.study_create(
        user=other_clerk, enterprise=cell_maker, product_key="cell-old", product_zh="旧电芯",
        declared_unit="1 个", reference_year=2020,
    )  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.inventory_replace(study=late, lines=[line], user=other_clerk)
    assert refused.value.code == "factor_missing_for_year"
    assert not late.lines.exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"shares": [("电芯", D("70")), ("废料回收", D("20"))]}, "allocation_not_100"),
        ({"reference_year": 2999}, "bad_reference_year"),
        ({"product_zh": ""}, "study_fields_required"),
    ],
)
def test_bad_studies_are_refused_and_nothing_is_written(
    other_clerk, cell_maker, footprint_library, changes, code
):
    fields = {
        "user": other_clerk, "enterprise": cell_maker, "product_key": "p", "product_zh": "电芯",
        "declared_unit": "1 个", "reference_year": 2023, "allocation": "mass",
        "shares": [("电芯", D("80")), ("废料回收", D("20"))], **changes,
    }  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.study_create(**fields)
    assert refused.value.code == code
    assert refused.value.message_en
    assert not Study.objects.exists()


def _imported(study, user):
    lines = [
        services.LineInput(1, "正极材料", "raw_materials", "material", D("2.0"), "kg", "ncm811",
                           mass_kg=D("2")),
        services.LineInput(2, "外购电力", "production", "energy", D("35"), "kWh",
                           energy_carrier="electricity", quality="primary"),
    ]  # fmt: skip
    return services.inventory_replace(study=study, lines=lines, user=user)


def test_a_new_factor_version_never_changes_a_result_silently(
    client, other_clerk, statistics_office, study
):
    _imported(study, other_clerk)
    study.refresh_from_db()
    before = study.total
    services.factor_revise(
        key="ncm811", year=2023, value=D("18.0"), unit="kgCO₂e/kg", source="企业供应商数据",
        category="material", reason="供应商提供新数据", user=statistics_office,
    )  # fmt: skip
    study.refresh_from_db()
    assert study.total == before
    assert study.outdated is True
    client.force_login(other_clerk)
    page = client.get(f"/footprints/studies/{study.pk}/").content.decode()
    assert 'id="outdated"' in page
    with pytest.raises(ApplicationError) as refused:
        services.study_submit(study=study, user=other_clerk)
    assert refused.value.code == "study_outdated"
    services.study_recompute(study=study, user=other_clerk)
    study.refresh_from_db()
    assert study.total == before - D("2.0") * D("2.5") * D("0.8")
    event = AuditEvent.objects.get(action="footprint_study_recomputed")
    assert (D(event.old_value), D(event.new_value)) == (before, study.total)


def test_four_eyes_the_submitter_never_approves_and_only_eco_s_head_does(
    other_clerk, eco_head, head, study
):
    _imported(study, other_clerk)
    services.study_submit(study=study, user=other_clerk)
    with pytest.raises(ApplicationError) as refused:
        services.study_approve(study=study, user=head)  # DRS's head
    assert refused.value.code == "permission_denied"
    services.study_return(study=study, user=eco_head, comment="请补充电力数据来源")
    services.study_submit(study=study, user=eco_head)
    with pytest.raises(ApplicationError) as refused:
        services.study_approve(study=study, user=eco_head)
    assert refused.value.code == "four_eyes"
    study.refresh_from_db()
    assert study.state == Study.State.SUBMITTED


def test_a_certificate_rests_on_an_approved_study_and_the_counts_appear(
    client, other_clerk, eco_head, study, committee_member
):
    _imported(study, other_clerk)
    with pytest.raises(ApplicationError):
        services.certificate_record(
            study=study, user=other_clerk, body="中环联合认证中心", number="CEC-1",
            valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2027, 1, 1),
        )  # fmt: skip
    services.study_submit(study=study, user=other_clerk)
    services.study_approve(study=study, user=eco_head, comment="同意")
    with pytest.raises(ApplicationError) as refused:
        services.certificate_record(
            study=study, user=other_clerk, body="中环联合认证中心", number="CEC-1",
            valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2023, 12, 31),
        )  # fmt: skip
    assert refused.value.code == "certificate_dates"
    assert not Certificate.objects.exists()
    services.certificate_record(
        study=study, user=other_clerk, body="中环联合认证中心", number="CEC-1", label=True,
        valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2027, 1, 1),
    )  # fmt: skip
    counters = selectors.innovation_counters()
    approved_in = timezone.localdate().year
    assert counters[("new_energy_materials", approved_in)]["studies"] == 1
    assert counters[("new_energy_materials", 2024)] == {"studies": 0, "certified": 1, "labelled": 1}
    client.force_login(committee_member)
    page = client.get("/footprints/").content.decode()
    assert "德州锂能电池有限公司" in page


def test_certificates_ending_soon_remind_eco_once(other_clerk, eco_head, study):
    from reporting.models import Notification

    _imported(study, other_clerk)
    services.study_submit(study=study, user=other_clerk)
    services.study_approve(study=study, user=eco_head)
    services.certificate_record(
        study=study, user=other_clerk, body="中环联合认证中心", number="CEC-2",
        valid_from=dt.date(2023, 1, 1), valid_to=dt.date(2026, 12, 31),
    )  # fmt: skip
    assert services.certificate_expiry_remind(today=dt.date(2026, 12, 1)) == 2
    assert services.certificate_expiry_remind(today=dt.date(2026, 12, 2)) == 0
    assert services.certificate_expiry_remind(today=dt.date(2026, 1, 1)) == 0
    assert Notification.objects.filter(kind="footprint_certificate_expiring").count() == 2


def test_the_report_exports_read_back(client, other_clerk, study):
    import python_calamine

    _imported(study, other_clerk)
    client.force_login(other_clerk)
    response = client.get(f"/footprints/studies/{study.pk}/report.xlsx")
    assert response.status_code == 200
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = book.get_sheet_by_name("结果").to_python()
    values = {row[0]: row[1] for row in rows if row and row[0]}
    study.refresh_from_db()
    assert D(str(values["碳足迹（kgCO₂e/声明单位）"])) == study.total
    assert values["企业"] == "德州锂能电池有限公司"
    inventory = book.get_sheet_by_name("清单").to_python()
    assert inventory[1][6] == "library:ncm811"
    pdf = client.get(f"/footprints/studies/{study.pk}/report.pdf")
    assert pdf.status_code == 200
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "产品碳足迹报告" in text
    assert "电芯" in text
    assert "中国产品全生命周期温室气体排放系数库" in "".join(text.split())
    assert "0.641 tCO₂/MWh" in text


def test_the_api_gives_the_total_and_its_breakdown_as_decimal_strings(
    client, other_clerk, auditor, study
):
    _imported(study, other_clerk)
    client.force_login(auditor)
    body = client.get(f"/api/v1/footprints/{study.pk}/").json()
    study.refresh_from_db()
    assert D(body["total_kg_co2e"]) == study.total
    assert set(body["by_stage"]) == {"raw_materials", "production", "transport"}
    assert [line["no"] for line in body["lines"]] == [1, 2]
    assert isinstance(body["lines"][0]["kg_co2e"], str)
    listed = client.get("/api/v1/footprints/?industry=new_energy_materials").json()
    assert [row["id"] for row in listed["results"]] == [study.pk]


def test_a_department_outside_eco_neither_reads_nor_writes_footprints(client, clerk, study):
    client.force_login(clerk)
    assert client.get("/footprints/").status_code == 403
    assert client.get(f"/footprints/studies/{study.pk}/").status_code == 403
    assert client.get(f"/api/v1/footprints/{study.pk}/").status_code == 403
    before = AuditEvent.objects.count()
    assert client.post(f"/footprints/studies/{study.pk}/", {"action": "submit"}).status_code == 403
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("lines", [10, 1000])
def test_the_study_page_reads_in_a_fixed_number_of_queries(client, other_clerk, study, lines):
    rows = [
        services.LineInput(n, f"材料{n}", "raw_materials", "material", D("0.01"), "kg", "ncm811",
                           mass_kg=D("0.01"))
        for n in range(1, lines + 1)
    ]  # fmt: skip
    services.inventory_replace(study=study, lines=rows, user=other_clerk)
    client.force_login(other_clerk)
    client.get(f"/footprints/studies/{study.pk}/")  # session and translations warm
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/footprints/studies/{study.pk}/").status_code == 200
    # 1 session, 2 user, 3 the user's department (ECO rule), 4 study with enterprise,
    # reference and people, 5 lines, 6 omissions, 7 certificates, 8 the product's versions,
    # 9 current library and 10 current registry (the stale-factor check). Not one per line.
    assert len(queries) == 10, [q["sql"][:90] for q in queries]


def test_the_demo_shows_every_state_and_runs_twice(statistics_office):
    from footprints.demo import footprints_demo

    footprints_demo()
    footprints_demo()
    studies = {(s.product_key, s.reference_year): s for s in Study.objects.all()}
    assert len(studies) == 4
    assert {s.state for s in studies.values()} == {"approved", "submitted", "draft"}
    older, newer = studies[("lfp-cell-280", 2024)], studies[("lfp-cell-280", 2025)]
    assert newer.total < older.total  # less electricity per cell the year after
    assert older.certificates.get().label is True
    assert all(s.cutoff_passed for s in studies.values())
    cathode = studies[("lfp-cathode", 2025)]
    assert cathode.trace["rules"]["allocation_share"] == "0.92"


def test_a_sparse_cell_far_away_is_refused_before_any_parser_builds_its_range(
    client, other_clerk, study
):
    """The hostile 1.9 KB workbook of issue 14: a header and one cell at XFD1048576."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = workbook.add_worksheet("数据")
    sheet.write_row(0, 0, HEADINGS)
    sheet.write_string(1048575, 16383, "x")
    workbook.close()
    client.force_login(other_clerk)
    response = upload(client, study, output.getvalue())
    assert response.status_code == 400
    assert not Study.objects.get(pk=study.pk).lines.exists()


def test_the_pages_speak_english_beside_chinese(client, other_clerk, study):
    from django.conf import settings

    _imported(study, other_clerk)
    client.force_login(other_clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/footprints/studies/{study.pk}/").content.decode()
    for words in ("Footprint studies", "Factor library", "Footprint by stage", "Raw materials",
                  "Submit for review", "Economic allocation", "Cut-off check passed"):  # fmt: skip
        assert words in page, words
    assert "核算结果" not in page
    index = client.get("/footprints/").content.decode()
    assert "Pilot counters: approved studies and certified products" in index


def test_the_committee_sets_a_counter_target_by_decision_and_the_page_shows_its_status(
    client, statistics_office, committee_member, other_clerk, eco_head, study
):
    with pytest.raises(ApplicationError) as refused:
        services.count_target_set(
            counter="certified_products", year=2024, value=1, reason="试点方案", document_no="",
            approver=committee_member, actor=statistics_office,
        )  # fmt: skip
    assert refused.value.code == "document_required"
    with pytest.raises(ApplicationError) as refused:
        services.count_target_set(
            counter="certified_products", year=2024, value=1, reason="试点方案",
            document_no="德经开管发〔2024〕12号", approver=statistics_office, actor=statistics_office,
        )  # fmt: skip
    assert refused.value.code == "approver_not_committee"
    services.count_target_set(
        counter="certified_products", year=2024, value=2, reason="试点方案",
        document_no="德经开管发〔2024〕12号", approver=committee_member, actor=statistics_office,
    )  # fmt: skip
    revised = services.count_target_set(
        counter="certified_products", year=2024, value=1, reason="中期调整",
        document_no="德经开管发〔2024〕30号", approver=committee_member, actor=statistics_office,
    )  # fmt: skip
    assert revised.version == 2
    _imported(study, other_clerk)
    services.study_submit(study=study, user=other_clerk)
    services.study_approve(study=study, user=eco_head)
    services.certificate_record(
        study=study, user=other_clerk, body="CQC", number="CQC-9",
        valid_from=dt.date(2024, 5, 1), valid_to=dt.date(2027, 4, 30),
    )  # fmt: skip
    (row,) = selectors.counter_progress(dt.date(2026, 12, 3))
    assert (row["target"].value, row["actual"], row["status"]) == (1, 1, "achieved")
    client.force_login(committee_member)
    page = client.get("/footprints/").content.decode()
    assert 'data-counter-status="achieved"' in page
    assert "德经开管发〔2024〕30号" in page
