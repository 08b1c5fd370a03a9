"""Reading a live stream as timed audio blocks, reconnecting with backoff when the source drops.

- HLS (`.m3u8`): the playlist is polled and each media segment fetched once, by its media
  sequence number, so a reconnect neither repeats nor skips a segment that is still listed; if
  the outage outlasted the playlist's window, the lost segments are reported as a gap.
- Anything else FFmpeg reads (RTMP, HTTP-FLV, a local file) is decoded continuously; after a
  reconnect, audio whose stream time was already delivered is dropped by the chunker, and a
  timestamp reset (a new RTMP session starting at 0) is shifted to follow on.
A local file can be played at real speed, as if it were live.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import m3u8
import numpy as np

from .errors import InputError
from .media import SAMPLE_RATE, decode_container

EventSink = Callable[[str, dict], None]
_BLOCK_S = 0.5  # decoded frames are grouped into blocks of about this length
# rw_timeout: 10 s without data is a drop (microseconds). Not "timeout": for RTMP it means listen.
_NETWORK_OPTIONS = {"rw_timeout": "10000000"}


class SourceError(InputError):
    """The stream cannot be reached, or stayed away longer than allowed (`after_connect`: it
    had been read before, so this is the end of the stream rather than bad input)."""

    def __init__(self, message: str, after_connect: bool = False):
        super().__init__(message)
        self.after_connect = after_connect


@dataclass(frozen=True)
class AudioBlock:
    start: float  # stream time of the first sample, seconds
    samples: np.ndarray  # 16 kHz mono float32
    arrived: float  # time.monotonic() when it was read
    sequence: int | None = None  # HLS media sequence number


class Backoff:
    """Waits of 0.5, 1, 2, 4, 8, 8… s. A source that never answered fails after `first_tries`;
    one that answered before fails when it has been away for more than `max_outage_s`."""

    def __init__(self, max_outage_s: float, first_tries: int = 3, initial: float = 0.5):
        self.max_outage_s = max_outage_s
        self.first_tries = first_tries
        self.initial = initial
        self.connected = False
        self.reconnects = 0
        self._failures = 0
        self._since: float | None = None

    def success(self) -> None:
        if self._failures and self.connected:
            self.reconnects += 1
        self.connected = True
        self._failures = 0
        self._since = None

    def failure(self, source: str, why: str) -> float:
        now = time.monotonic()
        self._failures += 1
        self._since = self._since or now
        if not self.connected and self._failures >= self.first_tries:
            raise SourceError(f"无法连接直播源 / cannot connect to {source}: {why}")
        if self.connected and now - self._since > self.max_outage_s:
            raise SourceError(
                f"直播源中断超过 {self.max_outage_s:.0f} 秒 / {source} has been unreachable for "
                f"more than {self.max_outage_s:.0f} s: {why}",
                after_connect=True,
            )
        return min(8.0, self.initial * 2 ** (self._failures - 1))


def is_hls(source: str) -> bool:
    return urlsplit(source).path.lower().endswith(".m3u8")


def open_source(
    source: str,
    *,
    stop: threading.Event,
    on_event: EventSink,
    realtime: bool = False,
    max_outage_s: float = 300.0,
    is_file: bool = False,
) -> Iterator[AudioBlock]:
    if is_hls(source) and not is_file:
        return hls_blocks(source, stop=stop, on_event=on_event, max_outage_s=max_outage_s)
    return ffmpeg_blocks(
        source,
        stop=stop,
        on_event=on_event,
        realtime=realtime,
        max_outage_s=max_outage_s,
        is_file=is_file,
    )


def hls_blocks(
    url: str, *, stop: threading.Event, on_event: EventSink, max_outage_s: float
) -> Iterator[AudioBlock]:
    backoff = Backoff(max_outage_s)
    last_sequence: int | None = None
    first_time: float | None = None
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        while not stop.is_set():
            try:
                playlist = _media_playlist(client, url)
            except (httpx.HTTPError, ValueError) as exc:
                _wait(stop, backoff.failure(url, _why(exc)), on_event, url, exc)
                continue
            backoff.success()
            first = playlist.media_sequence or 0
            listed = list(enumerate(playlist.segments, start=first))
            new = [(n, s) for n, s in listed if last_sequence is None or n > last_sequence]
            if new and last_sequence is not None and new[0][0] > last_sequence + 1:
                on_event("gap", {"lost_segments": list(range(last_sequence + 1, new[0][0]))})
            failed = False
            for sequence, segment in new:
                if stop.is_set():
                    return
                try:
                    data = _fetch(client, segment)
                except httpx.HTTPError as exc:
                    _wait(stop, backoff.failure(url, _why(exc)), on_event, url, exc)
                    failed = True
                    break
                arrived = time.monotonic()
                last_sequence = sequence
                try:
                    pieces = list(decode_container(io.BytesIO(data), name=f"segment {sequence}"))
                except InputError as exc:
                    on_event("bad_segment", {"sequence": sequence, "error": str(exc)})
                    continue
                if not pieces:
                    continue
                start = next((t for t, _ in pieces if t is not None), None)
                if first_time is None:
                    first_time = start or 0.0
                samples = np.concatenate([p for _, p in pieces])
                yield AudioBlock(
                    start=(start - first_time) if start is not None else None,
                    samples=samples,
                    arrived=arrived,
                    sequence=sequence,
                )
            if failed:
                continue
            if playlist.is_endlist and not any(n > (last_sequence or -1) for n, _ in listed):
                on_event("end", {"last_sequence": last_sequence})
                return
            if not new:
                stop.wait(max(0.25, (playlist.target_duration or 2) / 2))


def _media_playlist(client: httpx.Client, url: str) -> m3u8.M3U8:
    playlist = _load(client, url)
    if playlist.is_variant:  # a master playlist: follow its first variant
        if not playlist.playlists:
            raise ValueError("master playlist without variants")
        playlist = _load(client, playlist.playlists[0].absolute_uri)
    return playlist


def _load(client: httpx.Client, url: str) -> m3u8.M3U8:
    response = client.get(url)
    response.raise_for_status()
    text = response.text
    if not text.lstrip().startswith("#EXTM3U"):
        raise ValueError("not an HLS playlist")
    return m3u8.loads(text, uri=url)


def _fetch(client: httpx.Client, segment) -> bytes:
    data = b""
    if segment.init_section is not None:  # fMP4 segments need their initialisation section
        init = client.get(segment.init_section.absolute_uri)
        init.raise_for_status()
        data = init.content
    response = client.get(segment.absolute_uri)
    response.raise_for_status()
    return data + response.content


def ffmpeg_blocks(
    source: str,
    *,
    stop: threading.Event,
    on_event: EventSink,
    realtime: bool,
    max_outage_s: float,
    is_file: bool,
) -> Iterator[AudioBlock]:
    backoff = Backoff(max_outage_s, first_tries=1 if is_file else 3)
    options = None if is_file else _NETWORK_OPTIONS
    delivered = 0.0  # stream time just after the last delivered sample
    while not stop.is_set():
        shift: float | None = None
        began = time.monotonic()
        info: dict = {}
        try:
            for start, samples in _grouped(decode_container(source, source, options, info)):
                if stop.is_set():
                    return
                backoff.success()
                if shift is None:  # first block of this connection
                    shift = (
                        delivered - start if start is not None and start < delivered - 1.0 else 0.0
                    )
                    if shift:
                        on_event("timestamp_reset", {"shift_s": round(shift, 3)})
                    began = time.monotonic() - ((start or 0.0) + shift if realtime else 0.0)
                when = (start if start is not None else delivered - shift) + shift
                if realtime:
                    stop.wait(max(0.0, began + when - time.monotonic()))
                yield AudioBlock(start=when, samples=samples, arrived=time.monotonic())
                delivered = max(delivered, when + len(samples) / SAMPLE_RATE)
        except InputError as exc:
            if is_file:
                raise
            _wait(stop, backoff.failure(source, str(exc)), on_event, source, exc)
            continue
        if is_file or info.get("duration"):  # a recording (it has a length) ended: done
            on_event("end", {"duration_s": round(delivered, 3)})
            return
        # a live stream (no length) that ended may be a dropped connection: try again
        _wait(stop, backoff.failure(source, "stream ended"), on_event, source, None)


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


def _wait(stop: threading.Event, seconds: float, on_event: EventSink, source: str, exc) -> None:
    on_event(
        "reconnecting", {"source": source, "in_s": seconds, "error": _why(exc) if exc else "ended"}
    )
    stop.wait(seconds)


def _why(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
