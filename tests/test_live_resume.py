"""Continuing a stream another reader began (issue 15: a worker taking a room over): the speech
half alone (audio to timed segments, no check), and HLS resumed after the last sequence done, with
the first reader's time origin, the sequences no longer listed reported as a gap."""

from __future__ import annotations

import threading
from contextlib import nullcontext

import numpy as np
from hls_server import LiveHls, cut_into_segments

from monitor.live.audio_blocks import AudioBlock, Resume
from monitor.live.guarded_http import StreamFetcher
from monitor.live.hls_reader import hls_blocks
from monitor.live.speech_stream import SpeechStream
from monitor.live.stream_sources import ffmpeg_blocks, skip_before
from monitor.sources.media import SAMPLE_RATE, decode_file


def test_the_speech_half_gives_timed_segments_and_how_far_the_audio_is_covered(
    transcriber_en, claims_audio
):
    path, _ = claims_audio
    samples = decode_file(path, 10**9)
    speech = SpeechStream(transcriber_en)
    heard, step = [], SAMPLE_RATE // 2
    covered = []
    for offset in range(0, len(samples), step):
        heard += speech.push_audio(samples[offset : offset + step], offset / SAMPLE_RATE)
        covered.append(speech.covered_s)
    heard += speech.flush()
    segments = [s for h in heard for s in h.segments]
    text = " ".join(s.text for s in segments).lower()
    assert "in the world" in text and "blood pressure" in text
    assert all(not hasattr(h, "report") for h in heard)  # no check: the API node does it
    assert covered == sorted(covered) and covered[-1] < len(samples) / SAMPLE_RATE
    assert speech.covered_s == len(samples) / SAMPLE_RATE  # after the flush: all of it
    for segment in segments:  # what was heard before a point is covered by the point
        assert segment.end <= speech.covered_s


def read_all(url: str, resume: Resume | None = None) -> tuple[list[AudioBlock], list]:
    events: list = []
    with StreamFetcher("127.0.0.1") as fetcher:
        blocks = list(
            hls_blocks(
                url, fetcher, hop=0, stop=threading.Event(),
                on_event=lambda kind, detail: events.append((kind, detail)), max_outage_s=5,
                resume=resume,
            )
        )  # fmt: skip
    return blocks, events


def test_a_resumed_hls_reader_keeps_the_stream_times_and_reports_the_lost_sequences(
    claims_audio, tmp_path
):
    path, _ = claims_audio
    segments = cut_into_segments(path, tmp_path)
    assert len(segments) >= 4
    live = LiveHls(tmp_path, segments, speed=1000).start()
    try:
        first, _ = read_all(live.url)
        origin = first[0].origin
        assert origin is not None and all(b.origin == origin for b in first)
        live.first_listed = 3  # the window slid: sequences 0–2 are no longer listed
        resumed, events = read_all(live.url, Resume(sequence=1, origin=origin))
    finally:
        live.stop()
    assert [b.sequence for b in resumed] == list(range(3, len(segments)))
    assert ("gap", {"lost_segments": [2]}) in events
    by_sequence = {b.sequence: b.start for b in first}
    for block in resumed:  # the same stream times as the first reader's
        assert abs(block.start - by_sequence[block.sequence]) < 1e-6
        assert block.origin == origin


def test_audio_before_the_resume_time_is_skipped():
    second = np.ones(SAMPLE_RATE, dtype=np.float32)
    blocks = [AudioBlock(start=float(t), samples=second, arrived=0.0) for t in range(4)]
    kept = list(skip_before(iter(blocks), 1.5))
    assert [b.start for b in kept] == [1.5, 2.0, 3.0]
    assert len(kept[0].samples) == SAMPLE_RATE // 2


def test_a_resumed_reader_of_a_source_whose_times_start_again_follows_on(claims_audio):
    path, _ = claims_audio
    events: list = []
    blocks = list(
        ffmpeg_blocks(
            str(path), lambda: nullcontext(str(path)), None, stop=threading.Event(),
            on_event=lambda kind, detail: events.append(kind), realtime=False, max_outage_s=5,
            is_file=False, resumed_at=30.0,
        )
    )  # fmt: skip
    assert blocks[0].start == 30.0 and "timestamp_reset" in events  # after what was delivered
    assert blocks[-1].start > 30.0
