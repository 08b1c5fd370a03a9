"""Reading a live stream as timed audio blocks, reconnecting with backoff when the source drops.

Every URL of a network source is fetched by `guarded_http.StreamFetcher` (each hop checked by the
URL policy) or, for RTMP, opened by FFmpeg at the checked address; FFmpeg never opens a URL of
an http(s) source itself, it decodes the bytes fetched for it.

- HLS (an answer starting with #EXTM3U, whatever its path): the playlist is polled and each
  media segment fetched once, by its media sequence number, so a reconnect neither repeats nor
  skips a segment that is still listed; if the outage outlasted the playlist's window, the lost
  segments are reported as a gap.
- Anything else FFmpeg reads (RTMP, HTTP-FLV, a local file) is decoded continuously; after a
  reconnect, audio whose stream time was already delivered is dropped by the chunker, and a
  timestamp reset (a new RTMP session starting at 0) is shifted to follow on.
A local file can be played at real speed, as if it were live.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urlsplit

import m3u8
import numpy as np

from .errors import InputError
from .guarded_http import FETCH_FAILED, BodyReader, Fetched, FetchFailed, StreamFetcher
from .media import NETWORK_INPUT, SAMPLE_RATE, decode_container
from .url_policy import AddressNotAllowed, check_target

logger = logging.getLogger("qinglang")
EventSink = Callable[[str, dict], None]
RTMP_SCHEMES = ("rtmp", "rtmps")
BAD_SEGMENT = (
    "片段无法解码（详情见服务日志）/ the segment could not be decoded (see the service log)"
)
_BLOCK_S = 0.5  # decoded frames are grouped into blocks of about this length
_PLAYLIST_MAX_BYTES = 1 << 20
_SEGMENT_MAX_BYTES = 32 << 20
# rw_timeout: 10 s without data is a drop (microseconds). Not "timeout": for RTMP it means listen.
_RTMP_OPTIONS = {"rw_timeout": "10000000"}


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


def open_source(
    source: str,
    *,
    stop: threading.Event,
    on_event: EventSink,
    allow: str = "",
    realtime: bool = False,
    max_outage_s: float = 300.0,
    is_file: bool = False,
) -> Iterator[AudioBlock]:
    """Audio blocks of `source`. A network source is read under the URL policy with the
    operator's `allow` list (QINGLANG_WATCH_ALLOW), every hop checked; a policy refusal ends it
    with AddressNotAllowed (an InputError, never retried)."""
    reading = {"stop": stop, "on_event": on_event, "max_outage_s": max_outage_s}
    if is_file:
        return ffmpeg_blocks(
            source, lambda: nullcontext(source), None, realtime=realtime, is_file=True, **reading
        )
    if urlsplit(source).scheme.lower() in RTMP_SCHEMES:
        return ffmpeg_blocks(
            source, lambda: nullcontext(_rtmp_address(source, allow)), _rtmp_options(source),
            realtime=realtime, is_file=False, **reading,
        )  # fmt: skip
    return http_blocks(source, allow, **reading)


def http_blocks(
    url: str, allow: str, *, stop: threading.Event, on_event: EventSink, max_outage_s: float
) -> Iterator[AudioBlock]:
    """An http(s) source: whatever the path says, an answer that starts with #EXTM3U is read as
    HLS by us; anything else is handed to FFmpeg as bytes (it never fetches a URL itself)."""
    reading = {"stop": stop, "on_event": on_event, "max_outage_s": max_outage_s}
    with StreamFetcher(allow) as fetcher:
        try:
            yield from ffmpeg_blocks(
                url, lambda: _media_body(fetcher, url), NETWORK_INPUT, realtime=False,
                is_file=False, **reading,
            )  # fmt: skip
        except _Playlist as found:
            yield from hls_blocks(found.url, fetcher, hop=found.hop, **reading)


class _Playlist(Exception):
    def __init__(self, url: str, hop: int):
        super().__init__(url)
        self.url, self.hop = url, hop


@contextmanager
def _media_body(fetcher: StreamFetcher, url: str) -> Iterator[BodyReader]:
    with fetcher.open(url) as body:
        if _is_playlist(body.peek(64)):
            raise _Playlist(body.url, body.hop)
        yield body


def _is_playlist(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


def _rtmp_address(source: str, allow: str) -> str:
    """The RTMP URL with its host replaced by the checked address FFmpeg must connect to."""
    return check_target(source, allow, schemes=RTMP_SCHEMES).pinned_url()


def _rtmp_options(source: str) -> dict[str, str]:
    """FFmpeg may speak RTMP over TCP (and TLS for rtmps) and nothing else, demux FLV only."""
    protocols = "rtmps,tcp,tls" if urlsplit(source).scheme.lower() == "rtmps" else "rtmp,tcp"
    return {**_RTMP_OPTIONS, "protocol_whitelist": protocols, "format_whitelist": "flv,live_flv"}


def hls_blocks(
    url: str,
    fetcher: StreamFetcher,
    *,
    hop: int,
    stop: threading.Event,
    on_event: EventSink,
    max_outage_s: float,
) -> Iterator[AudioBlock]:
    backoff = Backoff(max_outage_s)
    last_sequence: int | None = None
    first_time: float | None = None
    while not stop.is_set():
        try:
            playlist, playlist_hop = _media_playlist(fetcher, url, hop)
        except FetchFailed:
            _wait(stop, backoff.failure(url, FETCH_FAILED), on_event, url, FETCH_FAILED)
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
                data = _fetch_segment(fetcher, segment, playlist_hop + 1)
            except FetchFailed:
                _wait(stop, backoff.failure(url, FETCH_FAILED), on_event, url, FETCH_FAILED)
                failed = True
                break
            arrived = time.monotonic()
            last_sequence = sequence
            try:
                pieces = list(
                    decode_container(io.BytesIO(data), f"segment {sequence}", NETWORK_INPUT)
                )
            except InputError as exc:
                logger.warning("segment %s of %s: %s", sequence, url, exc)
                on_event("bad_segment", {"sequence": sequence, "error": BAD_SEGMENT})
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
        done = -1 if last_sequence is None else last_sequence
        if playlist.is_endlist and not any(n > done for n, _ in listed):
            on_event("end", {"last_sequence": last_sequence})
            return
        if not new:
            stop.wait(max(0.25, (playlist.target_duration or 2) / 2))


def _media_playlist(fetcher: StreamFetcher, url: str, hop: int) -> tuple[m3u8.M3U8, int]:
    """The media playlist at `url` (a master playlist's first variant) and its hop number."""
    playlist, hop = _load(fetcher, url, hop)
    if playlist.is_variant:  # a master playlist: follow its first variant
        if not playlist.playlists:
            logger.warning("master playlist %s has no variants", url)
            raise FetchFailed()
        playlist, hop = _load(fetcher, playlist.playlists[0].absolute_uri, hop + 1)
    return playlist, hop


def _load(fetcher: StreamFetcher, url: str, hop: int) -> tuple[m3u8.M3U8, int]:
    fetched = _get(fetcher, url, hop, _PLAYLIST_MAX_BYTES)
    text = fetched.content.decode("utf-8", "replace")
    if not _is_playlist(fetched.content):
        logger.warning("%s is not an HLS playlist", fetched.url)
        raise FetchFailed()
    return m3u8.loads(text, uri=fetched.url), fetched.hop


def _fetch_segment(fetcher: StreamFetcher, segment, hop: int) -> bytes:
    data = b""
    if segment.init_section is not None:  # fMP4 segments need their initialisation section
        data = _get(fetcher, segment.init_section.absolute_uri, hop, _SEGMENT_MAX_BYTES).content
    return data + _get(fetcher, segment.absolute_uri, hop, _SEGMENT_MAX_BYTES).content


def _get(fetcher: StreamFetcher, url: str, hop: int, max_bytes: int) -> Fetched:
    """`fetcher.get`; a URL that cannot even be resolved is a failure to retry, like a refused
    connection (a policy refusal is not: it propagates)."""
    try:
        return fetcher.get(url, hop=hop, max_bytes=max_bytes)
    except AddressNotAllowed:
        raise
    except InputError as exc:
        logger.warning("hop %d to %s: %s", hop, url, exc)
        raise FetchFailed() from None


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
) -> Iterator[AudioBlock]:
    """Decode what `open_input()` gives (a path, a checked RTMP URL, or a fetched body) with
    FFmpeg `options`, opening it again after a drop."""
    backoff = Backoff(max_outage_s, first_tries=1 if is_file else 3)
    delivered = 0.0  # stream time just after the last delivered sample
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
            _wait(stop, backoff.failure(name, FETCH_FAILED), on_event, name, FETCH_FAILED)
            continue
        if is_file or info.get("duration"):  # a recording (it has a length) ended: done
            on_event("end", {"duration_s": round(delivered, 3)})
            return
        # a live stream (no length) that ended may be a dropped connection: try again
        _wait(stop, backoff.failure(name, "stream ended"), on_event, name, "ended")


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


def _wait(
    stop: threading.Event, seconds: float, on_event: EventSink, source: str, why: str
) -> None:
    on_event("reconnecting", {"source": source, "in_s": seconds, "error": why})
    stop.wait(seconds)
