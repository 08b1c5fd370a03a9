"""Charts as inline SVG, drawn on the server (no chart library, no script): an anchor's score over
time on the policy's grade bands, horizontal bars, and stacked bars of grade counts.
Pure: values in, SVG markup out; every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

from monitor.credit.policy import CreditPolicy
from monitor.credit.records import CreditEvent

_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def score_chart(
    history: Sequence[CreditEvent],
    policy: CreditPolicy,
    score_now: float,
    now: datetime,
    width: int = 640,
    height: int = 220,
) -> Markup:
    """A step line of the score after each event of `history` up to `now`, over bands coloured
    by grade (the policy's thresholds)."""
    left, right, top, bottom = 44, 12, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    top_score = max(policy.start_score, score_now, *(e.score for e in history))
    points: list[tuple[datetime, float]] = []
    if history:
        points.append((history[0].at, policy.start_score))
        points += [(event.at, event.score) for event in history]
    first = points[0][0] if points else now
    points.append((now, score_now))
    span = max((now - first).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return left + plot_w * (moment - first).total_seconds() / span

    def y(score: float) -> float:
        return top + plot_h * (1 - max(score, 0) / top_score)

    parts = [
        f'<svg class="chart score-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="信用分走势 / score over time" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts.append(
        f'<text x="{left - 4}" y="{y(top_score) + 4:.1f}" text-anchor="end" {_FONT}>{top_score:g}</text>'
    )
    ceiling = top_score
    for grade in policy.grades:
        y0, y1 = y(ceiling), y(grade.min_score)
        parts.append(
            f'<rect x="{left}" y="{y0:.1f}" width="{plot_w}" height="{max(y1 - y0, 0):.1f}" '
            f'fill="{escape(grade.colour)}" fill-opacity="0.12"><title>{escape(grade.name)}</title></rect>'
            f'<text x="{left - 4}" y="{y1:.1f}" text-anchor="end" {_FONT}>{grade.min_score:g}</text>'
        )
        ceiling = grade.min_score
    # A step line: the score holds until the next event changes it.
    path = [f"M{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
    for moment, score in points[1:]:
        path += [f"H{x(moment):.1f}", f"V{y(score):.1f}"]
    parts.append(
        f'<path class="score-line" d="{" ".join(path)}" fill="none" stroke="#263238" '
        'stroke-width="2"/>'
    )
    for event in history:
        parts.append(
            f'<circle cx="{x(event.at):.1f}" cy="{y(event.score):.1f}" r="3.5" fill="#263238">'
            f"<title>{escape(event.at.date().isoformat())} {escape(event.kind)}: "
            f"{event.score:g}（{escape(event.detail)}）</title></circle>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" {_FONT}>{escape(first.date().isoformat())}</text>'
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" {_FONT}>'
        f"{escape(now.date().isoformat())}</text></svg>"
    )
    return Markup("".join(parts))


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    maximum: float = 1.0,
    unit: str = "%",
    colour: str = "#2E7D32",
    width: int = 640,
    bar: int = 22,
) -> Markup:
    """Horizontal bars, one per (label, value); None draws no bar and says so."""
    label_w, gap = 170, 6
    height = max(len(rows), 1) * (bar + gap) + gap
    plot_w = width - label_w - 60
    parts = [
        f'<svg class="chart bar-chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, value) in enumerate(rows):
        top = gap + index * (bar + gap)
        middle = top + bar / 2 + 4
        parts.append(
            f'<text x="{label_w - 6}" y="{middle:.1f}" text-anchor="end" {_FONT}>{escape(label)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w}" y="{middle:.1f}" {_FONT}>无数据 / no data</text>')
            continue
        shown = f"{value * 100:.1f}" if unit == "%" else f"{value:g}"
        length = plot_w * max(0.0, min(value / maximum if maximum else 0, 1.0))
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{top}" width="{length:.1f}" height="{bar}" '
            f'fill="{escape(colour)}"><title>{escape(label)}: {shown}{escape(unit)}</title></rect>'
            f'<text x="{label_w + length + 4:.1f}" y="{middle:.1f}" {_FONT}>{shown}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bar(
    counts: Sequence[tuple[str, str, int]], width: int = 240, height: int = 18
) -> Markup:
    """One bar split by (name, colour, count), e.g. a workshop's anchors by grade."""
    total = sum(count for _, _, count in counts)
    parts = [
        f'<svg class="chart stacked-bar" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" xmlns="http://www.w3.org/2000/svg">'
    ]
    position = 0.0
    for name, colour, count in counts:
        if not count:
            continue
        length = width * count / total
        parts.append(
            f'<rect x="{position:.1f}" y="0" width="{length:.1f}" height="{height}" '
            f'fill="{escape(colour)}"><title>{escape(name)}: {count}</title></rect>'
        )
        position += length
    if not total:
        parts.append(f'<rect width="{width}" height="{height}" fill="#ECEFF1"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
