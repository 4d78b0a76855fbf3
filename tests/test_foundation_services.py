"""The real services work together: a Celery worker over Redis writes to PostgreSQL, and
Debian's Chromium drives the site. These skip without the services and fail under
REQUIRE_SERVICES=1 (see tests/services.py)."""

import uuid

import pytest
from celery.backends.base import DisabledBackend
from celery.result import EagerResult

from audit.models import AuditEvent
from indicators.jobs import probe_write
from tests.services import wait_for


@pytest.mark.services
def test_real_worker_writes_to_postgres(celery_worker_process):
    marker = f"marker-{uuid.uuid4()}"

    result = probe_write.delay(marker)

    # Published to the broker, not run in this process; and there is no result backend,
    # so the job's effect is read from the database, never through result.get().
    assert not isinstance(result, EagerResult)
    assert isinstance(result.backend, DisabledBackend)
    event = wait_for(lambda: AuditEvent.objects.filter(reason=marker).first(), timeout=30)
    assert event is not None, (
        f"worker did not write the audit event within 30 s:\n{celery_worker_process.log()}"
    )
    assert (event.actor_id, event.actor_label, event.action) == (None, "worker", "probe")


@pytest.mark.browser
def test_browser_smoke(browser_page, live_server, artifacts_dir):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    assert page.locator("html").get_attribute("lang").startswith("zh")
    page.screenshot(path=artifacts_dir / "login-zh.png", full_page=True)

    page.locator('button[data-language="en"]').click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=artifacts_dir / "login-en.png", full_page=True)
