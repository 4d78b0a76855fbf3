"""Everything a person does on the pages, done by a script through API v1: drafts, the
workflow, imports, warnings, notifications, rounds, work items, tokens — with each persona,
and with the audit trail saying who."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from audit.models import AuditEvent
from dashboards.models import EarlyWarning, ProgressReport
from indicators.models import DepartmentPeriod, Figure, ImportBatch
from reporting.models import Notification, ReportingRound
from reporting.uploads import department_upload_confirm, department_upload_preview
from tasks.models import Department, WorkItem
from tests.helpers import department_fill

DP = "api:department-period-detail"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def dp_url(name: str, department: str = "DRS", period: str = "2024Q1") -> str:
    return reverse(name, kwargs={"department": department, "period": period})


def save(client, *, department="DRS", period="2024Q1", entries=None, reason=""):
    body = {"department": department, "period": period, "entries": entries, "reason": reason}
    return client.post(reverse("api:figure-list"), body, format="json")


def footprint():
    return (
        Figure.objects.count(),
        AuditEvent.objects.count(),
        list(DepartmentPeriod.objects.values_list("state", "version").order_by("pk")),
        list(EarlyWarning.objects.values_list("state").order_by("pk")),
    )


# --- drafts ---------------------------------------------------------------------------------


def test_clerk_saves_drafts_of_own_department_and_the_audit_says_who(clerk):
    response = save(api(clerk), entries=[{"item": "coal_raw", "value": "1200.5", "note": "x"}])

    assert response.status_code == 200, response.json()
    saved = response.json()["saved"]
    assert [(f["item"], Decimal(f["value"]), f["state"]) for f in saved] == [
        ("coal_raw", Decimal("1200.5"), "draft")
    ]
    figure = Figure.objects.get(pk=saved[0]["id"])
    assert figure.entered_by == clerk
    event = AuditEvent.objects.get(action="figure_enter", object_id=str(figure.pk))
    assert (event.actor, event.department_code, event.period) == (clerk, "DRS", "2024Q1")


def test_department_defaults_to_the_clerks_own(clerk):
    response = api(clerk).post(
        reverse("api:figure-list"),
        {"period": "2024Q1", "entries": [{"item": "coal_raw", "value": "3"}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["saved"][0]["department"] == "DRS"


def test_clerk_is_refused_for_another_departments_figures_and_nothing_changes(other_clerk):
    before = footprint()
    response = save(api(other_clerk), entries=[{"item": "coal_raw", "value": "1"}])

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["message_zh"]
    assert body["message_en"]
    assert footprint() == before


def test_hard_validation_issue_is_a_400_with_every_issue(clerk):
    before = footprint()
    response = save(api(clerk), entries=[{"item": "coal_raw", "value": "-5"}])

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert any(issue["item"] == "coal_raw" for issue in body["details"])
    assert footprint() == before


def test_a_stale_save_is_a_409_with_both_values(clerk, head):
    first = save(api(clerk), entries=[{"item": "coal_raw", "value": "10"}]).json()["saved"][0]
    assert first["version"] == 1
    save(api(head), entries=[{"item": "coal_raw", "value": "11", "expected_version": 1}])
    before = footprint()

    response = save(
        api(clerk), entries=[{"item": "coal_raw", "value": "12", "expected_version": 1}]
    )

    assert response.status_code == 409
    details = response.json()["details"]
    assert (details["your_value"], details["current_value"]) == ("12", "11")
    assert details["current_by"] == head.username
    assert footprint() == before


@pytest.mark.parametrize("persona", ["committee_member", "statistics_office", "auditor"])
def test_readers_cannot_write_figures(request, persona):
    reader = api(request.getfixturevalue(persona))
    before = footprint()
    response = save(reader, entries=[{"item": "coal_raw", "value": "1"}])
    assert response.status_code == 403
    assert footprint() == before


def test_unknown_department_and_a_bad_body_are_a_400(clerk):
    assert (
        save(
            api(clerk), department="NOPE", entries=[{"item": "coal_raw", "value": "1"}]
        ).status_code
        == 400
    )
    response = save(api(clerk), entries=[{"item": "coal_raw", "value": "abc"}])
    assert response.status_code == 400
    assert response.json()["message_zh"]
    assert response.json()["details"]


# --- the workflow ---------------------------------------------------------------------------


def test_the_whole_quarter_through_the_api(clerk, head, committee_member):
    department_fill("DRS", "2024Q1", user=clerk)
    detail = api(clerk).get(dp_url(DP)).json()
    assert detail["state"] == "open"
    assert detail["validation"]["ready_to_submit"] is True
    assert all(row["version"] == 1 for row in detail["rows"])

    submitted = api(clerk).post(dp_url("api:department-period-submit"), {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "submitted"

    # The head is told, through the API too.
    notes = api(head).get(reverse("api:notification-list"), {"unread": "true"}).json()
    assert notes["count"] == 1
    assert notes["results"][0]["kind"] == "submitted"
    marked = api(head).post(reverse("api:notification-mark-read"), {}, format="json").json()
    assert marked == {"marked": 1}
    assert api(head).get(reverse("api:notification-list"), {"unread": "true"}).json()["count"] == 0

    approved = api(head).post(
        dp_url("api:department-period-approve"), {"comment": "好"}, format="json"
    )
    assert approved.status_code == 200
    assert approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] == head.username
    assert set(
        Figure.objects.filter(department__code="DRS", period="2024Q1").values_list(
            "state", flat=True
        )
    ) == {"approved"}
    event = AuditEvent.objects.get(action="approve")
    assert (event.actor, event.reason) == (head, "好")
    # Committee reads it all.
    listed = api(committee_member).get(reverse("api:department-period-list"), {"state": "approved"})
    assert [(r["department"], r["period"]) for r in listed.json()["results"]] == [("DRS", "2024Q1")]


def test_submission_with_missing_items_is_refused_with_every_issue(clerk):
    save(api(clerk), entries=[{"item": "coal_raw", "value": "1"}])
    detail = api(clerk).get(dp_url(DP)).json()
    assert detail["validation"]["ready_to_submit"] is False

    response = api(clerk).post(dp_url("api:department-period-submit"), {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert response.json()["details"]
    assert DepartmentPeriod.objects.get(period="2024Q1").state == "open"


def test_head_returns_with_a_comment_and_the_clerk_cannot_approve(clerk, head):
    department_fill("DRS", "2024Q1", user=clerk)
    api(clerk).post(dp_url("api:department-period-submit"), {}, format="json")
    before = footprint()

    assert (
        api(clerk).post(dp_url("api:department-period-approve"), {}, format="json").status_code
        == 403
    )
    assert footprint() == before
    no_comment = api(head).post(
        dp_url("api:department-period-return"), {"comment": " "}, format="json"
    )
    assert no_comment.status_code == 400
    assert no_comment.json()["code"] == "comment_required"

    returned = api(head).post(
        dp_url("api:department-period-return"), {"comment": "请核对煤炭"}, format="json"
    )
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["comment"]) == ("returned", "请核对煤炭")
    assert AuditEvent.objects.get(action="return").actor == head


def test_other_departments_period_is_refused_to_read(other_clerk, clerk):
    department_fill("DRS", "2024Q1", user=clerk)
    assert api(other_clerk).get(dp_url(DP)).status_code == 403
    listed = api(other_clerk).get(reverse("api:department-period-list")).json()
    assert listed["count"] == 0
    assert api(other_clerk).get(reverse("api:figure-list")).json()["count"] == 0


def test_statistics_office_grants_a_lock_exception(statistics_office, clerk, head):
    department_fill("DRS", "2024Q1", user=clerk)
    api(clerk).post(dp_url("api:department-period-submit"), {}, format="json")
    api(head).post(dp_url("api:department-period-approve"), {}, format="json")
    assert (
        api(head)
        .post(dp_url("api:department-period-unlock"), {"reason": "更正", "hours": 2}, format="json")
        .status_code
        == 403
    )

    response = api(statistics_office).post(
        dp_url("api:department-period-unlock"), {"reason": "更正", "hours": 2}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["correcting"] is True
    assert response.json()["lock_exception"]["granted_by"] == statistics_office.username
    # A correction now needs a reason, as on the form.
    no_reason = save(
        api(clerk), entries=[{"item": "coal_raw", "value": "7", "expected_version": 1}]
    )
    assert no_reason.status_code == 400
    fixed = save(
        api(clerk),
        entries=[{"item": "coal_raw", "value": "7", "expected_version": 1}],
        reason="笔误",
    )
    assert fixed.status_code == 200
    assert fixed.json()["saved"][0]["version"] == 2


def test_a_bad_period_is_a_clear_400_or_404(clerk, statistics_office):
    assert api(clerk).get("/api/v1/department-periods/DRS/2024Q5/").status_code == 404
    # Year 0 matches the URL but has no calendar (schemathesis found a 500 opening a round).
    response = api(clerk).get(dp_url(DP, period="0000"))
    assert response.status_code == 400
    assert response.json()["code"] == "bad_period"
    before = footprint()
    response = api(statistics_office).post(
        reverse("api:round-list"), {"period": "0000Q1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message_en"] == "'0000Q1' is not a period."
    assert footprint() == before
    assert not ReportingRound.objects.exists()


# --- imports --------------------------------------------------------------------------------


def test_upload_listed_read_and_undone_by_its_department(clerk, other_clerk, auditor):
    batch = department_upload_preview(
        department=Department.objects.get(code="DRS"),
        period="2024Q1",
        content=b"period,item,value\n2024Q1,coal_raw,9\n",
        filename="a.csv",
        user=clerk,
    )
    department_upload_confirm(batch=batch, user=clerk)
    rows = api(auditor).get(reverse("api:import-create"), {"department": "DRS"}).json()["results"]
    assert [r["id"] for r in rows] == [batch.pk]
    detail = api(clerk).get(reverse("api:import-detail", args=[batch.pk])).json()
    assert detail["undoable"] is True
    assert len(detail["figures"]) == 1
    assert api(other_clerk).get(reverse("api:import-detail", args=[batch.pk])).status_code == 403
    before = footprint()
    for refused in (other_clerk, auditor):
        response = api(refused).post(reverse("api:import-undo", args=[batch.pk]), {}, format="json")
        assert response.status_code == 403
    assert footprint() == before

    undone = api(clerk).post(reverse("api:import-undo", args=[batch.pk]), {}, format="json")

    assert undone.status_code == 200
    assert undone.json()["status"] == "undone"
    assert ImportBatch.objects.get(pk=batch.pk).undone_by == clerk
    assert AuditEvent.objects.get(action="undo").actor == clerk


def test_import_rows_by_the_statistics_office_only(statistics_office, clerk):
    body = {"rows": [{"period": "2024Q1", "item": "coal_raw", "value": "1"}]}
    before = footprint()
    assert api(clerk).post(reverse("api:import-create"), body, format="json").status_code == 403
    assert footprint() == before
    response = api(statistics_office).post(reverse("api:import-create"), body, format="json")
    assert response.status_code == 201
    listed = api(statistics_office).get(reverse("api:import-create"), {"source": "api"}).json()
    assert listed["results"][0]["created_by"] == statistics_office.username


# --- warnings -------------------------------------------------------------------------------


@pytest.fixture
def drs_warning(park):
    return EarlyWarning.objects.create(
        dedupe_key="status:T1", kind="status", level="red",
        department=Department.objects.get(code="DRS"), period="2025",
        title_zh="T1 预警", title_en="T1 warning", message_zh="说明",
    )  # fmt: skip


def test_warning_loop_through_the_api(drs_warning, clerk, head, committee_member, other_clerk):
    url = lambda action: reverse(f"api:warning-{action}", args=[drs_warning.pk])  # noqa: E731
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    listed = api(clerk).get(reverse("api:warning-list"), {"level": "red"}).json()
    assert [w["id"] for w in listed["results"]] == [drs_warning.pk]
    assert api(other_clerk).get(reverse("api:warning-list")).json()["count"] == 0
    assert api(other_clerk).get(url("detail")).status_code == 403
    before = footprint()
    assert (
        api(committee_member)
        .post(
            url("acknowledge"),
            {"response": "r", "rectification_plan": "p", "due_date": due},
            format="json",
        )
        .status_code
        == 403
    )
    assert footprint() == before

    acknowledged = api(clerk).post(
        url("acknowledge"), {"response": "原因", "rectification_plan": "措施", "due_date": due},
        format="json",
    )  # fmt: skip
    assert acknowledged.status_code == 200, acknowledged.json()
    assert acknowledged.json()["state"] == "submitted"
    assert acknowledged.json()["next_action"] is None  # the head signs it off
    assert (
        api(clerk).post(url("sign-off"), {"decision": "sign_off"}, format="json").status_code == 403
    )
    returned = api(head).post(
        url("sign-off"), {"decision": "return", "comment": "补充数据"}, format="json"
    )
    assert returned.json()["state"] == "open"
    assert returned.json()["signoff_comment"] == "补充数据"
    api(clerk).post(
        url("acknowledge"), {"response": "原因（补充）", "rectification_plan": "措施", "due_date": due},
        format="json",
    )  # fmt: skip
    signed = api(head).post(url("sign-off"), {"decision": "sign_off"}, format="json")
    assert signed.status_code == 200, signed.json()
    assert (signed.json()["state"], signed.json()["signed_off_by"]) == (
        "acknowledged",
        head.username,
    )
    assert api(clerk).get(url("detail")).json()["next_action"] == "resolve"
    resolved = api(clerk).post(url("resolve"), {"evidence": "佐证"}, format="json")
    assert resolved.json()["state"] == "resolved"
    again = api(clerk).post(url("resolve"), {"evidence": "佐证"}, format="json")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_state"
    assert api(clerk).post(url("close"), {}, format="json").status_code == 403
    closed = api(committee_member).post(url("close"), {"comment": "同意销号"}, format="json")
    assert closed.json()["state"] == "closed"
    history = closed.json()["history"]
    assert [(e["action"], e["actor"]) for e in history] == [
        ("warning_acknowledge", clerk.username),
        ("warning_response_return", head.username),
        ("warning_acknowledge", clerk.username),
        ("warning_sign_off", head.username),
        ("warning_resolve", clerk.username),
        ("warning_close", committee_member.username),
    ]
    assert api(committee_member).get(reverse("api:warning-list")).json()["count"] == 0
    assert (
        api(committee_member).get(reverse("api:warning-list"), {"state": "all"}).json()["count"]
        == 1
    )


# --- plan, rounds ---------------------------------------------------------------------------


def test_a_work_items_status_is_derived_and_never_set_by_hand(clerk, other_clerk, head):
    from django.utils import timezone

    from tasks.models import PartReport

    item = WorkItem.objects.get(task__code="1", code="1.1")
    url = reverse("api:work-item-detail", args=[item.pk])
    body = api(clerk).get(url).json()
    assert (body["status"], body["may_update"]) == ("not_started", True)
    assert api(other_clerk).get(url).json()["may_update"] is False
    # The old self-declared path is gone: nothing is written by PATCH.
    before = footprint()
    assert api(clerk).patch(url, {"status": "done"}, format="json").status_code == 405
    assert footprint() == before
    # The lead unit's approved report says done: awaiting the committee's verification.
    PartReport.objects.create(
        part=item.parts.get(role="lead"), period="2024Q1", progress="done", state="approved",
        narrative="完成", submitted_by=clerk, submitted_at=timezone.now(), approved_by=head,
    )  # fmt: skip
    assert api(clerk).get(url).json()["status"] == "awaiting_verification"
    listed = api(clerk).get(
        reverse("api:work-item-list"), {"lead": "DRS", "status": "awaiting_verification"}
    )
    assert [w["id"] for w in listed.json()["results"]] == [item.pk]
    tasks = api(clerk).get(reverse("api:task-list"), {"code": "1"}).json()["results"]
    states = {w["code"]: w["status"] for w in tasks[0]["work_items"]}
    assert states["1.1"] == "awaiting_verification"
    assert set(states.values()) <= {
        "awaiting_verification",
        "not_started",
        "in_progress",
        "overdue",
    }
    tied = WorkItem.objects.filter(targets__isnull=False).first()
    restated = api(clerk).get(reverse("api:work-item-detail", args=[tied.pk])).json()
    assert restated["restates_targets"] == [t.code for t in tied.targets.order_by("order")]


def test_progress_report_by_the_lead_department(clerk, committee_member):
    body = {"task": "1", "period": "2024Q1", "text": "一季度进展"}
    assert (
        api(committee_member)
        .post(reverse("api:progress-report-list"), body, format="json")
        .status_code
        == 403
    )
    response = api(clerk).post(reverse("api:progress-report-list"), body, format="json")
    assert response.status_code == 201
    assert response.json()["department"] == "DRS"


def test_a_progress_report_carries_its_attachment_as_on_the_plan_board(
    clerk, committee_member, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    evidence = "光伏项目并网验收单".encode()
    response = api(clerk).post(
        reverse("api:progress-report-list"),
        {
            "task": "1",
            "period": "2024Q2",
            "text": "二季度进展",
            "attachment": SimpleUploadedFile("验收单.txt", evidence),
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["attachment_name"] == "验收单.txt"
    report = ProgressReport.objects.get(pk=response.json()["id"])
    download = Client()
    download.force_login(committee_member)
    answer = download.get(reverse("dashboards:report_attachment", args=[report.pk]))
    assert b"".join(answer.streaming_content) == evidence

    too_big = SimpleUploadedFile("big.bin", b"0" * (10 * 1024 * 1024 + 1))
    refused = api(clerk).post(
        reverse("api:progress-report-list"),
        {"task": "1", "period": "2024Q3", "text": "三季度", "attachment": too_big},
        format="multipart",
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "too_large"
    assert refused.json()["message_en"] == "The attachment cannot exceed 10 MB."
    assert ProgressReport.objects.count() == 1


def test_rounds_opened_by_the_statistics_office_and_listed_per_persona(statistics_office, clerk):
    assert (
        api(clerk).post(reverse("api:round-list"), {"period": "2024Q1"}, format="json").status_code
        == 403
    )
    response = api(statistics_office).post(
        reverse("api:round-list"), {"period": "2024Q1"}, format="json"
    )
    assert response.status_code == 201
    assert ReportingRound.objects.get().created_by == statistics_office
    office_rows = api(statistics_office).get(reverse("api:round-list")).json()["results"]
    assert office_rows[0]["departments"] > 0
    clerk_rows = api(clerk).get(reverse("api:round-list"), {"period": "2024Q1"}).json()["results"]
    assert clerk_rows[0]["department_state"] == "not_started"


@pytest.mark.parametrize("persona", ["committee_member", "statistics_office", "auditor"])
def test_readers_read_everything(request, persona, clerk):
    department_fill("DRS", "2024Q1", user=clerk)
    reader = api(request.getfixturevalue(persona))
    assert reader.get(dp_url(DP)).json()["state"] == "open"
    assert reader.get(reverse("api:figure-list"), {"department": "DRS"}).json()["count"] > 0
    for name in ["api:section-list", "api:work-item-list", "api:department-period-list"]:
        assert reader.get(reverse(name)).status_code == 200


def test_indicators_carry_their_formula_in_both_languages(committee_member):
    response = api(committee_member).get(
        reverse("api:indicator-list"), {"code": "energy_intensity_iva"}
    )
    [indicator] = response.json()["results"]
    assert indicator["formula_zh"] == "E当量 ÷ 工业增加值(2020年可比价)"
    assert indicator["formula_en"] == (
        "E(calorific) ÷ industrial value added (constant 2020 prices)"
    )


def test_outsider_and_anonymous_are_refused_everywhere(outsider):
    for client in (api(), api(outsider)):
        for name in ["api:me", "api:warning-list", "api:department-period-list", "api:round-list"]:
            response = client.get(reverse(name))
            assert response.status_code == 403
            assert response.json()["message_zh"]
            assert response.json()["message_en"]


# --- tokens ---------------------------------------------------------------------------------


def test_a_script_uses_its_token_and_a_revoked_token_is_refused(client, clerk):
    client.force_login(clerk)
    created = client.post(
        reverse("api:token-list"), {"name": "夜间脚本"}, content_type="application/json"
    )
    assert created.status_code == 201
    key = created.json()["key"]
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert key not in (token.key_hash, token.prefix)
    assert token.key_hash != ""
    created_event = AuditEvent.objects.get(action="api_token_create")
    assert (created_event.actor, created_event.reason) == (clerk, "夜间脚本")
    # The key is never shown again.
    assert "key" not in client.get(reverse("api:token-list")).json()["results"][0]

    for header in (f"Token {key}", f"Bearer {key}"):
        script = APIClient()
        me = script.get(reverse("api:me"), HTTP_AUTHORIZATION=header)
        assert me.status_code == 200
        assert (me.json()["username"], me.json()["department"]) == (clerk.username, "DRS")
    script = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    saved = save(script, entries=[{"item": "coal_raw", "value": "4"}])
    assert saved.status_code == 200
    assert AuditEvent.objects.filter(action="figure_enter").get().actor == clerk
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    # A token never mints tokens.
    assert script.post(reverse("api:token-list"), {"name": "x"}, format="json").status_code == 403

    revoked = script.post(reverse("api:token-revoke", args=[token.pk]), {}, format="json")
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    assert AuditEvent.objects.get(action="api_token_revoke").actor == clerk

    refused = script.get(reverse("api:me"))
    assert refused.status_code == 401  # issue 14 #10: with the scheme to authenticate by
    assert refused["WWW-Authenticate"] == 'Token realm="api"'
    assert refused.json()["code"] == "token_invalid"
    assert refused.json()["message_zh"]
    assert refused.json()["message_en"]
    assert APIClient(HTTP_AUTHORIZATION="Token not-a-key").get(reverse("api:me")).status_code == 401


def test_someone_elses_token_cannot_be_revoked(client, clerk, other_clerk):
    client.force_login(clerk)
    token_id = client.post(
        reverse("api:token-list"), {"name": "a"}, content_type="application/json"
    ).json()["id"]
    before = AuditEvent.objects.count()
    response = api(other_clerk).post(
        reverse("api:token-revoke", args=[token_id]), {}, format="json"
    )
    assert response.status_code == 403
    assert ApiToken.objects.get(pk=token_id).revoked_at is None
    assert AuditEvent.objects.count() == before


def test_an_outsider_cannot_create_a_token(client, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("api:token-list"), {"name": "a"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_inactive_persons_token_is_refused(client, clerk):
    client.force_login(clerk)
    key = client.post(
        reverse("api:token-list"), {"name": "a"}, content_type="application/json"
    ).json()["key"]
    clerk.is_active = False
    clerk.save()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(reverse("api:me")).status_code == 401


def test_notifications_are_the_persons_own(head, clerk):
    Notification.objects.create(user=clerk, kind="x", message_zh="给填报员", message_en="to clerk")
    assert api(head).get(reverse("api:notification-list")).json()["count"] == 0
    assert api(head).post(reverse("api:notification-mark-read"), {}, format="json").json() == {
        "marked": 0
    }
    assert Notification.objects.get().read_at is None
