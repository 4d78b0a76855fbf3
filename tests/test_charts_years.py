"""The indicator chart (issue 15 #9): year-to-date points sit in the band of their own
year (not before their year's label), and each target's path has its own colour, its star
marker the same, with the target named in the legend. Pure: no database."""

import datetime as dt
from decimal import Decimal

from dashboards import charts

D = Decimal


def _series() -> dict:
    return {
        "code": "non_fossil_share",
        "unit": "%",
        "path_kind": "linear",
        "decimal_places": 2,
        "base_year": 2020,
        "points": [
            (2020, None, "2020", D("8")),
            (2024, None, "2024", D("9.5")),
            (2025, 1, "2025Q1", D("9.6")),
            (2025, 2, "2025Q2", D("9.7")),
            (2025, 3, "2025Q3", D("9.8")),
            (2025, None, "2025", D("9.9")),
            (2026, 1, "2026Q1", D("10.2")),
        ],
        "variants": {},
        "targets": [
            {"code": "T1", "kind": "level", "value": D("14"), "target_year": 2025,
             "base_year": None, "original": None},
            {"code": "T1b", "kind": "level", "value": D("20"), "target_year": 2030,
             "base_year": None, "original": None},
        ],
    }  # fmt: skip


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def test_every_point_sits_in_the_band_labelled_with_its_own_year():
    figure = charts.indicator_figure(_series())
    axis = figure["layout"]["xaxis"]
    ticks = [
        (_date(value), int(text))
        for value, text in zip(axis["tickvals"], axis["ticktext"], strict=True)
    ]
    boundaries = [_date(value) for value in axis["minor"]["tickvals"]]
    assert boundaries[0] == dt.date(2020, 1, 1)
    assert axis["minor"]["showgrid"] is True
    for trace in figure["data"][:2]:  # annual values and year-to-date values
        for x, period in zip(trace["x"], trace["customdata"], strict=True):
            year = int(period[:4])
            nearest = min(ticks, key=lambda tick: abs((tick[0] - _date(x)).days))
            assert nearest[1] == year, (period, x, nearest)
            assert dt.date(year, 1, 1) <= _date(x) <= dt.date(year, 12, 31), period


def test_each_target_path_has_its_own_colour_and_its_star_the_same():
    figure = charts.indicator_figure(_series())
    paths = {t["name"]: t for t in figure["data"] if t["name"].endswith("目标路径")}
    stars = {t["name"]: t for t in figure["data"] if t.get("marker", {}).get("symbol") == "star"}
    assert set(paths) == {"T1 目标路径", "T1b 目标路径"}
    colours = {name: trace["line"]["color"] for name, trace in paths.items()}
    assert colours["T1 目标路径"] != colours["T1b 目标路径"]
    assert stars["T1 目标（2025）"]["marker"]["color"] == colours["T1 目标路径"]
    assert stars["T1b 目标（2030）"]["marker"]["color"] == colours["T1b 目标路径"]
    assert stars["T1 目标（2025）"]["text"] == ["T1"]  # the label on the chart itself
