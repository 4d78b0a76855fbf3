"""Key projects (issue 18): DRS registers a project of a registered enterprise, records its
energy review and carbon assessment with the registry's factors, and runs the admission
check; stage dates and the review gate are enforced; nothing is written on bad input."""

import datetime as dt
from decimal import Decimal as D

import pytest

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError
from projects import calculations as pc
from projects import selectors, services
from projects.models import CarbonAssessment, EnergyReview, Project, StageEvent
from tasks.models import Department

USES = [
    {"carrier": "coal_raw", "quantity": "2000", "unit": "t"},
    {"carrier": "electricity", "quantity": "3000", "unit": "万kWh"},
    {"carrier": "natural_gas", "quantity": "100", "unit": "万m³"},
    {"carrier": "heat", "quantity": "10000", "unit": "GJ"},
]


@pytest.fixture
def project(clerk, cell_maker):
    return services.project_register(
        user=clerk, code="DZ-2026-001", name="年产 10GWh 储能电池项目", enterprise=cell_maker,
        kind="new", department=Department.objects.get(code="DRS"),
        investment_planned={"self_raised": D("150000"), "bank_loans": D("50000")},
        value_added=D("50000"), product_quantity=D("10000"), product_unit="MWh",
    )  # fmt: skip


def test_drs_registers_a_project_and_records_its_energy_review_by_hand(clerk, project):
    review = services.energy_review_record(
        user=clerk, project=project, uses=USES, year=2022, opinion_authority="德州市发展和改革委员会",
        document_no="德发改审〔2026〕15号", opinion_date=dt.date(2026, 3, 1),
        approved_calorific_tce=D("6600"), conditions="采用一级能效设备",
    )  # fmt: skip
    # 2000×0.7143 + 3000×1.229 + 100×12.143 + 10000×0.03412 (the registry's coefficients)
    assert review.calorific_tce == D("6671.1")
    assert review.equal_value_tce == D("12005.1")
    assert review.authority == EnergyReview.Authority.LOCAL
    assert review.thresholds_version == 1
    assert AuditEvent.objects.filter(action="energy_review_recorded").count() == 1


def test_a_renovation_is_reviewed_on_its_increase(clerk, project):
    review = services.energy_review_record(
        user=clerk, project=project, year=2022,
        uses=[{"carrier": "coal_raw", "quantity": "2000", "unit": "t"}],
        uses_before=[{"carrier": "coal_raw", "quantity": "1500", "unit": "t"}],
    )  # fmt: skip
    assert review.calorific_tce == D("357.15")
    assert review.authority == EnergyReview.Authority.NONE


def test_construction_needs_a_review_opinion_and_stage_dates_keep_their_order(clerk, project):
    services.project_stage_record(
        user=clerk, project=project, stage="approved", actual_date=dt.date(2026, 2, 1)
    )
    with pytest.raises(ApplicationError) as refused:
        services.project_stage_record(user=clerk, project=project, stage="construction",
                                      actual_date=dt.date(2026, 5, 1))  # fmt: skip
    assert refused.value.code == "review_required"
    services.energy_review_record(user=clerk, project=project, uses=USES, year=2022,
                                  opinion_authority="德州市发改委", document_no="德发改审〔2026〕15号")  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.project_stage_record(user=clerk, project=project, stage="construction",
                                      actual_date=dt.date(2026, 1, 1))  # fmt: skip
    assert refused.value.code == "stage_date_before_previous"
    services.project_stage_record(user=clerk, project=project, stage="construction",
                                  actual_date=dt.date(2026, 5, 1), evidence="施工许可证")  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "construction"
    assert StageEvent.objects.filter(project=project).count() == 2


def test_a_review_opinion_without_its_document_number_is_refused(clerk, project):
    with pytest.raises(ApplicationError) as refused:
        services.energy_review_record(user=clerk, project=project, uses=USES, year=2022,
                                      opinion_authority="德州市发改委")  # fmt: skip
    assert refused.value.code == "document_required"
    assert not EnergyReview.objects.exists()


def test_carbon_assessment_with_the_registry_factors(clerk, project):
    assessment = services.carbon_assessment_record(
        user=clerk, project=project, uses=USES, year=2022,
        process=[{"name": "石灰石分解", "tco2": "500", "method": "排放因子法"}],
        benchmark=D("5"), benchmark_source="《储能电池行业碳排放基准》(示例)",
    )  # fmt: skip
    assessment.refresh_from_db()  # what is stored: 6 places for tonnes, 10 for intensities
    coal = D("2000") * D("20.908") * D("0.02637") * D("0.94") * D(44) / D(12)
    gas = D("100") * D("389.31") * D("0.0153") * D("0.99") * D(44) / D(12)
    expected = coal + gas + D("19230") + D("1100") + D("500")  # grid: Shandong 2022, 0.6410
    assert assessment.total_t == expected.quantize(D("0.000001"))
    assert assessment.per_value_added == (expected / D("50000")).quantize(D("0.0000000001"))
    with pytest.raises(ApplicationError) as refused:
        services.carbon_assessment_record(user=clerk, project=project, uses=USES, year=2022,
                                          benchmark=D("5"))  # fmt: skip
    assert refused.value.code == "source_required"


def test_admission_check_from_the_park_s_stored_results(clerk, project, park):
    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (
        ("energy_total_calorific", "400000", None),
        ("energy_intensity_iva", "0.4", "0.35"),
    ):
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip
    services.energy_review_record(user=clerk, project=project, uses=USES, year=2022,
                                  opinion_authority="德州市发改委", document_no="德发改审〔2026〕15号")  # fmt: skip
    result = selectors.admission(project)
    assert result.project_intensity == D("6671.1") / D("50000")
    assert result.park_with_project == D("406671.1") / D("1050000")
    assert result.verdict == pc.VERDICT_HELPS


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"enterprise": None}, "enterprise_unregistered"),
        ({"kind": "palace"}, "bad_kind"),
        ({"investment_planned": {"lottery": D("1")}}, "bad_funding_source"),
        ({"investment_planned": {"self_raised": D("-1")}}, "negative_value"),
    ],
)
def test_bad_projects_are_refused_and_nothing_is_written(clerk, cell_maker, changes, code):
    fields = {"user": clerk, "code": "X-1", "name": "项目", "enterprise": cell_maker, "kind": "new",
              "department": Department.objects.get(code="DRS"), **changes}  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.project_register(**fields)
    assert refused.value.code == code
    assert not Project.objects.exists()


def test_only_drs_and_the_statistics_office_manage_projects(other_clerk, cell_maker):
    with pytest.raises(ApplicationError) as refused:
        services.project_register(
            user=other_clerk, code="X-2", name="项目", enterprise=cell_maker, kind="new",
            department=Department.objects.get(code="ECO"),
        )  # fmt: skip
    assert refused.value.code == "permission_denied"


def test_the_project_page_and_api_print_the_admission_check(
    client, clerk, other_clerk, project, park
):
    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (
        ("energy_total_calorific", "400000", None),
        ("energy_intensity_iva", "0.4", "0.35"),
    ):
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip
    services.energy_review_record(user=clerk, project=project, uses=USES, year=2022,
                                  opinion_authority="德州市发改委", document_no="德发改审〔2026〕15号")  # fmt: skip
    client.force_login(clerk)
    page = client.get(f"/projects/{project.pk}/?print=1").content.decode()
    assert 'data-verdict="helps"' in page
    assert "德发改审〔2026〕15号" in page
    register = client.get("/projects/?stage=reserve").content.decode()
    assert "年产 10GWh 储能电池项目" in register
    body = client.get(f"/api/v1/projects/{project.pk}/admission/").json()
    assert body["verdict"] == "helps"
    assert D(body["project_intensity"]) == D("6671.1") / D("50000")
    assert body["park_year"] == 2025
    client.force_login(other_clerk)  # ECO's clerk: not DRS, not the project's department
    assert client.get(f"/projects/{project.pk}/").status_code == 403


# --- Bad input of issue 18, through the services (each: zh/en, nothing written) ----------


def _refused(call, code):
    before = (AuditEvent.objects.count(), EnergyReview.objects.count(), StageEvent.objects.count())
    with pytest.raises(ApplicationError) as refused:
        call()
    assert refused.value.code == code
    assert refused.value.message_zh.endswith("。"), refused.value.message_zh
    assert refused.value.message_en
    assert before == (
        AuditEvent.objects.count(), EnergyReview.objects.count(), StageEvent.objects.count()
    )  # fmt: skip
    return refused.value


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ({"carrier": "coal_raw", "quantity": "-5", "unit": "t"}, "negative_value"),
        ({"carrier": "coal_raw", "quantity": "五千", "unit": "t"}, "not_a_number"),
        ({"carrier": "coal_raw", "quantity": "NaN", "unit": "t"}, "not_a_number"),
        ({"carrier": "coal_raw", "quantity": D("Infinity"), "unit": "t"}, "not_a_number"),
        ({"carrier": "coal_raw", "quantity": "", "unit": "t"}, "required"),
        ({"carrier": "uranium", "quantity": "5", "unit": "t"}, "bad_energy_carrier"),
        ({"carrier": "coal_raw", "quantity": "5", "unit": "桶"}, "bad_unit"),
        ({"carrier": "electricity", "quantity": "5", "unit": "t"}, "bad_unit"),
        ("coal_raw 5 t", "bad_energy"),
    ],
)
def test_bad_energy_is_refused_in_reviews_and_assessments(clerk, project, row, code):
    _refused(lambda: services.energy_review_record(user=clerk, project=project, uses=[row],
                                                   year=2022), code)  # fmt: skip
    _refused(lambda: services.carbon_assessment_record(user=clerk, project=project, uses=[row],
                                                       year=2022), code)  # fmt: skip
    assert not project.carbon_assessments.exists()


def test_the_unit_defaults_to_the_registry_unit_and_kwh_converts(clerk, project):
    review = services.energy_review_record(
        user=clerk, project=project, year=2022,
        uses=[{"carrier": "electricity", "quantity": "30000000", "unit": "kWh"},
              {"carrier": "coal_raw", "quantity": "1000"}],
    )  # fmt: skip
    assert review.calorific_tce == D("3000") * D("1.229") + D("1000") * D("0.7143")
    assert review.uses[1] == {"carrier": "coal_raw", "quantity": "1000", "unit": "t"}


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"uses": []}, "energy_required"),
        ({"year": 1900}, "bad_year"),
        ({"approved_calorific_tce": "-1", "document_no": "文号"}, "negative_value"),
        ({"approved_coal_t": "很多", "document_no": "文号"}, "not_a_number"),
        ({"conditions": "采用一级能效设备"}, "document_required"),
        ({"opinion_date": dt.date(2026, 3, 1)}, "document_required"),
    ],
)
def test_bad_reviews_are_refused(clerk, project, given, code):
    fields = {"user": clerk, "project": project, "uses": USES, "year": 2022, **given}
    _refused(lambda: services.energy_review_record(**fields), code)


@pytest.mark.parametrize(
    ("process", "code"),
    [
        ([{"name": "石灰石分解", "tco2": "很多", "method": "排放因子法"}], "not_a_number"),
        ([{"name": "石灰石分解", "tco2": "-3", "method": "排放因子法"}], "negative_value"),
        ([{"name": "石灰石分解", "tco2": "3"}], "method_required"),
        ([["石灰石分解", "3"]], "bad_process"),
    ],
)
def test_bad_process_emissions_are_refused(clerk, project, process, code):
    _refused(lambda: services.carbon_assessment_record(user=clerk, project=project, uses=USES,
                                                       year=2022, process=process), code)  # fmt: skip
    assert not project.carbon_assessments.exists()


def test_a_stage_may_not_be_dated_after_a_later_stage(clerk, project):
    services.energy_review_record(user=clerk, project=project, uses=USES, year=2022,
                                  opinion_authority="德州市发改委", document_no="德发改审〔2026〕15号")  # fmt: skip
    services.project_stage_record(user=clerk, project=project, stage="construction",
                                  actual_date=dt.date(2026, 5, 1))  # fmt: skip
    _refused(lambda: services.project_stage_record(user=clerk, project=project, stage="approved",
                                                   actual_date=dt.date(2026, 6, 1)),
             "stage_date_after_next")  # fmt: skip
    services.project_stage_record(user=clerk, project=project, stage="approved",
                                  actual_date=dt.date(2026, 2, 1))  # fmt: skip


def test_no_stage_after_construction_without_a_review_opinion(clerk, project):
    """Skipping 开工 does not skip its gate: 投产 or 验收 without a review opinion above the
    threshold is refused too; a planned date is not a start."""
    for stage in ("operation", "acceptance"):
        _refused(lambda stage=stage: services.project_stage_record(
            user=clerk, project=project, stage=stage, actual_date=dt.date(2026, 9, 1)),
            "review_required")  # fmt: skip
    services.project_stage_record(user=clerk, project=project, stage="operation",
                                  planned_date=dt.date(2027, 9, 1))  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "reserve"


def test_below_the_threshold_a_project_starts_without_an_opinion(clerk, project):
    services.energy_review_record(
        user=clerk, project=project, year=2022,
        uses=[{"carrier": "electricity", "quantity": "100", "unit": "万kWh"}],
    )  # fmt: skip
    services.project_stage_record(user=clerk, project=project, stage="construction",
                                  actual_date=dt.date(2026, 5, 1))  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "construction"


def test_drs_edits_a_project_audited_with_old_and_new_values(clerk, project, other_clerk):
    services.project_edit(
        user=clerk, project=project, name="年产 12GWh 储能电池项目", value_added="60000",
        investment_planned={"self_raised": "160000"}, reason="可研报告调整",
    )  # fmt: skip
    project.refresh_from_db()
    assert project.name == "年产 12GWh 储能电池项目"
    assert project.value_added == D("60000")
    assert project.investment_planned == {"self_raised": "160000"}
    event = AuditEvent.objects.get(action="project_edited")
    assert event.old_value["value_added"] == "50000"
    assert event.new_value["value_added"] == "60000"
    assert event.reason == "可研报告调整"
    for changes, code in (
        ({"enterprise": None}, "enterprise_unregistered"),
        ({"value_added": "-1"}, "negative_value"),
        ({"kind": "palace"}, "bad_kind"),
        ({"code": "X-9"}, "not_editable"),
    ):
        _refused(lambda changes=changes: services.project_edit(user=clerk, project=project,
                                                               **changes), code)  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.project_edit(user=other_clerk, project=project, name="改名")
    assert refused.value.code == "permission_denied"
    project.refresh_from_db()
    assert project.name == "年产 12GWh 储能电池项目"


def test_an_existing_plant_is_registered_in_operation_without_a_review(clerk, cell_maker):
    plant = services.project_register(
        user=clerk, code="CL-001", name="热电联产机组（存量）", enterprise=cell_maker,
        kind="existing", department=Department.objects.get(code="DRS"),
    )  # fmt: skip
    services.project_stage_record(user=clerk, project=plant, stage="operation",
                                  actual_date=dt.date(2012, 10, 1))  # fmt: skip
    plant.refresh_from_db()
    assert plant.stage == "operation"


# --- The existing-project pilot: assessed from the enterprise's actual figures -------------


def _approved_year(enterprise, year, manager, head, **values):
    """The enterprise's four quarters of `year` entered by its energy manager and approved by
    a head of its supervising department (each quarter the given values)."""
    from enterprises.quarters import (
        ENTERPRISE_ITEMS,
        enterprise_quarter_approve,
        enterprise_quarter_save,
        enterprise_quarter_submit,
    )
    from reporting.workflow import EntryValue

    for quarter in range(1, 5):
        period = f"{year}Q{quarter}"
        entries = [EntryValue(c, D(str(values.get(c, "0")))) for c in ENTERPRISE_ITEMS]
        enterprise_quarter_save(enterprise=enterprise, period=period, user=manager, entries=entries)
        enterprise_quarter_submit(enterprise=enterprise, period=period, user=manager)
        if quarter < 4 or not values.get("_leave_q4"):
            enterprise_quarter_approve(
                enterprise=enterprise, period=period, user=head, comment="同意"
            )


@pytest.fixture
def plant(clerk, cell_maker):
    plant = services.project_register(
        user=clerk, code="CL-002", name="电池厂现有产线（存量试点）", enterprise=cell_maker,
        kind="existing", department=Department.objects.get(code="DRS"), value_added=D("20000"),
    )  # fmt: skip
    services.project_stage_record(user=clerk, project=plant, stage="operation",
                                  actual_date=dt.date(2018, 6, 1))  # fmt: skip
    return plant


def test_an_operating_plant_is_assessed_from_its_enterprise_s_approved_quarters(
    clerk, head, energy_manager, plant
):
    _approved_year(plant.enterprise, 2024, energy_manager, head,
                   coal_raw="500", electricity_grid="750", heat_purchased="2500",
                   electricity_pv="100", iva_current="5000")  # fmt: skip
    assessment = services.carbon_assessment_from_enterprise(
        user=clerk, project=plant, year=2024,
        process=[{"name": "电解液分解", "tco2": "10", "method": "物料衡算法"}],
    )  # fmt: skip
    assessment.refresh_from_db()
    # A year of 4 × the quarter: 2000 t raw coal, 3000 万kWh from the grid, 10000 GJ of heat;
    # the photovoltaic power it makes itself is not purchased and emits nothing.
    expected = services.carbon_assessment_record(
        user=clerk, project=plant, year=2024,
        uses=[{"carrier": "coal_raw", "quantity": "2000"},
              {"carrier": "electricity", "quantity": "3000"},
              {"carrier": "heat", "quantity": "10000"}],
        process=[{"name": "电解液分解", "tco2": "10", "method": "物料衡算法"}],
    )  # fmt: skip
    expected.refresh_from_db()  # both as stored
    assert assessment.total_t == expected.total_t
    assert assessment.electricity_t == expected.electricity_t > 0
    assert assessment.trace["source"]["kind"] == "enterprise_actual"
    assert assessment.trace["source"]["items"]["electricity_grid"] == "3000"
    assert "electricity_pv" not in assessment.trace["source"]["items"]


def test_the_pilot_needs_an_operating_existing_plant_and_a_complete_year(
    clerk, head, energy_manager, project, plant
):
    _approved_year(plant.enterprise, 2024, energy_manager, head, coal_raw="5", _leave_q4=True)
    for target, code in (
        (project, "not_an_operating_plant"),
        (plant, "enterprise_year_incomplete"),
    ):
        _refused(lambda target=target: services.carbon_assessment_from_enterprise(
            user=clerk, project=target, year=2024), code)  # fmt: skip
    assert not CarbonAssessment.objects.exists()


def test_the_assessment_page_offers_the_pilot_for_an_existing_plant_only(
    client, clerk, head, energy_manager, project, plant
):
    client.force_login(clerk)
    assert (
        'id="from-enterprise"'
        not in client.get(f"/projects/{project.pk}/assessment/").content.decode()
    )
    assert (
        'id="from-enterprise"' in client.get(f"/projects/{plant.pk}/assessment/").content.decode()
    )
    refused = client.post(
        f"/projects/{plant.pk}/assessment/", {"year": "2024", "from_enterprise": "1"}
    )
    assert "尚有季度数据未审核" in refused.content.decode()
    _approved_year(plant.enterprise, 2024, energy_manager, head, natural_gas="25")
    client.post(f"/projects/{plant.pk}/assessment/", {"year": "2024", "from_enterprise": "1"})
    assessment = plant.carbon_assessments.get()
    assert assessment.uses == [{"carrier": "natural_gas", "quantity": "100", "unit": "万m³"}]


def test_drs_edits_a_project_on_its_page_with_work_items(client, clerk, project):
    from tasks.models import WorkItem

    client.force_login(clerk)
    page = client.get(f"/projects/{project.pk}/edit/").content.decode()
    assert 'value="50000"' in page  # the value added, prefilled
    assert 'name="planned_self_raised" inputmode="decimal" value="150000"' in page
    assert 'name="code"' not in page  # the code stays
    item = WorkItem.objects.get(task__code="1", code="1.1")
    form = {"name": project.name, "enterprise": project.enterprise_id, "kind": "retrofit",
            "department": project.department_id, "planned_self_raised": "150000",
            "value_added": "-3", "work_items": [item.pk], "reason": "可研调整"}  # fmt: skip
    refused = client.post(f"/projects/{project.pk}/edit/", form).content.decode()
    assert "不能为负数" in refused
    project.refresh_from_db()
    assert project.kind == "new"
    assert not AuditEvent.objects.filter(action="project_edited").exists()
    client.post(f"/projects/{project.pk}/edit/", {**form, "value_added": "52000"})
    project.refresh_from_db()
    assert project.kind == "retrofit"
    assert project.value_added == D("52000")
    assert project.investment_planned == {"self_raised": "150000"}  # bank loans removed
    assert list(project.work_items.all()) == [item]
    event = AuditEvent.objects.get(action="project_edited")
    assert event.new_value["work_items"] == [item.pk]
    assert event.reason == "可研调整"
