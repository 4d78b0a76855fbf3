"""The accountable work through the pages: a supporting unit's quarter on its to-do page,
the lead's co-sign, the committee's verification queue; refusals in the page's language;
constant query counts at 10 and 1,000 reports."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from indicators.cache import page_generation_bump
from reporting.models import ReportingRound
from tasks.models import Department, PartReport, WorkItem, WorkItemPart

pytestmark = pytest.mark.django_db
PERIOD = "2026Q3"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _person(username, role, code):
    return User.objects.create_user(
        username=username, role=role, department=Department.objects.get(code=code)
    )


def _client(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def quarter(park, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return ReportingRound.objects.create(
        period=PERIOD, year=2026, quarter=3, deadline=dt.date(2026, 10, 20)
    )


def _part(code, unit):
    return WorkItemPart.objects.get(work_item__code=code, department__code=unit)


def test_a_supporting_units_quarter_and_the_committees_verification_through_the_pages(
    quarter, other_clerk, committee_member
):
    eco_head = _person("zhou.eco.head", User.Role.HEAD, "ECO")
    eit_clerk = _person("qian.eit", User.Role.CLERK, "EIT")
    eit_head = _person("sun.eit.head", User.Role.HEAD, "EIT")
    eco_part, eit_part = _part("5.1", "ECO"), _part("5.1", "EIT")

    eco = _client(other_clerk)
    todo = eco.get(reverse("tasks:todo")).content.decode()
    assert f'id="part-{eco_part.pk}"' in todo
    assert "配合" in todo
    response = eco.post(
        reverse("tasks:part_report", args=[eco_part.pk]),
        {
            "period": PERIOD,
            "progress": "done",
            "quantity": "3",
            "quantity_unit": "家",
            "narrative": "完成3家企业的环评核查。",
            "evidence": SimpleUploadedFile("核查报告.pdf", PDF),
        },
    )
    assert response.status_code == 302
    report = PartReport.objects.get(part=eco_part)
    todo = _client(eco_head).get(reverse("tasks:todo")).content.decode()
    assert f'id="approval-{report.pk}"' in todo
    assert "核查报告.pdf" in todo
    assert (
        _client(eco_head)
        .post(reverse("tasks:report_action", args=[report.pk, "approve"]))
        .status_code
        == 302
    )

    eit = _client(eit_clerk)
    eit.post(
        reverse("tasks:part_report", args=[eit_part.pk]),
        {"period": PERIOD, "progress": "done", "quantity": "5", "quantity_unit": "家", "narrative": "5家获批"},
    )  # fmt: skip
    lead_report = PartReport.objects.get(part=eit_part)
    head = _client(eit_head)
    head.post(reverse("tasks:report_action", args=[lead_report.pk, "approve"]))
    todo = head.get(reverse("tasks:todo")).content.decode()
    assert f'id="cosign-{report.pk}"' in todo  # the lead co-signs the supporting part
    assert head.post(reverse("tasks:report_action", args=[report.pk, "cosign"])).status_code == 302

    committee = _client(committee_member)
    queue = committee.get(reverse("tasks:verification")).content.decode()
    item = WorkItem.objects.get(code="5.1")
    assert f'id="verify-{item.pk}-{PERIOD}"' in queue
    assert 'data-ready="true"' in queue
    evidence = re.search(r'href="(/tasks/evidence/[0-9]+/)"', queue).group(1)
    assert committee.get(evidence).status_code == 200
    assert AuditEvent.objects.filter(action="part_evidence_download").count() == 1
    done = committee.post(
        reverse("tasks:verification_action", args=[item.pk, PERIOD, "verify"]), {"comment": "齐全"}
    )
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.verified_by == committee_member
    assert "没有待核验的工作要点" in committee.get(reverse("tasks:verification")).content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "数量的单位应为“家”"), ("en", "The quantity must be in 家")],
)
def test_a_quantity_in_the_wrong_unit_is_refused_in_the_pages_language(
    quarter, other_clerk, language, expected
):
    part = _part("5.1", "ECO")
    response = _client(other_clerk, language).post(
        reverse("tasks:part_report", args=[part.pk]),
        {"period": PERIOD, "progress": "done", "quantity": "3", "quantity_unit": "个", "narrative": "x"},
    )  # fmt: skip
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not PartReport.objects.exists()


def test_a_cosign_by_a_unit_that_is_not_the_lead_is_refused(quarter, other_clerk, head):
    eco_head = _person("zhou.eco.head", User.Role.HEAD, "ECO")
    report = PartReport.objects.create(
        part=_part("5.1", "ECO"), period=PERIOD, progress="done", narrative="x",
        submitted_by=other_clerk, submitted_at=timezone.now(), state="approved", approved_by=eco_head,
    )  # fmt: skip
    response = _client(head).post(reverse("tasks:report_action", args=[report.pk, "cosign"]))
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.state == "approved"


def _reports(count: int, user) -> None:
    """`count` reports spread over every part and as many quarters as needed, a tenth of
    them awaiting a decision."""
    parts = list(WorkItemPart.objects.order_by("pk"))  # the lead's say "done": verifiable
    now = timezone.now()
    rows = []
    for number in range(count):
        part = parts[number % len(parts)]
        year, quarter = divmod(number // len(parts), 4)
        rows.append(
            PartReport(
                part=part, period=f"{2021 + year}Q{quarter + 1}",
                progress="done" if part.role == "lead" else "in_progress",
                narrative="进展", submitted_by=user, submitted_at=now,
                state="submitted" if number % 10 == 0 else "approved",
            )
        )  # fmt: skip
    PartReport.objects.bulk_create(rows)


@pytest.mark.parametrize("url_name", ["tasks:todo", "tasks:verification", "dashboards:plan_board"])
def test_pages_keep_a_constant_query_count_from_10_to_1000_reports(
    quarter, clerk, head, committee_member, url_name
):
    reader = committee_member if url_name == "tasks:verification" else head
    client = _client(reader)
    _reports(10, clerk)
    client.get(reverse(url_name))  # warm the session
    page_generation_bump()  # nothing cached: the page is built from the database
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    PartReport.objects.all().delete()
    _reports(1000, clerk)
    page_generation_bump()
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse(url_name))
    assert page.status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    if url_name == "tasks:verification":
        # The oldest 50 are listed; the count says how many wait.
        assert page.content.decode().count('class="card decision"') == 50
        assert int(re.search(r'id="queue-size">([0-9]+)<', page.content.decode()).group(1)) > 100


def test_the_newest_report_of_each_part_is_found_in_the_database_not_in_python(quarter, clerk):
    """item_rows reads one report per part (its newest quarter), however many quarters
    were reported: 1,000 reports build no more report objects than there are parts."""
    from collections import Counter

    from django.db.models.signals import post_init

    from tasks.selectors import _items_with_parts, item_rows

    _reports(1000, clerk)
    items = list(_items_with_parts())
    built: Counter = Counter()

    def count(sender, **kwargs):
        built[sender] += 1

    post_init.connect(count, weak=False)
    try:
        rows = item_rows(items)
    finally:
        post_init.disconnect(count)
    parts = WorkItemPart.objects.count()
    assert built[PartReport] <= parts
    newest = {}
    for part_id, period in PartReport.objects.values_list("part_id", "period"):
        newest[part_id] = max(period, newest.get(part_id, ""))
    shown = {part_id: report.period for row in rows for part_id, report in row.reports.items()}
    assert shown == newest


@pytest.mark.parametrize("url_name", ["tasks:todo", "tasks:verification", "dashboards:plan_board"])
def test_a_reader_who_comes_back_before_anything_changed_gets_the_kept_page(
    quarter, clerk, head, committee_member, url_name
):
    """The three pages are kept as rendered per session (dashboards.cache.reader_page): a
    second visit with nothing changed reads no work item, part or report (only the session
    and the user), a state change through a service shows at once, and one-time messages
    are never kept in the page."""
    reader = committee_member if url_name == "tasks:verification" else head
    client = _client(reader)
    _reports(100, clerk)
    page_generation_bump()
    with CaptureQueriesContext(connection) as built:
        first = client.get(reverse(url_name)).content.decode()
    with CaptureQueriesContext(connection) as kept:
        again = client.get(reverse(url_name)).content.decode()
    assert again == first
    assert len(kept) < len(built)
    assert not [q["sql"] for q in kept.captured_queries if "tasks_partreport" in q["sql"]]
    # A head approves a report through the workflow: the page shows it on the next visit.
    waiting = PartReport.objects.filter(
        state="submitted", part__department=head.department
    ).order_by("period", "pk")
    report = waiting.first()
    before = waiting.count()
    from tasks import workflow

    workflow.part_report_approve(report=report, user=head)
    changed = client.get(reverse(url_name)).content.decode()
    assert changed != first
    if url_name == "tasks:todo":
        assert f'id="approval-{report.pk}"' in first
        assert f'id="approval-{report.pk}"' not in changed
        assert f'<span class="count">{before - 1}</span>' in changed


def test_a_message_is_shown_once_and_never_kept_in_the_page(quarter, clerk):
    """After a report the to-do page says 已报送 once; the next visit (nothing changed
    since) does not repeat it."""
    client = _client(clerk)
    part = WorkItemPart.objects.filter(department=clerk.department).order_by("pk").first()
    client.get(reverse("tasks:todo"))
    response = client.post(
        reverse("tasks:part_report", args=[part.pk]),
        {"period": PERIOD, "progress": "in_progress", "narrative": "推进中"},
        follow=True,
    )
    said = "已报送，等待本单位负责人审核。"
    assert said in response.content.decode()
    assert said not in client.get(reverse("tasks:todo")).content.decode()
    assert said not in client.get(reverse("tasks:todo")).content.decode()


def test_the_overviews_completeness_card_counts_task_parts_beside_figures(
    quarter, other_clerk, committee_member
):
    """Issue 16 #2: the completeness board covers task reports like figures: each unit's
    open parts, how many it reported this quarter and how many its head approved."""
    from tasks import workflow

    eco_head = _person("zhou.eco.head", User.Role.HEAD, "ECO")
    eco_parts = WorkItemPart.objects.filter(department__code="ECO").order_by("pk")
    due = eco_parts.count()
    first, second = eco_parts[0], eco_parts[1]
    for part in (first, second):
        workflow.part_report_submit(
            part=part, period=PERIOD, progress="in_progress", quantity="", quantity_unit="",
            narrative="推进中", user=other_clerk, files=[],
        )  # fmt: skip
    workflow.part_report_approve(
        report=PartReport.objects.get(part=first, period=PERIOD), user=eco_head
    )
    page = _client(committee_member).get(reverse("dashboards:overview")).content.decode()
    row = re.search(r'<li data-department="ECO" data-due="([0-9]+)" data-reported="([0-9]+)" '
                    r'data-approved="([0-9]+)">.*?</li>', page, re.S)  # fmt: skip
    assert row is not None
    assert row.groups() == (str(due), "2", "1")
    assert f"报送 2/{due}，审核 1" in row.group(0)
    assert 'id="completeness-parts"' in page
    units = set(re.findall(r'<li data-department="([A-Z]+)" data-due=', page))
    assert len(units) == WorkItemPart.objects.values("department").distinct().count() >= 12
    english = _client(committee_member, "en").get(reverse("dashboards:overview")).content
    assert f"2/{due} reported, 1 approved" in english.decode()


def test_the_plan_page_shows_the_overall_requirements_with_their_aims_and_the_safeguards(
    park, clerk
):
    """Issue 16 #8: 总体要求 with its 2025 and 2030 aims, and 四、保障措施, on the plan page."""
    from tasks.models import Plan

    plan = Plan.objects.get()
    guiding, _aims = plan.overview_parts
    assert guiding
    assert plan.safeguards_zh
    page = _client(clerk).get(reverse("plan")).content.decode()
    overview = re.search(r'<section class="card plan-overview" id="plan-overview">.*?</section>', page, re.S)  # fmt: skip
    assert overview is not None
    assert "一、总体要求" in overview.group(0)
    assert guiding in overview.group(0)
    shown = re.findall(r'<li class="aim">(.*?)</li>', overview.group(0), re.S)
    assert [a for a in shown if a.startswith("到2025年")]
    assert [a for a in shown if a.startswith("到2030年")]
    safeguards = re.search(r'id="plan-safeguards">.*?</section>', page, re.S)
    assert safeguards is not None
    assert "四、保障措施" in safeguards.group(0)
    assert plan.safeguards_zh in safeguards.group(0)
