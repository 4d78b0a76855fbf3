"""Charts for the PDF report as inline SVG strings (Plotly's static export needs kaleido,
which is not installed; WeasyPrint draws SVG itself). Pure functions: plain numbers and
labels in, markup out; every text is escaped."""

from __future__ import annotations

from decimal import Decimal
from html import escape

FONT = "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif"
COLOURS = {
    "achieved": "#2f855a",
    "green": "#48bb78",
    "yellow": "#d69e2e",
    "red": "#c62828",
    "no_data": "#a0aec0",
}


def _number(value) -> str:
    """A coordinate with two decimals: the same input always gives the same markup."""
    return format(Decimal(value).quantize(Decimal("0.01")), "f")


def progress_bars(
    rows: list[tuple[str, Decimal | None, Decimal | None, str]],
    *,
    completion_label: str,
    time_label: str,
    width: int = 640,
) -> str:
    """Horizontal bars per target: completion (coloured by status) above time progress
    (grey). `rows` are (label, completion fraction, time-progress fraction, status);
    fractions are clipped to 0–1.2 so a far-ahead target stays on the page."""
    bar, gap, left, right = 9, 8, 60, 50
    plot = width - left - right
    height = 30 + len(rows) * (2 * bar + gap) + 10
    scale = Decimal("1.2")

    def length(fraction) -> Decimal:
        if fraction is None:
            return Decimal(0)
        clipped = min(max(Decimal(fraction), Decimal(0)), scale)
        return clipped / scale * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="9">',
        f'<rect x="{left}" y="6" width="10" height="8" fill="{COLOURS["green"]}"/>',
        f'<text x="{left + 14}" y="13">{escape(completion_label)}</text>',
        f'<rect x="{left + 160}" y="6" width="10" height="8" fill="#cbd2d9"/>',
        f'<text x="{left + 174}" y="13">{escape(time_label)}</text>',
    ]
    for tick in (0, 50, 100):
        x = left + plot * Decimal(tick) / 120
        parts.append(
            f'<line x1="{_number(x)}" y1="22" x2="{_number(x)}" y2="{height - 6}" '
            f'stroke="#e4e7eb" stroke-width="0.5"/>'
            f'<text x="{_number(x)}" y="{height - 1}" text-anchor="middle">{tick}%</text>'
        )
    y = Decimal(26)
    for label, completion, time_progress, status in rows:
        colour = COLOURS.get(status, COLOURS["no_data"])
        parts.append(
            f'<text x="{left - 6}" y="{_number(y + bar + 3)}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{_number(y)}" width="{_number(length(completion))}" '
            f'height="{bar}" fill="{colour}"/>'
            f'<rect x="{left}" y="{_number(y + bar)}" width="{_number(length(time_progress))}" '
            f'height="{bar}" fill="#cbd2d9"/>'
        )
        y += 2 * bar + gap
    parts.append("</svg>")
    return "".join(parts)


def status_columns(counts: list[tuple[str, str, int]], *, width: int = 320) -> str:
    """A column per status: (status, label, count)."""
    height, base, left = 150, 120, 20
    top = max((count for _status, _label, count in counts), default=0) or 1
    step = (width - left) // max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="9">',
        f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#9aa5b1"/>',
    ]
    for index, (status, label, count) in enumerate(counts):
        column = Decimal(count) / top * (base - 20)
        x = left + index * step + step // 4
        parts.append(
            f'<rect x="{x}" y="{_number(base - column)}" width="{step // 2}" '
            f'height="{_number(column)}" fill="{COLOURS.get(status, COLOURS["no_data"])}"/>'
            f'<text x="{x + step // 4}" y="{_number(base - column - 3)}" '
            f'text-anchor="middle">{count}</text>'
            f'<text x="{x + step // 4}" y="{base + 14}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
