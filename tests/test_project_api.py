"""The key projects' API writes (issue 18 item 9): DRS registers and edits a project, records
its stages, energy review and carbon assessment through the same services as the pages; the
project's department reports its quarter and its head approves or returns it; the admission
check of proposed projects together. Every bad input of the issue is refused through the API
with code, message_zh and message_en, and nothing is written."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from projects.models import CarbonAssessment, EnergyReview, Project, ProjectUpdate, StageEvent
from reporting.services import round_open

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UNREGISTERED = "91110000600037341L"  # a valid credit code, not in the register
BODY = {
    "code": "DZ-2026-301", "name": "年产 2GWh 储能电池项目", "kind": "new", "department": "DRS",
    "investment_planned": {"self_raised": "80000", "bank_loans": "20000.5"},
    "value_added": "30000", "product_quantity": "2000", "product_unit": "MWh", "tasks": ["1"],
}  # fmt: skip
OPINION = {"opinion_authority": "德州市发展和改革委员会", "document_no": "德发改审〔2026〕31号",
           "opinion_date": "2026-03-01", "approved_calorific_tce": "3600"}  # fmt: skip
ELECTRICITY = [{"carrier": "electricity", "quantity": "3000"}]  # 万kWh by default


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _written():
    return (Project.objects.count(), StageEvent.objects.count(), EnergyReview.objects.count(),
            CarbonAssessment.objects.count(), ProjectUpdate.objects.count(),
            AuditEvent.objects.count(), list(Project.objects.values_list("stage", "name", "value_added")))  # fmt: skip


@pytest.fixture
def project(clerk, cell_maker):
    answer = _as(clerk).post(
        "/api/v1/projects/", {**BODY, "enterprise": cell_maker.code}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return Project.objects.get(code=BODY["code"])


def test_drs_registers_a_project_and_records_review_assessment_and_stages(clerk, project):
    client = _as(clerk)
    detail = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert detail["investment_planned"] == {"self_raised": "80000", "bank_loans": "20000.5"}
    assert detail["value_added"] == "30000"
    assert detail["tasks"] == ["1"]
    assert AuditEvent.objects.filter(action="project_registered").count() == 1

    review = client.post(f"/api/v1/projects/{project.pk}/reviews/",
                         {"year": 2022, "uses": ELECTRICITY, **OPINION}, format="json")  # fmt: skip
    assert review.status_code == 201, review.json()
    latest = review.json()["reviews"][0]
    assert latest["calorific_tce"] == "3687"  # 3000 万kWh × 1.229 tce/万kWh
    assert latest["authority"] == "local"
    assert latest["document_no"] == "德发改审〔2026〕31号"
    assert latest["approved_calorific_tce"] == "3600"

    assessment = client.post(
        f"/api/v1/projects/{project.pk}/assessments/",
        {"year": 2022, "uses": ELECTRICITY, "benchmark": "1.2", "benchmark_source": "行业基准（示例）",
         "process": [{"name": "电解液分解", "tco2": "12.5", "method": "物料衡算法"}]},
        format="json",
    )  # fmt: skip
    assert assessment.status_code == 201, assessment.json()
    figures = assessment.json()["assessments"][0]["figures"]
    # 30000 MWh × 0.6410 t/MWh (Shandong 2022) + 12.5 t of process emissions
    assert D(figures["total_t"]) == D("30000") * D("0.6410") + D("12.5")

    for stage, day in (("approved", "2026-02-01"), ("energy_review", "2026-03-01"),
                       ("construction", "2026-04-01")):  # fmt: skip
        answer = client.post(f"/api/v1/projects/{project.pk}/stages/",
                             {"stage": stage, "actual_date": day, "evidence": "批复"}, format="json")  # fmt: skip
        assert answer.status_code == 201, answer.json()
    detail = answer.json()
    assert detail["stage"] == "construction"
    assert [s["stage"] for s in detail["stages"]] == ["approved", "energy_review", "construction"]
    assert detail["stages"][0]["recorded_by"] == clerk.username


def test_drs_edits_a_project_and_others_may_not(clerk, other_clerk, committee_member, project):
    answer = _as(clerk).patch(f"/api/v1/projects/{project.pk}/",
                              {"value_added": "32000", "reason": "可研调整"}, format="json")  # fmt: skip
    assert answer.status_code == 200, answer.json()
    assert answer.json()["value_added"] == "32000"
    assert answer.json()["name"] == BODY["name"]  # untouched
    assert AuditEvent.objects.get(action="project_edited").reason == "可研调整"
    before = _written()
    for person, expected in ((other_clerk, 403), (committee_member, 403)):
        refused = _as(person).patch(
            f"/api/v1/projects/{project.pk}/", {"name": "改名"}, format="json"
        )
        assert refused.status_code == expected
        assert refused.json()["message_zh"]
        assert refused.json()["message_en"]
    assert _written() == before


def _refused(client, url, body, code, status=400, method="post"):
    before = _written()
    answer = getattr(client, method)(url, body, format="json")
    assert answer.status_code == status, answer.json()
    payload = answer.json()
    assert payload["code"] == code, payload
    assert payload["message_zh"]
    assert payload["message_en"]
    assert _written() == before
    return payload


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"enterprise": UNREGISTERED}, "enterprise_unregistered"),
        ({"kind": "palace"}, "bad_kind"),
        ({"department": "NOPE"}, "bad_department"),
        ({"investment_planned": {"lottery": "5"}}, "bad_funding_source"),
        ({"investment_planned": {"self_raised": "-5"}}, "negative_value"),
        ({"value_added": "三万"}, "not_a_number"),
        ({"tasks": ["99"]}, "bad_tasks"),
        ({"code": "DZ-2026-301"}, "project_exists"),
    ],
)
def test_bad_projects_are_refused_through_the_api(clerk, cell_maker, project, change, code):
    body = {**BODY, "code": "DZ-2026-302", "enterprise": cell_maker.code, **change}
    status = 409 if code == "project_exists" else 400
    _refused(_as(clerk), "/api/v1/projects/", body, code, status)


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("reviews", {"year": 2022, "uses": ELECTRICITY, "opinion_authority": "德州市发改委"},
         "document_required"),
        ("reviews", {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "-5"}]},
         "negative_value"),
        ("reviews", {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "五千"}]},
         "not_a_number"),
        ("reviews", {"year": 2022, "uses": [{"carrier": "uranium", "quantity": "5"}]},
         "bad_energy_carrier"),
        ("reviews", {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "5", "unit": "桶"}]},
         "bad_unit"),
        ("reviews", {"year": 2022, "uses": []}, "energy_required"),
        ("assessments", {"year": 2022, "uses": [{"carrier": "coal_raw", "quantity": "NaN"}]},
         "not_a_number"),
        ("assessments", {"year": 2022, "uses": ELECTRICITY, "benchmark": "1"}, "source_required"),
        ("assessments", {"year": 2022, "process": [{"name": "分解", "tco2": "5"}]},
         "method_required"),
        ("stages", {"stage": "construction", "actual_date": "2026-04-01"}, "review_required"),
        ("stages", {"stage": "operation", "actual_date": "2026-04-01"}, "review_required"),
        ("stages", {"stage": "dreaming", "actual_date": "2026-04-01"}, "bad_stage"),
        ("stages", {"stage": "approved"}, "date_required"),
        ("stages", {"stage": "approved", "actual_date": "2026-13-01"}, "invalid"),
    ],
)  # fmt: skip
def test_bad_records_are_refused_through_the_api(clerk, project, path, body, code):
    _refused(_as(clerk), f"/api/v1/projects/{project.pk}/{path}/", body, code)


def test_a_stage_dated_before_the_previous_one_is_refused(clerk, project):
    client = _as(clerk)
    client.post(f"/api/v1/projects/{project.pk}/stages/",
                {"stage": "approved", "actual_date": "2026-02-01"}, format="json")  # fmt: skip
    payload = _refused(client, f"/api/v1/projects/{project.pk}/stages/",
                       {"stage": "energy_review", "actual_date": "2026-01-15"},
                       "stage_date_before_previous")  # fmt: skip
    assert "2026-02-01" in payload["message_zh"]


def test_only_who_manages_projects_writes_them(other_clerk, committee_member, auditor, project):
    for person in (other_clerk, committee_member, auditor):
        client = _as(person)
        for path, body in (("reviews", {"year": 2022, "uses": ELECTRICITY}),
                           ("stages", {"stage": "approved", "actual_date": "2026-02-01"})):  # fmt: skip
            _refused(
                client, f"/api/v1/projects/{project.pk}/{path}/", body, "permission_denied", 403
            )


def test_the_department_reports_its_quarter_and_the_approval_moves_the_stage(
    clerk, head, project, statistics_office
):
    round_open(period="2026Q4", user=statistics_office)
    client = _as(clerk)
    client.post(f"/api/v1/projects/{project.pk}/reviews/",
                {"year": 2022, "uses": ELECTRICITY, **OPINION}, format="json")  # fmt: skip
    client.post(f"/api/v1/projects/{project.pk}/stages/",
                {"stage": "approved", "actual_date": "2026-02-01"}, format="json")  # fmt: skip
    url = f"/api/v1/projects/{project.pk}/updates/"
    _refused(client, url, {"period": "2026Q4", "stage": "construction"}, "stage_date_required")
    _refused(client, url, {"period": "2026Q2", "stage": "approved"}, "period_not_open")
    _refused(client, url, {"period": "2026Q4", "stage": "approved",
                           "investment_completed": {"self_raised": "-1"}}, "negative_value")  # fmt: skip
    answer = client.post(url, {"period": "2026Q4", "stage": "construction", "stage_date": "2026-10-08",
                               "investment_completed.self_raised": "1200",
                               "milestone": "开工", "files": [SimpleUploadedFile("许可证.pdf", PDF)]},
                         format="multipart")  # fmt: skip
    assert answer.status_code == 201, answer.json()
    update = answer.json()
    assert update["state"] == "submitted"
    assert update["stage_date"] == "2026-10-08"
    assert len(update["evidence"]) == 1
    assert len(update["evidence"][0]["sha256"]) == 64
    decide = f"/api/v1/project-updates/{update['id']}/approve/"
    _refused(client, decide, {}, "four_eyes", 403)  # who submits does not approve
    approved = _as(head).post(decide, {}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved"
    project.refresh_from_db()
    assert project.stage == "construction"
    assert project.stage_events.get(stage="construction").actual_date == dt.date(2026, 10, 8)


def test_a_head_returns_an_update_with_a_comment(clerk, head, project, statistics_office):
    round_open(period="2026Q4", user=statistics_office)
    update = _as(clerk).post(f"/api/v1/projects/{project.pk}/updates/",
                             {"period": "2026Q4", "stage": "reserve"}, format="json").json()  # fmt: skip
    url = f"/api/v1/project-updates/{update['id']}/return/"
    _refused(_as(head), url, {"comment": ""}, "invalid")
    answer = _as(head).post(url, {"comment": "请补充佐证"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["state"] == "returned"
    assert answer.json()["return_comment"] == "请补充佐证"


def test_another_department_neither_reports_nor_sees_the_project(other_clerk, project):
    client = _as(other_clerk)
    assert client.get(f"/api/v1/projects/{project.pk}/").status_code == 403
    _refused(client, f"/api/v1/projects/{project.pk}/updates/",
             {"period": "2026Q4", "stage": "reserve"}, "permission_denied", 403)  # fmt: skip


def _park_2025():
    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (("energy_total_calorific", "400000", None),
                                ("energy_intensity_iva", "0.4", "0.35")):  # fmt: skip
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip


def test_the_admission_check_of_proposed_projects_together(clerk, committee_member, project, park):
    client = _as(clerk)
    url = "/api/v1/projects/admission/"
    _refused(client, url, {"proposed": [{"energy_tce": "100", "value_added": "200"}]},
             "park_result_missing")  # fmt: skip
    _park_2025()
    _refused(client, url, {"projects": [project.pk]}, "project_not_reviewed")
    client.post(f"/api/v1/projects/{project.pk}/reviews/",
                {"year": 2022, "uses": ELECTRICITY, **OPINION}, format="json")  # fmt: skip
    _refused(client, url, {}, "projects_required")
    _refused(
        client, url, {"proposed": [{"energy_tce": "-1", "value_added": "200"}]}, "negative_value"
    )
    _refused(
        client, url, {"proposed": [{"energy_tce": "很多", "value_added": "200"}]}, "not_a_number"
    )
    before = _written()
    answer = _as(committee_member).post(
        url, {"projects": [project.pk],
              "proposed": [{"name": "拟建数据中心", "energy_tce": "9000", "value_added": "10000"}]},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    # approved 3600 tce + 9000 tce over 30000 + 10000 万元; the park: 400000 tce / 0.4 → 1e6 万元
    assert D(body["project_intensity"]) == D("12600") / D("40000")
    assert D(body["park_with_project"]) == D("412600") / D("1040000")
    assert D(body["effect_percent"]) == (D("412600") / D("1040000") - D("0.4")) / D("0.4") * 100
    assert body["verdict"] == "helps"  # 0.315 ≤ 0.35
    assert [p["name"] for p in body["projects"]] == [BODY["code"], "拟建数据中心"]
    assert _written() == before  # computes only


def _budget_2026(clerk, basis="calorific", *, allocate=None):
    """An approved budget of this year, 500,000 tce: 20,000 tce in reserve (and, if given, an
    allocation to a project)."""
    from budgets.models import Allocation, Budget
    from tasks.models import Department

    budget = Budget.objects.create(
        year=timezone.localdate().year, version=1, state="approved", basis=basis, derivation="assigned",
        energy_tce=D("500000"), co2_t=D("1000000"), department=Department.objects.get(code="DRS"),
        drafted_by=clerk, document_no="德经管字〔2026〕3号", reason="管委会审议通过",
        approved_by=clerk, approved_at=timezone.now(),
    )  # fmt: skip
    Allocation.objects.create(budget=budget, kind="reserve", energy_tce=D("20000"), co2_t=D("0"))
    if allocate is not None:
        Allocation.objects.create(budget=budget, kind="project", project=allocate,
                                  energy_tce=D("1200"), co2_t=D("0"))  # fmt: skip
    return budget


def test_the_admission_check_says_what_reserve_would_remain(clerk, project, park, client):
    """Issue 18 item 4: the reserve of the year's approved budget, less the proposed projects
    it does not allocate yet (an allocated project is already outside the reserve)."""
    _park_2025()
    api = _as(clerk)
    api.post(f"/api/v1/projects/{project.pk}/reviews/",
             {"year": 2022, "uses": ELECTRICITY, **OPINION}, format="json")  # fmt: skip
    single = f"/api/v1/projects/{project.pk}/admission/"
    what_if = "/api/v1/projects/admission/"
    proposed = {"projects": [project.pk],
                "proposed": [{"name": "拟建数据中心", "energy_tce": "9000", "value_added": "10000"}]}  # fmt: skip
    assert api.get(single).json()["reserve_after_tce"] is None  # no approved budget
    budget = _budget_2026(clerk)
    body = api.get(single).json()
    assert body["budget_year"] == timezone.localdate().year
    assert body["reserve_tce"] == "20000"
    assert body["reserve_after_tce"] == "16400"  # 20000 − the approved 3600 tce
    assert api.post(what_if, proposed, format="json").json()["reserve_after_tce"] == "7400"
    client.force_login(clerk)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'data-reserve-after="16400' in page
    calculator = client.get(
        f"/projects/admission/?project={project.pk}&tce=20000&va=10"
    ).content.decode()
    assert 'data-reserve-after="-3600' in calculator  # 20000 − 3600 − 20000
    assert "超出预留" in calculator
    budget.allocations.all().delete()
    budget.delete()
    _budget_2026(clerk, allocate=project)
    assert api.get(single).json()["reserve_after_tce"] == "20000"  # allocated already
    assert api.post(what_if, proposed, format="json").json()["reserve_after_tce"] == "11000"
    Budget = type(budget)
    Budget.objects.update(basis="equal_value")
    body = api.get(single).json()
    assert body["reserve_after_tce"] is None
    assert body["reserve_tce"] is None
    assert "等价值口径" in client.get(f"/projects/{project.pk}/").content.decode()


def test_an_existing_plant_is_assessed_from_its_enterprise_through_the_api(
    clerk, head, energy_manager, cell_maker, project
):
    from tests.test_projects import _approved_year

    _refused(_as(clerk), f"/api/v1/projects/{project.pk}/assessments/",
             {"year": 2024, "from_enterprise": True}, "not_an_operating_plant")  # fmt: skip
    plant = _as(clerk).post(
        "/api/v1/projects/",
        {**BODY, "code": "CL-003", "kind": "existing", "enterprise": cell_maker.code},
        format="json",
    ).json()  # fmt: skip
    _as(clerk).post(f"/api/v1/projects/{plant['id']}/stages/",
                    {"stage": "operation", "actual_date": "2015-01-01"}, format="json")  # fmt: skip
    _approved_year(cell_maker, 2024, energy_manager, head, electricity_grid="250")
    answer = _as(clerk).post(f"/api/v1/projects/{plant['id']}/assessments/",
                             {"year": 2024, "from_enterprise": True,
                              "uses": [{"carrier": "coal_raw", "quantity": "999"}]},
                             format="json")  # fmt: skip
    assert answer.status_code == 201, answer.json()
    assessment = answer.json()["assessments"][0]
    assert assessment["uses"] == [{"carrier": "electricity", "quantity": "1000", "unit": "万kWh"}]
    assert assessment["figures"]["fuels_t"] == "0"  # the typed coal is not used
    assert assessment["trace"]["source"]["enterprise"] == cell_maker.code


def test_the_project_list_filters_and_searches(clerk, committee_member, cell_maker, project):
    from tasks.models import Department

    other = _as(clerk).post("/api/v1/projects/", {
        **BODY, "code": "DZ-2026-302", "name": "园区屋顶光伏项目", "kind": "retrofit",
        "enterprise": cell_maker.code, "department": "ECO", "tasks": [],
        "investment_planned": {"special_bonds": "3000"},
    }, format="json")  # fmt: skip
    assert other.status_code == 201, other.json()
    assert Department.objects.filter(code="ECO").exists()
    client = _as(committee_member)

    def codes(query: str) -> list[str]:
        answer = client.get(f"/api/v1/projects/?{query}")
        assert answer.status_code == 200
        return [row["code"] for row in answer.json()["results"]]

    assert codes("") == ["DZ-2026-301", "DZ-2026-302"]
    assert codes("q=光伏") == ["DZ-2026-302"]
    assert codes("q=锂能") == ["DZ-2026-301", "DZ-2026-302"]  # the enterprise's name
    assert codes("department=ECO") == ["DZ-2026-302"]
    assert codes("department=NOPE") == []
    assert codes("task=1") == ["DZ-2026-301"]
    assert codes("task=999") == []
    assert codes("funding=special_bonds") == ["DZ-2026-302"]
    assert codes("kind=retrofit&q=DZ-2026") == ["DZ-2026-302"]
