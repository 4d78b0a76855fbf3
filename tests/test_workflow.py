"""A department's quarter as one unit of work: validation, submit, approve, return, lock,
lock exceptions, corrections, undo, reminders and the audit trail of each step."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from audit.models import AuditEvent
from dezhou_carbon.exceptions import ApplicationError, ConflictError, PermissionRefused
from indicators import validation
from indicators.models import DepartmentPeriod, Figure, ImportBatch, RecomputeRequest
from reporting.models import Notification, ReportingRound
from reporting.services import default_deadline, reminders_send, round_open
from reporting.workflow import (
    EntryValue,
    department_period_approve,
    department_period_return,
    department_period_save,
    department_period_submit,
    import_batch_undo,
    lock_exception_grant,
)
from tasks.models import Department
from tests.helpers import department_approve, department_fill, import_rows

D = Decimal

# --- Validation rules (pure) ------------------------------------------------------------------

RULES = {
    "electricity_grid": validation.ItemRule("electricity_grid", "电网购电量", "Grid"),
    "electricity_green": validation.ItemRule(
        "electricity_green", "绿电", "Green", part_of="electricity_grid"
    ),
    "iva_growth_ytd": validation.ItemRule("iva_growth_ytd", "增速", "Growth", non_negative=False),
    "energy_feedstock": validation.ItemRule("energy_feedstock", "原料用能", "Feedstock"),
    "coal_raw": validation.ItemRule("coal_raw", "原煤", "Raw coal"),
}


@pytest.mark.parametrize(
    ("_case", "values", "kwargs", "expected"),
    [
        ("clean values", {"coal_raw": D(10)}, {}, []),
        ("negative where impossible", {"coal_raw": D(-1)}, {}, [("negative", "hard", True)]),
        (
            "green power above grid power",
            {"electricity_grid": D(10), "electricity_green": D(11)},
            {},
            [("part_exceeds_whole", "hard", True)],
        ),
        (
            "feedstock above fossil energy",
            {"energy_feedstock": D(100)},
            {"fossil_energy_tce": D(50)},
            [("feedstock_exceeds_energy", "hard", True)],
        ),
        (
            "growth of 500 %",
            {"iva_growth_ytd": D(500)},
            {},
            [("growth_out_of_range", "hard", True)],
        ),
        ("a negative growth rate is fine", {"iva_growth_ytd": D("-3.5")}, {}, []),
        (
            "a 40 % change needs a note",
            {"coal_raw": D(140)},
            {"same_period_last_year": {"coal_raw": D(100)}},
            [("large_change", "soft", True)],
        ),
        (
            "a 20 % change is fine",
            {"coal_raw": D(120)},
            {"same_period_last_year": {"coal_raw": D(100)}},
            [],
        ),
        (
            "an outlier against its history needs a note",
            {"coal_raw": D(500)},
            {"history": {"coal_raw": [D(100), D(101), D(99), D(100), D(102)]}},
            [("outlier", "soft", True)],
        ),
        (
            "an empty item blocks a submission",
            {"coal_raw": None},
            {"required": {"coal_raw"}},
            [("incomplete", "hard", True)],
        ),
    ],
)
def test_validation_rules(_case, values, kwargs, expected):
    issues = validation.validate_values(values, {}, rules=RULES, **kwargs)
    assert [(i.code, i.severity, i.blocks) for i in issues] == expected
    assert all(i.message_zh and i.message_en for i in issues)


def test_a_note_explains_a_soft_finding_but_never_a_hard_one():
    soft = validation.validate_values(
        {"coal_raw": D(140)},
        {"coal_raw": "新增一台锅炉"},
        rules=RULES,
        same_period_last_year={"coal_raw": D(100)},
    )
    hard = validation.validate_values({"coal_raw": D(-1)}, {"coal_raw": "说明"}, rules=RULES)
    assert [i.blocks for i in soft] == [False]
    assert [i.blocks for i in hard] == [True]


# --- The department's quarter -----------------------------------------------------------------


@pytest.fixture
def drs(park):
    return Department.objects.get(code="DRS")


def _period(drs) -> DepartmentPeriod:
    return DepartmentPeriod.objects.get(department=drs, period="2024Q1")


@pytest.mark.django_db
def test_the_whole_quarter_submit_return_correct_approve(drs, clerk, head):
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1000, "iva_current": 500})
    department_period_submit(department=drs, period="2024Q1", user=clerk)
    assert _period(drs).state == "submitted"
    assert Notification.objects.filter(user=head, kind="submitted").count() == 1
    with pytest.raises(ApplicationError) as locked:
        department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1})
    assert locked.value.code == "period_submitted"

    department_period_return(department=drs, period="2024Q1", user=head, comment="原煤偏低")
    assert _period(drs).state == "returned"
    assert Notification.objects.filter(user=clerk, kind="returned").count() == 1
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1200, "iva_current": 500})
    department_period_submit(department=drs, period="2024Q1", user=clerk)
    department_period_approve(department=drs, period="2024Q1", user=head)

    assert _period(drs).state == "approved"
    coal = Figure.objects.get(item__code="coal_raw", period="2024Q1", is_latest=True)
    assert (coal.value, coal.state, coal.counts, coal.version) == (D(1200), "approved", True, 2)
    assert RecomputeRequest.objects.filter(from_year=2024).exists()
    actions = list(
        AuditEvent.objects.filter(department_code="DRS", period="2024Q1")
        .exclude(action="figure_enter")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["submit", "return", "submit", "approve"]


@pytest.mark.django_db
def test_submitting_needs_every_item(drs, clerk):
    department_period_save(
        department=drs, period="2024Q1", entries=[EntryValue("coal_raw", D(1))], user=clerk
    )
    with pytest.raises(ApplicationError) as refused:
        department_period_submit(department=drs, period="2024Q1", user=clerk)
    assert refused.value.code == "validation_failed"
    assert {issue["code"] for issue in refused.value.details} == {"incomplete"}
    assert _period(drs).state == "open"


@pytest.mark.django_db
def test_a_hard_error_saves_nothing(drs, clerk):
    with pytest.raises(ApplicationError) as refused:
        department_period_save(
            department=drs,
            period="2024Q1",
            entries=[EntryValue("coal_raw", D(-5)), EntryValue("diesel", D(3))],
            user=clerk,
        )
    assert refused.value.details[0]["code"] == "negative"
    assert Figure.objects.count() == 0


@pytest.mark.django_db
def test_a_large_change_must_be_explained_before_submitting(administrator, drs, clerk):
    import_rows([{"period": "2023Q1", "item": "coal_raw", "value": "1000"}], user=administrator)
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 2000})
    with pytest.raises(ApplicationError) as refused:
        department_period_submit(department=drs, period="2024Q1", user=clerk)
    assert [issue["code"] for issue in refused.value.details] == ["large_change"]
    department_fill(
        "DRS", "2024Q1", user=clerk, values={"coal_raw": 2000}, notes={"coal_raw": "新项目投产"}
    )
    department_period_submit(department=drs, period="2024Q1", user=clerk)
    assert _period(drs).state == "submitted"


@pytest.mark.django_db
def test_a_stale_form_is_refused_with_both_values(drs, clerk):
    department_period_save(
        department=drs,
        period="2024Q1",
        entries=[EntryValue("coal_raw", D(100), expected_version=0)],
        user=clerk,
    )
    with pytest.raises(ConflictError) as refused:
        department_period_save(
            department=drs,
            period="2024Q1",
            entries=[EntryValue("coal_raw", D(90), expected_version=0)],
            user=clerk,
        )
    assert refused.value.details["current_value"] == "100"
    assert refused.value.details["your_value"] == "90"
    assert Figure.objects.filter(item__code="coal_raw").count() == 1


@pytest.mark.django_db
def test_a_correction_after_approval_needs_an_exception_and_a_reason(
    drs, clerk, head, statistics_office
):
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1000})
    department_approve("DRS", "2024Q1", clerk=clerk, head=head)
    with pytest.raises(ApplicationError) as locked:
        department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1100})
    assert locked.value.code == "period_locked"

    lock_exception_grant(
        department=drs,
        period="2024Q1",
        reason="统计局反馈原煤漏报",
        hours=4,
        user=statistics_office,
    )
    with pytest.raises(ApplicationError) as no_reason:
        department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1100})
    assert no_reason.value.code == "reason_required"
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 1100}, reason="补报漏报原煤")
    assert _period(drs).state == "open"  # reopened for the correction
    old = Figure.objects.get(item__code="coal_raw", period="2024Q1", version=1)
    assert (old.value, old.counts) == (D(1000), True)  # in force until approved again

    department_approve("DRS", "2024Q1", clerk=clerk, head=head)
    new = Figure.objects.get(item__code="coal_raw", period="2024Q1", is_latest=True)
    assert (new.value, new.counts, new.reason) == (D(1100), True, "补报漏报原煤")
    assert (
        not drs.periods.get(period="2024Q1")
        .lock_exceptions.filter(valid_until__gt=dt.datetime.now(dt.UTC))
        .exists()
    )  # approval ends the exception
    assert AuditEvent.objects.filter(action="unlock", reason="统计局反馈原煤漏报").count() == 1


@pytest.mark.django_db
def test_an_expired_lock_exception_no_longer_opens_the_period(
    drs, clerk, head, statistics_office, time_machine
):
    time_machine.move_to(dt.datetime(2025, 1, 10, 9, tzinfo=dt.UTC))
    department_fill("DRS", "2024Q1", user=clerk)
    department_approve("DRS", "2024Q1", clerk=clerk, head=head)
    lock_exception_grant(
        department=drs, period="2024Q1", reason="更正", hours=2, user=statistics_office
    )
    time_machine.move_to(dt.datetime(2025, 1, 10, 12, tzinfo=dt.UTC))
    with pytest.raises(ApplicationError) as locked:
        department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 5}, reason="迟到的更正")
    assert locked.value.code == "period_locked"


@pytest.mark.parametrize(
    ("_case", "persona", "action"),
    [
        ("another department's clerk cannot save", "other_clerk", "save"),
        ("a clerk cannot approve", "clerk", "approve"),
        ("the committee cannot approve", "committee_member", "approve"),
        ("an auditor cannot save", "auditor", "save"),
        ("an outsider cannot submit", "outsider", "submit"),
        ("a clerk cannot unlock", "clerk", "unlock"),
        ("a head cannot unlock", "head", "unlock"),
    ],
)
@pytest.mark.django_db
def test_workflow_permissions(request, drs, clerk, _case, persona, action):
    department_fill("DRS", "2024Q1", user=clerk)
    department_period_submit(department=drs, period="2024Q1", user=clerk)
    person = request.getfixturevalue(persona)
    calls = {
        "save": lambda: department_period_save(
            department=drs, period="2024Q1", entries=[EntryValue("coal_raw", D(9))], user=person
        ),
        "approve": lambda: department_period_approve(department=drs, period="2024Q1", user=person),
        "submit": lambda: department_period_submit(department=drs, period="2024Q1", user=person),
        "unlock": lambda: lock_exception_grant(
            department=drs, period="2024Q1", reason="x", hours=1, user=person
        ),
    }
    with pytest.raises(PermissionRefused):
        calls[action]()
    assert _period(drs).state == "submitted"


@pytest.mark.django_db
def test_returning_needs_a_comment(drs, clerk, head):
    department_fill("DRS", "2024Q1", user=clerk)
    department_period_submit(department=drs, period="2024Q1", user=clerk)
    with pytest.raises(ApplicationError):
        department_period_return(department=drs, period="2024Q1", user=head, comment=" ")
    assert _period(drs).state == "submitted"


@pytest.mark.django_db
def test_undoing_an_import_restores_the_previous_versions(drs, clerk, statistics_office):
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 100})
    outcome = import_rows(
        [{"period": "2024Q1", "item": "coal_raw", "value": "150"}],
        user=statistics_office,
        approve=False,
    )
    assert Figure.objects.get(item__code="coal_raw", is_latest=True).value == D(150)

    assert import_batch_undo(batch=outcome.batch, user=statistics_office) == 1

    latest = Figure.objects.get(item__code="coal_raw", is_latest=True)
    assert (latest.value, latest.version) == (D(100), 1)
    assert _period(drs).state == "open"  # the import had put it before the head
    assert Figure.objects.get(item__code="coal_raw", version=2).state == "withdrawn"
    assert ImportBatch.objects.get(pk=outcome.batch.pk).status == "undone"
    with pytest.raises(ApplicationError):
        import_batch_undo(batch=outcome.batch, user=statistics_office)
    # The next correction is version 3, superseding the restored version 1.
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 120})
    assert Figure.objects.get(item__code="coal_raw", is_latest=True).version == 3


@pytest.mark.django_db
def test_an_approved_import_cannot_be_undone(drs, head, statistics_office):
    outcome = import_rows(
        [{"period": "2024Q2", "item": "coal_raw", "value": "150"}],
        user=statistics_office,
        approve=False,
    )
    assert drs.periods.get(period="2024Q2").state == "submitted"  # before the head
    department_period_approve(department=drs, period="2024Q2", user=head)
    with pytest.raises(ApplicationError) as refused:
        import_batch_undo(batch=outcome.batch, user=statistics_office)
    assert refused.value.code == "already_approved"
    assert Figure.objects.get(item__code="coal_raw", period="2024Q2").state == "approved"


# --- Rounds, reminders and the audit of sign-ins ------------------------------------------------


@pytest.mark.django_db
def test_a_round_closes_fifteen_days_after_its_quarter(statistics_office):
    reporting_round = round_open(period="2026Q3", user=statistics_office)
    assert reporting_round.deadline == dt.date(2026, 10, 15)
    assert round_open(period="2026Q3", user=statistics_office).pk == reporting_round.pk
    assert default_deadline(2026, None) == dt.date(2027, 1, 15)
    assert ReportingRound.objects.count() == 1


@pytest.mark.django_db
def test_reminders_before_and_after_the_deadline_once_each(
    settings, statistics_office, clerk, head, other_clerk, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clerk.email = "li@park.example"
    clerk.save()
    round_open(period="2026Q3", user=statistics_office)  # deadline 2026-10-15
    drs = Department.objects.get(code="DRS")
    department_fill("ECO", "2026Q3", user=other_clerk)
    department_period_submit(
        department=Department.objects.get(code="ECO"), period="2026Q3", user=other_clerk
    )

    assert reminders_send(today=dt.date(2026, 10, 1)) == 0  # too early
    with django_capture_on_commit_callbacks(execute=True):
        near = reminders_send(today=dt.date(2026, 10, 13))
    assert near >= 2  # DRS's clerk and head, and other departments' staff
    assert reminders_send(today=dt.date(2026, 10, 14)) == 0  # once per person
    assert Notification.objects.filter(user=other_clerk).filter(kind="deadline_near").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        passed = reminders_send(today=dt.date(2026, 10, 16))
    assert passed >= 2
    assert Notification.objects.filter(user=clerk, kind="deadline_passed").count() == 1
    # DRS's figures and its task parts of the quarter: two reminders each time.
    assert [m.to for m in mail.outbox if "li@park.example" in m.to] == [["li@park.example"]] * 4
    assert "截止" in mail.outbox[0].body
    assert drs.name_zh in Notification.objects.get(user=clerk, kind="deadline_passed").message_zh


@pytest.mark.django_db
def test_sign_ins_and_failed_sign_ins_are_audited(client, clerk):
    client.post("/accounts/login/", {"username": "li.clerk", "password": "wrong"})
    client.post(
        "/accounts/login/", {"username": "li.clerk", "password": "correct horse battery staple"}
    )
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "login_failed",
        "login",
    ]
    assert AuditEvent.objects.get(action="login").actor == clerk


@pytest.mark.django_db
def test_a_figures_history_shows_its_versions_and_the_steps_that_decided_it(
    client, drs, clerk, head
):
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 100, "diesel": 7})
    department_fill("DRS", "2024Q1", user=clerk, values={"coal_raw": 120, "diesel": 7})
    department_approve("DRS", "2024Q1", clerk=clerk, head=head)
    client.force_login(head)
    page = client.get("/reporting/2024Q1/history/DRS/?item=coal_raw").content.decode()
    assert page.count('data-item="coal_raw"') == 2  # versions 1 and 2
    assert 'data-item="diesel"' not in page
    assert 'data-action="approve"' in page
    assert 'data-action="submit"' in page
