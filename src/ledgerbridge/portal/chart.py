"""The history page's chart of runs and failures per day, as inline SVG built on the server.

Pure: no I/O, no template engine. The SVG carries a <title> and <desc> and ``role="img"``;
the page shows the same numbers in a table for people who cannot see the chart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from ledgerbridge.domain.runs import RunStatus

# A run "failed" for the chart when a person has something to look at: it stopped, died, or
# finished with failed records.
FAILING = frozenset({RunStatus.FAILED, RunStatus.PARTIAL, RunStatus.INTERRUPTED})

WIDTH = 640
HEIGHT = 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 10, 10, 40
# Colours as attributes, so the chart reads the same wherever it is shown (contrast AA on white).
_RUNS = 'class="chart-runs" fill="#3d6fb4"'
_FAILS = 'class="chart-failures" fill="#a3262a"'
_GRID = 'class="chart-grid" stroke="#d0d4da"'
_AXIS = 'class="chart-axis" fill="#333" font-size="11"'
# Most x-axis labels shown; with more days only every n-th is labelled, so labels never overlap.
_MAX_LABELS = 10


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    runs: int
    failures: int


def daily_counts(
    runs: Iterable[tuple[datetime, RunStatus]], start: date | None = None, end: date | None = None
) -> list[DayCount]:
    """Runs and failing runs per day from (started_at, status), every day in the range present.

    Without ``start``/``end`` the range is that of the runs; days without runs count zero, so
    the chart's x-axis is time, not just the days something happened.
    """
    per_day: dict[date, list[int]] = {}
    for started, status in runs:
        counts = per_day.setdefault(started.date(), [0, 0])
        counts[0] += 1
        if status in FAILING:
            counts[1] += 1
    if not per_day and (start is None or end is None):
        return []
    first = start or min(per_day)
    last = end or max(per_day)
    if last < first:
        return []
    days = (last - first).days + 1
    out: list[DayCount] = []
    for n in range(days):
        day = first + timedelta(days=n)
        runs_, failures = per_day.get(day, (0, 0))
        out.append(DayCount(day, runs_, failures))
    return out


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def ticks(top: int) -> list[int]:
    """Gridline values from 0 to ``top`` (a :func:`nice_max`), at most six of them."""
    step = max(1, top // 5) if top >= 5 else 1
    return list(range(0, top + 1, step))


def label_every(days: int) -> int:
    """Label every n-th day so that at most ``_MAX_LABELS`` labels fit."""
    return max(1, math.ceil(days / _MAX_LABELS))


def summary(series: Sequence[DayCount]) -> str:
    """One sentence with the totals: the chart's text description."""
    if not series:
        return "No runs in this period."
    runs = sum(d.runs for d in series)
    failures = sum(d.failures for d in series)
    span = (
        f"on {series[0].day.isoformat()}"
        if len(series) == 1
        else f"from {series[0].day.isoformat()} to {series[-1].day.isoformat()}"
    )
    return f"{runs} runs {span}, {failures} of them with failures."


def runs_chart(series: Sequence[DayCount], *, title: str = "Runs and failures per day") -> str:
    """An SVG bar chart: runs per day, with the failing part of each bar drawn over it."""
    desc = summary(series)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="chart-title chart-desc">'
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(desc)}</desc>'
    )
    if not series:
        return (
            f'{head}<text x="{WIDTH // 2}" y="{HEIGHT // 2}" text-anchor="middle" '
            f'class="chart-empty" fill="#333">No runs in this period</text></svg>'
        )
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    top = nice_max(max(d.runs for d in series))
    parts = [head]

    def y(value: int) -> float:
        return _TOP + plot_h - plot_h * value / top

    for tick in ticks(top):
        ty = round(y(tick), 1)
        parts.append(
            f'<line {_GRID} x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{ty}" y2="{ty}"/>'
            f'<text {_AXIS} x="{_LEFT - 6}" y="{ty + 4}" text-anchor="end">'
            f"{tick}</text>"
        )
    slot = plot_w / len(series)
    bar = max(1.0, slot * 0.7)
    every = label_every(len(series))
    for i, d in enumerate(series):
        x = round(_LEFT + i * slot + (slot - bar) / 2, 1)
        w = round(bar, 1)
        if d.runs:
            parts.append(
                f'<rect {_RUNS} x="{x}" y="{round(y(d.runs), 1)}" width="{w}" '
                f'height="{round(y(0) - y(d.runs), 1)}"><title>{d.day.isoformat()}: '
                f"{d.runs} runs, {d.failures} with failures</title></rect>"
            )
        if d.failures:
            parts.append(
                f'<rect {_FAILS} x="{x}" y="{round(y(d.failures), 1)}" '
                f'width="{w}" height="{round(y(0) - y(d.failures), 1)}"/>'
            )
        if i % every == 0:
            cx = round(_LEFT + i * slot + slot / 2, 1)
            parts.append(
                f'<text {_AXIS} x="{cx}" y="{HEIGHT - _BOTTOM + 16}" '
                f'text-anchor="middle">{d.day.strftime("%m-%d")}</text>'
            )
    legend_y = HEIGHT - 8
    parts.append(
        f'<rect {_RUNS} x="{_LEFT}" y="{legend_y - 9}" width="10" height="10"/>'
        f'<text {_AXIS} x="{_LEFT + 14}" y="{legend_y}">runs</text>'
        f'<rect {_FAILS} x="{_LEFT + 60}" y="{legend_y - 9}" width="10" '
        f'height="10"/>'
        f'<text {_AXIS} x="{_LEFT + 74}" y="{legend_y}">with failures</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
