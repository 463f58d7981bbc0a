"""The history chart: scales, axis labels and the accessible text, from empty to many days."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

from ledgerbridge.domain.runs import RunStatus
from ledgerbridge.portal.chart import (
    DayCount,
    daily_counts,
    label_every,
    nice_max,
    runs_chart,
    summary,
    ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


def test_nice_max_rounds_up_to_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_max(v) for v in (0, 1, 2, 3, 7, 10, 11, 42, 101, 999)] == [
        1, 1, 2, 5, 10, 10, 20, 50, 200, 1000,
    ]  # fmt: skip


def test_ticks_start_at_zero_end_at_the_top_and_are_few() -> None:
    assert ticks(1) == [0, 1]
    assert ticks(5) == [0, 1, 2, 3, 4, 5]
    assert ticks(50) == [0, 10, 20, 30, 40, 50]
    assert len(ticks(2000)) <= 6


def test_daily_counts_fill_days_without_runs_and_count_failing_runs() -> None:
    runs = [
        (at(1), RunStatus.SUCCEEDED),
        (at(1, 13), RunStatus.PARTIAL),
        (at(3), RunStatus.FAILED),
        (at(3, 14), RunStatus.INTERRUPTED),
        (at(3, 15), RunStatus.WAITING),
    ]
    assert daily_counts(runs) == [
        DayCount(date(2026, 3, 1), 2, 1),
        DayCount(date(2026, 3, 2), 0, 0),
        DayCount(date(2026, 3, 3), 3, 2),
    ]


def test_daily_counts_over_a_given_range_include_empty_edges() -> None:
    got = daily_counts([(at(2), RunStatus.SUCCEEDED)], date(2026, 3, 1), date(2026, 3, 4))
    assert [d.runs for d in got] == [0, 1, 0, 0]
    assert daily_counts([], date(2026, 3, 1), date(2026, 3, 2)) == [
        DayCount(date(2026, 3, 1), 0, 0),
        DayCount(date(2026, 3, 2), 0, 0),
    ]
    assert daily_counts([]) == []


def test_empty_chart_says_so_in_text_and_in_its_description() -> None:
    root = parse(runs_chart([]))
    assert root.get("role") == "img"
    assert root.findtext(f"{SVG}desc") == "No runs in this period."
    assert root.find(f"{SVG}rect") is None
    assert "No runs" in (root.findtext(f"{SVG}text") or "")


def test_one_day_draws_one_bar_pair_scaled_to_the_full_height() -> None:
    root = parse(runs_chart([DayCount(date(2026, 3, 1), 4, 1)]))
    assert root.findtext(f"{SVG}title") == "Runs and failures per day"
    assert root.findtext(f"{SVG}desc") == "4 runs on 2026-03-01, 1 of them with failures."
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 1
    runs_bar = bars[0]
    failures_bar = next(
        r
        for r in root.iter(f"{SVG}rect")
        if r.get("class") == "chart-failures" and float(r.get("height", 0)) > 10
    )
    # The top of the scale is 5 for 4 runs: the runs bar is 4/5 of the plot, failures 1/5.
    assert float(runs_bar.get("height", 0)) / float(failures_bar.get("height", 0)) == 4.0
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert "03-01" in labels
    assert "5" in labels  # the scale's top tick


def test_many_days_label_at_most_ten_and_stay_inside_the_view() -> None:
    start = date(2026, 1, 1)
    series = [DayCount(start + timedelta(days=n), n % 7, n % 2) for n in range(90)]
    root = parse(runs_chart(series))
    day_labels = [t for t in root.iter(f"{SVG}text") if "-" in (t.text or "")]
    assert 1 < len(day_labels) <= 10
    assert label_every(90) == 9
    for rect in root.iter(f"{SVG}rect"):
        x, width = float(rect.get("x", 0)), float(rect.get("width", 0))
        assert x >= 0 and x + width <= 640
        assert float(rect.get("height", 0)) >= 0
    assert summary(series).startswith(f"{sum(d.runs for d in series)} runs from 2026-01-01")


def test_title_text_is_escaped() -> None:
    svg = runs_chart([DayCount(date(2026, 3, 1), 1, 0)], title="<script>&")
    assert "<script>" not in svg
    assert parse(svg).findtext(f"{SVG}title") == "<script>&"
