"""Reading an HLS stream: the playlist is polled (a master playlist's first variant followed) and
each media segment fetched once, by its media sequence number, so a reconnect neither repeats nor
skips a segment that is still listed; if the outage outlasted the playlist's window, the lost
segments are reported as a gap. A reader may resume where another stopped (the last sequence it
finished and its time origin), so stream times stay the same across readers. Every URL is fetched by `guarded_http.StreamFetcher` (each hop
checked by the URL policy); FFmpeg only decodes the fetched bytes."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Iterator

import m3u8
import numpy as np

from monitor.errors import InputError
from monitor.live.audio_blocks import AudioBlock, Backoff, EventSink, Resume, wait_to_retry
from monitor.live.guarded_http import FETCH_FAILED, Fetched, FetchFailed, StreamFetcher
from monitor.live.url_policy import AddressNotAllowed
from monitor.sources.media import NETWORK_INPUT, decode_container

logger = logging.getLogger("qinglang")
BAD_SEGMENT = (
    "片段无法解码（详情见服务日志）/ the segment could not be decoded (see the service log)"
)
_PLAYLIST_MAX_BYTES = 1 << 20
_SEGMENT_MAX_BYTES = 32 << 20


def is_playlist(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U")


def hls_blocks(
    url: str,
    fetcher: StreamFetcher,
    *,
    hop: int,
    stop: threading.Event,
    on_event: EventSink,
    max_outage_s: float,
    resume: Resume | None = None,
) -> Iterator[AudioBlock]:
    """The stream's audio blocks, segment by segment. `resume`: continue after its sequence with
    its time origin (the sequences no longer listed are a `gap`); each block carries the origin,
    so that whoever continues this reading may be given it."""
    backoff = Backoff(max_outage_s)
    last_sequence: int | None = resume.sequence if resume else None
    first_time: float | None = resume.origin if resume else None
    while not stop.is_set():
        try:
            playlist, playlist_hop = _media_playlist(fetcher, url, hop)
        except FetchFailed:
            wait_to_retry(stop, backoff.failure(url, FETCH_FAILED), on_event, url, FETCH_FAILED)
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
                wait_to_retry(stop, backoff.failure(url, FETCH_FAILED), on_event, url, FETCH_FAILED)
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
                origin=first_time,
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
    if not is_playlist(fetched.content):
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
