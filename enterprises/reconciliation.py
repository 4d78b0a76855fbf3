"""Σ registered enterprises against the park, per item and window (management.md §1).
Pure pandas: the caller reads the sums (one row per item, quarter and side) from the
database.

    residual = park − Σ enterprises        coverage = Σ enterprises ÷ park
    Σ enterprises > park × (1 + tolerance)  is impossible: a data warning

Windows: a quarter alone, the year to date through it, and the year (annual items, or
all four quarters)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

COLUMNS = ["item", "window", "park", "enterprises", "reporting", "residual", "coverage", "excess"]


def reconcile(sums: pd.DataFrame, *, quarter: int | None, tolerance: Decimal) -> pd.DataFrame:
    """`sums`: columns item, quarter (0 for an annual item's year figure), park (Decimal or
    None), enterprises (Decimal), reporting (enterprises with a figure). Returns one row
    per item and window ("quarter", "ytd" or "year"), sorted by item then window."""
    if sums.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = sums.copy()
    frame["quarter"] = frame["quarter"].fillna(0).astype(int)
    pieces = []
    if quarter is None:
        windows = [("year", frame)]
    else:
        windows = [
            ("quarter", frame[frame["quarter"] == quarter]),
            ("ytd", frame[(frame["quarter"] >= 1) & (frame["quarter"] <= quarter)]),
        ]
        if quarter == 4:
            windows.append(("year", frame[frame["quarter"] == 0]))
    for window, part in windows:
        if part.empty:
            continue
        grouped = part.groupby("item", sort=True).agg(
            park=("park", _sum_or_none),
            enterprises=("enterprises", _sum_decimal),
            reporting=("reporting", "max"),
        )
        grouped["window"] = window
        pieces.append(grouped.reset_index())
    if not pieces:
        return pd.DataFrame(columns=COLUMNS)
    result = pd.concat(pieces, ignore_index=True)
    result["residual"] = [
        None if park is None else park - total
        for park, total in zip(result["park"], result["enterprises"], strict=True)
    ]
    result["coverage"] = [
        None if park is None or park == 0 else total / park
        for park, total in zip(result["park"], result["enterprises"], strict=True)
    ]
    limit = Decimal(1) + tolerance
    result["excess"] = [
        park is not None and total > park * limit and total > 0
        for park, total in zip(result["park"], result["enterprises"], strict=True)
    ]
    order = {"quarter": 0, "ytd": 1, "year": 2}
    result["_order"] = result["window"].map(order)
    result = result.sort_values(["item", "_order"], kind="mergesort").drop(columns="_order")
    return result[COLUMNS].reset_index(drop=True)


def _sum_decimal(values) -> Decimal:
    return sum((v for v in values if v is not None), Decimal(0))


def _sum_or_none(values):
    """The park's sum over the window, or None when a period of it has no park figure."""
    values = list(values)
    if not values or any(v is None or (isinstance(v, float) and v != v) for v in values):
        return None
    return sum(values, Decimal(0))
