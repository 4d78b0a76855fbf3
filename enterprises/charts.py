"""The gap attribution's waterfall. Pure: rows in (already ranked), a Plotly figure dict
out. Only SVG traces (the content security policy forbids WebGL's eval)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

FONT = '"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif'


@dataclass(frozen=True)
class WaterfallLabels:
    start: str
    end: str
    structure: str
    intensity: str
    unit: str


def waterfall_figure(
    *, start: float, end: float, sectors: list[tuple[str, float, float]], labels: WaterfallLabels
) -> dict:
    """From the park's intensity in period 0, each sector's structure and intensity
    effects (ranked), to the intensity in period T."""
    names = [labels.start]
    values = [start]
    measures = ["absolute"]
    texts = [f"{start:.4f}"]
    for name, structure, intensity in sectors:
        for kind, value in ((labels.structure, structure), (labels.intensity, intensity)):
            if value == 0:
                continue
            names.append(f"{name} · {kind}")
            values.append(value)
            measures.append("relative")
            texts.append(f"{value:+.4f}")
    names.append(labels.end)
    values.append(end)
    measures.append("total")
    texts.append(f"{end:.4f}")
    figure = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            measure=measures,
            text=texts,
            textposition="outside",
            decreasing={"marker": {"color": "#0b6e4f"}},
            increasing={"marker": {"color": "#c62828"}},
            totals={"marker": {"color": "#1a4fa0"}},
            connector={"line": {"color": "#9aa5b1", "width": 1}},
        )
    )
    figure.update_layout(
        font={"family": FONT, "size": 12},
        margin={"l": 60, "r": 20, "t": 20, "b": 140},
        yaxis={"title": {"text": labels.unit}},
        showlegend=False,
        height=460,
    )
    return figure.to_plotly_json()


def trend_figure(*, years: list[int], series: dict[str, dict]) -> dict:
    """An enterprise's annual series (one line per name) over the years."""
    figure = go.Figure()
    for name, values in series.items():
        figure.add_trace(
            go.Scatter(
                x=[str(y) for y in years],
                y=[float(values[y]) if y in values else None for y in years],
                mode="lines+markers",
                name=name,
            )
        )
    figure.update_layout(
        font={"family": FONT, "size": 12},
        margin={"l": 60, "r": 20, "t": 20, "b": 40},
        legend={"orientation": "h"},
        height=360,
    )
    return figure.to_plotly_json()
