"""Captions turned into `Segment`s: a caption file by its suffix or decoded caption text by its
format (subtitle files are parsed by sources/subtitle_files.py), and live captions, which arrive one JSON
object per line: ``{"t": 12.5, "text": "..."}`` (optionally ``"d"``: duration in seconds) or
``{"start": 12.5, "end": 14.0, "text": "..."}``.

I/O edge: everything here raises InputError with a one-line, user-facing message.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from monitor.errors import InputError
from monitor.sources.caption_text import (
    caption_lines_of,
    clip,
    join_lines,
    line_error,
    sorted_segments,
)
from monitor.sources.segments import Segment
from monitor.sources.subtitle_files import SUBTITLE_FORMATS, parse_captions
from monitor.sources.text_input import MAX_TEXT_BYTES, decode_text, read_file_bytes
from monitor.vocabulary import CAPTION_SUFFIXES

CAPTION_FORMATS = (*SUBTITLE_FORMATS, "jsonl")


def is_caption_file(path: str | Path) -> bool:
    """Whether the file name has a caption suffix (.srt, .vtt, .ass, .ssa, .jsonl)."""
    return Path(path).suffix.lower() in CAPTION_SUFFIXES


# --- live caption JSON lines ----------------------------------------------------------------


def _time_value(obj: dict, key: str, number: int, name: str) -> float:
    value = obj[key]
    seconds = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise line_error(
            name,
            number,
            f"“{key}” 必须是非负数（秒）",
            f'"{key}" must be a finite non-negative number of seconds, got {clip(repr(value))}',
        )
    return seconds


def _caption_times(obj: dict, number: int, name: str) -> tuple[float, float]:
    point, span = "t" in obj, "start" in obj or "end" in obj
    if (point and span) or ("d" in obj and not point):
        raise line_error(
            name, number, "不能混用 t/d 与 start/end", "use either t (and d) or start and end"
        )
    if point:
        start = _time_value(obj, "t", number, name)
        end = start + (_time_value(obj, "d", number, name) if "d" in obj else 0.0)
        if not math.isfinite(end):
            raise line_error(name, number, "时间超出范围", "time out of range")
        return start, end
    if "start" not in obj or "end" not in obj:
        raise line_error(
            name, number, "缺少时间（t 或 start/end）", 'missing time ("t", or "start" and "end")'
        )
    start, end = _time_value(obj, "start", number, name), _time_value(obj, "end", number, name)
    if end < start:
        raise line_error(name, number, "结束时间早于开始时间", "end time before start time")
    return start, end


def parse_caption_line(line: str, number: int = 1, name: str = "captions") -> Segment | None:
    """One live caption (a JSON object on one line), or None for a blank line or empty text.

    ``{"t": 12.5, "text": ...}`` is a caption at one point in time: start = end = t, or
    end = t + d with ``"d"``. A zero-length segment's `time_span` gives t for every character.
    ``{"start": s, "end": e, "text": ...}`` gives the span directly. Other keys are ignored.
    """
    line = line.lstrip("\ufeff").strip()
    if not line:
        return None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise line_error(name, number, "不是有效的 JSON", f"not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise line_error(name, number, "应为 JSON 对象", "expected a JSON object {...}")
    if "text" not in obj:
        raise line_error(name, number, "缺少 “text”", 'missing "text"')
    if not isinstance(obj["text"], str):
        raise line_error(name, number, "“text” 必须是字符串", '"text" must be a string')
    start, end = _caption_times(obj, number, name)
    text = join_lines(caption_lines_of(obj["text"]))
    return Segment(start=start, end=end, text=text) if text else None


def parse_caption_lines(text: str, name: str = "captions") -> list[Segment]:
    """The captions of a JSON lines file, sorted by start time; InputError if there are none."""
    segments = [
        parse_caption_line(line, n, name) for n, line in enumerate(caption_lines_of(text), 1)
    ]
    return sorted_segments([segment for segment in segments if segment is not None], name)


# --- entry points ---------------------------------------------------------------------------


def captions_from_text(text: str, fmt: str, name: str = "captions") -> list[Segment]:
    """Segments of decoded caption text in format `fmt` (srt, vtt, ass, ssa or jsonl)."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "jsonl":
        return parse_caption_lines(text, name)
    if fmt in SUBTITLE_FORMATS:
        return parse_captions(text, fmt, name)
    raise InputError(
        f"{name}: 不支持的字幕格式 {fmt!r} / unsupported caption format "
        "(use srt, vtt, ass, ssa or jsonl)"
    )


def read_captions(path: str | Path, limit: int = MAX_TEXT_BYTES) -> list[Segment]:
    """The segments of a caption file, by suffix: .srt, .vtt, .ass, .ssa or .jsonl."""
    path = Path(path)
    name = str(path)
    if not is_caption_file(path):
        raise InputError(
            f"{name}: 不支持的字幕文件类型 / unsupported caption file type "
            "(use .srt, .vtt, .ass, .ssa or .jsonl)"
        )
    text = decode_text(read_file_bytes(path, limit), name)
    return captions_from_text(text, path.suffix, name)
