"""Scorecard pages, exports and API of the assessment (issue 20 item 3): the committee's
ranking with grades, components and heatmap, a unit's own scorecard with the records behind
every number, the committee's actions, xlsx and PDF read back with the method beside the
scores, and query counts that do not grow with the records."""

import io
import json
import re
import shutil
import subprocess
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import services
from assessment.models import Adjustment, Assessment, Consequence, Explanation
from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from tasks.models import Department
from tests.test_assessment import _moment, second_committee_member, year_2025  # noqa: F401

RANKING = reverse("assessment:ranking", kwargs={"period": "2025"})


def _unit_url(code="DRS", period="2025"):
    return reverse("assessment:unit", kwargs={"period": period, "code": code})


@pytest.fixture
def frozen(year_2025, committee_member):  # noqa: F811
    return services.assessment_freeze(year=2025, user=committee_member)


def test_the_committee_sees_the_ranking_with_grades_components_and_heatmap(
    client, committee_member, frozen
):
    client.force_login(committee_member)
    html = client.get(RANKING).content.decode()
    assert 'data-source="frozen"' in html
    assert 'data-unit="DRS"' in html
    assert "考核方法" in html
    assert "等次：≥90分优秀" in html
    figure = json.loads(re.search(r'id="assessment-heatmap"[^>]*>(.*?)</script>', html, re.S)[1])
    assert figure["data"][0]["type"] == "heatmap"
    assert len(figure["data"][0]["x"]) == 4
    assert "cdn" not in html.lower()


def test_a_unit_sees_its_own_scorecard_with_every_record_linked(client, clerk, other_clerk, frozen):
    client.force_login(clerk)
    response = client.get(_unit_url())
    html = response.content.decode()
    assert response.status_code == 200
    warning = EarlyWarning.objects.filter(dedupe_key="test-a").get()
    assert reverse("dashboards:warning_detail", kwargs={"pk": warning.pk}) in html
    history = reverse("reporting:history", kwargs={"period": "2025Q1", "department_code": "DRS"})
    assert history in html
    assert 'data-outcome="on_time"' in html
    # raised Monday 3 March 2025, signed off Friday 7 March: counted on the calendar
    assert "用时4个工作日" in html
    assert client.get(RANKING).status_code == 403  # the ranking is the committee's
    client.force_login(other_clerk)
    assert client.get(_unit_url()).status_code == 403


def test_the_unit_explains_and_the_committee_adjusts_and_signs_off_on_the_pages(
    client,
    clerk,
    committee_member,
    second_committee_member,  # noqa: F811
    frozen,
):
    client.force_login(clerk)
    client.post(_unit_url(), {"text": "二季度报送延迟系系统升级所致。"})
    assert Explanation.objects.get().text.startswith("二季度")
    client.force_login(committee_member)
    before = AuditEvent.objects.count()
    response = client.post(
        RANKING, {"action": "adjust", "department": "DRS", "points": "2", "reason": ""}, follow=True
    )
    assert "加减分须写明理由" in response.content.decode()
    assert not Adjustment.objects.exists()
    assert AuditEvent.objects.count() == before
    client.post(
        RANKING, {"action": "adjust", "department": "DRS", "points": "-1.5", "reason": "报送逾期"}
    )
    assert Adjustment.objects.get().points == D("-1.5")
    response = client.post(RANKING, {"action": "sign_off"}, follow=True)
    assert "须由另一位管委会成员审定" in response.content.decode()
    client.force_login(second_committee_member)
    client.post(RANKING, {"action": "sign_off", "comment": "同意"})
    assert Assessment.objects.get().signed_off
    client.post(
        RANKING,
        {"action": "consequence", "department": "DRS", "kind": "criticism", "reason": "逾期"},
    )
    assert Consequence.objects.get().kind == "criticism"
    html = client.get(RANKING).content.decode()
    assert 'data-source="signed_off"' in html
    assert 'data-kind="criticism"' in html


def test_the_xlsx_export_has_the_scores_and_the_method_and_no_formula(
    client, committee_member, frozen
):
    Department.objects.filter(code="DRS").update(name_zh="=HYPERLINK(1)")
    services_frozen = Assessment.objects.get()
    services_frozen.snapshot["names"]["DRS"][0] = "=HYPERLINK(1)"
    services_frozen.save()
    client.force_login(committee_member)
    response = client.get(reverse("assessment:export", kwargs={"period": "2025", "fmt": "xlsx"}))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))
                                      if response.streaming else io.BytesIO(response.content))  # fmt: skip
    scores, method = workbook.worksheets
    rows = {row[1]: row for row in scores.iter_rows(min_row=5, values_only=True) if row[1]}
    drs = rows["DRS"]
    assert drs[2] == "=HYPERLINK(1)"  # text, never a formula
    assert scores.cell(row=5 + list(rows).index("DRS"), column=3).data_type == "s"
    api = APIClient()
    api.force_authenticate(committee_member)
    answer = api.get("/api/v1/assessments/2025/").json()
    unit = next(u for u in answer["units"] if u["department"] == "DRS")
    assert drs[9] == pytest.approx(float(unit["total"]))
    texts = [c for row in method.iter_rows(values_only=True) for c in row if c]
    assert Assessment.objects.get().snapshot_sha256 in texts
    assert any("工作要点（权重30）" in str(t) for t in texts)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_pdf_export_prints_the_method_beside_the_scores(client, committee_member, frozen):
    client.force_login(committee_member)
    response = client.get(reverse("assessment:export", kwargs={"period": "2025", "fmt": "pdf"}))
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    assert "考核方法" in flat
    assert "工作要点（权重30）" in flat
    assert re.sub(r"\s+", "", Department.objects.get(code="DRS").name_zh) in flat
    assert frozen.snapshot_sha256 in flat


def test_the_api_answers_the_year_and_a_quarter_preview(committee_member, clerk, frozen):
    api = APIClient()
    api.force_authenticate(committee_member)
    answer = api.get("/api/v1/assessments/2025/").json()
    assert answer["source"] == "frozen"
    assert answer["snapshot_sha256"] == frozen.snapshot_sha256
    assert answer["scheme"]["rules"]["weights"]["targets"] == "40"
    preview = api.get("/api/v1/assessments/2025Q2/").json()
    assert preview["source"] == "preview"
    assert preview["as_of"] == "2025-06-30"
    api.force_authenticate(clerk)
    assert api.get("/api/v1/assessments/2025/").status_code == 403


def _queries(client, url) -> int:
    client.get(url)  # the preview's cache filled
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pages_query_count_does_not_grow_with_the_records(
    client, committee_member, clerk, frozen, time_machine
):
    client.force_login(committee_member)
    ranking_before = _queries(client, RANKING)
    client.force_login(clerk)
    unit_before = _queries(client, _unit_url())
    drs = Department.objects.get(code="DRS")
    time_machine.move_to(_moment("2025-06-02"), tick=False)
    for number in range(30):
        EarlyWarning.objects.create(
            kind="status", level="red", dedupe_key=f"more-{number}", department=drs,
            title_zh="更多预警", message_zh="说明",
        )  # fmt: skip
    Assessment.objects.all().delete()
    time_machine.move_to(_moment("2026-03-02"), tick=False)
    services.assessment_freeze(year=2025, user=committee_member)
    client.force_login(committee_member)
    assert _queries(client, RANKING) == ranking_before
    client.force_login(clerk)
    assert _queries(client, _unit_url()) == unit_before


def test_the_pages_are_complete_in_english(client, committee_member, frozen):
    client.force_login(committee_member)
    client.cookies["django_language"] = "en"
    html = client.get(RANKING).content.decode()
    for english in ("Responsibility assessment of the units", "Method", "Grades: ≥ 90 excellent"):
        assert english in html
    unit = client.get(_unit_url()).content.decode()
    assert "Warning response (weight 15)" in unit
    assert "考核方法" not in unit
    assert "按时响应" not in unit


def test_the_index_sends_each_person_to_their_own_view(client, committee_member, clerk, park):
    client.force_login(committee_member)
    assert "/assessment/20" in client.get(reverse("assessment:index"))["Location"]
    client.force_login(clerk)
    assert client.get(reverse("assessment:index"))["Location"].endswith("/DRS/")


def test_the_scheme_page_records_a_version_and_refuses_weights_not_summing_to_100(
    client, statistics_office, committee_member
):
    from assessment.models import Scheme

    body = {
        "year": "2026",
        "weight_targets": "40",
        "weight_work_items": "30",
        "weight_timeliness": "15",
        "weight_warnings": "10",
        **{f"status_{k}": v for k, v in
           {"achieved": "100", "green": "90", "yellow": "70", "red": "40", "no_data": "0"}.items()},
        "band_excellent": "90", "band_good": "80", "band_pass": "60",
        "response_working_days": "5",
        "document_no": "德经开管发〔2026〕3号",
        "approver": committee_member.pk,
        "reason": "调整权重",
    }  # fmt: skip
    client.force_login(statistics_office)
    page = client.post(reverse("assessment:scheme"), body, follow=True).content.decode()
    assert "各项权重之和须为100，现为95" in page
    assert not Scheme.objects.filter(year=2026).exists()
    body["weight_warnings"] = "15"
    client.post(reverse("assessment:scheme"), body)
    scheme = Scheme.objects.get(year=2026)
    assert scheme.document_no == "德经开管发〔2026〕3号"
    assert scheme.approved_by == committee_member
    assert 'data-year="2026"' in client.get(reverse("assessment:scheme")).content.decode()


def test_a_later_revision_shows_beside_the_frozen_scores_not_in_them(
    client,
    committee_member,
    frozen,
    year_2025,  # noqa: F811
):
    _drs, items = year_2025
    client.force_login(committee_member)
    html = client.get(RANKING).content.decode()
    assert 'id="differences"' not in html
    frozen_total = re.search(r'data-unit="DRS".*?class="num total">([^<]+)<', html, re.S)[1]
    items[2].verified_at = _moment("2025-12-20")
    items[2].save()
    from indicators.cache import page_changed

    page_changed()  # what the verification service does
    html = client.get(RANKING).content.decode()
    differences = re.search(r'id="differences".*?</section>', html, re.S)[0]
    assert Department.objects.get(code="DRS").name_zh in differences
    assert re.search(r'data-unit="DRS".*?class="num total">([^<]+)<', html, re.S)[1] == frozen_total
