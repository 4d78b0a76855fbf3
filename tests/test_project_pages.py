"""The write pages of the key projects (issue 18 item 7): DRS registers a project, records
its stage, energy review (文号) and carbon assessment (sourced benchmark) through forms that
call the services; the department reports its quarter and its head decides; the admission
calculator checks several proposed projects together. Bad input: a zh/en message, nothing
written."""

import datetime as dt
import hashlib
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import services
from projects.models import CarbonAssessment, EnergyReview, Project, ProjectUpdate, StageEvent
from reporting.services import round_open
from tasks.models import Department, Task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _register_body(cell_maker, **changes):
    return {
        "code": "DZ-2026-201", "name": "年产 5 万吨锂电正极材料项目",
        "enterprise": str(cell_maker.pk), "kind": "new",
        "department": str(Department.objects.get(code="DRS").pk),
        "planned_special_bonds": "20,000", "planned_self_raised": "３０００",
        "value_added": "40000", "product_quantity": "50000", "product_unit": "t",
        "tasks": [str(Task.objects.order_by("order").first().pk)],
    } | changes  # fmt: skip


@pytest.fixture
def project(clerk, cell_maker):
    return services.project_register(
        user=clerk, code="DZ-2026-202", name="储能电池项目", enterprise=cell_maker, kind="new",
        department=Department.objects.get(code="DRS"), value_added=D("50000"),
    )  # fmt: skip


def test_drs_registers_a_project_through_the_form(client, clerk, cell_maker):
    client.force_login(clerk)
    assert "登记重点项目" in client.get("/projects/new/").content.decode()
    response = client.post("/projects/new/", _register_body(cell_maker))
    project = Project.objects.get(code="DZ-2026-201")
    assert response.status_code == 302
    assert response.url == f"/projects/{project.pk}/"
    assert project.investment_planned == {"special_bonds": "20000", "self_raised": "3000"}
    assert project.value_added == D("40000")
    assert project.tasks.count() == 1
    page = client.get(response.url).content.decode()
    assert "项目已登记" in page
    assert "记录节能审查" in page


@pytest.mark.parametrize(
    ("changes", "zh", "en"),
    [
        ({"planned_self_raised": "-5"}, "投资额不能为负数", "An investment cannot be negative"),
        ({"value_added": "四万"}, "达产年增加值", "Value added at full production"),
        ({"enterprise": ""}, "请先登记企业", "register it first"),
        ({"kind": "palace"}, "项目类型", "Project kind"),
    ],
)
def test_a_bad_registration_says_why_in_both_languages_and_writes_nothing(
    client, clerk, cell_maker, changes, zh, en
):
    client.force_login(clerk)
    page = client.post("/projects/new/", _register_body(cell_maker, **changes)).content.decode()
    assert zh in page
    assert not Project.objects.exists()
    client.cookies["django_language"] = "en"
    page = client.post("/projects/new/", _register_body(cell_maker, **changes)).content.decode()
    assert en in page
    assert not Project.objects.exists()


def test_drs_records_review_assessment_and_stages_through_the_forms(client, clerk, project):
    client.force_login(clerk)
    for what in ("stage", "review", "assessment"):
        assert client.get(f"/projects/{project.pk}/{what}/").status_code == 200
    review = {"year": "2022", "carrier": ["coal_raw", "electricity"], "quantity": ["2000", "3000"],
              "unit": ["", "万kWh"], "opinion_authority": "德州市发展和改革委员会",
              "opinion_date": "2026-03-01", "approved_calorific_tce": "4400"}  # fmt: skip
    page = client.post(f"/projects/{project.pk}/review/", review).content.decode()
    assert "须填写文号" in page  # an opinion without its 文号
    assert not EnergyReview.objects.exists()
    response = client.post(
        f"/projects/{project.pk}/review/", review | {"document_no": "德发改审〔2026〕21号"}
    )
    assert response.status_code == 302
    stored = EnergyReview.objects.get(project=project)
    assert stored.calorific_tce == D("2000") * D("0.7143") + D("3000") * D("1.229")
    assert stored.document_no == "德发改审〔2026〕21号"
    assert stored.approved_calorific_tce == D("4400")
    assessment = {"year": "2022", "carrier": ["electricity"], "quantity": ["3000"], "unit": [""],
                  "process_name": ["石灰石分解"], "process_tco2": ["500"],
                  "process_method": ["排放因子法"], "benchmark": "0.5"}  # fmt: skip
    page = client.post(f"/projects/{project.pk}/assessment/", assessment).content.decode()
    assert "行业基准须注明来源" in page
    assert not CarbonAssessment.objects.exists()
    client.post(f"/projects/{project.pk}/assessment/",
                assessment | {"benchmark_source": "《行业碳排放基准》(示例)"})  # fmt: skip
    assert CarbonAssessment.objects.get(project=project).process_t == D("500")
    stage = {"stage": "approved", "actual_date": "2026-02-01", "evidence": "立项批复"}
    client.post(f"/projects/{project.pk}/stage/", stage)
    page = client.post(
        f"/projects/{project.pk}/stage/", {"stage": "construction", "actual_date": "2026-01-01"}
    ).content.decode()
    assert "早于上一阶段" in page
    assert client.post(f"/projects/{project.pk}/stage/",
                       {"stage": "construction", "actual_date": "2026-05-01"}).status_code == 302  # fmt: skip
    project.refresh_from_db()
    assert project.stage == "construction"
    assert StageEvent.objects.filter(project=project).count() == 2


def test_an_unknown_carrier_or_a_negative_quantity_is_refused(client, clerk, project):
    client.force_login(clerk)
    for carrier, quantity, says in (
        ("plutonium", "1", "无法识别"), ("coal_raw", "-3", "不能为负数"), ("coal_raw", "abc", "原煤"),
    ):  # fmt: skip
        body = {"year": "2022", "carrier": [carrier], "quantity": [quantity], "unit": [""]}
        page = client.post(f"/projects/{project.pk}/review/", body).content.decode()
        assert says in page
    assert not EnergyReview.objects.exists()


def test_the_department_reports_its_quarter_and_its_head_decides_on_the_page(
    client, clerk, head, statistics_office, project
):
    round_open(period="2026Q4", user=statistics_office)
    services.project_stage_record(user=clerk, project=project, stage="approved",
                                  actual_date=dt.date(2026, 2, 1))  # fmt: skip
    client.force_login(clerk)
    body = {"period": "2026Q4", "stage": "approved", "completed_self_raised": "1200",
            "milestone": "完成设备招标", "files": [SimpleUploadedFile("招标文件.pdf", PDF)]}  # fmt: skip
    assert client.post(f"/projects/{project.pk}/update/", body).status_code == 302
    update = ProjectUpdate.objects.get(project=project)
    assert update.evidence.get().sha256 == hashlib.sha256(PDF).hexdigest()
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "完成设备招标" in page
    assert f"/projects/updates/{update.pk}/decide/" not in page  # the clerk decides nothing
    assert (
        client.post(f"/projects/updates/{update.pk}/decide/", {"action": "approve"}).status_code
        == 403
    )
    client.force_login(head)
    assert (
        f"/projects/updates/{update.pk}/decide/"
        in client.get(f"/projects/{project.pk}/").content.decode()
    )
    client.post(f"/projects/updates/{update.pk}/decide/", {"action": "approve"})
    update.refresh_from_db()
    assert update.state == "approved"


def test_the_admission_calculator_checks_several_projects_together(client, clerk, project, park):
    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (
        ("energy_total_calorific", "400000", None), ("energy_intensity_iva", "0.4", "0.35"),
    ):  # fmt: skip
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip
    services.energy_review_record(
        user=clerk, project=project, year=2022, opinion_authority="德州市发改委",
        document_no="德发改审〔2026〕15号", approved_calorific_tce=D("5000"),
        uses=[{"carrier": "coal_raw", "quantity": "7000", "unit": "t"}],
    )  # fmt: skip
    client.force_login(clerk)
    query = {"project": [str(project.pk)], "name": ["高耗能拟建项目"], "tce": ["30000"],
             "va": ["10000"]}  # fmt: skip
    page = client.get("/projects/admission/", query).content.decode()
    # (5000 + 30000) ÷ (50000 + 10000) = 0.5833 > 0.35: 不利
    assert 'data-verdict="harder"' in page
    assert "0.5833" in page
    # I' = (400000 + 35000) ÷ (1000000 + 60000) = 0.4104; ΔI = 0.0104, 2.59 % of 0.4
    assert "0.4104" in page
    assert "2.59%" in page
    page = client.get("/projects/admission/", {"project": [str(project.pk)]}).content.decode()
    assert 'data-verdict="helps"' in page  # 5000 ÷ 50000 = 0.1
    page = client.get("/projects/admission/", {"tce": ["-"], "va": ["1"]}).content.decode()
    assert 'role="alert"' in page
    page = client.get("/projects/admission/", {"tce": ["-100"], "va": ["1"]}).content.decode()
    assert "年综合能耗不能为负数" in page
