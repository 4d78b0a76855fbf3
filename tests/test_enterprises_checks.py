"""What runs after each recompute: an impossible excess of the enterprises over the park
raises a data warning to the reporting department; designation suggestions are made
from the last complete year and decided by a person with a reason."""

import pytest

from audit.models import AuditEvent
from dashboards.models import EarlyWarning
from dezhou_carbon.exceptions import ApplicationError, PermissionRefused
from enterprises import credit_code
from enterprises.models import DesignationSuggestion, Enterprise
from enterprises.services import (
    designation_suggestion_decide,
    designation_suggestions_refresh,
    enterprise_checks_run,
    key_unit_designate,
    reconciliation_warnings_raise,
)
from indicators.recompute import results_recompute
from tests.enterprise_fixtures import OTHER, UNIT_B, unit_rows
from tests.helpers import import_rows

SMALL = credit_code.complete("91371400MA3C00D04")


def test_an_impossible_excess_raises_one_warning_to_the_reporting_department(
    park_with_key_units, administrator
):
    import_rows(
        [{"period": "2025Q1", "item": "coal_raw", "value": "20301", "scope": OTHER}],
        user=administrator,
    )
    raised = reconciliation_warnings_raise(periods=["2025Q1", "2025Q2"])
    assert len(raised) == 2  # 2025Q1 alone and its year to date
    warning = EarlyWarning.objects.get(dedupe_key="reconcile:coal_raw:2025Q1:quarter")
    assert (warning.kind, warning.level, warning.department.code) == ("anomaly", "red", "DRS")
    assert "60301" in warning.message_zh
    assert "60000" in warning.message_en
    assert reconciliation_warnings_raise(periods=["2025Q1"]) == []  # one live warning
    assert EarlyWarning.objects.filter(dedupe_key__startswith="reconcile:").count() == 2


def test_within_tolerance_raises_nothing(park_with_key_units, administrator):
    import_rows(
        [{"period": "2025Q1", "item": "coal_raw", "value": "20299", "scope": OTHER}],
        user=administrator,
    )  # 60,299 ≤ 60,000 × 1.005
    assert reconciliation_warnings_raise(periods=["2025Q1"]) == []


@pytest.fixture
def energies(park_with_key_units, administrator):
    """OTHER uses 20,000 t of coal in 2025 (≈14,286 tce); a small key unit 1,000 t a year
    in 2024 and 2025 (≈714 tce)."""
    from tasks.models import Department

    small = Enterprise.objects.create(
        code=SMALL, name="丁", industry="3985", is_key_unit=False,
        supervising_department=Department.objects.get(code="DRS"),
    )  # fmt: skip
    rows = unit_rows(OTHER, {2025: {"coal_raw": "20000"}})
    rows += unit_rows(SMALL, {2024: {"coal_raw": "1000"}, 2025: {"coal_raw": "1000"}})
    import_rows(rows, user=administrator)
    results_recompute(scopes={OTHER, SMALL})
    return small


def test_suggestions_from_the_last_complete_year(energies, statistics_office):
    key_unit_designate(
        user=statistics_office, enterprise=energies, designated=True,
        basis="designated_5000", year=2023, reason="市发改委指定",
    )  # fmt: skip
    made = designation_suggestions_refresh()
    found = {(s.enterprise.code, s.kind, s.year) for s in made}
    assert found == {(OTHER, "designate", 2025), (SMALL, "revoke", 2025)}
    other = next(s for s in made if s.enterprise.code == OTHER)
    assert other.threshold_tce == 10000
    assert "达到 10000 吨标准煤门槛" in other.explanation_zh
    small = next(s for s in made if s.enterprise.code == SMALL)
    assert small.threshold_tce == 5000  # designated on the 5,000 tce basis
    assert designation_suggestions_refresh() == []  # made once per enterprise, kind, year
    assert UNIT_B not in {s.enterprise.code for s in DesignationSuggestion.objects.all()}


def test_a_person_decides_with_a_reason(energies, statistics_office, clerk):
    designation_suggestions_refresh()
    suggestion = DesignationSuggestion.objects.get(enterprise__code=OTHER)
    with pytest.raises(PermissionRefused):
        designation_suggestion_decide(
            suggestion=suggestion, user=clerk, confirm=True, reason="同意"
        )
    with pytest.raises(ApplicationError) as refused:
        designation_suggestion_decide(
            suggestion=suggestion, user=statistics_office, confirm=True, reason=" "
        )
    assert refused.value.code == "reason_required"
    designation_suggestion_decide(
        suggestion=suggestion, user=statistics_office, confirm=True, reason="核实无误"
    )
    assert Enterprise.objects.get(code=OTHER).is_key_unit
    assert AuditEvent.objects.filter(
        action="designation_suggestion_confirm", object_id=OTHER, reason="核实无误"
    ).exists()
    with pytest.raises(ApplicationError):
        designation_suggestion_decide(
            suggestion=suggestion, user=statistics_office, confirm=False, reason="再次"
        )


def test_checks_run_once_per_results_generation(energies, administrator):
    import_rows(
        [{"period": "2025Q1", "item": "coal_raw", "value": "20301", "scope": OTHER}],
        user=administrator,
    )
    assert enterprise_checks_run(force=True) >= 1
    assert enterprise_checks_run() == 0  # same generation: skipped
