"""Issue 17 items 3–6: 一企一策 plans with quarterly progress and evidence, overdue measures
in the warning loop, on-site visits whose findings are rectification items of that loop,
certificates and their counters with governed targets, efficiency benchmarks on the
ledger, the ledger as PDF, the designation suggestions page, the profile's sections."""

import datetime as dt
import subprocess
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from dashboards import services as warning_services
from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import product_output, work_rules, work_services
from enterprises.models import (
    CertificateCountTarget,
    DesignationSuggestion,
    Enterprise,
    EnterpriseCertificate,
    Finding,
    KeyUnitDesignation,
    Measure,
    MeasureProgress,
    Visit,
)
from tests.enterprise_fixtures import UNIT_A, UNIT_B

CODE = "91350100M000100Y43"
MEASURE = {
    "title": "空压机余热回收",
    "owner": "王工",
    "start_quarter": "2025Q1",
    "due_quarter": "2025Q4",
    "savings_tce": "120.5",
    "savings_tco2": "318.25",
    "investment": "85",
}


@pytest.fixture
def enterprise(park):
    from tasks.models import Department

    return Enterprise.objects.create(
        code=CODE,
        name="样例化工",
        industry="2614",
        supervising_department=Department.objects.get(code="DRS"),
        is_key_unit=True,
    )


# --- pure rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "end"),
    [("2025Q1", dt.date(2025, 3, 31)), ("2025Q2", dt.date(2025, 6, 30)),
     ("2025Q3", dt.date(2025, 9, 30)), ("2025Q4", dt.date(2025, 12, 31))],
)  # fmt: skip
def test_a_quarter_ends_on_its_last_day(code, end):
    assert work_rules.quarter_end(code) == end


@pytest.mark.parametrize(
    ("state", "due", "today", "level"),
    [
        ("planned", "2025Q4", dt.date(2025, 12, 31), None),  # due today: on time
        ("planned", "2025Q4", dt.date(2026, 1, 1), "yellow"),
        ("in_progress", "2025Q4", dt.date(2026, 3, 31), "yellow"),  # 90 days late
        ("in_progress", "2025Q4", dt.date(2026, 4, 1), "red"),  # 91 days late
        ("done", "2024Q1", dt.date(2026, 4, 1), None),
        ("cancelled", "2024Q1", dt.date(2026, 4, 1), None),
    ],
)
def test_overdue_level(state, due, today, level):
    assert work_rules.overdue_level(state, due, today) == level


def test_certificate_counts_count_an_enterprise_once_per_counter_and_year():
    rows = [
        (1, "green_factory", "national", "", 2025),
        (1, "green_factory", "provincial", "", 2025),  # same enterprise, same year
        (2, "green_factory", "municipal", "", 2025),
        (2, "clean_production", "", "started", 2024),
        (2, "clean_production", "", "accepted", 2025),
        (3, "energy_management", "", "", 2025),
    ]
    counts = work_rules.certificate_counts(rows)
    assert counts[("green_factory", 2025)] == 2
    assert counts[("green_factory_national", 2025)] == 1
    assert counts[("green_factory_provincial", 2025)] == 1
    assert counts[("green_factory_municipal", 2025)] == 1
    assert counts[("clean_production_started", 2024)] == 1
    assert counts[("clean_production_accepted", 2025)] == 1
    assert ("clean_production_started", 2025) not in counts
    assert counts[("energy_management", 2025)] == 1


@pytest.mark.parametrize(
    ("value", "position"),
    [(Decimal("0.3"), "advanced"), (Decimal("0.31"), "baseline"), (Decimal("0.5"), "baseline"),
     (Decimal("0.51"), "below_baseline"), (None, None)],
)  # fmt: skip
def test_benchmark_position_lower_is_better(value, position):
    assert work_rules.benchmark_position(value, Decimal("0.3"), Decimal("0.5")) == position


def test_the_longest_industry_prefix_and_newest_year_wins():
    rows = [
        SimpleNamespace(industry="26", year=2025, name="26"),
        SimpleNamespace(industry="261", year=2023, name="261-2023"),
        SimpleNamespace(industry="261", year=2024, name="261-2024"),
        SimpleNamespace(industry="3985", year=2025, name="3985"),
    ]
    assert work_rules.benchmark_for("2614", rows).name == "261-2024"
    assert work_rules.benchmark_for("2650", rows).name == "26"
    assert work_rules.benchmark_for("1311", rows) is None


def test_plan_totals_leave_out_cancelled_measures():
    measures = [
        SimpleNamespace(state="done", savings_tce=Decimal("1.5"), savings_tco2=Decimal(4),
                        investment=Decimal(10)),
        SimpleNamespace(state="planned", savings_tce=Decimal("2"), savings_tco2=Decimal(5),
                        investment=Decimal(20)),
        SimpleNamespace(state="cancelled", savings_tce=Decimal(100), savings_tco2=Decimal(100),
                        investment=Decimal(100)),
    ]  # fmt: skip
    totals = work_rules.plan_totals(measures)
    assert totals["count"] == 2
    assert totals["done"] == 1
    assert totals["savings_tce"] == Decimal("3.5")
    assert totals["done_savings_tce"] == Decimal("1.5")
    assert totals["investment"] == Decimal(30)


# --- plans -------------------------------------------------------------------------------


def test_the_supervising_department_keeps_the_plan_with_evidence(
    client, clerk, enterprise, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(clerk)
    client.post(f"/enterprises/{CODE}/plan/", {"action": "measure", **MEASURE})
    measure = Measure.objects.get()
    assert measure.savings_tce == Decimal("120.5")
    assert measure.investment == Decimal(85)
    client.post(
        f"/enterprises/{CODE}/plan/",
        {
            "action": "progress",
            "measure": measure.pk,
            "period": "2025Q3",
            "state": "in_progress",
            "note": "设备已到货",
            "file": SimpleUploadedFile("到货单.txt", "设备到货验收单".encode()),
        },
    )
    progress = MeasureProgress.objects.get()
    import hashlib

    assert progress.file_sha256 == hashlib.sha256("设备到货验收单".encode()).hexdigest()
    measure.refresh_from_db()
    assert measure.state == "in_progress"
    page = client.get(f"/enterprises/{CODE}/plan/").content.decode()
    assert "空压机余热回收" in page
    assert "到货单.txt" in page
    download = client.get(f"/enterprises/files/progress/{progress.pk}/")
    assert b"".join(download.streaming_content) == "设备到货验收单".encode()
    assert AuditEvent.objects.filter(action="enterprise_evidence_download").count() == 1
    assert AuditEvent.objects.filter(action="enterprise_measure_progress").count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"due_quarter": "2024Q4"}, "bad_timetable"),
        ({"due_quarter": "2025"}, "bad_quarter"),
        ({"savings_tce": "-1"}, "negative_value"),
        ({"investment": "1,2"}, "not_a_number"),
        ({"owner": " "}, "required"),
    ],
)
def test_a_bad_measure_is_refused_and_nothing_written(clerk, enterprise, change, code):
    with pytest.raises(ApplicationError) as refused:
        work_services.measure_create(user=clerk, enterprise=enterprise, data={**MEASURE, **change})
    assert refused.value.code == code
    assert refused.value.message_en
    assert Measure.objects.count() == 0


def test_another_department_cannot_touch_the_plan(
    client, other_clerk, committee_member, enterprise
):
    with pytest.raises(PermissionRefused):
        work_services.measure_create(user=other_clerk, enterprise=enterprise, data=MEASURE)
    client.force_login(other_clerk)  # cannot even see it: 404, the attempt audited
    assert client.post(f"/enterprises/{CODE}/plan/", MEASURE).status_code == 404
    assert AuditEvent.objects.filter(action="enterprise_access_refused").exists()
    client.force_login(committee_member)  # reads, does not keep
    assert client.get(f"/enterprises/{CODE}/plan/").status_code == 200
    assert client.post(f"/enterprises/{CODE}/plan/", MEASURE).status_code == 403
    assert Measure.objects.count() == 0


def test_an_overdue_measure_warns_its_supervising_department_once(clerk, enterprise):
    measure = work_services.measure_create(user=clerk, enterprise=enterprise, data=MEASURE)
    assert work_services.plan_deadlines_sweep(today=dt.date(2025, 12, 31)) == []
    raised = work_services.plan_deadlines_sweep(today=dt.date(2026, 1, 5))
    assert len(raised) == 1
    warning = raised[0]
    assert warning.department.code == "DRS"
    assert warning.level == "yellow"
    assert warning.kind == EarlyWarning.Kind.DEADLINE
    assert warning.dedupe_key == f"enterprise:{CODE}:measure:{measure.pk}"
    assert work_services.plan_deadlines_sweep(today=dt.date(2026, 1, 6)) == []  # idempotent
    work_services.plan_deadlines_sweep(today=dt.date(2026, 4, 5))
    warning.refresh_from_db()
    assert warning.level == "red"
    assert EarlyWarning.objects.count() == 1
    other = work_services.measure_create(
        user=clerk, enterprise=enterprise, data={**MEASURE, "title": "电机变频改造"}
    )
    work_services.measure_progress_report(
        user=clerk, measure=other, period="2025Q4", state="done", note="已投运"
    )
    work_services.plan_deadlines_sweep(today=dt.date(2026, 4, 5))
    assert EarlyWarning.objects.count() == 1  # a finished measure does not warn


# --- visits ------------------------------------------------------------------------------


def _visit(user, enterprise, findings=1):
    return work_services.visit_record(
        user=user,
        enterprise=enterprise,
        visit_date=dt.date(2025, 10, 15),
        inspectors="李明、王芳",
        summary="检查能源计量器具配备情况",
        findings=[
            {"description": f"二级计量缺失 {n}", "requirement": "加装电表",
             "due_date": "2099-12-31"}
            for n in range(findings)
        ],
    )  # fmt: skip


def test_a_finding_runs_through_the_warning_loop(clerk, head, committee_member, enterprise):
    visit = _visit(clerk, enterprise)
    finding = Finding.objects.get(visit=visit)
    warning = finding.warning
    assert warning.kind == EarlyWarning.Kind.FINDING
    assert warning.department.code == "DRS"
    assert warning.due_date == dt.date(2099, 12, 31)
    assert warning.dedupe_key == f"enterprise:{CODE}:finding:{finding.pk}"
    warning = warning_services.warning_acknowledge(
        warning=warning,
        user=clerk,
        response="已安排",
        plan="加装电表",
        due_date=dt.date(2099, 6, 1),
    )
    warning = warning_services.warning_sign_off(warning=warning, user=head)
    warning = warning_services.warning_resolve(warning=warning, user=clerk, evidence="电表已装")
    warning = warning_services.warning_close(warning=warning, user=committee_member)
    assert warning.state == "closed"


def test_a_bad_visit_is_refused_and_nothing_written(clerk, other_clerk, enterprise):
    with pytest.raises(ApplicationError) as refused:
        work_services.visit_record(
            user=clerk, enterprise=enterprise, visit_date="2025-10-15", inspectors="李明",
            summary="", findings=[{"description": "问题", "requirement": "整改",
                                   "due_date": "2025-13-01"}],
        )  # fmt: skip
    assert refused.value.code == "bad_date"
    with pytest.raises(ApplicationError):
        work_services.visit_record(
            user=clerk, enterprise=enterprise, visit_date="2099-01-01", inspectors="李明",
            summary="", findings=[],
        )  # fmt: skip
    with pytest.raises(PermissionRefused):
        _visit(other_clerk, enterprise)
    assert Visit.objects.count() == 0
    assert EarlyWarning.objects.count() == 0


def test_the_visit_page_records_findings(client, clerk, enterprise):
    client.force_login(clerk)
    client.post(
        f"/enterprises/{CODE}/visits/",
        {
            "visit_date": "2025-10-15",
            "inspectors": "李明",
            "finding_1_description": "未建立能源管理岗位",
            "finding_1_requirement": "设立能源管理负责人",
            "finding_1_due_date": "2099-03-31",
        },
    )
    assert Finding.objects.get().warning.state == "open"
    page = client.get(f"/enterprises/{CODE}/visits/").content.decode()
    assert "未建立能源管理岗位" in page
    warning = Finding.objects.get().warning
    assert warning.period == ""  # a due date, no reporting period
    detail = client.get(f"/dashboards/warnings/{warning.pk}/").content.decode()
    assert f'<dd id="warning-enterprise"><a href="/enterprises/{CODE}/">样例化工</a>' in detail
    assert "2099-03-31" in detail


# --- certificates and counters -----------------------------------------------------------


def test_certificates_need_their_level_or_stage(clerk, enterprise):
    for data, code in (
        ({"kind": "green_factory", "year": "2025"}, "level_required"),
        ({"kind": "clean_production", "year": "2025"}, "stage_required"),
        ({"kind": "green_factory", "level": "national", "year": "1800"}, "bad_year"),
        ({"kind": "blue_factory", "year": "2025"}, "bad_kind"),
    ):
        with pytest.raises(ApplicationError) as refused:
            work_services.certificate_record(user=clerk, enterprise=enterprise, data=data)
        assert refused.value.code == code
    assert EnterpriseCertificate.objects.count() == 0


def test_counters_and_their_governed_targets(
    client, clerk, statistics_office, committee_member, enterprise
):
    work_services.certificate_record(
        user=clerk, enterprise=enterprise, data={"kind": "green_factory", "level": "national",
                                                 "year": "2025", "number": "工信部 2025-17"},
    )  # fmt: skip
    work_services.certificate_record(
        user=clerk, enterprise=enterprise,
        data={"kind": "clean_production", "stage": "accepted", "year": "2025"},
    )  # fmt: skip
    with pytest.raises(PermissionRefused):  # a clerk does not record targets
        work_services.certificate_count_target_set(
            counter="green_factory", year=2025, value=3, reason="r", document_no="d",
            approver=committee_member, actor=clerk,
        )  # fmt: skip
    with pytest.raises(PermissionRefused):  # the approver must be a committee member
        work_services.certificate_count_target_set(
            counter="green_factory", year=2025, value=3, reason="r", document_no="d",
            approver=statistics_office, actor=statistics_office,
        )  # fmt: skip
    client.force_login(statistics_office)
    client.post(
        "/enterprises/certificates/",
        {"counter": "green_factory", "year": "2025", "value": "3", "reason": "年度计划",
         "document_no": "德经开发〔2025〕3号", "approver": committee_member.pk},
    )  # fmt: skip
    client.post(
        "/enterprises/certificates/",
        {"counter": "green_factory", "year": "2025", "value": "1", "reason": "调整",
         "document_no": "德经开发〔2025〕9号", "approver": committee_member.pk},
    )  # fmt: skip
    targets = CertificateCountTarget.objects.order_by("version")
    assert [(t.value, t.version, t.is_current) for t in targets] == [(3, 1, False), (1, 2, True)]
    page = client.get("/enterprises/certificates/").content.decode()
    assert 'data-counter="green_factory" data-status="achieved"' in page
    assert AuditEvent.objects.filter(action="certificate_count_target_set").count() == 2


# --- benchmarks, the ledger and its PDF --------------------------------------------------


def test_benchmarks_need_a_source_and_sensible_levels(statistics_office, clerk, park):
    data = {"industry": "26", "metric": "per_value_added", "unit": "tce/万元",
            "advanced": "0.1", "baseline": "0.5", "year": "2025", "source": ""}  # fmt: skip
    with pytest.raises(ApplicationError):
        work_services.benchmark_record(user=statistics_office, data=data)
    with pytest.raises(ApplicationError):
        work_services.benchmark_record(
            user=statistics_office, data={**data, "source": "s", "advanced": "0.6"}
        )
    with pytest.raises(PermissionRefused):
        work_services.benchmark_record(user=clerk, data={**data, "source": "s"})


def test_the_ledger_compares_with_the_benchmark_and_exports_pdf(
    client, statistics_office, committee_member, park_with_key_units
):
    client.force_login(statistics_office)
    client.post(
        "/enterprises/benchmarks/",
        {"industry": "26", "metric": "per_value_added", "unit": "tce/万元", "advanced": "0.1",
         "baseline": "0.25", "year": "2025", "source": "《化工行业能效标杆水平和基准水平》"},
    )  # fmt: skip
    client.force_login(committee_member)
    page = client.get("/enterprises/ledger/?period=2025").content.decode()
    row = page[page.index(f'data-code="{UNIT_A}"') :]
    row = row[: row.index("</tr>")]
    # A: 90,000 t coal × 0.7143 ≈ 64,287 tce over 300,000 万元 ≈ 0.214: within the baseline.
    assert 'data-position="baseline"' in row
    row_b = page[page.index(f'data-code="{UNIT_B}"') :]
    row_b = row_b[: row_b.index("</tr>")]
    # B: 70,000 t × 0.7143 ≈ 50,001 tce over 120,000 万元 ≈ 0.417: beyond the baseline.
    assert 'data-position="below_baseline"' in row_b
    answer = client.get("/enterprises/ledger.pdf?period=2025")
    assert answer["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=answer.content, capture_output=True, check=True
    ).stdout.decode()
    assert "重点用能单位碳排放台账" in text
    assert "2025" in text
    assert "甲化工" in text
    assert "乙材料" in text
    assert "达到基准水平" in text
    assert "未达基准水平" in text


# --- designation suggestions -------------------------------------------------------------


def test_a_suggestion_is_decided_on_its_page_with_a_reason(
    client, statistics_office, clerk, enterprise
):
    suggestion = DesignationSuggestion.objects.create(
        enterprise=enterprise, kind="revoke", year=2025, energy_tce=3000, threshold_tce=10000,
        explanation_zh="连续两年低于门槛",
    )  # fmt: skip
    client.force_login(clerk)
    assert client.get("/enterprises/suggestions/").status_code == 403
    client.force_login(statistics_office)
    assert "连续两年低于门槛" in client.get("/enterprises/suggestions/").content.decode()
    client.post("/enterprises/suggestions/", {"suggestion": suggestion.pk, "decision": "confirm"})
    suggestion.refresh_from_db()
    assert suggestion.state == "open"  # no reason: refused
    client.post(
        "/enterprises/suggestions/",
        {"suggestion": suggestion.pk, "decision": "confirm", "reason": "产能转移"},
    )
    suggestion.refresh_from_db()
    enterprise.refresh_from_db()
    assert suggestion.state == "confirmed"
    assert not enterprise.is_key_unit
    assert KeyUnitDesignation.objects.get().reason == "产能转移"
    assert AuditEvent.objects.filter(action="designation_suggestion_confirm").exists()


# --- the profile's sections --------------------------------------------------------------


def _profile_queries(client, code) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/enterprises/{code}/").status_code == 200
    return len(queries)


def test_the_profile_shows_plan_certificates_visits_warnings_in_constant_queries(
    client, clerk, committee_member, enterprise
):
    client.force_login(committee_member)
    work_services.measure_create(user=clerk, enterprise=enterprise, data=MEASURE)
    _visit(clerk, enterprise, findings=1)
    work_services.certificate_record(
        user=clerk, enterprise=enterprise, data={"kind": "energy_audit", "year": "2025"}
    )
    few = _profile_queries(client, CODE)
    for n in range(9):
        work_services.measure_create(
            user=clerk, enterprise=enterprise, data={**MEASURE, "title": f"措施{n}"}
        )
        work_services.certificate_record(
            user=clerk, enterprise=enterprise, data={"kind": "carbon_management", "year": "2025"}
        )
    _visit(clerk, enterprise, findings=5)
    work_services.plan_deadlines_sweep(today=dt.date(2026, 1, 5))
    page = client.get(f"/enterprises/{CODE}/").content.decode()
    assert "措施8" in page
    assert "二级计量缺失 4" not in page
    assert 'id="profile-warnings"' in page
    assert page.count("data-warning=") == 16
    assert _profile_queries(client, CODE) == few


# --- API -----------------------------------------------------------------------------------


def test_the_api_keeps_the_plan_visits_and_certificates(
    clerk, other_clerk, statistics_office, committee_member, enterprise
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(clerk)
    base = f"/api/v1/enterprises/{CODE}"
    answer = api.post(f"{base}/measures/", MEASURE, format="json")
    assert answer.status_code == 201
    assert answer.json()["savings_tce"] == "120.5000"
    measure = answer.json()["id"]
    answer = api.post(
        f"{base}/measure-progress/",
        {"measure": measure, "period": "2025Q4", "state": "done", "note": "已投运"},
        format="json",
    )
    assert answer.status_code == 201
    listed = api.get(f"{base}/measures/").json()
    assert listed[0]["state"] == "done"
    assert listed[0]["progress"][0]["note"] == "已投运"
    answer = api.post(
        f"{base}/visits/",
        {"visit_date": "2025-10-15", "inspectors": "李明", "findings": [
            {"description": "计量缺失", "requirement": "加装电表", "due_date": "2099-01-01"}]},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201
    finding = answer.json()["findings"][0]
    assert finding["warning_state"] == "open"
    assert EarlyWarning.objects.get(pk=finding["warning"]).department.code == "DRS"
    bad = api.post(f"{base}/certificates/", {"kind": "green_factory", "year": 2025}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "level_required"
    assert bad.json()["message_en"]
    answer = api.post(
        f"{base}/certificates/",
        {"kind": "green_factory", "level": "national", "year": 2025},
        format="json",
    )
    assert answer.status_code == 201
    api.force_authenticate(statistics_office)
    work_services.certificate_count_target_set(
        counter="green_factory_national", year=2025, value=2, reason="计划", document_no="1号",
        approver=committee_member, actor=statistics_office,
    )  # fmt: skip
    counts = {(r["counter"], r["year"]): r for r in api.get("/api/v1/certificate-counts/").json()}
    assert counts[("green_factory_national", 2025)]["count"] == 1
    assert counts[("green_factory_national", 2025)]["target"] == 2
    assert counts[("green_factory_national", 2025)]["status"] in ("in_progress", "missed")
    assert api.post(f"{base}/measures/", MEASURE, format="json").status_code == 403
    api.force_authenticate(other_clerk)
    assert api.get(f"{base}/measures/").status_code == 404
    assert api.post(f"{base}/visits/", {}, format="json").status_code == 404
    assert Measure.objects.count() == 1


# --- demo --------------------------------------------------------------------------------


def test_demo_supervision_work(administrator):
    from accounts.models import User
    from enterprises.demo import enterprises_demo
    from enterprises.models import Benchmark
    from enterprises.work_demo import PLANS, enterprise_work_demo
    from indicators.demo import demo_statistics_load

    demo_statistics_load(user=administrator)
    enterprises_demo(user=administrator)
    User.objects.create_user(username="stats", role=User.Role.STATISTICS_OFFICE)
    User.objects.create_user(username="committee", role=User.Role.COMMITTEE)
    today = dt.date(2026, 12, 3)
    enterprise_work_demo(user=administrator, today=today)
    assert Measure.objects.count() == sum(len(plan) for plan in PLANS.values())
    assert Measure.objects.filter(state="done").exists()
    findings = Finding.objects.select_related("warning")
    assert findings.count() == 4
    assert {f.warning.state for f in findings} == {"open"}
    late = EarlyWarning.objects.filter(dedupe_key__contains=":measure:")
    assert late.count() >= 3
    assert set(late.values_list("department__code", flat=True)) <= {"DRS", "EIT"}
    counts = work_rules.certificate_counts(
        EnterpriseCertificate.objects.values_list("enterprise_id", "kind", "level", "stage", "year")
    )
    assert counts[("green_factory", 2025)] == 2
    assert counts[("clean_production_accepted", 2024)] == 1
    assert CertificateCountTarget.objects.count() == 4
    assert Benchmark.objects.count() == 6
    before = (
        Measure.objects.count(), MeasureProgress.objects.count(), Visit.objects.count(),
        EnterpriseCertificate.objects.count(), EarlyWarning.objects.count(),
    )  # fmt: skip
    enterprise_work_demo(user=administrator, today=today)  # a rerun changes nothing
    assert before == (
        Measure.objects.count(), MeasureProgress.objects.count(), Visit.objects.count(),
        EnterpriseCertificate.objects.count(), EarlyWarning.objects.count(),
    )  # fmt: skip


# --- the tasks' numbers ------------------------------------------------------------------


def test_work_items_that_count_enterprises_show_the_registers_count(
    client, clerk, committee_member, enterprise
):
    from django.template import Context, Template

    from enterprises.work_selectors import work_item_counts

    work_services.certificate_record(
        user=clerk, enterprise=enterprise, data={"kind": "energy_audit", "year": "2026"}
    )
    work_services.certificate_record(
        user=clerk, enterprise=enterprise, data={"kind": "green_factory", "level": "municipal",
                                                 "year": "2025"},
    )  # fmt: skip
    work_services.measure_create(user=clerk, enterprise=enterprise, data=MEASURE)
    counts = work_item_counts(2026)
    assert counts["18.2"]["count"] == 1
    assert counts["5.1"]["count"] == 0  # the green factory is 2025's
    assert counts["18.3"]["count"] == 1  # a key unit with a plan
    assert work_item_counts(2025)["5.1"]["count"] == 1
    template = Template(
        "{% load enterprise_links %}{% register_count code period as counted %}"
        "{% if counted %}{% include 'enterprises/_register_count.html' %}{% endif %}"
    )
    shown = template.render(Context({"code": "18.2", "period": "2026Q3"}))
    assert 'data-count="1"' in shown
    assert "能源审计/节能诊断" in shown
    assert template.render(Context({"code": "1.1", "period": "2026Q3"})) == ""
    client.force_login(committee_member)
    page = client.get("/enterprises/certificates/").content.decode()
    assert '<td>18.2</td><td class="num">1</td>' in page


# Queries of each page as a committee member reads it, whatever the number of rows:
# session and user (2), the enterprise with its department (1), then the page's reads:
# plan: measures + their progress; visits: visits + findings with their warnings;
# certificates: one list; counters: certificates + current targets; the profile: results
# (the series; no carriers without results here), designations, suggestions, measures, progress, visits, findings,
# certificates, warnings, and the enterprise's quarters with the open reporting rounds;
# its product outputs with the product benchmarks and the enterprises' energy results (3).
# products: the outputs, the product benchmarks, the energy results.
PAGE_QUERIES = {"plan": 5, "visits": 5, "certificates": 4, "": 17, "products": 6}
COUNTERS_QUERIES = 4


def _rows(clerk, enterprise, n):
    for k in range(n):
        measure = work_services.measure_create(
            user=clerk, enterprise=enterprise, data={**MEASURE, "title": f"措施{k}"}
        )
        work_services.measure_progress_report(
            user=clerk, measure=measure, period="2025Q2", state="in_progress", note="推进"
        )
        work_services.certificate_record(
            user=clerk, enterprise=enterprise, data={"kind": "energy_audit", "year": 2020 + k}
        )
        product_output.product_output_record(
            user=clerk, enterprise=enterprise,
            data={"year": 2020 + k, "product": f"产品{k}", "quantity": "10", "unit": "t"},
        )  # fmt: skip
    _visit(clerk, enterprise, findings=n)


@pytest.mark.parametrize("rows", [1, 10])
def test_the_work_pages_query_counts_do_not_grow(
    client, clerk, committee_member, enterprise, django_assert_num_queries, rows
):
    _rows(clerk, enterprise, rows)
    client.force_login(committee_member)
    for page, queries in PAGE_QUERIES.items():
        with django_assert_num_queries(queries):
            url = f"/enterprises/{CODE}/{page}/" if page else f"/enterprises/{CODE}/"
            assert client.get(url).status_code == 200
    with django_assert_num_queries(COUNTERS_QUERIES):
        assert client.get("/enterprises/certificates/").status_code == 200
