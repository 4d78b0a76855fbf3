"""The committee's dashboards through Django's test client: who may open each page, what
the overview, indicator page, plan board, department page, heatmap and big screen show
(from stored results only), the plan board's writes (work items, progress reports with a
permission-checked attachment), constant query counts at 10 and 1,000 stored results, and
the chart cache following the results generation."""

import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import selectors
from dashboards.models import EarlyWarning, ProgressReport
from dashboards.services import target_owners, warnings_sync
from enterprises import credit_code
from indicators.cache import results_generation_bump
from indicators.demo import demo_rows
from indicators.models import (
    DepartmentPeriod,
    Figure,
    Indicator,
    IndicatorResult,
    Target,
    results_traces_resolve,
)
from indicators.recompute import results_recompute
from reporting.services import round_open
from tasks.models import Department, WorkItem
from tests.helpers import import_rows

pytestmark = pytest.mark.django_db
D = Decimal

ROLES = [
    "committee_member",
    "clerk",
    "other_clerk",
    "head",
    "statistics_office",
    "auditor",
    "administrator",
]
PAGES = {
    "overview": ("dashboards:overview", {}),
    "overview_filtered": ("dashboards:overview", {}),
    "indicator": ("dashboards:indicator", {"indicator_code": "energy_intensity_iva"}),
    "plan_board": ("dashboards:plan_board", {}),
    "department": ("dashboards:department", {"code": "DRS"}),
    "heatmap": ("dashboards:heatmap", {}),
    "bigscreen": ("dashboards:bigscreen", {}),
}
QUERIES = {"overview_filtered": "?period=2020Q1&variant=excl_feedstock"}


def _url(page: str) -> str:
    name, kwargs = PAGES[page]
    return reverse(name, kwargs=kwargs) + QUERIES.get(page, "")


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fresh_generation():
    """Charts cached by an earlier test (same generation, other data) are never read."""
    results_generation_bump()


@pytest.fixture
def demo(administrator):
    """The demo statistics (2020Q1–2026Q3, every item) and their results, as stored."""
    import_rows(demo_rows(), user=administrator)
    results_recompute()
    results_generation_bump()


def _cards(html: str) -> dict[str, dict[str, str]]:
    """Each target card's code → its status class, data-status and owner."""
    cards = {}
    for match in re.finditer(
        r'<article class="target-card status-(?P<cls>[a-z_]+)" id="target-(?P<code>[^"]+)"'
        r' data-target="[^"]+" data-status="(?P<status>[^"]*)" data-owner="(?P<owner>[^"]*)">'
        r"(?P<body>.*?)</article>",
        html,
        flags=re.S,
    ):
        cards[match["code"]] = {
            "class": match["cls"],
            "status": match["status"],
            "owner": match["owner"],
            "body": match["body"],
        }
    return cards


def _value_of(card_body: str) -> str:
    return unescape(re.search(r'<dd class="value">([^<]*)</dd>', card_body)[1]).strip()


def _chart(html: str) -> dict:
    found = re.search(r'<script id="chart-figure" type="application/json">(.*?)</script>', html)
    return json.loads(found[1])


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ROLES)
@pytest.mark.parametrize("stored", [0, 300])
def test_every_page_renders_for_every_role(request, persona, stored):
    client = _client(request.getfixturevalue(persona))
    _stored_results(stored, [])
    for page in PAGES:
        response = client.get(_url(page))
        assert response.status_code == 200, (page, response.status_code)
        assert "Content-Security-Policy" in response
        assert b"<script>" not in response.content  # no inline script anywhere


def test_the_outsider_is_refused_and_anonymous_visitors_sign_in_first(outsider):
    refused = _client(outsider)
    anonymous = _client()
    for page in PAGES:
        assert refused.get(_url(page)).status_code == 403, page
        response = anonymous.get(_url(page))
        assert response.status_code == 302, page
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_indicators_departments_and_scopes_are_not_found(committee_member):
    client = _client(committee_member)
    assert client.get("/dashboards/indicators/no_such_indicator/").status_code == 404
    assert client.get("/dashboards/departments/NOPE/").status_code == 404
    url = reverse("dashboards:indicator", kwargs={"indicator_code": "energy_intensity_iva"})
    assert client.get(url + "?scope=<script>").status_code == 404
    assert client.get(url + "?scope=91371400MA3C00000X").status_code == 404


# --- overview --------------------------------------------------------------------------------


def _expected_statuses(period: str) -> dict[str, str]:
    """Independently of the page: for each target, the status of the newest park result
    judged against it at or before `period`; upcoming targets and milestones apart."""
    rank = selectors.period_key(period)
    expected = {}
    for target in Target.objects.all():
        judged = [
            r
            for r in IndicatorResult.objects.filter(target=target, scope="", variant="")
            if selectors.period_key(r.period) <= rank
        ]
        if target.kind == Target.Kind.MILESTONE:
            # Past its year and not verified, a milestone is red (T16, 2025; T17 has no year).
            expected[target.code] = "red" if target.target_year else "milestone"
        elif judged:
            newest = max(judged, key=lambda r: selectors.period_key(r.period))
            expected[target.code] = newest.status or "base"
        else:
            expected[target.code] = "upcoming"
    return expected


def test_the_overview_shows_every_target_with_its_status_owner_and_the_counts(
    demo, committee_member
):
    html = _client(committee_member).get("/dashboards/").content.decode()
    cards = _cards(html)
    codes = list(Target.objects.order_by("order").values_list("code", flat=True))
    assert list(cards) == codes  # every target, T1 … T17, in the plan's order
    expected = _expected_statuses("2026Q3")  # the latest period with results
    owners = {Target.objects.get(pk=pk).code: owner.code for pk, owner in target_owners().items()}
    for code, card in cards.items():
        assert card["status"] == card["class"] == expected[code], code
        assert card["owner"] == owners.get(code, ""), code
    assert cards["T2"]["owner"] == "DRS"
    assert cards["T10"]["owner"] == "CON"
    assert cards["T11"]["owner"] == "ECO"  # its own owner, not task 8's lead (URB)
    assert cards["T16"]["owner"] == "ECO"
    # The counts are the cards'.
    for status in ["achieved", "green", "yellow", "red", "no_data"]:
        number = sum(1 for card in cards.values() if card["status"] == status)
        assert f'data-status="{status}" data-count="{number}"' in html
    # T3/T4: the value awaits the administrator; the indicator's value is still shown.
    for code in ("T3", "T4"):
        assert "目标值待管理员设定" in cards[code]["body"]
        assert cards[code]["status"] == "no_data"
        assert _value_of(cards[code]["body"]) != "—"
    # After 2025 the 2025 targets keep their final (annual) assessment.
    assert '<span class="period" title="数据期间">2025年</span>' in cards["T2"]["body"]
    assert "2026年1—9月" in cards["T2b"]["body"]
    # The legend says what the colours mean, in Chinese.
    for label in ["达标", "进展顺利", "进度滞后", "形势严峻", "无数据"]:
        assert f"</span>{label}</li>" in html
    assert "数据期间 2026年1—9月" in html


def test_the_period_filter_shows_that_periods_values(demo, committee_member):
    client = _client(committee_member)
    latest = _cards(client.get("/dashboards/").content.decode())
    earlier = _cards(client.get("/dashboards/?period=2024").content.decode())
    t2_2024 = IndicatorResult.objects.get(
        indicator__code="energy_intensity_iva", period="2024", scope="", variant=""
    )
    assert _value_of(earlier["T2"]["body"]) == selectors.number_text(t2_2024.value, 4)
    assert _value_of(earlier["T2"]["body"]) != _value_of(latest["T2"]["body"])
    assert earlier["T2"]["status"] == t2_2024.status
    # In 2024 the 2030 targets are not judged yet: their cards show the current value.
    assert earlier["T1b"]["status"] == "upcoming"
    assert earlier["T2b"]["status"] == "upcoming"
    assert "较2025年下降15%" in earlier["T2b"]["body"]
    # The base year is the starting point, not judged.
    base = _cards(client.get("/dashboards/?period=2020").content.decode())
    assert base["T2"]["status"] == "base"
    # An unknown period falls back to the latest.
    unknown = _cards(client.get("/dashboards/?period=1999Q1").content.decode())
    assert unknown["T2"] == latest["T2"]


def test_the_variant_filter_shows_the_variant_where_the_indicator_has_it(demo, committee_member):
    client = _client(committee_member)
    plain = _cards(client.get("/dashboards/?period=2024").content.decode())
    html = client.get("/dashboards/?period=2024&variant=excl_feedstock").content.decode()
    variant = _cards(html)
    expected = IndicatorResult.objects.get(
        indicator__code="energy_intensity_iva", period="2024", scope="", variant="excl_feedstock"
    )
    assert _value_of(variant["T2"]["body"]) == selectors.number_text(expected.value, 4)
    assert _value_of(variant["T2"]["body"]) != _value_of(plain["T2"]["body"])
    assert "扣除原料用能" in variant["T2"]["body"]
    assert variant["T2"]["status"] == expected.status
    # Indicators without the variant are unchanged.
    for code in ("T1", "T5", "T11", "T12"):
        assert variant[code] == plain[code], code
    assert '<option value="excl_feedstock" selected>' in html


def test_a_chained_target_waiting_for_its_base_year_says_so(demo, committee_member):
    # 2025's annual result is missing (say, not yet approved): T2b has no value yet.
    IndicatorResult.objects.filter(
        indicator__code="energy_intensity_iva", period__startswith="2026", variant=""
    ).update(target_value=None, target_pending_base=True, status="no_data")
    cards = _cards(_client(committee_member).get("/dashboards/").content.decode())
    assert "待2025年基数" in cards["T2b"]["body"]
    assert cards["T2b"]["status"] == "no_data"


def test_milestones_show_their_work_items_and_open_warnings_and_completeness_are_listed(
    demo, committee_member, other_clerk, statistics_office, clerk, head
):
    from django.utils import timezone

    from indicators.cache import page_generation_bump
    from tasks.models import PartReport

    item = WorkItem.objects.get(task__code="11", code="11.4")
    client = _client(committee_member)
    card = _cards(client.get("/dashboards/").content.decode())["T16"]
    # 2025 has passed and 11.4 is not verified: the milestone is red.
    assert card["status"] == "red"
    assert 'data-item="11.4"' in card["body"]
    assert "未销号" in card["body"]
    assert 'data-item="11.1"' not in card["body"]  # the milestone's own work item only
    # Declaring it done is not enough (management.md §3): only the committee's 销号 counts.
    PartReport.objects.create(
        part=item.parts.get(role="lead"), period="2026Q3", progress="done", state="approved",
        narrative="省级批复文件", submitted_by=other_clerk, submitted_at=timezone.now(),
    )  # fmt: skip
    page_generation_bump()
    card = _cards(client.get("/dashboards/").content.decode())["T16"]
    assert card["status"] == "red"
    # (tests/test_task_workflow.py walks the verification itself)
    WorkItem.objects.filter(pk=item.pk).update(verified_at=timezone.now())
    page_generation_bump()
    card = _cards(client.get("/dashboards/").content.decode())["T16"]
    assert card["status"] == "achieved"
    assert "已销号" in card["body"]

    warnings_sync()
    round_open(period="2026Q4", user=statistics_office)
    DepartmentPeriod.objects.create(
        department=Department.objects.get(code="DRS"), period="2026Q4", state="submitted"
    )
    html = client.get("/dashboards/").content.decode()
    live = list(EarlyWarning.objects.exclude(state="closed").order_by("-created_at", "-pk"))
    assert live, "the demo has yellow and red targets"
    positions = [html.index(f'data-warning="{w.pk}"') for w in live[:10]]
    assert positions == sorted(positions)  # newest first
    assert f"共 {len(live)} 条" in html
    assert 'data-level="red"' in html
    assert '<li data-department="DRS" data-state="submitted">' in html
    assert 'data-state="not_started"' in html


# --- indicator page --------------------------------------------------------------------------


def test_the_indicator_page_lists_every_value_with_its_trace_and_input_links(
    demo, committee_member
):
    client = _client(committee_member)
    html = client.get("/dashboards/indicators/energy_intensity_iva/").content.decode()
    results = IndicatorResult.objects.filter(
        indicator__code="energy_intensity_iva", scope="", variant=""
    )
    assert results.count() == 27
    for result in results:
        assert f'<tr class="value-row" data-period="{result.period}"' in html
    # Variants side by side.
    assert "扣除原料用能和非化石能源" in html
    assert html.count('data-variant="excl_feedstock"') == 27
    # The 2025 row: value, target, status, method trace and its inputs.
    annual = results.get(period="2025")
    row = html[html.index('data-period="2025"') : html.index('data-period="2025Q3"')]
    assert selectors.number_text(annual.value, 4) in row
    assert "T2" in row
    assert selectors.status_label(annual.status) in row
    ids = ",".join(str(pk) for pk in annual.input_figure_ids)
    assert f'href="/api/v1/figures/?ids={ids}"' in row
    coal = Figure.objects.get(
        pk__in=annual.input_figure_ids, item__code="coal_raw", period="2025Q1"
    )
    assert f'href="/reporting/2025Q1/history/DRS/?item=coal_raw" data-figure="{coal.pk}"' in row
    grid = Figure.objects.get(
        pk__in=annual.input_figure_ids, item__code="electricity_grid", period="2025Q4"
    )
    assert f"/reporting/2025Q4/history/{grid.department.code}/?item=electricity_grid" in row
    assert "tce.coal_raw" in row
    assert "v1" in row
    assert "仅计已审核数据" in row  # the counting rule
    # The chart's figure: actual values and the paths, drawn with SVG traces only.
    figure = _chart(html)
    names = [trace.get("name") for trace in figure["data"]]
    assert {"年度值", "年内累计值", "T2 目标路径", "T2b 目标路径"} <= set(names)
    assert any(name.startswith("按当前增速预测") for name in names)
    assert {trace["type"] for trace in figure["data"]} == {"scatter"}
    annual_trace = figure["data"][names.index("年度值")]
    assert annual_trace["customdata"][-1] == "2025"
    assert annual_trace["y"][-1] == pytest.approx(float(annual.value), rel=1e-6)


def test_the_indicator_page_shows_an_enterprise_scope(demo, committee_member):
    scope = "91371400MA3C4QXX1C"
    IndicatorResult.objects.create(
        indicator=Indicator.objects.get(code="energy_intensity_iva"),
        period="2025",
        year=2025,
        scope=scope,
        value=D("0.5"),
        method={"formula": "E当量 ÷ 工业增加值(2020年可比价)"},
        input_figure_ids=[],
    )
    client = _client(committee_member)
    url = "/dashboards/indicators/energy_intensity_iva/"
    assert f'<option value="{scope}">' in client.get(url).content.decode()
    html = client.get(f"{url}?scope={scope}").content.decode()
    assert html.count('class="value-row"') == 1
    assert "0.5000" in html


# --- plan board ------------------------------------------------------------------------------


def test_the_plan_board_shows_sections_tasks_units_targets_and_work_items(demo, clerk):
    html = _client(clerk).get("/dashboards/plan/").content.decode()
    tasks = re.findall(r'<article class="task-board" id="task-([^"]+)"', html)
    assert len(tasks) == 21  # 18 tasks and 3 policy innovations
    assert tasks[:3] == ["1", "2", "3"]
    assert tasks[-3:] == ["P1", "P2", "P3"]
    assert html.count("政策创新</span>") == 3
    # DRS's clerk may update DRS's tasks only.
    assert 'id="task-1" data-task="1" data-may-update="1"' in html
    assert 'id="task-5" data-task="5" data-may-update="0"' in html
    task1 = html[html.index('id="task-1"') : html.index('id="task-2"')]
    assert 'data-role="lead"' in task1
    assert "发改统计部" in task1
    assert "经信科技部" in task1
    assert 'data-target="T1"' in task1
    assert 'data-target="T1b"' in task1
    assert task1.count('data-item="1.') == 6


def test_a_work_item_has_no_hand_set_status_on_the_board(clerk, head):
    """Its state comes from its parts' reports (tasks.progress); the old self-declared
    form is gone and posting it is not found, nothing written."""
    from django.utils import timezone

    from tasks.models import PartReport

    item = WorkItem.objects.get(task__code="1", code="1.4")
    url = reverse("dashboards:plan_board")
    client = _client(clerk)
    html = client.get(url).content.decode()
    assert 'data-item="1.4" data-status="not_started"' in html
    assert 'name="status"' not in html
    refused = client.post(url, {"action": "work_item", "item": item.pk, "status": "done"})
    assert refused.status_code == 404
    PartReport.objects.create(
        part=item.parts.get(role="lead"), period="2024Q1", progress="in_progress",
        state="approved", narrative="已建成 12 MW", submitted_by=clerk,
        submitted_at=timezone.now(), approved_by=head,
    )  # fmt: skip
    from indicators.cache import page_generation_bump

    page_generation_bump()
    html = client.get(url).content.decode()
    assert 'data-item="1.4" data-status="in_progress"' in html


def test_a_progress_report_with_an_attachment_is_downloaded_by_those_who_may(
    settings, tmp_path, clerk, other_clerk, committee_member, auditor, outsider
):
    settings.MEDIA_ROOT = tmp_path
    task = WorkItem.objects.get(task__code="2", code="2.1").task
    url = reverse("dashboards:plan_board")
    content = "2026年三季度节能审查完成 12 项。".encode()

    def post(user, **extra):
        return _client(user).post(
            url,
            {
                "action": "report",
                "task": task.pk,
                "period": "2026Q3",
                "text": "完成节能审查 12 项",
                **extra,
            },
        )

    # Not the lead department: refused, nothing stored.
    assert post(other_clerk, attachment=SimpleUploadedFile("a.txt", content)).status_code == 403
    assert not ProgressReport.objects.exists()
    # Over 10 MB: refused with a message.
    big = SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1))
    too_big = post(clerk, attachment=big)
    assert too_big.status_code == 400
    assert "附件不能超过 10 MB。" in too_big.content.decode()
    assert not ProgressReport.objects.exists()

    response = post(clerk, attachment=SimpleUploadedFile("节能审查清单.txt", content))
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.department.code, report.period, report.attachment_name) == (
        "DRS",
        "2026Q3",
        "节能审查清单.txt",
    )
    assert (tmp_path / report.attachment.name).read_bytes() == content

    download = reverse("dashboards:report_attachment", kwargs={"report_id": report.pk})
    html = _client(committee_member).get(url).content.decode()
    assert f'href="{download}"' in html
    assert "完成节能审查 12 项" in html
    for reader in (committee_member, auditor, other_clerk, clerk):
        answer = _client(reader).get(download)
        assert answer.status_code == 200
        assert b"".join(answer.streaming_content) == content
        assert answer["Content-Disposition"].startswith("attachment")
    assert _client(outsider).get(download).status_code == 403
    assert _client().get(download).status_code == 302
    missing = reverse("dashboards:report_attachment", kwargs={"report_id": report.pk + 1})
    assert _client(committee_member).get(missing).status_code == 404


def test_a_report_needs_a_quarter_and_text(clerk):
    task = WorkItem.objects.get(task__code="2", code="2.1").task
    url = reverse("dashboards:plan_board")
    client = _client(clerk)
    no_period = client.post(url, {"action": "report", "task": task.pk, "period": "", "text": "x"})
    assert no_period.status_code == 400
    no_text = client.post(url, {"action": "report", "task": task.pk, "period": "2026Q3"})
    assert no_text.status_code == 400
    assert "请填写进展情况。" in no_text.content.decode()
    assert not ProgressReport.objects.exists()


# --- department page and heatmap -------------------------------------------------------------


def test_the_department_page_shows_its_tasks_items_rounds_and_warnings(
    demo, committee_member, statistics_office
):
    warnings_sync()
    round_open(period="2026Q3", user=statistics_office)  # the demo's 2026Q3 is approved
    round_open(period="2026Q4", user=statistics_office)
    html = _client(committee_member).get("/dashboards/departments/DRS/").content.decode()
    lead = html[html.index('id="lead-tasks"') : html.index('id="support-tasks"')]
    support = html[html.index('id="support-tasks"') : html.index('id="department-warnings"')]
    assert re.findall(r'data-task="([^"]+)"', lead) == ["1", "2", "3", "4", "6", "10", "18", "P1"]
    assert re.findall(r'data-task="([^"]+)"', support) == ["16", "P3"]
    assert '<tr data-item="coal_raw">' in html
    rounds = re.findall(r'<tr data-period="([^"]+)" data-state="([^"]+)">', html)
    assert rounds == [("2026Q4", "not_started"), ("2026Q3", "approved")]
    drs_warnings = EarlyWarning.objects.filter(department__code="DRS").exclude(state="closed")
    assert drs_warnings.exists()
    for warning in drs_warnings:
        assert f'data-warning="{warning.pk}"' in html
    other = EarlyWarning.objects.exclude(department__code="DRS").exclude(state="closed").first()
    assert other is None or f'data-warning="{other.pk}"' not in html
    # The department switch goes to the chosen department's page.
    answer = _client(committee_member).get("/dashboards/departments/DRS/?code=ECO")
    assert answer.status_code == 302
    assert answer["Location"] == "/dashboards/departments/ECO/"


def test_the_heatmap_colours_each_target_and_period_by_status(demo, committee_member):
    client = _client(committee_member)
    html = client.get("/dashboards/heatmap/").content.decode()
    for result in IndicatorResult.objects.filter(
        scope="", variant="", target__code__in=["T1", "T2", "T12"]
    ).select_related("target"):
        status = result.status or "base"
        row = html[html.index(f'<tr data-target="{result.target.code}">') :]
        row = row[: row.index("</tr>")]
        assert f'class="cell status-{status}" data-period="{result.period}"' in row
    assert '<tr data-target="T16">' not in html  # milestones are on the plan board
    annual = client.get("/dashboards/heatmap/?annual=1").content.decode()
    assert 'data-period="2024Q1"' not in annual
    assert 'data-period="2024"' in annual


def test_the_big_screen_refreshes_itself_without_inline_script(demo, committee_member):
    html = _client(committee_member).get("/dashboards/bigscreen/").content.decode()
    assert '<body class="bigscreen" data-refresh-seconds="300">' in html
    assert '<script src="/static/js/bigscreen.js" defer></script>' in html
    # Every target: a bullet for those with a number, a line for milestones.
    shown = set(re.findall(r'<li class="bs-gauge [^"]*" id="target-([^"]+)"', html))
    shown |= set(re.findall(r'<li class="status-[a-z_]+" data-target="([^"]+)"', html))
    assert shown == set(Target.objects.values_list("code", flat=True))
    assert "目标值待管理员设定" in html


# --- speed: query counts do not grow with the data ---------------------------------------------


def _stored_results(count: int, figure_ids: list[int]) -> None:
    """`count` results, park first then enterprises, over periods and variants."""
    IndicatorResult.objects.all().delete()
    if not count:
        return
    indicators = list(Indicator.objects.order_by("order"))
    first_target = {}
    for target in Target.objects.exclude(kind="milestone").order_by("target_year", "order"):
        first_target.setdefault(target.indicator_id, target)
    variants = {"energy_intensity_iva": ["", "excl_feedstock", "excl_feedstock_non_fossil"]}
    scopes = ["", *(credit_code.complete(f"91371400MA3C{n:05d}") for n in range(1000))]
    periods = [
        (year, quarter) for year in range(2020, 2030) for quarter in (1, 2, 3, None)
    ]  # fmt: skip
    rows = []
    for scope in scopes:
        for year, quarter in periods:
            for indicator in indicators:
                for variant in variants.get(indicator.code, [""]):
                    target = first_target.get(indicator.pk) if scope == "" else None
                    rows.append(
                        IndicatorResult(
                            indicator=indicator,
                            period=f"{year}Q{quarter}" if quarter else str(year),
                            year=year,
                            quarter=quarter,
                            scope=scope,
                            variant=variant,
                            value=D("1.5") + D(len(rows)) / 1000,
                            target=target,
                            target_value=D("1.2") if target and target.value else None,
                            status="green" if target else "",
                            completion=D("0.4") if target else None,
                            time_progress=D("0.5") if target else None,
                            method={"formula": "x", "coefficients": {}, "counting": "c"},
                            input_figure_ids=figure_ids,
                        )
                    )
                    if len(rows) == count:
                        results_traces_resolve(rows)
                        IndicatorResult.objects.bulk_create(rows)
                        return


def _query_counts(client) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(page))
        assert response.status_code == 200, page
        counts[page] = len(queries)
    return counts


def test_query_counts_do_not_grow_with_the_stored_results(
    administrator, committee_member, statistics_office
):
    import_rows(demo_rows()[:40], user=administrator)
    figure_ids = list(Figure.objects.values_list("pk", flat=True)[:40])
    round_open(period="2026Q3", user=statistics_office)
    ProgressReport.objects.create(
        task=WorkItem.objects.get(code="1.1").task,
        department=Department.objects.get(code="DRS"),
        period="2026Q3",
        text="进展",
        submitted_by=administrator,
    )
    warnings_sync()
    client = _client(committee_member)
    _stored_results(10, figure_ids)
    results_generation_bump()
    small = _query_counts(client)
    _stored_results(1000, figure_ids)
    assert IndicatorResult.objects.count() == 1000
    assert IndicatorResult.objects.exclude(scope="").exists()
    results_generation_bump()
    large = _query_counts(client)
    assert large == small
    # The overview's share: the period rule (open rounds, departments, approvals), the
    # "updating" notice and the missing inputs of "no data" cards (traces, items, states).
    # The big screen's first rendering adds its warnings by level, state and department
    # and two trend charts' data (then one cached page serves every screen).
    assert max(small.values()) <= 30, small


# --- the chart cache ---------------------------------------------------------------------------


def test_the_chart_is_cached_until_the_results_generation_moves(demo, committee_member):
    client = _client(committee_member)
    url = "/dashboards/indicators/energy_intensity_iva/"
    first = _chart(client.get(url).content.decode())
    IndicatorResult.objects.filter(
        indicator__code="energy_intensity_iva", period="2025", scope="", variant=""
    ).update(value=D("0.3"))
    html = client.get(url).content.decode()
    assert "0.3000" in html  # the table reads the database …
    assert _chart(html) == first  # … the chart is the cached one of this generation
    results_generation_bump()  # what a recompute does after it commits
    changed = _chart(client.get(url).content.decode())
    annual = next(trace for trace in changed["data"] if trace["name"] == "年度值")
    assert annual["y"][annual["customdata"].index("2025")] == 0.3
    assert changed != first


def test_a_cache_outage_still_renders_the_chart(demo, committee_member, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    monkeypatch.setattr(cache, "get_or_set", down)
    response = _client(committee_member).get("/dashboards/indicators/non_fossil_share/")
    assert response.status_code == 200
    figure = _chart(response.content.decode())
    assert any(trace["name"] == "T1 目标路径" for trace in figure["data"])


def test_a_quarters_revenue_card_shows_the_last_complete_year_beside_its_ytd_completion(
    demo, committee_member
):
    """Issue 16 #7: an additive level target's card in a quarter compares the year-to-date
    value with the year-to-date path and shows the last complete year beside it (its value
    and its completion against the target that judged it); a ratio's card does not."""
    from indicators.models import IndicatorResult

    client = _client(committee_member)
    page = client.get(reverse("dashboards:overview"), {"period": "2026Q3"}).content.decode()
    card = re.search(r'<article class="target-card[^"]*" id="target-T5b".*?</article>', page, re.S)
    assert card is not None
    last = IndicatorResult.objects.select_related("target").get(
        indicator__code="leading_industry_revenue", period="2025", scope="", variant=""
    )
    shown = re.search(r'<p class="meta last-year" data-year="([0-9]+)">(.*?)</p>', card.group(0))
    assert shown is not None
    assert shown.group(1) == "2025"
    assert f"{last.target.code}完成进度" in shown.group(2)
    assert "上一完整年度（2025年）" in shown.group(2)
    assert 'class="meta last-year"' not in re.search(
        r'<article class="target-card[^"]*" id="target-T1".*?</article>', page, re.S
    ).group(0)  # energy intensity: a ratio, its year-to-date value is already comparable
    english = client.get(
        reverse("dashboards:overview"), {"period": "2026Q3"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Last complete year (2025)" in english


def test_a_message_on_the_overview_is_shown_once_not_kept_in_the_cached_page(
    demo, committee_member
):
    """The overview is cached per session; a one-time message (after sign-in, after an
    action that lands here) is shown once and never kept in the cached page."""
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest
    from django.http import HttpResponse as PlainResponse

    client = _client(committee_member)
    client.get(reverse("dashboards:overview"))  # cached without a message
    carrier = PlainResponse()
    CookieStorage(HttpRequest())._store([Message(constants.SUCCESS, "一次性提示")], carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value
    assert "一次性提示" in client.get(reverse("dashboards:overview")).content.decode()
    assert "一次性提示" not in client.get(reverse("dashboards:overview")).content.decode()
