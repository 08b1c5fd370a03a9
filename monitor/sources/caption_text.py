"""Caption text pieces both caption readers share: a file cut into lines, errors that name the
line, lines joined into one text (no space between CJK characters), and segments in time order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from monitor.errors import InputError
from monitor.sources.segments import Segment

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]")


def caption_lines_of(text: str) -> list[str]:
    """Lines split on newlines only (not on U+2028 etc., which may sit inside caption text)."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def line_error(name: str, number: int, zh: str, en: str) -> InputError:
    return InputError(f"{name}: 第 {number} 行{zh} / line {number}: {en}")


def no_captions(name: str) -> InputError:
    return InputError(f"{name}: 字幕文件中没有字幕 / no captions found")


def clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def shown(line: str) -> str:
    return repr(clip(line.strip()))


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


def sorted_segments(segments: list[Segment], name: str) -> list[Segment]:
    if not segments:
        raise no_captions(name)
    return sorted(segments, key=lambda segment: segment.start)
