"""A warning's whole life with a real Celery worker over real Redis and PostgreSQL: the park's
approved history is imported, the worker recomputes the results and then runs the
warnings_sync job the recompute queued, which raises a red warning for T1 (non-fossil energy
share, 9.19 % in 2025 against about 14 %) owned by DRS, the lead department of task 1. DRS's
clerk answers it, the head signs the answer off, and the committee closes it — through the pages with Django's test client, and
again in Debian's Chromium (screenshots in test-artifacts/<test>/)."""

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from indicators.demo import demo_rows
from indicators.models import IndicatorResult
from reporting.models import Notification
from tests.helpers import import_rows
from tests.services import wait_for

PASSWORD = "correct horse battery staple"
WAIT_S = 90
WAIT_MS = 15_000
# The clerk answers, the head signs the response off (then it reaches the committee), the
# clerk resolves, the committee closes; in the browser the clerk also attaches a file.
LOOP = [
    "warning_raise",
    "warning_acknowledge",
    "warning_sign_off",
    "warning_resolve",
    "warning_close",
]
BROWSER_LOOP = [*LOOP[:2], "warning_evidence_attach", *LOOP[2:]]


def _t1_warning() -> EarlyWarning | None:
    return (
        EarlyWarning.objects.select_related("department", "target")
        .filter(dedupe_key="status:T1")
        .first()
    )


def _raised_by_the_worker(worker, administrator) -> EarlyWarning:
    """Import the demo history as approved; the worker recomputes, then raises warnings."""
    from dezhou_carbon.celery import app

    assert app.conf.task_always_eager is False  # jobs go to the worker, not this process
    assert not EarlyWarning.objects.exists()
    import_rows(demo_rows(), user=administrator)
    warning = wait_for(_t1_warning, timeout=WAIT_S, interval=0.5)
    assert warning, f"no warning for T1 within {WAIT_S} s:\n{worker.log()}"

    # What the worker computed: T1's latest judged park result is 2025, red.
    latest = (
        IndicatorResult.objects.filter(target__code="T1", scope="", variant="")
        .exclude(status="")
        .order_by("-year", "-quarter")
    )
    annual = latest.get(period="2025")
    assert annual.status == "red"
    assert annual.value < annual.target_value
    assert (warning.kind, warning.level, warning.state) == ("status", "red", "open")
    assert (warning.period, warning.department.code) == ("2025", "DRS")
    raised = AuditEvent.objects.get(object_type="warning", object_id=str(warning.pk))
    assert (raised.action, raised.actor_label) == ("warning_raise", "system")
    return warning


def _assert_the_loop_is_recorded(warning, *, clerk, head, committee_member, answered_by, loop=LOOP):
    warning.refresh_from_db()
    assert warning.state == "closed"
    trail = list(
        AuditEvent.objects.filter(object_type="warning", object_id=str(warning.pk))
        .order_by("at", "id")
        .values_list("action", "actor_label")
    )
    assert [action for action, _ in trail] == loop
    assert dict(trail)["warning_acknowledge"] == answered_by.username
    assert dict(trail)["warning_sign_off"] == head.username
    assert dict(trail)["warning_close"] == committee_member.username
    for person in (clerk, head):
        kinds = set(Notification.objects.filter(user=person).values_list("kind", flat=True))
        assert {"warning", "warning_closed"} <= kinds, person
    committee_kinds = set(
        Notification.objects.filter(user=committee_member).values_list("kind", flat=True)
    )
    assert {"warning_acknowledged", "warning_resolved"} <= committee_kinds
    link = f"/dashboards/warnings/{warning.pk}/"
    told = Notification.objects.get(user=head, kind="warning", link=link)
    assert told.message_zh.startswith("【一级预警（红）】T1 ")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_red_target_raised_on_the_worker_is_answered_and_closed_through_the_pages(
    celery_worker_process, administrator, clerk, head, committee_member
):
    warning = _raised_by_the_worker(celery_worker_process, administrator)
    url = reverse("dashboards:warning_detail", args=[warning.pk])
    due = timezone.localdate() + dt.timedelta(days=30)

    listed = _client(head).get(reverse("dashboards:warnings")).content.decode()
    assert f'<tr data-warning="{warning.pk}" data-state="open" data-level="red"' in listed

    as_clerk = _client(clerk)
    response = as_clerk.post(
        url,
        {
            "action": "acknowledge",
            "response": "2025 年分布式光伏并网滞后，非化石能源占比 9.19%。",
            "rectification_plan": "2026 年新增屋顶光伏 30 MW，推进地热供暖。",
            "due_date": due.isoformat(),
        },
    )
    assert response.status_code == 302, response.content.decode()
    as_head = _client(head)
    assert 'id="sign-off-form"' in as_head.get(url).content.decode()
    response = as_head.post(url, {"action": "sign_off", "decision": "sign_off", "comment": ""})
    assert response.status_code == 302, response.content.decode()
    assert 'id="resolve-form"' in as_clerk.get(url).content.decode()

    response = _client(clerk).post(url, {"action": "resolve", "evidence": "并网验收单 12 份。"})
    assert response.status_code == 302, response.content.decode()

    as_committee = _client(committee_member)
    response = as_committee.post(url, {"action": "close", "comment": "整改到位，同意销号。"})
    assert response.status_code == 302, response.content.decode()
    page = as_committee.get(url).content.decode()
    assert 'id="warning-state">已销号<' in page
    assert re.findall(r'<tr data-action="([a-z_]+)"', page) == LOOP

    _assert_the_loop_is_recorded(
        warning, clerk=clerk, head=head, committee_member=committee_member, answered_by=clerk
    )


@pytest.fixture
def _database_closed_after_the_browser(browser_page):
    """Playwright's sync API makes the test body's queries use a connection of their own;
    close it so the test database can be dropped at the end of the run."""
    yield
    connections.close_all()


@pytest.mark.browser
@pytest.mark.usefixtures("_database_closed_after_the_browser")
def test_the_warning_loop_in_the_browser(
    celery_worker_process,
    browser_page,
    live_server,
    artifacts_dir,
    administrator,
    clerk,
    head,
    committee_member,
):
    from playwright.sync_api import expect

    warning = _raised_by_the_worker(celery_worker_process, administrator)
    page = browser_page
    page.set_default_timeout(WAIT_MS)
    url = live_server.url
    detail = f"/dashboards/warnings/{warning.pk}/"
    due = timezone.localdate() + dt.timedelta(days=30)
    shots = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=artifacts_dir / f"{next(shots):02d}-{name}.png", full_page=True)

    def sign_in(user, next_path: str) -> None:
        page.context.clear_cookies()
        page.goto(f"{url}/accounts/login/?next={next_path}")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{url}{next_path}")

    # 1. The DRS clerk sees the red warning in the list and opens it.
    sign_in(clerk, "/dashboards/warnings/")
    row = page.locator(f'tr[data-warning="{warning.pk}"]')
    expect(row).to_contain_text("一级预警（红）")
    expect(row).to_contain_text("T1 非化石能源消费占比")
    expect(page.locator('[data-count="red"] strong')).not_to_have_text("0")
    shot("clerk-warning-list")
    row.get_by_role("link").click()
    page.wait_for_url(f"{url}{detail}")
    expect(page.locator("#warning-state")).to_have_text("待响应")
    expect(page.locator("#warning-department")).to_have_text("发改统计部")

    # 2. A due date in the past is refused; the typed text stays.
    page.locator("#response").fill("2025 年分布式光伏并网滞后。")
    page.locator("#rectification_plan").fill("2026 年新增屋顶光伏 30 MW。")
    page.locator("#due_date").evaluate("el => el.removeAttribute('min')")
    page.locator("#due_date").fill((timezone.localdate() - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="提交响应").click()
    expect(page.locator("#form-errors")).to_contain_text("整改期限不能早于今天。")
    expect(page.locator("#rectification_plan")).to_have_value("2026 年新增屋顶光伏 30 MW。")
    shot("clerk-due-date-refused")

    # 3. Answered with a date ahead: it waits for the head's sign-off; the clerk attaches
    # the acceptance list, kept with its SHA-256.
    page.locator("#due_date").fill(due.isoformat())
    page.get_by_role("button", name="提交响应").click()
    expect(page.locator("#warning-state")).to_have_text("待负责人审签")
    expect(page.locator(".message")).to_contain_text("等待本单位负责人审签")
    content = "并网验收单清单：12 份\n".encode()
    page.locator("#evidence-file").set_input_files(
        files=[{"name": "验收清单.txt", "mimeType": "text/plain", "buffer": content}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    listed = page.locator("#warning-files li")
    expect(listed).to_contain_text("验收清单.txt")
    expect(listed).to_contain_text(hashlib.sha256(content).hexdigest())
    shot("clerk-response-submitted")

    # 3b. The head signs the response off: now it reaches the committee.
    sign_in(head, detail)
    page.get_by_role("button", name="同意并报送管委会").click()
    expect(page.locator("#warning-state")).to_have_text("整改中")
    expect(page.locator("#warning-due")).to_have_text(due.isoformat())
    expect(page.locator("#warning-signoff")).to_contain_text("负责人审签")
    shot("head-signed-off")

    # 4. The clerk resolves with evidence.
    sign_in(clerk, detail)
    page.locator("#evidence").fill("并网验收单 12 份，见附件清单。")
    page.get_by_role("button", name="提交整改佐证").click()
    expect(page.locator("#warning-state")).to_have_text("待销号")
    expect(page.locator("#waiting")).to_contain_text("等待管委会销号")
    shot("clerk-resolved")

    # 5. The committee is told, opens the warning from the notification and closes it.
    sign_in(committee_member, "/reporting/notifications/")
    told = page.locator('.notification[data-kind="warning_resolved"]')
    expect(told).to_contain_text("已整改，请销号")
    told.get_by_role("link", name="查看").click()
    page.wait_for_url(f"{url}{detail}")
    page.locator("#comment").fill("整改到位，同意销号。")
    page.get_by_role("button", name="同意销号").click()
    expect(page.locator("#warning-state")).to_have_text("已销号")
    expect(page.locator("#warning-closing")).to_contain_text("整改到位，同意销号。")
    for action in BROWSER_LOOP:
        expect(page.locator(f'tr[data-action="{action}"]')).to_have_count(1)
    with page.expect_download() as download:
        page.locator("#warning-files a").first.click()
    assert Path(download.value.path()).read_bytes() == content
    shot("committee-closed")

    # 6. The list keeps it under "closed".
    page.goto(f"{url}/dashboards/warnings/?state=closed")
    expect(page.locator(f'tr[data-warning="{warning.pk}"]')).to_contain_text("已销号")
    shot("committee-closed-list")

    _assert_the_loop_is_recorded(
        warning,
        clerk=clerk,
        head=head,
        committee_member=committee_member,
        answered_by=clerk,
        loop=[*BROWSER_LOOP, "warning_evidence_download"],
    )
