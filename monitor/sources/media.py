"""Audio in: any file or stream PyAV (FFmpeg) can read, as 16 kHz mono float32 samples.

Errors become `InputError`s that name the file and the problem (not media, truncated, no audio
track), never a traceback.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from monitor.errors import InputError, InputTooLarge
from monitor.sizes import readable_size
from monitor.vocabulary import MEDIA_MAX_SECONDS, MEDIA_SUFFIXES

SAMPLE_RATE = 16_000
# For bytes from the network (a stream, a pushed chunk): only these demuxers, none of which opens
# another URL or file (no HLS, DASH, concat, image sequences), and no protocol (the bytes are
# handed over, FFmpeg fetches nothing itself).
NETWORK_INPUT = {
    "format_whitelist": "flv,live_flv,mpegts,aac,mp3,ogg,matroska,mov,wav,flac",
    "protocol_whitelist": "none",
}


def is_media_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in MEDIA_SUFFIXES


def check_recording(path: str | Path, max_bytes: int, max_seconds: float) -> float | None:
    """The duration in seconds the container's header gives (None when it gives none), once the
    file is known to be within `max_bytes` and `max_seconds`: nothing is decoded."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"文件不存在 / no such file: {path}") from None
    if size > max_bytes:
        raise InputTooLarge(
            f"文件过大（{readable_size(size)}，上限 {readable_size(max_bytes)}）/ {path} is "
            f"{readable_size(size)}, more than the limit of {readable_size(max_bytes)} "
            "(QINGLANG_MAX_MEDIA_BYTES)",
            {"limit": "max_media_bytes", "value": max_bytes},
        )
    duration = probe_duration(path, str(path))
    check_duration(duration, max_seconds, str(path))
    return duration


def probe_duration(source: str | Path, name: str) -> float | None:
    """The duration in seconds a recording's container header gives, or None; nothing decoded."""
    try:
        with av.open(str(source), options={"protocol_whitelist": "file"}) as container:
            if not container.streams.audio:
                raise InputError(f"没有音轨 / no audio track in {name}")
            return container.duration / 1_000_000 if container.duration else None
    except av.FFmpegError as exc:
        raise InputError(
            f"无法读取音视频 / not a readable audio or video source: {name} ({_why(exc)})"
        ) from None


def check_duration(duration: float | None, max_seconds: float, name: str) -> None:
    """InputTooLarge naming the duration when a recording is longer than `max_seconds`."""
    if duration is not None and duration > max_seconds:
        raise InputTooLarge(
            f"{name}: 音视频时长 {_hours(duration)} 超过 {_hours(max_seconds)} 上限 / the recording "
            f"lasts {_hours(duration)}, more than the limit of {_hours(max_seconds)} "
            "(QINGLANG_MEDIA_MAX_SECONDS)",
            {"limit": "media_max_seconds", "value": max_seconds, "duration_s": round(duration, 3)},
        )


def _hours(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def decode_file(
    path: str | Path, max_bytes: int, max_seconds: float = MEDIA_MAX_SECONDS
) -> np.ndarray:
    """The whole audio track of a short file, resampled to 16 kHz mono float32 (a long one is
    read in windows: `monitor.sources.audio_windows`)."""
    check_recording(path, max_bytes, max_seconds)
    chunks = [samples for _, samples in decode_container(str(path), name=str(path))]
    if not chunks:
        raise InputError(f"音轨为空 / no audio samples in {path}")
    return np.concatenate(chunks)


def decode_container(
    source: str | BinaryIO,
    name: str,
    options: dict[str, str] | None = None,
    info: dict | None = None,
) -> Iterator[tuple[float | None, np.ndarray]]:
    """(stream time of the first sample, samples) per decoded block, as the container is read.
    `info`, when given, receives `duration` (seconds; None for a live stream)."""
    try:
        container = av.open(source, mode="r", options=options or {}, metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise InputError(
            f"无法读取音视频 / not a readable audio or video source: {name} ({_why(exc)})"
        ) from None
    with container:
        if not container.streams.audio:
            raise InputError(f"没有音轨 / no audio track in {name}")
        stream = container.streams.audio[0]
        if info is not None:
            info["duration"] = container.duration / 1_000_000 if container.duration else None
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                start = float(frame.time) if frame.time is not None else None
                for out in resampler.resample(frame):
                    yield _time_of(out, start), out.to_ndarray().reshape(-1)
                    start = None
            for out in resampler.resample(None):
                yield _time_of(out, None), out.to_ndarray().reshape(-1)
        except av.FFmpegError as exc:
            raise InputError(f"音视频解码失败 / cannot decode {name} ({_why(exc)})") from None


def decode_bytes(data: bytes, name: str) -> np.ndarray:
    """A self-contained encoded chunk (a WAV, an MPEG-TS segment, an Ogg page run…) as samples."""
    chunks = [samples for _, samples in decode_container(io.BytesIO(data), name, NETWORK_INPUT)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def _time_of(frame, start: float | None) -> float | None:
    if start is not None:
        return start
    return float(frame.time) if frame.time is not None else None


def _why(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)
