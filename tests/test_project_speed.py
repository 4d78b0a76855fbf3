"""The key projects' pages keep a constant query count as projects grow (issue 18, Speed):
the register, a project's page and the admission calculator at 10 and at 1,000 projects,
each with a review and quarterly updates; one comment per query so that a new one shows up
here by name."""

from decimal import Decimal as D

import pytest
from django.test import Client

from projects.models import (
    CarbonAssessment,
    EnergyReview,
    Project,
    ProjectUpdate,
    ProjectUpdateEvidence,
)
from tasks.models import Department

pytestmark = pytest.mark.django_db

SIGNED_IN = 2  # the session row; the signed-in user
NAVIGATION = 1  # the user's department (the page's navigation)
REGISTER = SIGNED_IN + NAVIGATION + 5
# how many projects match (the pager); a page of 50 with enterprise and department; their
# energy reviews (prefetch); the departments and the tasks (the filters)
PROJECT_PAGE = SIGNED_IN + NAVIGATION + 10
# the project with enterprise and department; its stage events, reviews, assessments,
# tasks, updates with their people, their evidence (prefetches); the user's department
# again (may they decide?); the park's latest complete year (results); this year's approved
# budget (none here; with one, its reserve and project allocations: one more); the
# admission's latest review
ADMISSION = SIGNED_IN + NAVIGATION + 5
# the park's latest complete year; the chosen projects (reviewed, with value added); up to
# 50 others that match the search; their reviews' energy (one query); this year's approved
# budget (none here)


def _projects(count: int, clerk, cell_maker, start: int = 0) -> None:
    """`count` more projects, each with a review, an assessment and two approved quarterly
    updates with evidence."""
    drs = Department.objects.get(code="DRS")
    made = Project.objects.bulk_create(
        Project(code=f"P-{start + i:05d}", name=f"项目{start + i}", enterprise=cell_maker,
                kind="new", department=drs, stage="construction", created_by=clerk,
                investment_planned={"self_raised": "1000", "bank_loans": "500"},
                value_added=D("1000"))
        for i in range(count)
    )  # fmt: skip
    EnergyReview.objects.bulk_create(
        EnergyReview(project=p, uses=[], calorific_tce=D("100"), equal_value_tce=D("200"),
                     electricity_wan_kwh=D("10"), coal_t=D("0"), authority="none",
                     recorded_by=clerk)
        for p in made
    )  # fmt: skip
    CarbonAssessment.objects.bulk_create(
        CarbonAssessment(project=p, year=2025, uses=[], fuels_t=D("1"), process_t=D("0"),
                         electricity_t=D("2"), heat_t=D("0"), total_t=D("3"), recorded_by=clerk)
        for p in made
    )  # fmt: skip
    updates = ProjectUpdate.objects.bulk_create(
        ProjectUpdate(project=p, period=period, stage="construction", state="approved",
                      investment_completed={"self_raised": "100"}, submitted_by=clerk)
        for p in made for period in ("2026Q2", "2026Q3")
    )  # fmt: skip
    ProjectUpdateEvidence.objects.bulk_create(
        ProjectUpdateEvidence(update=u, file="x.pdf", name="x.pdf", kind="document", size=1,
                              sha256="0" * 64, uploaded_by=clerk)
        for u in updates
    )  # fmt: skip


def _park_results() -> None:
    from indicators.models import Indicator, IndicatorResult

    for code, value, target in (
        ("energy_total_calorific", "400000", None), ("energy_intensity_iva", "0.4", "0.35"),
    ):  # fmt: skip
        IndicatorResult.objects.create(
            indicator=Indicator.objects.get(code=code), period="2025", year=2025, value=D(value),
            target_value=None if target is None else D(target),
        )  # fmt: skip


def _pages(client, first):
    return [
        ("/projects/", REGISTER),
        ("/projects/?stage=construction&funding=bank_loans", REGISTER),
        (f"/projects/{first.pk}/", PROJECT_PAGE),
        (f"/projects/admission/?project={first.pk}&tce=100&va=10", ADMISSION),
        (f"/projects/admission/?project={first.pk}&q=项目1&stage=construction", ADMISSION),
    ]


def test_project_pages_keep_their_query_count_from_10_to_1000_projects(
    clerk, cell_maker, django_assert_num_queries
):
    _park_results()
    _projects(10, clerk, cell_maker)
    client = Client()
    client.force_login(clerk)
    first = Project.objects.order_by("code").first()
    for url, queries in _pages(client, first):
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
    _projects(990, clerk, cell_maker, start=10)
    for i in range(20):  # the first project also gets many more updates with evidence
        update = ProjectUpdate.objects.create(
            project=first, period=f"{2020 + i // 4}Q{i % 4 + 1}", stage="construction",
            state="approved", investment_completed={"self_raised": "1"}, submitted_by=clerk,
        )  # fmt: skip
        ProjectUpdateEvidence.objects.create(update=update, file="y.pdf", name="y.pdf",
                                             kind="document", size=1, sha256="1" * 64,
                                             uploaded_by=clerk)  # fmt: skip
    assert Project.objects.count() == 1000
    for url, queries in _pages(client, first):
        with django_assert_num_queries(queries):
            response = client.get(url)
            assert response.status_code == 200
    assert response.content.decode().count('data-verdict="helps"') == 1


def test_the_admission_calculator_searches_and_keeps_the_chosen(clerk, cell_maker, client):
    """At 1,000 reviewed projects the calculator lists 50 at once and says more match; a
    search by code, name or enterprise and a stage filter narrow them; a chosen project
    stays chosen (and counted) whatever the search shows."""
    _park_results()
    _projects(1000, clerk, cell_maker)
    Project.objects.filter(code="P-00777").update(name="德州储能示范项目", stage="operation")
    chosen = Project.objects.get(code="P-00003")
    client.force_login(clerk)
    page = client.get("/projects/admission/").content.decode()
    assert page.count("data-candidate=") == 50
    assert 'id="admission-more"' in page
    found = client.get("/projects/admission/?q=储能示范").content.decode()
    assert found.count("data-candidate=") == 1
    assert 'data-candidate="P-00777"' in found
    assert 'id="admission-more"' not in found
    assert (
        client.get("/projects/admission/?q=储能示范&stage=construction")
        .content.decode()
        .count("data-candidate=")
        == 0
    )
    by_enterprise = client.get("/projects/admission/?q=锂能&stage=operation").content.decode()
    assert by_enterprise.count("data-candidate=") == 1  # the enterprise's name matches
    kept = client.get(f"/projects/admission/?project={chosen.pk}&q=P-0077").content.decode()
    assert f'value="{chosen.pk}" checked' in kept
    assert 'data-candidate="P-00003"' not in kept  # listed once, as chosen
    assert kept.count("data-candidate=") == 10  # P-00770 … P-00779
    assert 'data-verdict="helps"' in kept  # 100 tce / 1000 万元 = 0.1 ≤ 0.35


def test_the_register_shows_50_projects_a_page_and_keeps_its_filters(clerk, cell_maker):
    _projects(60, clerk, cell_maker)
    Project.objects.filter(code__gte="P-00055").update(investment_planned={"other": "1"})
    client = Client()
    client.force_login(clerk)
    page = client.get("/projects/").content.decode()
    assert page.count("data-project=") == 50
    assert "第 1 / 2 页，共 60 个项目" in page
    assert "P-00049" in page
    assert "P-00050" not in page
    second = client.get("/projects/?page=2").content.decode()
    assert second.count("data-project=") == 10
    assert "P-00059" in second
    only = client.get("/projects/?funding=other").content.decode()
    assert only.count("data-project=") == 5  # the funding filter is the database's
    assert "P-00054" not in only


def test_the_reports_build_in_a_constant_number_of_queries(
    clerk, cell_maker, django_assert_max_num_queries
):
    from projects import exporting

    _projects(300, clerk, cell_maker)
    for kind in exporting.KINDS:
        with django_assert_max_num_queries(6):
            table = exporting.table_of(kind)
        assert len(table.rows) >= 300
