"""Issue 14 #5, #6, #7 and issue 15 #4: hostile and careless requests get a clear answer in
both languages with the request id — the JSON envelope on the API, a Chinese-first page in
the product's layout elsewhere — never an HTTP 500 or Django's bare English pages; NUL
characters are refused before anything is written; every API list is bounded."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from dashboards.models import ProgressReport
from dezhou_carbon.pagination import MAX_LIMIT
from indicators.models import Figure

HUGE = "100000000000000000000"


def _api(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.force_authenticate(user)
    return client


def _page(user=None, **extra) -> Client:
    client = Client(raise_request_exception=False, **extra)
    if user is not None:
        client.force_login(user)
    return client


def _assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert {"code", "message_zh", "message_en", "request_id"} <= set(body)
    if code:
        assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message_zh"])
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in body["message_en"]), body["message_en"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def _assert_error_page(response, status: int, *, words: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f'data-error-status="{status}"' in page
    assert words in page
    assert f"<code data-request-id>{response['X-Request-ID']}</code>" in page
    assert 'class="topbar"' in page  # the product's layout
    assert 'href="/"' in page  # a way back
    return page


# ---------------------------------------------------------------- #6 bounded lists


def _api_list_names() -> list[str]:
    """Every API route without a path parameter whose view paginates."""
    names = []
    api = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "api"
    )
    for pattern in api.url_patterns:
        if not isinstance(pattern, URLPattern) or pattern.pattern.regex.groups:
            continue
        view = getattr(pattern.callback, "cls", None)
        if view is not None and getattr(view, "pagination_class", None) and hasattr(view, "get"):
            names.append(f"api:{pattern.name}")
    return names


def test_there_are_api_lists_to_check():
    assert len(_api_list_names()) >= 14


@pytest.mark.parametrize("name", _api_list_names())
def test_a_huge_limit_is_served_as_the_maximum_and_a_bad_one_refused(name, administrator):
    client = _api(administrator)

    huge = client.get(reverse(name), {"limit": HUGE})
    assert huge.status_code == 200, huge.content[:300]
    assert len(huge.json()["results"]) <= MAX_LIMIT

    for bad in ("abc", "-1", "0", "1e3", "１０"):
        _assert_envelope(client.get(reverse(name), {"limit": bad}), 400, "invalid_page")
    refused = _assert_envelope(client.get(reverse(name), {"offset": HUGE}), 400, "invalid_page")
    assert "offset" in refused["message_en"]
    assert "offset" in refused["message_zh"]


def test_the_limit_is_capped_not_refused(administrator):
    response = _api(administrator).get(reverse("api:figure-list"), {"limit": "5000"})

    assert response.status_code == 200
    assert f"limit={MAX_LIMIT}" in (response.json()["next"] or f"limit={MAX_LIMIT}")


# ---------------------------------------------------------------- #7 the API's envelope


def test_an_unknown_api_path_answers_the_json_envelope(clerk):
    body = _assert_envelope(_api(clerk).get("/api/v1/no-such-list/"), 404, "not_found")
    assert body["message_en"] == "No such page or object."


def test_drf_refusals_carry_english_in_message_en():
    """DRF translates its own texts into the active language: message_en was Chinese."""
    body = _assert_envelope(_api().get(reverse("api:me")), 403)
    assert body["message_en"] == "Authentication credentials were not provided."
    assert body["message_zh"] == "未登录或登录已过期，请先登录。"


def test_an_oversize_json_body_answers_413_in_the_envelope(clerk, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = '{"records": [' + ",".join(['{"period": "2024Q1"}'] * 200) + "]}"

    response = _api(clerk).post(reverse("api:import-create"), body, content_type="application/json")

    _assert_envelope(response, 413, "too_large")


def test_an_unhandled_error_in_an_api_view_answers_500_in_the_envelope(clerk, monkeypatch):
    from tasks import api as task_api

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(task_api.DepartmentListApi, "get_queryset", broken)

    body = _assert_envelope(_api(clerk).get(reverse("api:department-list")), 500, "server_error")
    assert "a defect" not in str(body)


# ---------------------------------------------------------------- #7 pages


@pytest.mark.parametrize(("english", "words"), [(False, "页面不存在"), (True, "Page not found")])
def test_a_missing_page_is_a_page_in_the_layout_in_the_users_language(clerk, english, words):
    client = _page(clerk)
    if english:
        client.cookies["django_language"] = "en"

    _assert_error_page(client.get("/no/such/page/"), 404, words=words)


def test_a_refused_page_says_why_in_chinese_with_a_way_back(clerk):
    # Another department's review page is its head's and the statistics office's.
    response = _page(clerk).get(
        reverse("reporting:review", args=["2024Q1", "GRID"]),
        HTTP_REFERER="http://testserver/reporting/",
    )

    page = _assert_error_page(response, 403, words="没有权限")
    assert 'href="/reporting/"' in page  # back where the user came from


def test_the_500_page_is_chinese_first_in_the_layout_with_debug_off(clerk, settings, monkeypatch):
    from tasks import views as task_views

    settings.DEBUG = False

    def broken():
        raise RuntimeError("a defect")

    monkeypatch.setattr(task_views, "plan_page_data", broken)

    response = _page(clerk).get(reverse("plan"))

    page = _assert_error_page(response, 500, words="服务器出错了")
    assert "a defect" not in page
    assert "Server Error (500)" not in page


def test_the_500_page_survives_a_broken_layout(rf, monkeypatch):
    from dezhou_carbon import errors

    def broken(*args, **kwargs):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    request = rf.get("/plan/")
    request.request_id = "req-123"

    response = errors.server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page
    assert "Server error" in page
    assert "req-123" in page


def test_a_stale_form_is_refused_with_the_products_403_page(clerk):
    client = _page(clerk, enforce_csrf_checks=True)

    response = client.post(reverse("reporting:entry", args=["2024Q1"]), {"action": "save"})

    _assert_error_page(response, 403, words="CSRF")


# ---------------------------------------------------------------- #5 NUL characters


def _nothing_written(before):
    assert (Figure.objects.count(), ProgressReport.objects.count()) == before


def test_nul_in_the_entry_forms_note_and_reason_is_refused(clerk):
    client = _page(clerk)
    before = (Figure.objects.count(), ProgressReport.objects.count())
    audits = AuditEvent.objects.count()

    for field in ("reason", "note-coal_raw"):
        response = client.post(
            reverse("reporting:entry", args=["2024Q1"]),
            {"action": "save", "value-coal_raw": "1", field: "a\x00b"},
        )
        _assert_error_page(response, 400, words="空字符")

    _nothing_written(before)
    assert AuditEvent.objects.count() == audits


def test_nul_in_the_plan_boards_progress_text_and_evidence_is_refused(clerk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = (Figure.objects.count(), ProgressReport.objects.count())
    client = _page(clerk)
    url = reverse("dashboards:plan_board")
    from tasks.models import Task, WorkItem

    task = Task.objects.get(code="1")
    work_item = WorkItem.objects.filter(task=task).first()

    report = client.post(
        url,
        {
            "action": "report",
            "task": task.pk,
            "period": "2026Q3",
            "text": "进展\x00",
            "attachment": SimpleUploadedFile("a.txt", "进展".encode()),
        },
    )
    evidence = client.post(
        url,
        {"action": "status", "item": work_item.pk, "status": "done", "evidence": "佐证\x00"},
    )

    _assert_error_page(report, 400, words="空字符")
    _assert_error_page(evidence, 400, words="空字符")
    _nothing_written(before)


@pytest.mark.parametrize(
    ("name", "args", "params"),
    [
        ("reporting:history", ["2024Q1", "DRS"], {"item": "coal\x00"}),
        ("reports:audit_export", [], {"action": "x\x00"}),
        ("reports:audit_export", [], {"department\x00": "DRS"}),
    ],
)
def test_nul_in_history_and_audit_export_filters_is_refused(auditor, name, args, params):
    response = _page(auditor).get(reverse(name, args=args), params)

    _assert_error_page(response, 400, words="空字符")


def test_nul_in_an_api_json_body_is_refused_in_the_envelope(clerk):
    before = (Figure.objects.count(), ProgressReport.objects.count())

    response = _api(clerk).post(
        reverse("api:progress-report-list"),
        '{"task": "1", "period": "2026Q3", "text": "a\\u0000b"}',
        content_type="application/json",
    )

    _assert_envelope(response, 400, "null_character")
    _nothing_written(before)


def test_a_literal_backslash_u0000_in_json_text_is_not_a_nul(clerk):
    # JSON "a\\u0000" is the six characters \u0000 after an a: text, not a NUL.
    response = _api(clerk).post(
        reverse("api:token-list"), '{"name": "a\\\\u0000"}', content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "a\\u0000"


def test_a_disallowed_host_gets_the_400_page_not_a_500():
    response = _page().get("/plan/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/x")

    assert response.status_code == 400
    assert 'data-error-status="400"' in response.content.decode()
