"""Caption files and live caption lines -> Segments, and the errors for broken input."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import InputError
from monitor.sources.caption_text import join_lines
from monitor.sources.captions import (
    captions_from_text,
    is_caption_file,
    parse_caption_line,
    parse_caption_lines,
    read_captions,
)
from monitor.sources.segments import Segment
from monitor.sources.subtitle_files import parse_captions

SRT = """1
00:00:01,000 --> 00:00:03,500
<i>Hello</i> there

2
00:00:04,250 --> 00:01:02,000
全网最低价
买到就是赚到
"""

VTT = """WEBVTT - live captions
Kind: captions

intro
00:05.000 --> 00:07.125 align:start position:10%
<v 主播>今天的价格</v>
只要 99

NOTE this block is a comment
and must not reach any caption

outro
01:00:01.500 --> 01:00:02.000
Tom &amp; Jerry
"""

ASS = r"""[Script Info]
ScriptType: v4.00+

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Comment: 0,0:00:00.00,0:00:09.00,Default,,0,0,0,,这是注释
Dialogue: 0,0:00:03.50,0:00:05.00,Default,,0,0,0,,second line, with a comma
Dialogue: 0,0:00:01.00,0:00:02.25,Default,,0,0,0,,{\b1}全网最低价{\b0}\N买到就是赚到
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def spans(segments: list[Segment]) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, s.text) for s in segments]


def test_is_caption_file() -> None:
    assert is_caption_file("live.SRT")
    assert is_caption_file(Path("a/b.jsonl"))
    assert not is_caption_file("script.txt")
    assert not is_caption_file("srt")


def test_join_lines_spaces_only_between_non_cjk() -> None:
    assert join_lines(["全网最低价", "买到就是赚到"]) == "全网最低价买到就是赚到"
    assert join_lines(["Hello", "world"]) == "Hello world"
    assert join_lines(["只要", "99 元 ", "", "OK"]) == "只要 99 元 OK"


def test_srt_times_and_plain_text(tmp_path: Path) -> None:
    segments = read_captions(write(tmp_path, "a.srt", SRT))
    assert spans(segments) == [
        (1.0, 3.5, "Hello there"),
        (4.25, 62.0, "全网最低价买到就是赚到"),
    ]
    assert all(segment.words == () for segment in segments)


def test_srt_keeps_a_last_line_that_is_a_number() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\n价格\n99\n\n2\n00:00:03,000 --> 00:00:04,000\n只要\n99\n"
    )
    assert [s.text for s in parse_captions(text, "srt")] == ["价格 99", "只要 99"]


def test_srt_crlf_and_unsorted_cues() -> None:
    text = "1\r\n00:00:05,000 --> 00:00:06,000\r\nlater\r\n\r\n2\r\n00:00:01,000 --> 00:00:02,000\r\nearlier\r\n"
    assert spans(parse_captions(text, "srt")) == [(1.0, 2.0, "earlier"), (5.0, 6.0, "later")]


def test_srt_gb18030(tmp_path: Path) -> None:
    path = write(tmp_path, "gb.srt", SRT, encoding="gb18030")
    assert path.read_bytes() != SRT.encode("utf-8")
    assert [s.text for s in read_captions(path)] == ["Hello there", "全网最低价买到就是赚到"]


def test_vtt_header_settings_and_short_times(tmp_path: Path) -> None:
    segments = read_captions(write(tmp_path, "a.vtt", VTT))
    assert spans(segments) == [
        (5.0, 7.125, "今天的价格只要 99"),
        (3601.5, 3602.0, "Tom & Jerry"),
    ]


def test_vtt_inline_timestamps_are_not_timing_lines() -> None:
    text = "WEBVTT\n\n00:01.000 --> 00:03.000\n<00:01.500><c>最</c><00:02.000><c>低</c>\n"
    assert spans(parse_captions(text, "vtt")) == [(1.0, 3.0, "最低")]


def test_ass_skips_comments_and_tags(tmp_path: Path) -> None:
    segments = read_captions(write(tmp_path, "a.ass", ASS))
    assert spans(segments) == [
        (1.0, 2.25, "全网最低价买到就是赚到"),
        (3.5, 5.0, "second line, with a comma"),
    ]


def test_ssa_via_captions_from_text() -> None:
    text = (
        "[Events]\n"
        "Format: Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
        "Dialogue: Marked=0,0:01:00.10,0:01:01.00,Default,,0000,0000,0000,,第一名\n"
    )
    assert spans(captions_from_text(text, "SSA", "up.ssa")) == [(60.1, 61.0, "第一名")]


def test_json_lines_both_shapes(tmp_path: Path) -> None:
    text = (
        '{"t": 12.5, "text": "  全网最低价 ", "speaker": "A"}\n'
        "\n"
        '{"start": 3, "end": 4.5, "text": "first"}\n'
        '{"t": 20, "d": 1.5, "text": "last"}\n'
    )
    segments = read_captions(write(tmp_path, "live.jsonl", text))
    assert spans(segments) == [
        (3.0, 4.5, "first"),
        (12.5, 12.5, "全网最低价"),
        (20.0, 21.5, "last"),
    ]
    assert segments[1].time_span(1, 3) == (12.5, 12.5)


def test_caption_line_blank_and_empty_text() -> None:
    assert parse_caption_line("   ") is None
    assert parse_caption_line('{"t": 1, "text": "  "}') is None
    assert parse_caption_line('{"t": 0, "text": "ok"}', 7) == Segment(0.0, 0.0, "ok")


# --- errors ---------------------------------------------------------------------------------


def test_srt_bad_timing_line_names_its_line(tmp_path: Path) -> None:
    text = SRT.replace("00:00:04,250 --> 00:01:02,000", "00:00:04,250 --> 00:01:02")
    path = write(tmp_path, "bad.srt", text)
    with pytest.raises(InputError, match=r"第 6 行时间格式错误 / line 6: bad timing line") as info:
        read_captions(path)
    assert str(path) in str(info.value)


def test_srt_dot_separator_is_refused() -> None:
    with pytest.raises(InputError, match="line 2: bad timing line"):
        parse_captions("1\n00:00:01.000 --> 00:00:02.000\nhi\n", "srt", "x.srt")


def test_srt_timestamps_without_arrow() -> None:
    with pytest.raises(InputError, match="line 2: timestamps without '-->'"):
        parse_captions("1\n00:00:01,000 00:00:02,000\nhi\n", "srt")


def test_srt_end_before_start() -> None:
    with pytest.raises(InputError, match="第 2 行结束时间早于开始时间 / line 2: end time before"):
        parse_captions("1\n00:00:05,000 --> 00:00:02,000\nhi\n", "srt", "x.srt")


def test_srt_without_cues(tmp_path: Path) -> None:
    path = write(tmp_path, "none.srt", "just some text\nno timing at all\n")
    with pytest.raises(InputError, match="字幕文件中没有字幕 / no captions found"):
        read_captions(path)


def test_srt_with_only_empty_cues() -> None:
    with pytest.raises(InputError, match="no captions found"):
        parse_captions(
            "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\n", "srt"
        )


def test_vtt_without_header() -> None:
    with pytest.raises(InputError, match="line 2: a WebVTT file must start with 'WEBVTT'"):
        parse_captions("\n00:01.000 --> 00:02.000\nhi\n", "vtt", "x.vtt")


def test_vtt_bad_timing_line() -> None:
    with pytest.raises(InputError, match="line 3: bad timing line"):
        parse_captions("WEBVTT\n\n00:01.000 -> 00:02.000 --> x\nhi\n", "vtt")


def test_vtt_end_before_start() -> None:
    with pytest.raises(InputError, match="line 3: end time before start time"):
        parse_captions("WEBVTT\n\n00:09.000 --> 00:02.000\nhi\n", "vtt")


def test_ass_dialogue_with_bad_time(tmp_path: Path) -> None:
    text = ASS.replace("0:00:03.50,0:00:05.00", "0:00:03.50,0:0x:05.00")
    with pytest.raises(
        InputError, match=r"第 11 行时间格式错误 / line 11: bad time \(use H:MM:SS.cc\)"
    ):
        read_captions(write(tmp_path, "bad.ass", text))


def test_ass_dialogue_with_too_few_fields() -> None:
    with pytest.raises(InputError, match="line 2: fewer than 10 comma-separated fields"):
        parse_captions("[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,hi\n", "ass")


def test_ass_without_dialogue() -> None:
    with pytest.raises(InputError, match="no captions found"):
        parse_captions("[Script Info]\nTitle: nothing\n", "ass")


def test_json_line_that_is_not_json_names_its_line(tmp_path: Path) -> None:
    text = '{"t": 1, "text": "ok"}\n\n{"t": 2, "text": \n'
    with pytest.raises(InputError, match="第 3 行不是有效的 JSON / line 3: not valid JSON"):
        read_captions(write(tmp_path, "live.jsonl", text))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('["t", 1]', "line 4: expected a JSON object"),
        ('{"t": 1}', 'line 4: missing "text"'),
        ('{"t": 1, "text": 5}', 'line 4: "text" must be a string'),
        ('{"t": -1, "text": "x"}', 'line 4: "t" must be a finite non-negative number'),
        ('{"t": NaN, "text": "x"}', '"t" must be a finite non-negative number'),
        ('{"t": true, "text": "x"}', '"t" must be a finite non-negative number'),
        ('{"t": "3", "text": "x"}', '"t" must be a finite non-negative number'),
        ('{"t": 1, "d": -2, "text": "x"}', '"d" must be a finite non-negative number'),
        ('{"start": 1e999, "end": 2, "text": "x"}', '"start" must be a finite'),
        ('{"start": 5, "end": 2, "text": "x"}', "line 4: end time before start time"),
        ('{"start": 5, "text": "x"}', 'line 4: missing time \\("t", or "start" and "end"\\)'),
        ('{"text": "x"}', "line 4: missing time"),
        ('{"t": 1, "end": 2, "text": "x"}', "line 4: use either t \\(and d\\) or start and end"),
    ],
)
def test_caption_line_errors(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_caption_line(line, 4, "feed")
    assert str(info.value).startswith("feed: 第 4 行")


def test_json_lines_without_captions() -> None:
    with pytest.raises(InputError, match="feed: 字幕文件中没有字幕 / no captions found"):
        parse_caption_lines('\n{"t": 1, "text": ""}\n\n', "feed")


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="文件为空 / the input is empty"):
        read_captions(write(tmp_path, "empty.srt", "\n \n"))


def test_unknown_suffix(tmp_path: Path) -> None:
    path = write(tmp_path, "a.sub", SRT)
    with pytest.raises(InputError, match="unsupported caption file type"):
        read_captions(path)


def test_unknown_format_name() -> None:
    with pytest.raises(InputError, match="unsupported caption format"):
        captions_from_text(SRT, "txt")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.srt"
    with pytest.raises(InputError, match="文件不存在 / no such file") as info:
        read_captions(path)
    assert str(path) in str(info.value)


def test_too_large(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="larger than the limit of 64 B"):
        read_captions(write(tmp_path, "big.srt", SRT), limit=64)
