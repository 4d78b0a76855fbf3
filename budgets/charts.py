"""The budget's chart: cumulative use by quarter against the budget line, with the year-end
forecast made after each quarter. Pure: plain data in, a Plotly figure dict out (SVG
`scatter` traces only: the content security policy forbids WebGL's eval)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go

FONT = '"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif'


@dataclass(frozen=True)
class Labels:
    use: str = "累计用能"
    forecast: str = "全年预测"
    budget: str = "用能预算"
    quarter: str = "季度"
    unit: str = "吨标准煤"
    quarters: Sequence[str] = ("一季度", "二季度", "三季度", "四季度")


def budget_figure(
    *, budget: Decimal, use: dict[int, Decimal], forecast: dict[int, Decimal], labels: Labels
) -> dict:
    x = list(labels.quarters)
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[x[q - 1] for q in sorted(use)], y=[float(use[q]) for q in sorted(use)],
            name=labels.use, mode="lines+markers", line={"color": "#0b6e4f", "width": 3},
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[x[q - 1] for q in sorted(forecast)], y=[float(forecast[q]) for q in sorted(forecast)],
            name=labels.forecast, mode="markers", marker={"color": "#b7791f", "size": 11,
                                                           "symbol": "diamond"},
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=x, y=[float(budget)] * 4, name=labels.budget, mode="lines",
            line={"color": "#c62828", "dash": "dash"},
        )
    )  # fmt: skip
    fig.update_layout(
        font={"family": FONT}, margin={"l": 60, "r": 20, "t": 20, "b": 40}, height=360,
        xaxis={"title": labels.quarter, "type": "category", "categoryorder": "array",
               "categoryarray": x},
        yaxis={"title": labels.unit, "rangemode": "tozero", "tickformat": ",.0f"},
        legend={"orientation": "h", "y": -0.2}, plot_bgcolor="#fff",
    )  # fmt: skip
    return fig.to_plotly_json()
