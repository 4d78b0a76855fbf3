"""A warning's response is signed off by the owning department's head before it reaches
the committee, and evidence files are kept with their SHA-256 (issue 15 #12): the new
state's transitions, the overdue rule that knows it, and files attached, listed,
downloaded (audited) and refused by content."""

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent
from dashboards.models import EarlyWarning, WarningEvidence
from dashboards.services import (
    warning_acknowledge,
    warning_evidence_attach,
    warning_response_return,
    warning_sign_off,
    warnings_escalate,
)
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from reporting.models import Notification
from tasks.models import Department

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
RAISED_AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _warning() -> EarlyWarning:
    return EarlyWarning.objects.create(
        dedupe_key="status:T1", kind="status", level="red",
        department=Department.objects.get(code="DRS"), period="2025",
        title_zh="T1 非化石能源消费占比", title_en="T1 non-fossil share", message_zh="说明",
    )  # fmt: skip


def _answer(warning, user, *, due=None):
    warning_acknowledge(
        warning=warning,
        user=user,
        response="光伏并网滞后",
        plan="新增屋顶光伏",
        due_date=due or dt.date(2099, 1, 1),
    )
    warning.refresh_from_db()


def _trail(warning) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- sign-off and return --------------------------------------------------------------------


def test_a_returned_response_goes_back_to_its_writer_and_can_be_answered_again(
    clerk, head, committee_member
):
    warning = _warning()
    _answer(warning, clerk)
    assert warning.state == "submitted"
    warning_response_return(warning=warning, user=head, comment="请补充装机数据。")
    warning.refresh_from_db()
    assert (warning.state, warning.signoff_comment) == ("open", "请补充装机数据。")
    assert warning.response == "光伏并网滞后"  # kept, to be revised
    (told,) = Notification.objects.filter(user=clerk, kind="warning_response_returned")
    assert "请补充装机数据。" in told.message_zh
    assert not Notification.objects.filter(user=committee_member).exclude(kind="warning")

    _answer(warning, clerk)
    warning_sign_off(warning=warning, user=head)
    warning.refresh_from_db()
    assert (warning.state, warning.signed_off_by) == ("acknowledged", head)
    assert _trail(warning) == [
        "warning_acknowledge",
        "warning_response_return",
        "warning_acknowledge",
        "warning_sign_off",
    ]
    events = AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
    returned = events.get(action="warning_response_return")
    assert (returned.actor_label, returned.old_value, returned.new_value, returned.reason) == (
        head.username,
        "submitted",
        "open",
        "请补充装机数据。",
    )


def test_the_head_who_wrote_the_response_waits_for_another_head(head):
    warning = _warning()
    _answer(warning, head)
    with pytest.raises(PermissionRefused) as refused:
        warning_sign_off(warning=warning, user=head)
    assert refused.value.code == "four_eyes"
    assert "four eyes" in refused.value.message_en
    page = _client(head).get(f"/dashboards/warnings/{warning.pk}/").content.decode()
    assert 'id="sign-off-form"' not in page
    assert "填写人本人不能审签" in page


# --- overdue ---------------------------------------------------------------------------------


def test_a_response_left_unsigned_for_a_week_escalates_like_no_response(
    time_machine, clerk, head, committee_member
):
    time_machine.move_to(RAISED_AT, tick=False)
    warning = _warning()
    time_machine.move_to(RAISED_AT + dt.timedelta(days=1), tick=False)
    _answer(warning, clerk)

    time_machine.move_to(RAISED_AT + dt.timedelta(days=6, hours=23), tick=False)
    assert warnings_escalate() == 0
    time_machine.move_to(RAISED_AT + dt.timedelta(days=7, minutes=1), tick=False)
    page = _client(committee_member).get(f"/dashboards/warnings/{warning.pk}/").content.decode()
    assert 'id="warning-overdue"' in page
    listed = _client(committee_member).get("/dashboards/warnings/?flag=overdue")
    assert f'data-warning="{warning.pk}"' in listed.content.decode()
    assert warnings_escalate() == 1
    for person in (committee_member, head):
        assert Notification.objects.filter(user=person, kind="warning_escalated").count() == 1


def test_a_response_signed_off_within_the_week_is_not_overdue_until_its_due_date(
    time_machine, clerk, head
):
    time_machine.move_to(RAISED_AT, tick=False)
    warning = _warning()
    _answer(warning, clerk, due=dt.date(2026, 3, 30))
    warning_sign_off(warning=warning, user=head)
    time_machine.move_to(RAISED_AT + dt.timedelta(days=20), tick=False)
    assert warnings_escalate() == 0


# --- evidence files --------------------------------------------------------------------------


def test_evidence_is_kept_with_its_digest_and_downloads_are_audited(
    clerk, head, committee_member, other_clerk
):
    warning = _warning()
    content = "并网验收单 12 份".encode()
    evidence = warning_evidence_attach(
        warning=warning, user=clerk, upload=SimpleUploadedFile("验收单.txt", content)
    )
    assert (evidence.name, evidence.sha256, evidence.kind, evidence.size, evidence.stage) == (
        "验收单.txt",
        hashlib.sha256(content).hexdigest(),
        "document",
        len(content),
        "open",
    )
    attached = AuditEvent.objects.get(action="warning_evidence_attach")
    assert attached.details["sha256"] == evidence.sha256

    url = f"/dashboards/warnings/{warning.pk}/files/{evidence.pk}/"
    page = _client(committee_member).get(f"/dashboards/warnings/{warning.pk}/").content.decode()
    assert url in page
    assert evidence.sha256 in page
    response = _client(committee_member).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["X-Content-Type-Options"] == "nosniff"
    (download,) = AuditEvent.objects.filter(action="warning_evidence_download")
    assert (download.actor_label, download.details["sha256"]) == (
        committee_member.username,
        evidence.sha256,
    )
    # Another department's clerk may not see the warning, so not its files either.
    assert _client(other_clerk).get(url).status_code == 403
    assert AuditEvent.objects.filter(action="warning_evidence_download").count() == 1
    # A file of another warning is not reached through this one.
    other = EarlyWarning.objects.create(
        dedupe_key="status:T2", kind="status", level="red", department=warning.department,
        title_zh="T2", message_zh="说明",
    )  # fmt: skip
    assert (
        _client(committee_member)
        .get(f"/dashboards/warnings/{other.pk}/files/{evidence.pk}/")
        .status_code
        == 404
    )


def test_the_page_attaches_a_file_and_refuses_a_program(clerk):
    warning = _warning()
    client = _client(clerk)
    url = f"/dashboards/warnings/{warning.pk}/"
    page = client.get(url).content.decode()
    assert 'id="attach-form"' in page
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        url,
        {
            "action": "attach",
            "file": SimpleUploadedFile("清单.csv", "项目,容量\n光伏,30\n".encode()),
        },
    )
    assert response.status_code == 302
    assert WarningEvidence.objects.get().name == "清单.csv"

    program = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    refused = client.post(url, {"action": "attach", "file": program})
    assert refused.status_code == 400
    assert 'id="form-errors"' in refused.content.decode()
    assert WarningEvidence.objects.count() == 1


def test_only_the_owning_department_attaches_and_not_after_it_resolved(
    clerk, other_clerk, committee_member, head
):
    warning = _warning()
    upload = SimpleUploadedFile("a.txt", b"evidence")
    for outsider in (other_clerk, committee_member):
        with pytest.raises(PermissionRefused):
            warning_evidence_attach(warning=warning, user=outsider, upload=upload)
    warning.state = "resolved"
    warning.save()
    with pytest.raises(ApplicationError):
        warning_evidence_attach(warning=warning, user=clerk, upload=upload)
    assert not WarningEvidence.objects.exists()
