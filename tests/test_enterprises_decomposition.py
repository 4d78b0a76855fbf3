"""LMDI gap attribution (enterprises/decomposition.py, management.md §1): a case computed
by hand, the exact sum, entrants and leavers (zero values), and the ranking."""

import math

import numpy as np
import pandas as pd
import pytest

from enterprises.decomposition import ParkPeriod, lmdi, log_mean

# Two key units A and B and the rest of the park. Period 0: park 1,000 tce, VA 1,000 万元
# at current and at 2020 prices. Period T: park 1,100 tce, VA 1,500 万元 current, 1,250 at
# 2020 prices (deflator 5/6, shared by every scope).
#             E0   VA0   ET   VAT (current prices)
#   A        400   200  450   450   S 0.2 → 0.3, I 2.0 → 1.2, e 0.40 → 0.36
#   B        300   300  250   300   S 0.3 → 0.2, I 1.0 → 1.0, e 0.30 → 0.20
#   rest     300   500  400   750   S 0.5 → 0.5, I 0.6 → 0.64, e 0.30 → 0.32
# I_0 = 1.0, I_T = 1100 / 1250 = 0.88: the park's change is −0.12 tce/万元.
# A: L(0.36, 0.40) = 0.04 / ln(0.40/0.36) = 0.379648863…
#    structure = L · ln(0.3/0.2) = 0.153934367…, intensity = L · ln(1.2/2.0) = −0.193934367…
#    (together e_T − e_0 = −0.04)
# B: structure = L(0.2, 0.3) · ln(0.2/0.3) = 0.2 − 0.3 = −0.1 (intensity unchanged: 0)
# rest: intensity = L(0.32, 0.30) · ln(0.64/0.6) = 0.32 − 0.30 = 0.02 (share unchanged: 0)
PARK_0 = ParkPeriod(energy=1000, value_added_current=1000, value_added_constant=1000)
PARK_T = ParkPeriod(energy=1100, value_added_current=1500, value_added_constant=1250)
UNITS = pd.DataFrame(
    {"energy_0": [400, 300], "va_0": [200, 300], "energy_t": [450, 250], "va_t": [450, 300]},
    index=pd.Index(["A", "B"], name="code"),
)
EXPECTED = {  # sector: (structure, intensity)
    "A": (0.153934367377233, -0.193934367377233),
    "B": (-0.1, 0.0),
    "": (0.0, 0.02),
}


def test_three_sector_case_computed_by_hand():
    result = lmdi(UNITS, PARK_0, PARK_T)
    assert result.intensity_0 == pytest.approx(1.0, rel=1e-15)
    assert result.intensity_t == pytest.approx(0.88, rel=1e-15)
    for sector, (structure, intensity) in EXPECTED.items():
        row = result.sectors.loc[sector]
        assert row["structure"] == pytest.approx(structure, rel=1e-12, abs=1e-15)
        assert row["intensity"] == pytest.approx(intensity, rel=1e-12, abs=1e-15)
    assert abs(result.sectors["total"].sum() - (0.88 - 1.0)) <= 1e-9 * 0.12
    # ranked by |total|: B (−0.10), A (−0.04), rest (+0.02)
    assert list(result.sectors.index) == ["B", "A", ""]
    assert result.sectors.loc["B", "share"] == pytest.approx(0.1 / 0.12)
    assert not result.sectors["entrant"].any()
    assert not result.sectors["leaver"].any()


def test_log_mean():
    assert log_mean(np.array([2.0]), np.array([2.0]))[0] == 2.0
    assert log_mean(np.array([0.36]), np.array([0.40]))[0] == pytest.approx(
        0.04 / math.log(0.40 / 0.36)
    )


def test_entrant_and_leaver_still_sum_exactly():
    units = pd.DataFrame(
        {
            "energy_0": [400, 0, 150],  # N enters in period T
            "va_0": [200, 0, 100],
            "energy_t": [450, 120, 0],  # X leaves
            "va_t": [450, 90, 0],
        },
        index=pd.Index(["A", "N", "X"], name="code"),
    )
    result = lmdi(units, PARK_0, PARK_T)
    assert bool(result.sectors.loc["N", "entrant"])
    assert bool(result.sectors.loc["X", "leaver"])
    assert np.isfinite(result.sectors[["structure", "intensity"]].to_numpy()).all()
    assert abs(result.residual) <= 1e-9 * abs(result.change)


@pytest.mark.parametrize("seed", range(5))
def test_effects_sum_to_the_park_change_for_many_units(seed):
    random = np.random.default_rng(seed)
    n = 2000
    units = pd.DataFrame(
        {
            "energy_0": random.uniform(10, 5000, n),
            "va_0": random.uniform(10, 3000, n),
            "energy_t": random.uniform(10, 5000, n),
            "va_t": random.uniform(10, 3000, n),
        },
        index=pd.Index([f"U{i}" for i in range(n)], name="code"),
    )
    units.iloc[:20, :2] = 0  # entrants
    park_0 = ParkPeriod(
        units["energy_0"].sum() * 1.1, units["va_0"].sum() * 1.2, units["va_0"].sum() * 1.2
    )
    park_t = ParkPeriod(
        units["energy_t"].sum() * 1.05, units["va_t"].sum() * 1.3, units["va_t"].sum() * 1.1
    )
    result = lmdi(units, park_0, park_t)
    assert len(result.sectors) == n + 1
    assert abs(result.residual) <= 1e-9 * abs(result.change)
