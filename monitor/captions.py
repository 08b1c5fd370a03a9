"""Caption files (SRT, WebVTT, ASS/SSA) and live caption JSON lines, turned into `Segment`s.

Subtitle formats are parsed by pysubs2. pysubs2 is lenient: it silently drops lines it does not
understand, so every format gets a validation pass first that names the offending line. For SRT
and WebVTT the text handed to pysubs2 is also lightly rewritten (line numbers for errors always
refer to the original input) to avoid three pysubs2 quirks:

* a cue's last line that is a bare number is taken for the next cue's index and dropped;
* WebVTT NOTE/STYLE/REGION blocks and non-numeric cue identifiers end up in the previous cue;
* WebVTT inline timestamp tags (``<00:01.500>``, karaoke captions) are read as timing lines.

Live captions arrive one JSON object per line: ``{"t": 12.5, "text": "..."}`` (optionally
``"d"``: duration in seconds) or ``{"start": 12.5, "end": 14.0, "text": "..."}``.

I/O edge: everything here raises InputError with a one-line, user-facing message.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pysubs2
from pysubs2.formats import get_format_class

from .errors import InputError
from .segments import Segment
from .text_input import MAX_TEXT_BYTES, decode_text, read_file_bytes
from .vocabulary import CAPTION_SUFFIXES

SUBTITLE_FORMATS = ("srt", "vtt", "ass", "ssa")
CAPTION_FORMATS = (*SUBTITLE_FORMATS, "jsonl")

_SRT_TIME = r"(\d{1,2}):([0-5]\d):([0-5]\d),(\d{3})"
_VTT_TIME = r"(?:(\d{1,4}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME}[ \t]*-->[ \t]*{_SRT_TIME}")
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+\S.*)?")
_ASS_TIME = re.compile(r"(\d{1,2}):([0-5]\d):([0-5]\d)\.(\d{2})")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VTT_INLINE_TIME = re.compile(r"<(?:\d+:)?\d{2}:\d{2}\.\d{3}>")
_CUE_NUMBER = re.compile(r"\s*\d+\s*")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")
_SENTINEL = "0"  # a fake cue index: pysubs2 strips exactly one trailing number line per cue
_ASS_MIN_FIELDS = 10


def is_caption_file(path: str | Path) -> bool:
    """Whether the file name has a caption suffix (.srt, .vtt, .ass, .ssa, .jsonl)."""
    return Path(path).suffix.lower() in CAPTION_SUFFIXES


# --- shared helpers -------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Lines split on newlines only (not on U+2028 etc., which may sit inside caption text)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _line_error(name: str, number: int, zh: str, en: str) -> InputError:
    return InputError(f"{name}: 第 {number} 行{zh} / line {number}: {en}")


def _no_captions(name: str) -> InputError:
    return InputError(f"{name}: 字幕文件中没有字幕 / no captions found")


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _shown(line: str) -> str:
    return repr(_clip(line.strip()))


def _is_cjk(char: str) -> bool:
    return bool(_CJK.match(char))


def join_lines(lines: Iterable[str]) -> str:
    """Caption lines as one text: no space between two CJK characters, else one space."""
    text = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        if text and not (_is_cjk(text[-1]) and _is_cjk(line[0])):
            text += " "
        text += line
    return text


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    """Seconds from timestamp parts; `fraction` is milliseconds (3 digits) or centiseconds (2)."""
    millis = int(fraction) * 10 ** (3 - len(fraction))
    total_ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis
    return total_ms / 1000


def _sorted(segments: list[Segment], name: str) -> list[Segment]:
    if not segments:
        raise _no_captions(name)
    return sorted(segments, key=lambda segment: segment.start)


# --- SRT and WebVTT -------------------------------------------------------------------------


def _check_vtt_header(lines: list[str], name: str) -> None:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not _VTT_HEADER.match(line.strip()):
            raise _line_error(
                name,
                number,
                "应为 WEBVTT 文件头",
                f"a WebVTT file must start with 'WEBVTT', found {_shown(line)}",
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
            raise _line_error(
                name, number, "有时间但缺少 -->", f"timestamps without '-->': {_shown(line)}"
            )
        times = _timing(line, fmt)
        if times is None:
            raise _line_error(name, number, "时间格式错误", f"bad timing line {_shown(line)}")
        if times[1] < times[0]:
            raise _line_error(
                name, number, "结束时间早于开始时间", f"end time before start time {_shown(line)}"
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
            raise _line_error(
                name,
                number,
                f"字段不足 {_ASS_MIN_FIELDS} 个",
                f"fewer than {_ASS_MIN_FIELDS} comma-separated fields in {_shown(line)}",
            )
        start, end = (_ASS_TIME.fullmatch(field.strip()) for field in fields[1:3])
        if start is None or end is None:
            raise _line_error(
                name, number, "时间格式错误", f"bad time (use H:MM:SS.cc) in {_shown(line)}"
            )
        if _seconds(*end.groups()) < _seconds(*start.groups()):
            raise _line_error(
                name, number, "结束时间早于开始时间", f"end time before start time {_shown(line)}"
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
        raise _no_captions(name)
    lines = _lines(text)
    if fmt in ("ass", "ssa"):
        _check_ass_events(lines, name)
        return _sorted(_event_segments(_load("\n".join(lines), fmt, name), unescape=False), name)
    if fmt == "vtt":
        _check_vtt_header(lines, name)
        lines = _clean_vtt_lines(lines)
    timing = _timing_indices(lines, fmt, name)
    if not timing:
        raise _no_captions(name)
    subs = _load(_pysubs2_input(lines, timing), fmt, name)
    if len(subs.events) != len(timing):  # the validation above and pysubs2 disagree
        raise InputError(
            f"{name}: 无法解析字幕文件 / cannot parse captions "
            f"({len(timing)} timing lines but {len(subs.events)} cues)"
        )
    return _sorted(_event_segments(subs, unescape=fmt == "vtt"), name)


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
        raise _line_error(
            name,
            number,
            f"“{key}” 必须是非负数（秒）",
            f'"{key}" must be a finite non-negative number of seconds, got {_clip(repr(value))}',
        )
    return seconds


def _caption_times(obj: dict, number: int, name: str) -> tuple[float, float]:
    point, span = "t" in obj, "start" in obj or "end" in obj
    if (point and span) or ("d" in obj and not point):
        raise _line_error(
            name, number, "不能混用 t/d 与 start/end", "use either t (and d) or start and end"
        )
    if point:
        start = _time_value(obj, "t", number, name)
        end = start + (_time_value(obj, "d", number, name) if "d" in obj else 0.0)
        if not math.isfinite(end):
            raise _line_error(name, number, "时间超出范围", "time out of range")
        return start, end
    if "start" not in obj or "end" not in obj:
        raise _line_error(
            name, number, "缺少时间（t 或 start/end）", 'missing time ("t", or "start" and "end")'
        )
    start, end = _time_value(obj, "start", number, name), _time_value(obj, "end", number, name)
    if end < start:
        raise _line_error(name, number, "结束时间早于开始时间", "end time before start time")
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
        raise _line_error(name, number, "不是有效的 JSON", f"not valid JSON ({exc})") from exc
    if not isinstance(obj, dict):
        raise _line_error(name, number, "应为 JSON 对象", "expected a JSON object {...}")
    if "text" not in obj:
        raise _line_error(name, number, "缺少 “text”", 'missing "text"')
    if not isinstance(obj["text"], str):
        raise _line_error(name, number, "“text” 必须是字符串", '"text" must be a string')
    start, end = _caption_times(obj, number, name)
    text = join_lines(_lines(obj["text"]))
    return Segment(start=start, end=end, text=text) if text else None


def parse_caption_lines(text: str, name: str = "captions") -> list[Segment]:
    """The captions of a JSON lines file, sorted by start time; InputError if there are none."""
    segments = [parse_caption_line(line, n, name) for n, line in enumerate(_lines(text), 1)]
    return _sorted([segment for segment in segments if segment is not None], name)


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
