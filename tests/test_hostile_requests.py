"""Issue 14's hostile requests (tests/hostile/requests.py): each is answered with the JSON
envelope in both languages — never a 5xx —, writes nothing, and the server serves the next
request. Over-size bodies are sent with the real size limit."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dashboards.models import ProgressReport
from indicators.models import DepartmentPeriod, Figure
from tests.hostile.requests import API, HostileRequest


def _footprint():
    return (
        Figure.objects.count(),
        ProgressReport.objects.count(),
        DepartmentPeriod.objects.count(),
        AuditEvent.objects.count(),
    )


def _send(client, hostile: HostileRequest):
    path = hostile.path
    if not path.startswith("/"):
        path = reverse(path, args=hostile.args) if hostile.args else reverse(path)
    if hostile.method == "get":
        return client.get(path, hostile.params)
    return client.post(path, hostile.json_body, content_type="application/json")


@pytest.mark.parametrize("hostile", API, ids=[h.name for h in API])
def test_each_hostile_api_request_is_refused_in_the_envelope_and_writes_nothing(clerk, hostile):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(clerk)
    before = _footprint()

    response = _send(client, hostile)

    assert response.status_code == hostile.status, response.content[:300]
    if hostile.status >= 400:
        body = response.json()
        assert body["code"] == hostile.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message_zh"])
        assert body["message_en"]
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in body["message_en"])
        assert body["request_id"] == response["X-Request-ID"]
    assert _footprint() == before
    # The server lives: the next ordinary request is served.
    assert client.get(reverse("api:me")).status_code == 200


def test_an_oversize_body_at_the_real_limit_is_a_413_in_the_envelope(clerk, settings):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(clerk)
    before = _footprint()
    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

    response = client.post(
        reverse("api:progress-report-list"),
        f'{{"task": "1", "period": "2026Q3", "text": "{padding}"}}',
        content_type="application/json",
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert _footprint() == before


def test_an_oversize_form_on_a_page_is_a_413_page(clerk, settings):
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(clerk)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = _footprint()

    response = client.post(
        reverse("reporting:entry", args=["2024Q1"]), {"action": "save", "reason": "x" * 4096}
    )

    assert response.status_code == 413
    page = response.content.decode()
    assert "请求内容过大" in page
    assert response["X-Request-ID"] in page
    assert _footprint() == before
