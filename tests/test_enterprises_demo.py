"""The demo enterprises add up to the demo park with a small rest of the park, with key
units entering and leaving, and a rerun changes nothing."""

from decimal import Decimal

from enterprises.analysis import reconciliation
from enterprises.demo import ENTERPRISES, ENTRANT, LEAVER, enterprise_code, enterprises_demo
from enterprises.models import Enterprise, KeyUnitDesignation
from indicators.demo import demo_statistics_load
from indicators.models import Figure


def test_demo_enterprises(administrator):
    demo_statistics_load(user=administrator)
    enterprises_demo(user=administrator)
    assert 30 <= Enterprise.objects.count() <= 60
    assert set(Enterprise.objects.values_list("leading_industry", flat=True)) >= {
        "electronics", "new_energy_materials", "high_end_equipment", "food", "biomedicine",
    }  # fmt: skip
    for period in ("2020Q1", "2023Q4", "2024Q1", "2026Q3"):
        frame = reconciliation(period=period).set_index(["item", "window"])
        assert not frame["excess"].any()
        coverage = frame.loc[("coal_raw", "quarter"), "coverage"]
        assert Decimal("0.9") < coverage <= Decimal("0.92")
    entrant, leaver = enterprise_code(ENTRANT), enterprise_code(LEAVER)
    assert not Figure.objects.filter(scope=entrant, year__lt=2024).exists()
    assert not Figure.objects.filter(scope=leaver, year__gt=2023).exists()
    assert Enterprise.objects.get(code=entrant).is_key_unit
    assert not Enterprise.objects.get(code=leaver).is_key_unit
    assert Enterprise.objects.filter(is_key_unit=True).count() == 9
    figures, decisions = Figure.objects.count(), KeyUnitDesignation.objects.count()
    enterprises_demo(user=administrator)  # a rerun changes nothing
    assert (Figure.objects.count(), KeyUnitDesignation.objects.count()) == (figures, decisions)
    assert len(ENTERPRISES) == Enterprise.objects.count()


def test_demo_energy_managers(administrator):
    """Two energy managers; the packaging maker's 2026 Q3 is its own, submitted for EIT's
    head, not imported; a rerun changes nothing."""
    from accounts.models import User
    from enterprises.manager_demo import PERIOD, energy_managers_demo
    from enterprises.models import EnterprisePeriod

    demo_statistics_load(user=administrator)
    enterprises_demo(user=administrator)
    lines = energy_managers_demo()
    managers = User.objects.filter(role=User.Role.ENERGY_MANAGER).select_related("enterprise")
    assert {(m.username, m.enterprise.code) for m in managers} == {
        ("ent_power", enterprise_code(0)),
        ("ent_pack", enterprise_code(12)),
    }
    assert "ent_pack" in "\n".join(lines)
    row = EnterprisePeriod.objects.get(period=PERIOD)
    assert (row.enterprise.code, row.state, row.submitted_by.username) == (
        enterprise_code(12), "submitted", "ent_pack",
    )  # fmt: skip
    own = Figure.objects.filter(scope=enterprise_code(12), period=PERIOD, is_latest=True)
    assert set(own.values_list("state", "entered_by__username")) == {("submitted", "ent_pack")}
    figures = Figure.objects.count()
    energy_managers_demo()
    assert Figure.objects.count() == figures
