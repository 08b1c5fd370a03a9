"""The speech and caption commands: `transcribe`, `watch`, and `check` of media or caption files."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.asr import ProgressBar, asr_options, make_transcriber, transcribe_recording
from monitor.cli.group import EXIT_BAD_INPUT, EXIT_FLAGGED, EXIT_PASS, _clear_errors, _fail
from monitor.cli.inputs import (
    _checker,
    known_product_classes,
    known_profiles,
    lexicon_files,
    valid_product_class,
    valid_profile,
)
from monitor.cli.record import RecordTarget, record_options
from monitor.sources.text_input import check_readable
from monitor.vocabulary import CAPTION_SUFFIXES, MEDIA_SUFFIXES

if TYPE_CHECKING:
    from monitor.checking.checker import Checker
    from monitor.checking.detectors.fact_rules import ProductFacts
    from monitor.checking.timed_check import TimedReport
    from monitor.live.stream_monitor import LiveResult
    from monitor.settings import Settings
    from monitor.sources.segments import Segment


def is_timed_source(path: str) -> bool:
    """Captions or a recording (by the file name), rather than a script."""
    return Path(path).suffix.lower() in CAPTION_SUFFIXES | MEDIA_SUFFIXES


def read_timed_source(path: str, settings: Settings) -> list[Segment] | Path:
    """Caption segments, or a recording checked from its header (size, duration, an audio track):
    read and validated before any model loads. A recording is decoded later, window by window."""
    if Path(path).suffix.lower() in CAPTION_SUFFIXES:
        from monitor.sources.captions import read_captions

        return read_captions(path, settings.max_text_bytes)
    from monitor.sources.media import check_recording

    check_recording(path, settings.max_media_bytes, settings.media_max_seconds)
    return Path(path)


def check_timed_source(
    path: str,
    source: list[Segment] | Path,
    checker: Checker,
    settings: Settings,
    profile: str,
    product_class,
    asr: dict,
    facts: ProductFacts | None = None,
) -> tuple[TimedReport, dict]:
    """Check captions or a recording; returns the report and the extra JSON fields (language…)."""
    from monitor.checking.timed_check import check_segments

    if isinstance(source, list):
        timed = check_segments(
            checker, source, profile=profile, product_class=product_class, facts=facts
        )
        return timed, {}
    transcriber = make_transcriber(settings, **asr)
    with ProgressBar(path) as progress:
        transcript = transcribe_recording(transcriber, source, settings, progress)
    report = check_segments(
        checker,
        transcript.segments,
        profile=profile,
        product_class=product_class,
        warnings=transcript.warnings,
    )
    return report, {"language": transcript.language, "duration": round(transcript.duration, 3)}


def print_timed_report(
    path: str, timed: TimedReport, extra: dict, as_json: bool, colour: bool
) -> None:
    from monitor.cli.terminal_report import render_report

    if as_json:
        click.echo(json.dumps({**timed.to_dict(), **extra}, ensure_ascii=False, indent=2))
    else:
        click.echo(render_report(timed.timed.text, timed.report, path, colour), nl=False)


@click.command("transcribe")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="以 JSON 输出 {language, duration, segments, warnings} / print {language, duration, segments, warnings} as JSON.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="进度条（默认：在终端时显示）/ progress bar (default: on a terminal).",
)
@asr_options
@_clear_errors
def transcribe_command(path, as_json, progress, **asr) -> None:
    """用 faster-whisper 转写音视频文件 FILE（FFmpeg 能读的任何格式）/ transcribe an audio or
    video FILE (any format FFmpeg reads) with faster-whisper."""
    check_readable(path)  # before the decoder, the settings and the speech model load
    from monitor.cli.terminal_report import clock, warning_lines
    from monitor.settings import Settings
    from monitor.sources.media import check_recording
    from monitor.speech.transcript_reliability import ISSUE_LABELS

    settings = Settings()
    check_recording(path, settings.max_media_bytes, settings.media_max_seconds)
    transcriber = make_transcriber(settings, **asr)
    with ProgressBar(path, progress) as update:
        transcript = transcribe_recording(transcriber, path, settings, update)
    if as_json:
        click.echo(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"{path}  语言 language: {transcript.language}  时长 duration: {clock(transcript.duration)}"
    )
    for line in warning_lines(transcript.warnings, colour=False):
        click.echo(line)
    for segment in transcript.segments:
        marks = "".join(f"  〔{' '.join(ISSUE_LABELS[issue])}〕" for issue in segment.issues)
        click.echo(f"[{clock(segment.start)} → {clock(segment.end)}] {segment.text}{marks}")


@click.command("watch")
@click.argument("source")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="每行一个 JSON 事件（segment、flag …）/ one JSON event per line (segment, flag, …).",
)
@click.option(
    "--show-text", is_flag=True, help="也打印每段识别文字 / also print every recognised segment."
)
@click.option(
    "--realtime/--fast",
    default=True,
    help="本地文件按实际速度播放（默认）或尽快解码 / "
    "a local file is played at real speed (default) or as fast as it decodes.",
)
@click.option(
    "--max-outage",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="断流后最多等待多少秒再放弃 / seconds a dropped stream may stay away before watch gives up.",
)
@click.option("--profile", help="词库配置 / lexicon profile.")
@click.option("--product-class", help="所售商品的类别 / product class of the goods sold.")
@click.option(
    "--no-classifier",
    is_flag=True,
    help="只用词库，不用虚假宣传模型 / lexicon only: skip the 虚假宣传 classifier.",
)
@asr_options
@record_options
@_clear_errors
def watch_command(
    source, as_json, show_text, realtime, max_outage, profile, product_class, no_classifier,
    db_path, anchor, stream, product, **asr,
) -> None:  # fmt: skip
    """监测直播流（HLS .m3u8、RTMP、HTTP-FLV）或当作直播播放的本地文件，随直播打印每条标记及其
    直播时间；Ctrl-C 停止 / monitor a live stream (HLS .m3u8, RTMP, HTTP-FLV) or a local file
    played as live; print each flag with its stream time as the stream goes on. Ctrl-C stops."""
    from monitor.live.url_policy import check_source
    from monitor.settings import Settings

    settings = Settings()
    is_file = Path(source).is_file()
    check_source(source, settings.watch_allow, local_files=True)
    extra_files = lexicon_files((), settings)
    profile = valid_profile(profile or settings.profile, known_profiles(extra_files))
    product_class = valid_product_class(product_class, known_product_classes())
    target = RecordTarget.open(settings, db_path, anchor, stream, product, default_stream=source)
    facts, product_class = target.facts(product_class)
    from monitor.cli.terminal_report import clock
    from monitor.live.stream_monitor import StreamMonitor  # stream, speech, check: input valid
    from monitor.live.watch import watch

    checker = _checker(extra_files, settings, classifier=not no_classifier)
    transcriber = make_transcriber(settings, **asr)
    monitor = StreamMonitor(
        checker,
        transcriber,
        profile=profile,
        product_class=product_class,
        facts=facts,
    )
    stop = threading.Event()

    def stop_watching(*_) -> None:  # the first Ctrl-C stops cleanly, a second one at once
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, stop_watching)
    signal.signal(signal.SIGINT, stop_watching)

    def on_result(result: LiveResult) -> None:
        target.record(result.report, result.text, source, result.segments)
        for event in result.events(source):
            if as_json:
                click.echo(json.dumps(event, ensure_ascii=False))
            elif event["type"] == "segment" and show_text:
                click.echo(f"[{clock(event['start'])}] {event['text']}")
            elif event["type"] == "flag":
                click.echo(
                    f"[{clock(event['time_start'])}] 「{event['text']}」 {event['category_name']} "
                    f"{event['category']} · {event['severity']} · 延迟 latency {event['latency_s']:.1f}s"
                    f"\n    依据 {'；'.join(event['basis'])}\n    建议 {event['suggestion']}"
                )
        sys.stdout.flush()

    def on_event(kind: str, detail: dict) -> None:
        if as_json:
            click.echo(json.dumps({"type": kind, **detail}, ensure_ascii=False))
            sys.stdout.flush()
        elif kind in ("reconnecting", "gap", "timestamp_reset", "bad_segment"):
            click.echo(f"qinglang: {kind} {json.dumps(detail, ensure_ascii=False)}", err=True)

    summary = watch(
        source,
        monitor,
        on_result,
        on_event,
        stop=stop,
        allow=settings.watch_allow,
        realtime=realtime and is_file,
        max_outage_s=max_outage,
        is_file=is_file,
    )
    stats = monitor.stats
    p50, p95 = stats.latency(0.5), stats.latency(0.95)
    line = {
        "type": "summary",
        "audio_s": round(stats.audio_s, 3),
        "segments": stats.segments,
        "flags": stats.flags,
        "latency_p50_s": None if p50 is None else round(p50, 3),
        "latency_p95_s": None if p95 is None else round(p95, 3),
        "gaps": [list(gap) for gap in monitor.gaps],
        "stopped": summary.stopped,
        "error": str(summary.error) if summary.error else None,
    }
    if as_json:
        click.echo(json.dumps(line, ensure_ascii=False))
    else:
        click.echo(
            f"结束 done: {stats.audio_s:.0f}s audio, {stats.segments} segments, {stats.flags} flags"
            + (f", latency p50 {p50:.1f}s p95 {p95:.1f}s" if p50 is not None else ""),
            err=True,
        )
    if summary.error is not None and not getattr(summary.error, "after_connect", False):
        _fail(str(summary.error))
    if summary.error is not None:  # the stream was read, then went away for good: it ended
        click.echo(f"qinglang: {summary.error}", err=True)
    sys.exit(EXIT_FLAGGED if stats.flags else EXIT_PASS)


__all__ = [
    "EXIT_BAD_INPUT",
    "check_timed_source",
    "is_timed_source",
    "print_timed_report",
    "read_timed_source",
]
