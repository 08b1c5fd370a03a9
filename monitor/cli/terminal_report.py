"""The check report as text for the terminal: highlighted text, then each hit explained, and the
warnings and stream clock the speech commands print (the CLI's view of `report.Report`; the core
never imports it)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

import click

from monitor.messages import words
from monitor.report import Hit, Report, ReportWarning

_SEVERITY_COLOUR = {"high": "red", "medium": "yellow", "low": "cyan"}
_MATCH_ZH = {
    "exact": "原词",
    "variant": "变体写法",
    "pinyin": "拼音",
    "filler": "插字变形",
    "homophone": "同音字",
    "initials": "拼音首字母",
    "doubled": "叠字变形",
    "euphemism": "隐语代称",
    "pattern": "句式",
    "model": "模型判断",
}
_FULL_TEXT_LIMIT = 3000  # longer texts show only the lines that have hits


def _highlight(text: str, hits: Iterable[Hit], offset: int, colour: bool) -> str:
    pieces, position = [], 0
    for hit in sorted(hits, key=lambda h: h.start):
        start, end = hit.start - offset, hit.end - offset
        if start < position:
            continue
        pieces.append(text[position:start])
        mark = text[start:end]
        fg = _SEVERITY_COLOUR[hit.severity]
        pieces.append(
            click.style(mark, fg=fg, bold=True, underline=True) if colour else f"【{mark}】"
        )
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, c in enumerate(text) if c == "\n")
    return starts


def render_report(text: str, report: Report, name: str, colour: bool) -> str:
    """A report in Chinese (with English where it helps) for anchors and reviewers."""
    verdict = f"{words('verdict', report.verdict).zh} {report.verdict}"
    lines = [
        f"{name}  结论 verdict: {verdict}  风险 risk: {report.risk:.2f}  "
        f"命中 hits: {len(report.hits)}  规则集 profile: {report.profile}",
        *warning_lines(report.warnings, colour),
        "",
    ]
    starts = _line_starts(text)
    if len(text) <= _FULL_TEXT_LIMIT:
        lines.append(_highlight(text, report.hits, 0, colour).rstrip("\n"))
    else:
        shown = sorted({_line_of(starts, h.start) for h in report.hits})
        for number in shown:
            begin = starts[number - 1]
            end = starts[number] - 1 if number < len(starts) else len(text)
            inside = [h for h in report.hits if begin <= h.start < end]
            lines.append(
                f"第{number}行 L{number}: {_highlight(text[begin:end], inside, begin, colour)}"
            )
    lines.append("")
    for index, hit in enumerate(report.hits, start=1):
        severity = f"{words('severity', hit.severity).zh} {hit.severity}"
        where = (
            f"{clock(hit.time_start)}–{clock(hit.time_end)}"
            if hit.time_start is not None
            else f"第{_line_of(starts, hit.start)}行"
        )
        head = (
            f"{index}. {where} 「{hit.text}」 "
            f"[{hit.category_name} {hit.category} · 严重程度 {severity}]"
        )
        lines.append(click.style(head, fg=_SEVERITY_COLOUR[hit.severity]) if colour else head)
        if hit.source == "lexicon" and hit.normalized != hit.text.lower():
            lines.append(
                f"   识别为 matched as: {hit.term}（{_MATCH_ZH.get(hit.match, hit.match)}）"
            )
        lines.append(f"   依据 basis: {'；'.join(hit.basis)}")
        lines.append(f"   说明 why: {hit.explanation}")
        if hit.rewording:
            lines.append(f"   可改为 reworded: {hit.rewording}")
        lines.append(f"   建议 instead: {hit.suggestion}")
        lines.append(
            f"   规则 rule: {hit.rule}  来源 source: {hit.source}  置信度 score: {hit.score:.2f}"
        )
        for reason in hit.reasons:
            if reason.source != hit.source:
                lines.append(
                    f"   模型也判断 model agrees [{reason.rule}]: {reason.score:.2f}（关键片段 n-grams：{reason.detail}）"
                )
    if not report.hits:
        lines.append("未发现违规用语。No banned claims found.")
        if report.warnings:
            lines.append(
                "但转写不可靠，不能据此判定合规。But the transcript is unreliable: it cannot clear the recording."
            )
    return "\n".join(lines) + "\n"


def warning_lines(warnings: Iterable[ReportWarning], colour: bool) -> list[str]:
    """One line per warning: its code, message, and how much of the speech it concerns."""
    lines = []
    for warning in warnings:
        count = (
            (f"{warning.segments} 段，", f"{warning.segments} segments, ")
            if warning.segments
            else ("", "")
        )
        line = (
            f"警告 warning [{warning.code}]: {warning.message}"
            f"（{count[0]}占语音 {warning.share:.0%} / {count[1]}{warning.share:.0%} of the speech）"
        )
        lines.append(click.style(line, fg="magenta", bold=True) if colour else line)
    return lines


def clock(seconds: float) -> str:
    """Stream time as [h:]mm:ss.s."""
    minutes, rest = divmod(max(0.0, float(seconds)), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:04.1f}" if hours else f"{minutes:02d}:{rest:04.1f}"


def _line_of(starts: list[int], position: int) -> int:
    return bisect_right(starts, position)
