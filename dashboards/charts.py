"""Chart figures of the dashboards. Pure: plain data in (what dashboards.selectors reads
from stored results), a Plotly figure dict out; no database, no request, no translation
lookups (labels come in translated).

Only SVG traces (`scatter`): WebGL traces (scattergl …) need eval, which the content
security policy forbids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go

from indicators.calculations import path_value

QUARTER_END = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}
COLORS = {
    "annual": "#0b6e4f",
    "ytd": "#7b8794",
    "path": "#1a4fa0",
    "target": "#c62828",
    "projection": "#b7791f",
    "original": "#9aa5b1",
    "variants": ["#6b46c1", "#d53f8c"],
}
# Each target's path and marker in its own colour (T1 and T1b are told apart at a glance).
PATH_COLORS = ["#1a4fa0", "#c05621", "#2c7a7b", "#805ad5", "#b83280", "#2f855a"]
FONT = '"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif'


@dataclass(frozen=True)
class Labels:
    """The chart's words, already in the page's language."""

    annual: str = "年度值"
    ytd: str = "年内累计值"
    path: str = "{code} 目标路径"
    hold: str = "{code} 保持线"
    target: str = "{code} 目标（{year}）"
    projection: str = "按当前增速预测（至{year}）"
    original: str = "{code} 原目标路径（调整前）"
    period: str = "期间"
    variants: Mapping[str, str] | None = None


def year_axis(years: list[int]) -> dict:
    """The date axis of whole years as bands: each year labelled in its middle, grid lines
    at the years' boundaries, so a year's quarters (year to date) and its annual value
    (drawn at its end) all sit inside the band that carries its label, never before it."""
    return {
        "type": "date",
        "showgrid": False,
        "tickmode": "array",
        "tickvals": [f"{year}-07-02" for year in years],
        "ticktext": [str(year) for year in years],
        "ticks": "",
        "minor": {
            "tickmode": "array",
            "tickvals": [f"{year}-01-01" for year in [*years, years[-1] + 1]] if years else [],
            "showgrid": True,
            "gridcolor": "#e4e7eb",
        },
        "range": [f"{years[0]}-01-01", f"{years[-1] + 1}-01-01"] if years else None,
    }


def quarter_end(year: int, quarters: int) -> str:
    """The last day of a year-to-date window, as the date axis places it."""
    return f"{year}-{QUARTER_END[quarters]}"


def _after_quarters(year: int, quarters_later: int) -> str:
    """The end of the quarter `quarters_later` quarters after the end of `year`."""
    years, quarter = divmod(quarters_later, 4)
    if quarter == 0:
        return quarter_end(year + years, 4)
    return quarter_end(year + years + 1, quarter)


def _number(value, places: int) -> float | None:
    if value is None:
        return None
    return round(float(value), places + 4)


def target_value(target: Mapping, annual: Mapping[int, Decimal], base_year: int | None):
    """(base year, base value, target value) of a target's path, as the engine sets them
    for whole years (methodology §7): reductions are the base year's value × (1 − R)."""
    kind = target["kind"]
    if kind == "reduction_vs_target" or (kind == "reduction_vs_base" and target.get("base_year")):
        start = target["base_year"]
    else:
        start = target.get("base_year") or base_year
    base = annual.get(start) if start is not None else None
    if target.get("value") is None:
        return start, base, None
    value = Decimal(target["value"])
    if kind in ("reduction_vs_base", "reduction_vs_target"):
        if base is None:
            return start, None, None
        return start, base, base * (Decimal(1) - value / Decimal(100))
    return start, base, value


def projection(path_kind: str, annual: Mapping[int, Decimal], target_years: list[int]):
    """From the newest annual value at the rate observed against the year before, to the
    next target year: (from year, from value, to year, to value) or None."""
    if not annual:
        return None
    last_year = max(annual)
    later = sorted(year for year in target_years if year > last_year)
    previous = annual.get(last_year - 1)
    value = annual[last_year]
    if not later or previous is None:
        return None
    years = later[0] - last_year
    if path_kind == "linear":
        end = value + (value - previous) * years
    else:
        if previous <= 0 or value <= 0:
            return None
        end = value * (value / previous) ** years
    return last_year, value, later[0], end


def original_target(target: Mapping) -> dict | None:
    """The target as the plan promised it before governed changes (its `original` value and
    year), or None when no change moved its path (value or year)."""
    original = target.get("original")
    if not original:
        return None
    value = Decimal(original["value"]) if original.get("value") is not None else None
    year = int(original["target_year"]) if original.get("target_year") is not None else None
    current = Decimal(target["value"]) if target.get("value") is not None else None
    if value is None or year is None or (value == current and year == target["target_year"]):
        return None
    return {**target, "value": value, "target_year": year, "original": None}


def target_path(target: Mapping, annual, path_kind: str, places: int, base_year: int | None):
    """The quarterly points (dates, values) of a target's path from its base value."""
    start, base, goal = target_value(target, annual, base_year)
    end_year = target["target_year"]
    if goal is None:
        return [], []
    if target["kind"] == "hold":
        first = base_year or start or end_year
        return [quarter_end(first, 4), quarter_end(end_year, 4)], [_number(goal, places)] * 2
    if base is None or start is None or end_year <= start:
        return [], []
    steps = (end_year - start) * 4
    xs, ys = [], []
    for k in range(steps + 1):
        value = path_value(path_kind, base, goal, Decimal(k) / Decimal(steps))
        if value is None:
            break
        xs.append(_after_quarters(start, k))
        ys.append(_number(value, places))
    return xs, ys


def indicator_figure(series: Mapping, labels: Labels | None = None) -> dict:
    """The indicator chart: annual and year-to-date values, the path to each target (from
    its base value to its target value, geometric or linear as the indicator's path kind),
    the target markers and the projection at the observed rate (dashed)."""
    labels = labels or Labels()
    places = int(series.get("decimal_places") or 2)
    path_kind = series["path_kind"]
    points = series.get("points") or []
    annual = {year: value for year, quarter, _, value in points if quarter is None}
    fig = go.Figure()

    def add_points(name, rows, *, color, mode, dash=None, visible=True, size=8):
        fig.add_trace(
            go.Scatter(
                x=[quarter_end(year, quarter or 4) for year, quarter, _, _ in rows],
                y=[_number(value, places) for _, _, _, value in rows],
                customdata=[period for _, _, period, _ in rows],
                name=name,
                mode=mode,
                line={"color": color, "width": 2.5, **({"dash": dash} if dash else {})},
                marker={"color": color, "size": size},
                hovertemplate=f"%{{customdata}}: %{{y:,.{places}f}} {series['unit']}"
                f"<extra>{name}</extra>",
                visible=True if visible else "legendonly",
            )
        )

    annual_rows = [row for row in points if row[1] is None]
    ytd_rows = [row for row in points if row[1] is not None]
    add_points(labels.annual, annual_rows, color=COLORS["annual"], mode="lines+markers", size=9)
    add_points(labels.ytd, ytd_rows, color=COLORS["ytd"], mode="markers", size=7)

    for index, target in enumerate(series.get("targets") or []):
        start, base, goal = target_value(target, annual, series.get("base_year"))
        if goal is None:
            continue
        end_year = target["target_year"]
        code = target["code"]
        path_color = PATH_COLORS[index % len(PATH_COLORS)]
        if target["kind"] == "hold":
            first = series.get("base_year") or start or end_year
            # A hold holds in every later period too: drawn to the newest value.
            last = max([end_year, *(year for year, _, _, _ in points)])
            xs = [quarter_end(first, 4), quarter_end(last, 4)]
            ys = [_number(goal, places)] * 2
            name = labels.hold.format(code=code)
        elif base is not None and start is not None and end_year > start:
            steps = (end_year - start) * 4
            xs, ys = [], []
            for k in range(steps + 1):
                value = path_value(path_kind, base, goal, Decimal(k) / Decimal(steps))
                if value is None:
                    break
                xs.append(_after_quarters(start, k))
                ys.append(_number(value, places))
            name = labels.path.format(code=code)
        else:
            xs, ys, name = [], [], ""
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    name=name,
                    mode="lines",
                    line={"color": path_color, "width": 2},
                    opacity=0.8,
                    hovertemplate=f"%{{y:,.{places}f}} {series['unit']}<extra>{name}</extra>",
                )
            )
        marker_name = labels.target.format(code=code, year=end_year)
        fig.add_trace(
            go.Scatter(
                x=[quarter_end(end_year, 4)],
                y=[_number(goal, places)],
                name=marker_name,
                mode="markers+text",
                text=[code],
                textposition="top center",
                textfont={"color": path_color},
                cliponaxis=False,  # a 2030 star sits on the plot's edge: its label too
                marker={
                    "color": path_color,
                    "size": 15,
                    "symbol": "star",
                    "line": {"color": COLORS["target"], "width": 1},
                },
                hovertemplate=f"{marker_name}: %{{y:,.{places}f}} {series['unit']}<extra></extra>",
                showlegend=True,
            )
        )

    for target in series.get("targets") or []:
        before = original_target(target)
        if before is None:
            continue
        xs, ys = target_path(before, annual, path_kind, places, series.get("base_year"))
        if xs:
            name = labels.original.format(code=target["code"])
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    name=name,
                    mode="lines",
                    line={"color": COLORS["original"], "width": 1.5, "dash": "dot"},
                    hovertemplate=f"%{{y:,.{places}f}} {series['unit']}<extra>{name}</extra>",
                )
            )

    years = [t["target_year"] for t in series.get("targets") or [] if t.get("target_year")]
    projected = projection(path_kind, annual, years)
    if projected is not None:
        start, value, end_year, end = projected
        steps = (end_year - start) * 4
        xs, ys = [], []
        for k in range(steps + 1):
            point = path_value(path_kind, value, end, Decimal(k) / Decimal(steps))
            if point is None:
                break
            xs.append(_after_quarters(start, k))
            ys.append(_number(point, places))
        name = labels.projection.format(year=end_year)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=name,
                mode="lines",
                line={"color": COLORS["projection"], "width": 2, "dash": "dash"},
                hovertemplate=f"%{{y:,.{places}f}} {series['unit']}<extra>{name}</extra>",
            )
        )

    variant_names = labels.variants or {}
    for index, (variant, rows) in enumerate(sorted((series.get("variants") or {}).items())):
        annual_variant = [row for row in rows if row[1] is None]
        if not annual_variant:
            continue
        color = COLORS["variants"][index % len(COLORS["variants"])]
        add_points(
            variant_names.get(variant, variant),
            annual_variant,
            color=color,
            mode="lines+markers",
            dash="dot",
            visible=False,
            size=6,
        )

    all_years = [year for year, _, _, _ in points] + years
    if series.get("base_year"):
        all_years.append(series["base_year"])
    ticks = list(range(min(all_years), max(all_years) + 1)) if all_years else []
    fig.update_layout(
        template="none",
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        margin={"l": 64, "r": 32, "t": 16, "b": 8},
        height=420,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        xaxis=year_axis(ticks),
        yaxis={
            "title": {"text": series["unit"]},
            "showgrid": True,
            "gridcolor": "#e4e7eb",
            "zeroline": False,
            "tickformat": ",",
        },
    )
    return fig.to_plotly_json()


def bigscreen_figure(figure: dict, *, title: str, height: int) -> dict:
    """An indicator chart restyled for the dark meeting-room screen: its own height, light
    text and grid on the dark panel, the legend in one row above the plot, no variant
    lines (they start hidden, and a wall has nobody to click them on)."""
    layout = dict(figure.get("layout") or {})
    grid = "#2f3e4d"
    layout.update(
        height=height,
        margin={"l": 56, "r": 16, "t": 40, "b": 96},
        paper_bgcolor="#16212c",
        plot_bgcolor="#16212c",
        font={"family": FONT, "size": 13, "color": "#e4e7eb"},
        title={"text": title, "x": 0.01, "y": 0.97, "font": {"size": 17, "color": "#ffffff"}},
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.12,
            "x": 0,
            "font": {"size": 11},
            "bgcolor": "rgba(0,0,0,0)",
        },
        showlegend=True,
    )
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**(layout.get(axis) or {}), "gridcolor": grid, "linecolor": grid}
    if layout["xaxis"].get("minor"):
        layout["xaxis"]["minor"] = {**layout["xaxis"]["minor"], "gridcolor": grid}
    # Every other year labelled: a narrow panel, read from across the room.
    xaxis = layout["xaxis"]
    if xaxis.get("tickvals"):
        xaxis["tickvals"] = list(xaxis["tickvals"])[::2]
        xaxis["ticktext"] = list(xaxis["ticktext"])[::2]
    xaxis["tickangle"] = 0
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": ""}}
    data = [trace for trace in figure.get("data") or [] if trace.get("visible", True) is True]
    return {"data": data, "layout": layout}
