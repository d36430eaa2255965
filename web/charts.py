"""Simple horizontal bar charts drawn on the server as SVG (no script, readable without colour)."""

from __future__ import annotations

from dataclasses import dataclass

from service.casestudies.counts import Count

WIDTH = 600  # viewBox units; the SVG scales to its container
ROW = 44
BAR_HEIGHT = 14
LABEL_GAP = 20  # the label sits above its bar
VALUE_SPACE = 64  # room kept right of the longest bar for its value


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y_label: int
    y_bar: int
    width: int
    x_value: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    total: int


def bar_chart(counts: list[Count], *, limit: int = 10) -> BarChart:
    shown = counts[:limit]
    top = max((c.count for c in shown), default=0) or 1
    bars = []
    for i, c in enumerate(shown):
        width = max(2, round((WIDTH - VALUE_SPACE) * c.count / top))
        y = i * ROW
        bars.append(Bar(c.label, c.count, y + LABEL_GAP - 4, y + LABEL_GAP, width, width + 8))
    return BarChart(bars=bars, width=WIDTH, height=max(ROW, len(bars) * ROW), total=len(counts))
