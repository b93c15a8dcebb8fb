"""Charts drawn on the server as SVG: no script, CSP-clean, and they print into PDFs.

Each chart is an accessible image (role="img" with a title and a description naming
every value) and sizes itself to its container through its viewBox.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 240
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 16
MARGIN_BOTTOM = 44
BAR = "#0b5cad"
TARGET = "#a4161a"
GRID = "#d5dae1"
INK = "#4a5360"
# at most this many labels under the bars, so a month of days never runs together
MAX_LABELS = 8


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # None: no data for this label (drawn as a gap)


def _svg(title: str, description: str, body: list[str], chart_id: str) -> str:
    # the box keeps a phone's chart at a readable scale, scrolling inside itself
    return (
        '<div class="chart-box">'
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg></div>"
    )


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text}{unit}"


def _axis(maximum: float, unit: str) -> list[str]:
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    parts = []
    for step in range(5):
        value = maximum * step / 4
        y = MARGIN_TOP + plot_height - plot_height * step / 4
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{escape(_format(value, unit))}</text>'
        )
    return parts


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    chart_id: str,
    unit: str = "",
    maximum: float | None = None,
    target: float | None = None,
) -> str:
    """Vertical bars, one per point; an optional target drawn as a line across."""
    values = [p.value for p in points if p.value is not None]
    top = maximum if maximum is not None else max([*values, target or 0, 1])
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    body = _axis(top, unit)
    slot = plot_width / max(len(points), 1)
    bar_width = max(min(slot * 0.7, 48), 2)
    label_every = max(1, math.ceil(len(points) / MAX_LABELS))
    for index, point in enumerate(points):
        x = MARGIN_LEFT + slot * index + (slot - bar_width) / 2
        if point.value is not None:
            height = plot_height * min(point.value, top) / top if top else 0
            y = MARGIN_TOP + plot_height - height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{height:.1f}" '
                f'fill="{BAR}"><title>{escape(point.label)}: '
                f"{escape(_format(point.value, unit))}</title></rect>"
            )
        if index % label_every == 0:
            body.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
                f'text-anchor="middle" font-size="11" fill="{INK}">{escape(point.label)}</text>'
            )
    if target is not None and top:
        y = MARGIN_TOP + plot_height - plot_height * min(target, top) / top
        body.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{WIDTH - MARGIN_RIGHT}" y="{y - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{TARGET}">target {escape(_format(target, unit))}</text>'
        )
    described = "; ".join(f"{p.label}: {_format(p.value, unit)}" for p in points) or "no data"
    if target is not None:
        described += f". Target {_format(target, unit)}."
    return _svg(title, described, body, chart_id)
