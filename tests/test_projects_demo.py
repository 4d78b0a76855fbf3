"""The demo key projects (issue 18 item 10) look like a park's: 15–25 projects across stages
and funding sources, some below the review threshold, a renovation reviewed on its
increase, a provincial review, one the admission check calls 不利, quarterly updates
approved by the head and not the submitter, the current quarter partly missing; a rerun
changes nothing."""

import pytest

from enterprises.demo import enterprises_demo
from indicators.demo import demo_statistics_load
from indicators.recompute import results_recompute
from projects import selectors
from projects.demo import CURRENT, PROJECTS, projects_demo
from projects.models import EnergyReview, Project, ProjectUpdate
from projects.updates import missing_updates
from reporting.services import round_open


@pytest.mark.django_db
def test_demo_projects(administrator, clerk, head, statistics_office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    demo_statistics_load(user=administrator)
    enterprises_demo(user=administrator)
    results_recompute()
    for period in ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", CURRENT):
        round_open(period=period, user=statistics_office)
    projects_demo(clerk=clerk, head=head)
    assert 15 <= Project.objects.count() == len(PROJECTS) <= 25
    assert set(Project.objects.values_list("stage", flat=True)) == {
        "reserve", "approved", "energy_review", "carbon_assessment", "construction",
        "operation", "acceptance",
    }  # fmt: skip
    fundings = {source for p in Project.objects.all() for source in p.investment_planned}
    assert fundings == {"central_budget", "special_bonds", "self_raised", "bank_loans", "other"}
    authorities = set(EnergyReview.objects.values_list("authority", flat=True))
    assert authorities == {"provincial", "local", "none"}
    renovation = EnergyReview.objects.get(project__code="DZKF-2025-002")
    assert renovation.uses_before
    assert renovation.calorific_tce < 1000  # the increase, not the whole plant
    verdicts = {
        p.code: selectors.admission(p).verdict
        for p in Project.objects.filter(code__in=["DZKF-2026-011", "DZKF-2025-004"])
    }
    assert verdicts == {"DZKF-2026-011": "harder", "DZKF-2025-004": "helps"}
    updates = ProjectUpdate.objects.all()
    assert updates.filter(state="approved").count() >= 20
    for update in updates.filter(state="approved"):
        assert update.decided_by_id != update.submitted_by_id
    assert updates.filter(period=CURRENT, state="submitted").exists()
    assert "DZKF-2025-014" in [p.code for ps in missing_updates(CURRENT).values() for p in ps]
    counts = (Project.objects.count(), ProjectUpdate.objects.count(), EnergyReview.objects.count())
    projects_demo(clerk=clerk, head=head)  # a rerun changes nothing
    assert counts == (
        Project.objects.count(),
        ProjectUpdate.objects.count(),
        EnergyReview.objects.count(),
    )
