"""A horizontal grouped bar chart drawn as inline SVG by the template: geometry computed here, no JavaScript.

Each bar carries its number as text beside it and each series a text legend, so nothing is told by colour
alone; the page repeats the figures in a table (the chart's text alternative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

LABEL_WIDTH = 180
PLOT_WIDTH = 400
VALUE_ROOM = 140
BAR_HEIGHT = 12
BAR_GAP = 3
ROW_GAP = 14
TOP = 8


@dataclass(frozen=True)
class Bar:
    series: int  # index in the chart's series (styles: .series-0, .series-1)
    x: int
    y: int
    width: int
    height: int
    value: int
    text: str  # "12 contacts"
    text_x: int
    text_y: int


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    series: list[str]
    rows: list[ChartRow]
    width: int
    height: int
    label_width: int = LABEL_WIDTH


def bar_chart(
    *,
    title: str,
    description: str,
    series: Sequence[tuple[str, str, str]],
    rows: Sequence[tuple[str, Sequence[int]]],
) -> BarChart:
    """``series`` are (legend, unit for one, unit for many: "contact", "contacts"); ``rows`` are (label, one value
    per series). Bars share one scale so they can be compared."""
    largest = max((value for _, values in rows for value in values), default=0) or 1
    per_row = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    drawn: list[ChartRow] = []
    for index, (label, values) in enumerate(rows):
        top = TOP + index * (per_row + ROW_GAP)
        bars = []
        for number, value in enumerate(values):
            y = top + number * (BAR_HEIGHT + BAR_GAP)
            width = round(PLOT_WIDTH * value / largest)
            bars.append(
                Bar(
                    series=number,
                    x=LABEL_WIDTH,
                    y=y,
                    width=max(width, 1) if value else 0,
                    height=BAR_HEIGHT,
                    value=value,
                    text=f"{value} {series[number][1] if value == 1 else series[number][2]}",
                    text_x=LABEL_WIDTH + width + 6,
                    text_y=y + BAR_HEIGHT - 2,
                )
            )
        drawn.append(ChartRow(label=label, label_y=top + per_row // 2 + 4, bars=bars))
    height = TOP * 2 + len(rows) * (per_row + ROW_GAP)
    return BarChart(
        title=title,
        description=description,
        series=[legend for legend, _, _ in series],
        rows=drawn,
        width=LABEL_WIDTH + PLOT_WIDTH + VALUE_ROOM,
        height=height,
    )
