"""Subtitle files (SRT, WebVTT, ASS/SSA) turned into `Segment`s.

Subtitle formats are parsed by pysubs2. pysubs2 is lenient: it silently drops lines it does not
understand, so every format gets a validation pass first that names the offending line. For SRT
and WebVTT the text handed to pysubs2 is also lightly rewritten (line numbers for errors always
refer to the original input) to avoid three pysubs2 quirks:

* a cue's last line that is a bare number is taken for the next cue's index and dropped;
* WebVTT NOTE/STYLE/REGION blocks and non-numeric cue identifiers end up in the previous cue;
* WebVTT inline timestamp tags (``<00:01.500>``, karaoke captions) are read as timing lines.

I/O edge: everything here raises InputError with a one-line, user-facing message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

import pysubs2
from pysubs2.formats import get_format_class

from monitor.errors import InputError
from monitor.sources.caption_text import (
    caption_lines_of,
    join_lines,
    line_error,
    no_captions,
    shown,
    sorted_segments,
)
from monitor.sources.segments import Segment

SUBTITLE_FORMATS = ("srt", "vtt", "ass", "ssa")

_SRT_TIME = r"(\d{1,2}):([0-5]\d):([0-5]\d),(\d{3})"
_VTT_TIME = r"(?:(\d{1,4}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}")
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+\S.*)?")
_ASS_TIME = re.compile(r"(\d{1,2}):([0-5]\d):([0-5]\d)\.(\d{2})")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VTT_INLINE_TIME = re.compile(r"<(?:\d+:)?\d{2}:\d{2}\.\d{3}>")
_CUE_NUMBER = re.compile(r"\s*\d+\s*")
_SENTINEL = "0"  # a fake cue index: pysubs2 strips exactly one trailing number line per cue
_ASS_MIN_FIELDS = 10


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    """Seconds from timestamp parts; `fraction` is milliseconds (3 digits) or centiseconds (2)."""
    millis = int(fraction) * 10 ** (3 - len(fraction))
    total_ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis
    return total_ms / 1000


def _check_vtt_header(lines: list[str], name: str) -> None:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not _VTT_HEADER.match(line.strip()):
            raise line_error(
                name,
                number,
                "应为 WEBVTT 文件头",
                f"a WebVTT file must start with 'WEBVTT', found {shown(line)}",
            )
        return


def _clean_vtt_lines(lines: list[str]) -> list[str]:
    """Blank NOTE/STYLE/REGION blocks and drop inline timestamp tags; keeps line numbers."""
    cleaned: list[str] = []
    in_block = False
    for line in lines:
        starts_block = (not cleaned or not cleaned[-1].strip()) and _VTT_BLOCK.match(line.strip())
        in_block = bool(line.strip()) and (in_block or bool(starts_block))
        if in_block:
            cleaned.append("")
        elif "-->" in line:
            cleaned.append(line)
        else:
            cleaned.append(_VTT_INLINE_TIME.sub("", line))
    return cleaned


def _timing(line: str, fmt: str) -> tuple[float, float] | None:
    pattern = _VTT_TIMING if fmt == "vtt" else _SRT_TIMING
    match = pattern.fullmatch(line.strip())
    if match is None:
        return None
    parts = match.groups()
    return _seconds(*parts[0:4]), _seconds(*parts[4:8])


def _timing_indices(lines: list[str], fmt: str, name: str) -> list[int]:
    """0-based indices of the timing lines; InputError for a timing line that is not valid."""
    pysubs2_timestamp = get_format_class(fmt).TIMESTAMP  # what pysubs2 takes for a timing line
    indices = []
    for index, line in enumerate(lines):
        arrow = "-->" in line
        if not arrow and len(pysubs2_timestamp.findall(line)) != 2:
            continue
        number = index + 1
        if not arrow:
            raise line_error(
                name, number, "有时间但缺少 -->", f"timestamps without '-->': {shown(line)}"
            )
        times = _timing(line, fmt)
        if times is None:
            raise line_error(name, number, "时间格式错误", f"bad timing line {shown(line)}")
        if times[1] < times[0]:
            raise line_error(
                name, number, "结束时间早于开始时间", f"end time before start time {shown(line)}"
            )
        indices.append(index)
    return indices


def _is_cue_identifier(lines: list[str], index: int, timing: set[int]) -> bool:
    """The line before a timing line is a cue identifier if it is a number or follows a gap."""
    if index < 0 or index in timing or not lines[index].strip():
        return False
    return bool(_CUE_NUMBER.fullmatch(lines[index]) or index == 0 or not lines[index - 1].strip())


def _pysubs2_input(lines: list[str], timing_indices: list[int]) -> str:
    """The cues with identifiers removed and a sentinel index line closing every cue."""
    timing = set(timing_indices)
    identifiers = {i - 1 for i in timing_indices if _is_cue_identifier(lines, i - 1, timing)}
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in identifiers:
            continue
        if index in timing:
            out += ["", _SENTINEL]
        out.append(line)
    out += ["", _SENTINEL]
    return "\n".join(out) + "\n"


# --- ASS and SSA ----------------------------------------------------------------------------


def _check_ass_events(lines: list[str], name: str) -> None:
    """Every Dialogue/Comment line has enough fields and valid start and end times."""
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line.startswith(("Dialogue:", "Comment:")):
            continue
        fields = line.split(":", 1)[1].split(",")
        if len(fields) < _ASS_MIN_FIELDS:
            raise line_error(
                name,
                number,
                f"字段不足 {_ASS_MIN_FIELDS} 个",
                f"fewer than {_ASS_MIN_FIELDS} comma-separated fields in {shown(line)}",
            )
        start, end = (_ASS_TIME.fullmatch(field.strip()) for field in fields[1:3])
        if start is None or end is None:
            raise line_error(
                name, number, "时间格式错误", f"bad time (use H:MM:SS.cc) in {shown(line)}"
            )
        if _seconds(*end.groups()) < _seconds(*start.groups()):
            raise line_error(
                name, number, "结束时间早于开始时间", f"end time before start time {shown(line)}"
            )


# --- pysubs2 -------------------------------------------------------------------------------


def _load(text: str, fmt: str, name: str) -> pysubs2.SSAFile:
    try:
        return pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as exc:  # pysubs2 raises assorted errors (ValueError, IndexError...)
        raise InputError(f"{name}: 无法解析字幕文件 / cannot parse captions ({exc})") from exc


def _event_segments(events: Iterable[pysubs2.SSAEvent], unescape: bool) -> list[Segment]:
    """Segments of the text events (no comments, no drawings) that have any text."""
    segments = []
    for event in events:
        if not event.is_text:
            continue
        plain = html.unescape(event.plaintext) if unescape else event.plaintext
        text = join_lines(plain.split("\n"))
        if text:
            segments.append(Segment(start=event.start / 1000, end=event.end / 1000, text=text))
    return segments


def parse_captions(text: str, fmt: str, name: str = "captions") -> list[Segment]:
    """Segments of an SRT, WebVTT, ASS or SSA file's text, sorted by start time.

    Tags are removed, the lines of a caption are joined (see `join_lines`), comment and
    empty events are skipped. InputError names the first bad line.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in SUBTITLE_FORMATS:
        raise InputError(
            f"{name}: 不支持的字幕格式 {fmt!r} / unsupported subtitle format (use srt, vtt, ass or ssa)"
        )
    if not text.strip("\ufeff \t\r\n"):
        raise no_captions(name)
    lines = caption_lines_of(text)
    if fmt in ("ass", "ssa"):
        _check_ass_events(lines, name)
        return sorted_segments(
            _event_segments(_load("\n".join(lines), fmt, name), unescape=False), name
        )
    if fmt == "vtt":
        _check_vtt_header(lines, name)
        lines = _clean_vtt_lines(lines)
    timing = _timing_indices(lines, fmt, name)
    if not timing:
        raise no_captions(name)
    subs = _load(_pysubs2_input(lines, timing), fmt, name)
    if len(subs.events) != len(timing):  # the validation above and pysubs2 disagree
        raise InputError(
            f"{name}: 无法解析字幕文件 / cannot parse captions "
            f"({len(timing)} timing lines but {len(subs.events)} cues)"
        )
    return sorted_segments(_event_segments(subs, unescape=fmt == "vtt"), name)
