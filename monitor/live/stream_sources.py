"""Reading a live stream as timed audio blocks, reconnecting with backoff when the source drops.

Every URL of a network source is fetched by `guarded_http.StreamFetcher` (each hop checked by the
URL policy) or, for RTMP, opened by FFmpeg at the checked address; FFmpeg never opens a URL of
an http(s) source itself, it decodes the bytes fetched for it.

- HLS (an answer starting with #EXTM3U, whatever its path) is read by live/hls_reader.py.
- Anything else FFmpeg reads (RTMP, HTTP-FLV, a local file) is decoded continuously; after a
  reconnect, audio whose stream time was already delivered is dropped by the chunker, and a
  timestamp reset (a new RTMP session starting at 0) is shifted to follow on, also when the
  reader resumes a stream another reader delivered up to some time.
A local file can be played at real speed, as if it were live.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from typing import BinaryIO
from urllib.parse import urlsplit

import numpy as np

from monitor.errors import InputError
from monitor.live.audio_blocks import AudioBlock, Backoff, EventSink, Resume, wait_to_retry
from monitor.live.guarded_http import FETCH_FAILED, BodyReader, FetchFailed, StreamFetcher
from monitor.live.hls_reader import hls_blocks, is_playlist
from monitor.live.url_policy import AddressNotAllowed, check_target
from monitor.sources.media import NETWORK_INPUT, SAMPLE_RATE, decode_container

logger = logging.getLogger("qinglang")
RTMP_SCHEMES = ("rtmp", "rtmps")
_BLOCK_S = 0.5  # decoded frames are grouped into blocks of about this length
# rw_timeout: 10 s without data is a drop (microseconds). Not "timeout": for RTMP it means listen.
_RTMP_OPTIONS = {"rw_timeout": "10000000"}


def open_source(
    source: str,
    *,
    stop: threading.Event,
    on_event: EventSink,
    allow: str = "",
    realtime: bool = False,
    max_outage_s: float = 300.0,
    is_file: bool = False,
    resume: Resume | None = None,
) -> Iterator[AudioBlock]:
    """Audio blocks of `source`. A network source is read under the URL policy with the
    operator's `allow` list (QINGLANG_WATCH_ALLOW), every hop checked; a policy refusal ends it
    with AddressNotAllowed (an InputError, never retried). `resume`: continue another reader's
    stream (HLS after its last sequence, with its time origin); audio before `resume.stream_s`
    is skipped, whatever the source."""
    reading = {"stop": stop, "on_event": on_event, "max_outage_s": max_outage_s}
    if is_file:
        blocks = ffmpeg_blocks(
            source, lambda: nullcontext(source), None, realtime=realtime, is_file=True, **reading
        )
    elif urlsplit(source).scheme.lower() in RTMP_SCHEMES:
        blocks = ffmpeg_blocks(
            source, lambda: nullcontext(_rtmp_address(source, allow)), _rtmp_options(source),
            realtime=realtime, is_file=False, resumed_at=_resumed_at(resume), **reading,
        )  # fmt: skip
    else:
        blocks = http_blocks(source, allow, resume=resume, **reading)
    if resume is None or resume.stream_s is None:
        return blocks
    return skip_before(blocks, resume.stream_s)


def _resumed_at(resume: Resume | None) -> float:
    """Where the stream was delivered up to by the reader this one continues (0: none)."""
    return (resume.stream_s or 0.0) if resume is not None else 0.0


def skip_before(blocks: Iterator[AudioBlock], stream_s: float) -> Iterator[AudioBlock]:
    """The blocks with the audio before stream time `stream_s` cut off (done by another reader)."""
    for block in blocks:
        if block.start is None:
            yield block
            continue
        skip = round((stream_s - block.start) * SAMPLE_RATE)
        if skip >= len(block.samples):
            continue
        if skip > 0:
            block = replace(block, start=stream_s, samples=block.samples[skip:])
        yield block


def http_blocks(
    url: str,
    allow: str,
    *,
    stop: threading.Event,
    on_event: EventSink,
    max_outage_s: float,
    resume: Resume | None = None,
) -> Iterator[AudioBlock]:
    """An http(s) source: whatever the path says, an answer that starts with #EXTM3U is read as
    HLS by us; anything else is handed to FFmpeg as bytes (it never fetches a URL itself)."""
    reading = {"stop": stop, "on_event": on_event, "max_outage_s": max_outage_s}
    with StreamFetcher(allow) as fetcher:
        try:
            yield from ffmpeg_blocks(
                url, lambda: _media_body(fetcher, url), NETWORK_INPUT, realtime=False,
                is_file=False, resumed_at=_resumed_at(resume), **reading,
            )  # fmt: skip
        except _Playlist as found:
            yield from hls_blocks(found.url, fetcher, hop=found.hop, resume=resume, **reading)


class _Playlist(Exception):
    def __init__(self, url: str, hop: int):
        super().__init__(url)
        self.url, self.hop = url, hop


@contextmanager
def _media_body(fetcher: StreamFetcher, url: str) -> Iterator[BodyReader]:
    with fetcher.open(url) as body:
        if is_playlist(body.peek(64)):
            raise _Playlist(body.url, body.hop)
        yield body


def _rtmp_address(source: str, allow: str) -> str:
    """The RTMP URL with its host replaced by the checked address FFmpeg must connect to."""
    return check_target(source, allow, schemes=RTMP_SCHEMES).pinned_url()


def _rtmp_options(source: str) -> dict[str, str]:
    """FFmpeg may speak RTMP over TCP (and TLS for rtmps) and nothing else, demux FLV only."""
    protocols = "rtmps,tcp,tls" if urlsplit(source).scheme.lower() == "rtmps" else "rtmp,tcp"
    return {**_RTMP_OPTIONS, "protocol_whitelist": protocols, "format_whitelist": "flv,live_flv"}


def ffmpeg_blocks(
    name: str,
    open_input: Callable[[], AbstractContextManager[str | BinaryIO]],
    options: dict[str, str] | None,
    *,
    stop: threading.Event,
    on_event: EventSink,
    realtime: bool,
    max_outage_s: float,
    is_file: bool,
    resumed_at: float = 0.0,
) -> Iterator[AudioBlock]:
    """Decode what `open_input()` gives (a path, a checked RTMP URL, or a fetched body) with
    FFmpeg `options`, opening it again after a drop. `resumed_at`: another reader delivered the
    stream up to this time, so a source whose timestamps start again from 0 follows on after it
    (one whose timestamps went on is not shifted: open_source skips what was delivered)."""
    backoff = Backoff(max_outage_s, first_tries=1 if is_file else 3)
    delivered = resumed_at  # stream time just after the last delivered sample
    while not stop.is_set():
        shift: float | None = None
        began = time.monotonic()
        info: dict = {}
        try:
            with open_input() as source:
                for start, samples in _grouped(decode_container(source, name, options, info)):
                    if stop.is_set():
                        return
                    backoff.success()
                    if shift is None:  # first block of this connection
                        shift = (
                            delivered - start
                            if start is not None and start < delivered - 1.0
                            else 0.0
                        )
                        if shift:
                            on_event("timestamp_reset", {"shift_s": round(shift, 3)})
                        began = time.monotonic() - ((start or 0.0) + shift if realtime else 0.0)
                    when = (start if start is not None else delivered - shift) + shift
                    if realtime:
                        stop.wait(max(0.0, began + when - time.monotonic()))
                    yield AudioBlock(start=when, samples=samples, arrived=time.monotonic())
                    delivered = max(delivered, when + len(samples) / SAMPLE_RATE)
        except AddressNotAllowed:
            raise
        except (InputError, FetchFailed) as exc:
            if is_file:
                raise
            logger.warning("reading %s failed: %s", name, exc)
            wait_to_retry(stop, backoff.failure(name, FETCH_FAILED), on_event, name, FETCH_FAILED)
            continue
        if is_file or info.get("duration"):  # a recording (it has a length) ended: done
            on_event("end", {"duration_s": round(delivered, 3)})
            return
        # a live stream (no length) that ended may be a dropped connection: try again
        wait_to_retry(stop, backoff.failure(name, "stream ended"), on_event, name, "ended")


def _grouped(
    pieces: Iterator[tuple[float | None, np.ndarray]],
) -> Iterator[tuple[float | None, np.ndarray]]:
    start, parts, size = None, [], 0
    for time_, samples in pieces:
        if not parts:
            start = time_
        parts.append(samples)
        size += len(samples)
        if size >= _BLOCK_S * SAMPLE_RATE:
            yield start, np.concatenate(parts)
            parts, size = [], 0
    if parts:
        yield start, np.concatenate(parts)
