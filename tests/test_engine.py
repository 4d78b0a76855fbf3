"""The engine on a real database: figures are versions, only approved figures count,
imports are all or nothing, results are stored with their trace, and recomputing is
idempotent and incremental."""

import json
import random
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from indicators import recompute
from indicators.calculations import ENERGY_FORM_ITEMS
from indicators.models import (
    DepartmentPeriod,
    EngineAlert,
    Figure,
    ImportBatch,
    IndicatorResult,
    RecomputeRequest,
    method_traces_store,
)
from indicators.recompute import workers
from reporting.workflow import EntryValue, department_period_save, lock_exception_grant
from tasks.models import Department
from tests.helpers import import_rows, worked_example_rows

pytestmark = pytest.mark.django_db
D = Decimal


def result(indicator, period, variant=""):
    return IndicatorResult.objects.get(
        indicator__code=indicator, period=period, scope="", variant=variant
    )


@pytest.fixture
def worked_example(administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(worked_example_rows(), user=administrator)


def test_worked_example_end_to_end(worked_example):
    """Import → approve → recompute job → stored result equals methodology §3."""
    intensity = result("energy_intensity_iva", "2025")
    assert round(intensity.value, 5) == D("0.36465")
    assert round(intensity.change_vs_base, 4) == D("-0.2349")
    assert intensity.target.code == "T2"
    assert intensity.status == "achieved"
    assert intensity.method["counting"].startswith("approved figures only")
    assert intensity.method["coefficients"]["tce.coal_raw"]["value"] == "0.7143000000"
    # Every 2025 energy figure, 2020's value added and each year's growth at Q4, no other.
    energy_items = [*ENERGY_FORM_ITEMS, "electricity_grid"]
    expected = set(
        Figure.objects.filter(year=2025, item__code__in=energy_items).values_list("pk", flat=True)
    )
    expected |= set(
        Figure.objects.filter(year=2020, item__code="iva_current").values_list("pk", flat=True)
    )
    expected |= set(
        Figure.objects.filter(item__code="iva_growth_ytd", quarter=4, year__gt=2020).values_list(
            "pk", flat=True
        )
    )
    assert set(intensity.input_figure_ids) == expected
    assert "electricity_pv" in intensity.method["unreported_as_zero"]
    assert intensity.provisional is False
    assert RecomputeRequest.objects.get().status == "done"


def test_results_from_ytd_windows_compare_with_the_same_window(worked_example):
    q2 = result("energy_intensity_iva", "2025Q2")
    assert round(q2.change_vs_base, 4) == D("-0.2349")
    assert q2.quarter == 2


def test_postgres_refuses_overwriting_a_figure_or_an_audit_event(clerk):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers exist on PostgreSQL")
    drs = Department.objects.get(code="DRS")
    [figure] = department_period_save(
        department=drs, period="2024Q1", entries=[EntryValue("coal_raw", D("100"))], user=clerk
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        Figure.objects.filter(pk=figure.pk).update(value=D("1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Figure.objects.filter(pk=figure.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    Figure.objects.filter(pk=figure.pk).update(state="submitted")  # workflow may move


# --- Imports ---------------------------------------------------------------------------------


def test_a_repeated_import_is_a_no_op(administrator, worked_example):
    figures, results = Figure.objects.count(), IndicatorResult.objects.count()
    outcome = import_rows(worked_example_rows(), user=administrator)
    assert (outcome.to_create, outcome.unchanged) == (0, len(worked_example_rows()))
    assert Figure.objects.count() == figures
    assert IndicatorResult.objects.count() == results


def test_an_import_revising_an_approved_figure_keeps_the_old_value(
    administrator, worked_example, statistics_office
):
    lock_exception_grant(
        department=Department.objects.get(code="DRS"),
        period="2025Q4",
        reason="统计局修订",
        hours=2,
        user=statistics_office,
    )
    outcome = import_rows(
        [{"period": "2025Q4", "item": "coal_raw", "value": "70000"}],
        user=administrator,
        approve=False,
    )
    assert outcome.revised_approved == 1
    versions = Figure.objects.filter(item__code="coal_raw", period="2025Q4").order_by("version")
    assert [(f.value, f.state, f.counts) for f in versions] == [
        (D("60000"), "approved", True),
        (D("70000"), "submitted", False),
    ]
    assert DepartmentPeriod.objects.get(department__code="DRS", period="2025Q4").state == (
        "submitted"
    )


def test_an_approved_period_refuses_an_import_without_a_lock_exception(
    administrator, worked_example
):
    with pytest.raises(ApplicationError) as refused:
        import_rows(
            [{"period": "2025Q4", "item": "coal_raw", "value": "70000"}],
            user=administrator,
            approve=False,
        )
    assert refused.value.code == "period_locked"
    assert Figure.objects.filter(item__code="coal_raw", period="2025Q4").count() == 1


def test_a_dry_run_writes_nothing_and_shows_the_diff(administrator, worked_example):
    before = Figure.objects.count()
    outcome = import_rows(
        [{"period": "2025Q4", "item": "coal_raw", "value": "70000"}],
        user=administrator,
        dry_run=True,
    )
    assert Figure.objects.count() == before
    assert outcome.changes == [
        {
            "line": 1,
            "item": "coal_raw",
            "period": "2025Q4",
            "scope": "",
            "old": "60000",
            "old_state": "approved",
            "new": "70000",
        }
    ]


def test_one_bad_row_refuses_the_whole_import(statistics_office):
    rows = [
        {"period": "2024Q1", "item": "coal_raw", "value": "100"},
        {"period": "2024Q1", "item": "natural_gas", "value": "abc"},
    ]
    with pytest.raises(ApplicationError) as refused:
        import_rows(rows, user=statistics_office, approve=False)
    assert refused.value.code == "import_rejected"
    assert refused.value.details[0]["line"] == 2
    assert refused.value.details[0]["column"] == "value"
    assert Figure.objects.count() == 0
    assert ImportBatch.objects.get().status == "rejected"
    assert AuditEvent.objects.filter(action="import_rejected").count() == 1


def test_only_the_statistics_office_imports_and_only_administrators_approve_on_import(
    clerk, statistics_office
):
    rows = [{"period": "2024Q1", "item": "coal_raw", "value": "100"}]
    with pytest.raises(PermissionRefused):
        import_rows(rows, user=clerk, approve=False)
    with pytest.raises(PermissionRefused):
        import_rows(rows, user=statistics_office, approve=True)
    assert Figure.objects.count() == 0


@pytest.mark.parametrize(
    ("_case", "filename", "content", "code"),
    [
        ("wrong encoding", "bad.csv", b"\xff\xfe\x00\x81period", "encoding"),
        ("unknown item", "a.csv", b"period,item,value\n2024Q1,coal_rw,1\n", "rejected"),
        (
            "bad unit",
            "a.csv",
            b"period,item,value,unit\n2024Q1,coal_raw,1,kWh\n",
            "rejected",
        ),
        (
            "text in a number",
            "a.csv",
            "period,item,value\n2024Q1,coal_raw,十\n".encode(),
            "rejected",
        ),
        (
            "negative where impossible",
            "a.csv",
            b"period,item,value\n2024Q1,coal_raw,-1\n",
            "rejected",
        ),
        (
            "duplicate rows",
            "a.csv",
            b"period,item,value\n2024Q1,coal_raw,1\n2024Q1,coal_raw,2\n",
            "rejected",
        ),
        ("not a spreadsheet", "a.xlsx", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "not_xlsx"),
        (
            "50 MB file",
            "big.csv",
            b"period,item,value\n" + b"2024Q1,coal_raw,1\n" * 2_800_000,
            "too_large",
        ),
    ],
)
def test_the_bad_input_corpus_leaves_the_database_unchanged(
    tmp_path, capsys, park, _case, filename, content, code
):
    path = tmp_path / filename
    path.write_bytes(content)
    before = (Figure.objects.count(), IndicatorResult.objects.count())
    with pytest.raises(CommandError) as refused:
        call_command("import_statistics", str(path), "--approve")
    assert (Figure.objects.count(), IndicatorResult.objects.count()) == before
    errors = capsys.readouterr().err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in errors), "a Chinese message"
    assert any(ch.isascii() and ch.isalpha() for ch in errors), "an English message"
    if code == "rejected":
        assert "import_rejected" in str(refused.value)
        assert "line 2" in errors
    else:
        assert code in str(refused.value)


def test_the_import_command_loads_a_gbk_csv_with_chinese_headers(tmp_path, park, capsys):
    path = tmp_path / "统计.csv"
    path.write_bytes(
        "期间,指标代码,数值,单位,备注\n2024Q1,natural_gas,120,万立方米,一季度\n"
        '2024Q1,electricity_grid,"1,000",MWh,\n'.encode("gbk")
    )
    call_command("import_statistics", str(path), "--approve")
    gas = Figure.objects.get(item__code="natural_gas", period="2024Q1")
    electricity = Figure.objects.get(item__code="electricity_grid", period="2024Q1")
    assert (gas.value, gas.note, gas.state) == (D("120"), "一季度", "approved")
    assert electricity.value == D("100")  # 1,000 MWh = 100 万kWh
    assert "2" in capsys.readouterr().out


# --- Recompute properties ----------------------------------------------------------------------


def _snapshot():
    return {
        (r.indicator_id, r.period, r.scope, r.variant): (
            r.value,
            r.status,
            r.target_value,
            r.change_yoy,
        )
        for r in IndicatorResult.objects.all()
    }


def test_recomputing_twice_gives_the_same_results(worked_example):
    first = _snapshot()
    recompute.results_recompute()
    recompute.results_recompute()
    assert _snapshot() == first


def test_a_recompute_repairs_changed_rows_and_removes_stale_ones(worked_example):
    """Over stored results, a recompute rewrites exactly the rows that differ from what it
    computes (value or trace), deletes the rows it no longer computes (of a scope it
    computes, and of a scope without figures), and leaves identical rows untouched."""
    first = _snapshot()
    full = {r.pk: (r.value, r.method, r.input_figure_ids) for r in IndicatorResult.objects.all()}
    tampered = result("energy_intensity_iva", "2025")
    untouched = result("energy_intensity_iva", "2024")
    [tampered_trace] = method_traces_store([{"formula": "?"}])
    IndicatorResult.objects.filter(pk=tampered.pk).update(value=D("9"), trace_id=tampered_trace)
    template = {
        "indicator": tampered.indicator,
        "year": 2019,
        "variant": "",
        "value": D("1"),
        "method": {"formula": "stale"},
        "input_figure_ids": [],
    }
    IndicatorResult.objects.create(**template, period="2019", scope="")
    IndicatorResult.objects.create(**template, period="2019", scope="91371400MA3C4QXX1C")

    stats = recompute.results_recompute()

    assert stats.deleted == 2
    assert _snapshot() == first
    assert {
        r.pk: (r.value, r.method, r.input_figure_ids) for r in IndicatorResult.objects.all()
    } == full
    if connection.vendor == "postgresql":  # the COPY writer skips identical rows
        assert result("energy_intensity_iva", "2024").computed_at == untouched.computed_at
        assert result("energy_intensity_iva", "2025").computed_at > tampered.computed_at


def _stored_rows():
    return {
        (r.indicator_id, r.period, r.scope, r.variant): (
            r.year,
            r.quarter,
            r.value,
            r.change_vs_base,
            r.change_yoy,
            r.target_id,
            r.target_value,
            r.status,
            r.completion,
            r.provisional,
            r.method,
            r.input_figure_ids,
        )
        for r in IndicatorResult.objects.all()
    }


def test_worker_processes_store_what_the_caller_would(administrator, worked_example, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("worker processes are used with the COPY writer (PostgreSQL)")
    from indicators.importing import credit_code_check_char

    rows = worked_example_rows()
    for number in range(1, 5):  # enterprises with more or fewer of the park's figures
        first17 = f"91371400{number:09d}"
        scope = first17 + credit_code_check_char(first17)
        kept = rows[: len(rows) - 7 * number]
        import_rows([{**row, "scope": scope} for row in kept], user=administrator)
    monkeypatch.setattr(workers, "PARALLEL_MIN_SCOPES", 10**6)
    recompute.results_recompute()
    in_process = _stored_rows()
    IndicatorResult.objects.all().delete()

    batches = []
    submit = workers.ParallelRows.submit
    monkeypatch.setattr(workers, "PARALLEL_WORKERS", 2)
    monkeypatch.setattr(workers, "PARALLEL_MIN_SCOPES", 1)
    monkeypatch.setattr(workers, "PARALLEL_BATCH_SCOPES", 2)
    monkeypatch.setattr(
        workers.ParallelRows,
        "submit",
        lambda self, batch: (batches.append(len(batch)), submit(self, batch)),
    )
    first = recompute.results_recompute()  # an empty table
    assert batches == [2, 2, 1]
    assert _stored_rows() == in_process
    again = recompute.results_recompute()  # over the stored rows: nothing to rewrite
    assert (again.written, again.deleted) == (first.written, 0)
    assert _stored_rows() == in_process


def test_a_revised_figure_changes_only_its_period_and_later_ones(administrator, park):
    from indicators.demo import demo_rows

    import_rows(demo_rows(), user=administrator)
    recompute.results_recompute()
    before = _snapshot()
    import_rows([{"period": "2023Q2", "item": "coal_raw", "value": "50000"}], user=administrator)
    recompute.results_recompute(from_year=2023)
    after = _snapshot()
    changed = {key for key in before if before[key] != after.get(key)}
    assert changed, "the revision changed something"
    periods = {key[1] for key in changed}
    assert all(int(period[:4]) >= 2023 for period in periods)
    assert "2023Q2" in periods
    assert "2023Q1" not in periods


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_import_order_does_not_matter(administrator, seed):
    rows = worked_example_rows()
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    snapshots = []
    for ordering in (rows, shuffled):
        with transaction.atomic():
            import_rows(ordering, user=administrator)
            recompute.results_recompute()
            snapshots.append({k[1:]: v for k, v in _snapshot().items()})
            transaction.set_rollback(True)
    assert snapshots[0] == snapshots[1]


def test_nightly_reconciliation_raises_an_alert_on_a_difference(worked_example):
    assert recompute.full_recompute_and_reconcile().differences == []
    IndicatorResult.objects.filter(
        period="2025", indicator__code="energy_intensity_iva", variant=""
    ).update(value=D("9"))
    stats = recompute.full_recompute_and_reconcile()
    assert len(stats.differences) == 1
    alert = EngineAlert.objects.get(kind="reconciliation_difference")
    assert "1" in alert.message_zh
    assert round(result("energy_intensity_iva", "2025").value, 5) == D("0.36465")  # repaired


def test_requests_coalesce_and_the_sweep_requeues_lost_ones(administrator, settings):
    from datetime import timedelta

    settings.RECOMPUTE_SWEEP_AFTER = timedelta(0)
    with transaction.atomic():
        recompute.recompute_request(from_year=2024, reason="a")
        recompute.recompute_request(from_year=2022, reason="b")
    pending = RecomputeRequest.objects.get(status="pending")
    assert pending.from_year == 2022
    assert recompute.recompute_sweep() == 1  # eager: the sweep's job runs it now
    pending.refresh_from_db()
    assert pending.status == "done"


def test_running_a_finished_request_again_does_nothing(worked_example):
    request = RecomputeRequest.objects.get()
    assert recompute.recompute_run(request_id=request.pk) == "gone"


def test_a_provisional_coefficient_marks_the_result(worked_example):
    co2 = result("co2_emissions", "2025")
    assert co2.provisional is True
    assert any(c.get("provisional") for c in co2.method["coefficients"].values())


# --- Commands and API ----------------------------------------------------------------------------


def test_indicator_values_command_prints_the_contract_fields(worked_example, capsys):
    call_command(
        "indicator_values",
        "--format",
        "json",
        "--indicator",
        "energy_intensity_iva",
        "--period",
        "2025",
    )
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    row = rows[0]
    for name in [
        "indicator",
        "period",
        "value",
        "unit",
        "change_vs_base",
        "change_yoy",
        "target_id",
        "target_value",
        "target_year",
        "path_value",
        "status",
        "provisional",
        "method",
    ]:
        assert name in row
    assert row["target_id"] == "T2"
    assert row["target_year"] == 2025
    assert round(D(row["value"]), 5) == D("0.36465")
    call_command("indicator_values", "--format", "csv", "--period", "2025")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("indicator,period,scope,variant,value,unit")


def test_indicator_values_api_filters(worked_example, committee_member):
    client = APIClient()
    client.force_authenticate(committee_member)
    body = client.get(
        reverse("api:indicator-value-list"), {"indicator": "energy_intensity_iva", "period": "2025"}
    ).json()
    assert body["count"] == 1
    assert round(D(body["results"][0]["change_vs_base"]), 4) == D("-0.2349")
    variant = client.get(
        reverse("api:indicator-value-list"),
        {"indicator": "energy_intensity_iva", "period": "2025", "variant": "excl_feedstock"},
    ).json()
    assert variant["results"][0]["variant"] == "excl_feedstock"


@pytest.mark.parametrize(
    ("_case", "persona", "expected"),
    [
        ("the statistics office imports", "statistics_office", 201),
        ("a clerk may not", "clerk", 403),
        ("the committee may not", "committee_member", 403),
        ("an outsider may not", "outsider", 403),
    ],
)
def test_import_api_permissions(request, park, _case, persona, expected):
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(persona))
    response = client.post(
        reverse("api:import-create"),
        {"rows": [{"period": "2024Q1", "item": "coal_raw", "value": "1"}]},
        format="json",
    )
    assert response.status_code == expected
    assert Figure.objects.count() == (1 if expected == 201 else 0)


def test_import_api_answers_every_bad_row(statistics_office):
    client = APIClient()
    client.force_authenticate(statistics_office)
    response = client.post(
        reverse("api:import-create"),
        {
            "rows": [
                {"period": "2024Q1", "item": "coal_raw", "value": "1"},
                {"period": "2024Q5", "item": "coal_raw", "value": "1"},
                {"period": "2024Q1", "item": "nope", "value": "x"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "import_rejected"
    assert body["message_zh"]
    assert body["message_en"]
    assert {error["line"] for error in body["details"]} == {2, 3}
    assert Figure.objects.count() == 0


def test_a_formula_cell_without_a_value_refuses_the_file(tmp_path, capsys, park):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["period", "item", "value"])
    sheet.append(["2024Q1", "coal_raw", "100"])
    sheet.append(["2024Q1", "natural_gas", "=B2*2"])  # openpyxl stores no cached value
    path = tmp_path / "formula.xlsx"
    workbook.save(path)
    with pytest.raises(CommandError):
        call_command("import_statistics", str(path), "--approve")
    assert Figure.objects.count() == 0
    errors = capsys.readouterr().err
    assert "line 3" in errors
    assert "公式" in errors


def test_two_workers_never_compute_at_once(worked_example):
    if connection.vendor != "postgresql":
        pytest.skip("the compute lock is a PostgreSQL advisory lock")
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [recompute.COMPUTE_LOCK_KEY])
        with transaction.atomic():
            recompute.recompute_request(from_year=2025, reason="test")
        request = RecomputeRequest.objects.get(status="pending")
        assert recompute.recompute_run(request_id=request.pk) == "busy"
        request.refresh_from_db()
        assert request.status == "pending"  # left for the job's retry or the sweep
        # Released explicitly: after close() the server ends the session (and only then
        # releases its locks) asynchronously, which under load came after the next line.
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [recompute.COMPUTE_LOCK_KEY])
    finally:
        other.close()
    assert recompute.recompute_run(request_id=request.pk) == "done"


def test_preview_shows_a_departments_unapproved_figures_only_to_its_staff(
    worked_example, clerk, committee_member, statistics_office
):
    lock_exception_grant(
        department=Department.objects.get(code="DRS"),
        period="2025Q4",
        reason="更正原煤",
        hours=2,
        user=statistics_office,
    )
    department_period_save(
        department=Department.objects.get(code="DRS"),
        period="2025Q4",
        entries=[EntryValue("coal_raw", D("70000"))],
        user=clerk,
        reason="更正",
    )
    client = APIClient()
    client.force_authenticate(clerk)
    params = {"indicator": "energy_intensity_iva", "period": "2025"}
    stored = client.get(reverse("api:indicator-value-list"), params).json()["results"][0]
    preview = client.get(reverse("api:indicator-value-list"), {**params, "preview": "1"})
    row = preview.json()["results"][0]
    assert D(row["value"]) > D(stored["value"])  # the draft adds 10,000 t of coal
    assert row["method"]["preview"] is True
    assert round(D(stored["value"]), 5) == D("0.36465")  # nothing stored changed
    client.force_authenticate(committee_member)
    refused = client.get(reverse("api:indicator-value-list"), {**params, "preview": "1"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("_case", "persona", "sees"),
    [
        ("an auditor sees every department", "auditor", {"DRS", "ECO"}),
        ("a DRS clerk sees DRS only", "clerk", {"DRS"}),
        ("an ECO clerk sees ECO only", "other_clerk", {"ECO"}),
        ("an outsider sees nothing", "outsider", None),
    ],
)
def test_figures_api_is_scoped_to_the_department(request, administrator, _case, persona, sees):
    import_rows(
        [
            {"period": "2024Q1", "item": "coal_raw", "value": "1"},
            {"period": "2024Q1", "item": "iw_generated", "value": "2"},
        ],
        user=administrator,
    )
    client = APIClient()
    client.force_authenticate(request.getfixturevalue(persona))
    response = client.get(reverse("api:figure-list"))
    if sees is None:
        assert response.status_code == 403
        return
    assert {row["department"] for row in response.json()["results"]} == sees


def test_a_result_traces_to_its_figures_and_who_approved_them(worked_example, auditor):
    intensity = result("energy_intensity_iva", "2025")
    client = APIClient()
    client.force_authenticate(auditor)
    ids = ",".join(str(i) for i in intensity.input_figure_ids)
    rows = client.get(reverse("api:figure-list"), {"ids": ids, "limit": 100}).json()["results"]
    assert len(rows) == len(intensity.input_figure_ids)
    assert {row["decided_by"] for row in rows} == {"admin.root"}
    assert {row["state"] for row in rows} == {"approved"}
