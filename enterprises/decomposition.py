"""Who moved the park's energy intensity, and how: LMDI-I additive decomposition
(Ang 2005; zero values per Ang & Liu 2007), exactly as management.md §1. Pure: pandas and
numpy, no database.

Sectors are the key units with value added reported plus one "rest of park" (park minus
those units, energy and value added). For the park's intensity I = E当量 ÷ VA between
periods 0 and T (the same window: years, or year-to-date through the same quarter):

    S_i = VA_i / VA     I_i = E_i / VA_i     e_i = E_i / VA = S_i · I_i
    L(a, b) = (a − b) / (ln a − ln b),  L(a, a) = a
    structure_i = L(e_iT, e_i0) · ln(S_iT / S_i0)
    intensity_i = L(e_iT, e_i0) · ln(I_iT / I_i0)
    Σ_i (structure_i + intensity_i) = I_T − I_0          (exact; no residual term)

Value added arrives at current prices per scope; every scope of a period shares the park's
deflator (park VA at 2020 prices ÷ park VA at current prices), so shares are price-free and
I is the park's intensity at 2020 prices, as methodology §3 computes it. A zero E_i or VA_i
(a unit entering or leaving) is replaced by 1e-20 in the formulas, and such units are
listed as entrants or leavers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

ZERO = 1e-20
REST_OF_PARK = ""  # the sector key of the rest of the park


@dataclass(frozen=True)
class ParkPeriod:
    """The park in one window: energy (tce, 当量), value added at current prices and at
    2020 prices (万元)."""

    energy: float
    value_added_current: float
    value_added_constant: float

    @property
    def intensity(self) -> float:
        return self.energy / self.value_added_constant

    @property
    def deflator(self) -> float:
        return self.value_added_constant / self.value_added_current


@dataclass(frozen=True)
class Decomposition:
    """Per sector (index: key, "" = rest of park): energy and value added in both periods,
    structure, intensity, total, share of the park's change, entrant/leaver; ranked by
    |total| (largest first)."""

    sectors: pd.DataFrame
    intensity_0: float
    intensity_t: float

    @property
    def change(self) -> float:
        return self.intensity_t - self.intensity_0

    @property
    def residual(self) -> float:
        """Σ effects − the park's change: zero up to floating-point rounding."""
        return float(self.sectors["total"].sum()) - self.change


def log_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L(a, b) = (a − b) / (ln a − ln b), and L(a, a) = a, elementwise (a, b > 0)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    same = np.isclose(a, b, rtol=1e-15, atol=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (a - b) / (np.log(a) - np.log(b))
    return np.where(same, a, mean)


def lmdi(units: pd.DataFrame, park_0: ParkPeriod, park_t: ParkPeriod) -> Decomposition:
    """`units`: one row per key unit, index its key (credit code), columns `energy_0`,
    `va_0`, `energy_t`, `va_t` (tce; 万元 at current prices; NaN or 0 where the unit has
    no figure in that window). The rest of the park is added as the sector ""."""
    frame = units[["energy_0", "va_0", "energy_t", "va_t"]].astype(float).fillna(0.0)
    rest = pd.DataFrame(
        {
            "energy_0": [max(park_0.energy - frame["energy_0"].sum(), 0.0)],
            "va_0": [max(park_0.value_added_current - frame["va_0"].sum(), 0.0)],
            "energy_t": [max(park_t.energy - frame["energy_t"].sum(), 0.0)],
            "va_t": [max(park_t.value_added_current - frame["va_t"].sum(), 0.0)],
        },
        index=pd.Index([REST_OF_PARK], name=frame.index.name),
    )
    frame = pd.concat([frame, rest])
    present_0 = (frame["energy_0"] > 0) & (frame["va_0"] > 0)
    present_t = (frame["energy_t"] > 0) & (frame["va_t"] > 0)
    columns = {}
    for period, park in (("0", park_0), ("t", park_t)):
        energy = frame[f"energy_{period}"].to_numpy().clip(min=0.0)
        value_added = frame[f"va_{period}"].to_numpy().clip(min=0.0) * park.deflator
        energy = np.where(energy > 0, energy, ZERO)
        value_added = np.where(value_added > 0, value_added, ZERO)
        columns[f"S_{period}"] = value_added / park.value_added_constant
        columns[f"I_{period}"] = energy / value_added
        columns[f"e_{period}"] = energy / park.value_added_constant
    weight = log_mean(columns["e_t"], columns["e_0"])
    frame["structure"] = weight * np.log(columns["S_t"] / columns["S_0"])
    frame["intensity"] = weight * np.log(columns["I_t"] / columns["I_0"])
    frame["total"] = frame["structure"] + frame["intensity"]
    change = park_t.intensity - park_0.intensity
    frame["share"] = frame["total"] / change if change else np.nan
    frame["entrant"] = ~present_0 & present_t
    frame["leaver"] = present_0 & ~present_t
    order = frame["total"].abs().sort_values(ascending=False, kind="mergesort").index
    return Decomposition(frame.loc[order], park_0.intensity, park_t.intensity)
