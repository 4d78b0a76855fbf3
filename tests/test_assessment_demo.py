"""The assessment's demo (issue 20 item 5): 2025 signed off by a second committee member
with an adjustment and rewards/sanctions, through the services; a second run changes
nothing; 2026 is a preview."""

import pytest

from assessment import selectors
from assessment.demo import assessment_demo
from assessment.models import Adjustment, Assessment, Consequence, Explanation
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_demo_signs_2025_off_with_adjustments_and_sanctions_and_previews_2026(
    park, time_machine
):
    import datetime as dt

    time_machine.move_to(dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC), tick=False)
    assessment_demo()
    assessment = Assessment.objects.select_related("frozen_by", "signed_off_by").get(year=2025)
    assert assessment.signed_off
    assert assessment.frozen_by.username == "committee"
    assert assessment.signed_off_by.username == "committee_li"
    assert assessment.scheme.document_no == "德经开管发〔2025〕12号"
    assert Adjustment.objects.filter(assessment=assessment, department__code="DRS").exists()
    assert all(a.reason for a in Adjustment.objects.all())
    assert Explanation.objects.filter(department__code="DRS").exists()
    kinds = set(Consequence.objects.values_list("kind", flat=True))
    assert {"commendation", "interview"} <= kinds
    before = (AuditEvent.objects.count(), Consequence.objects.count())
    assessment_demo()
    assert (AuditEvent.objects.count(), Consequence.objects.count()) == before
    assert {row["source"] for row in selectors.year_scores(2025)} == {"signed_off"}
    assert {row["source"] for row in selectors.year_scores(2026)} == {"preview"}
    # Each step on its day (issue 20 item 1): the scheme approved in the year it governs,
    # the year frozen after it ended, signed off at the committee's first meeting of 2026.
    assert assessment.scheme.recorded_at.date() == dt.date(2025, 3, 10)
    assert assessment.frozen_at.date() == dt.date(2026, 1, 20)
    assert assessment.signed_off_at.date() == dt.date(2026, 2, 5)
    days = set(
        AuditEvent.objects.filter(object_type="assessment").values_list("at__date", flat=True)
    )
    assert days
    assert max(days) <= dt.date(2026, 2, 12)
