"""A recording read as a sequence of bounded windows of 16 kHz mono samples, so that however long
it is, no more than one window (and the decoder's few blocks) is in memory. A window ends at the
quietest moment of its last seconds, so that a word is rarely cut in two.

I/O edge: decoding runs through PyAV (`monitor.sources.media.decode_container`), block by block.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.errors import InputError
from monitor.sources.media import SAMPLE_RATE, check_duration, decode_container


@dataclass(frozen=True)
class WindowRules:
    """How a long recording is cut for recognition."""

    window_s: float = 300.0
    """Longest window, in seconds (300 s of samples: 19 MB)."""
    search_s: float = 20.0
    """The window's last seconds searched for its quietest moment to cut at."""
    quiet_s: float = 0.25
    """Length of the moments compared, in seconds."""


@dataclass(frozen=True)
class Window:
    start: float  # seconds from the beginning of the recording
    samples: np.ndarray


def recording_windows(
    path: str | Path, max_seconds: float, rules: WindowRules | None = None
) -> Iterator[Window]:
    """The audio of a recording in windows; InputTooLarge as soon as more than `max_seconds` has
    been decoded (a container that gives no duration, or a wrong one)."""
    name = str(path)
    blocks = (samples for _, samples in decode_container(name, name=name))
    seen = False
    for window in windows(blocks, rules or WindowRules()):
        seen = True
        end = window.start + len(window.samples) / SAMPLE_RATE
        check_duration(end, max_seconds, name)
        yield window
    if not seen:
        raise InputError(f"音轨为空 / no audio samples in {name}")


def windows(blocks: Iterable[np.ndarray], rules: WindowRules) -> Iterator[Window]:
    """Consecutive blocks of samples regrouped into windows of at most `rules.window_s`."""
    limit = int(rules.window_s * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    size, start = 0, 0
    for block in blocks:
        pending.append(block)
        size += len(block)
        while size >= limit:
            buffer = np.concatenate(pending)
            cut = quiet_cut(buffer[:limit], rules)
            yield Window(start / SAMPLE_RATE, buffer[:cut])
            start += cut
            pending, size = [buffer[cut:]], len(buffer) - cut
    if size:
        yield Window(start / SAMPLE_RATE, np.concatenate(pending))


def quiet_cut(samples: np.ndarray, rules: WindowRules) -> int:
    """Where to end a full window: the end of its quietest `quiet_s` within the last `search_s`."""
    step = max(1, int(rules.quiet_s * SAMPLE_RATE))
    search = min(len(samples), int(rules.search_s * SAMPLE_RATE)) // step * step
    if search < step:
        return len(samples)
    tail = samples[len(samples) - search :].reshape(-1, step)
    quietest = int(np.argmin(np.square(tail).mean(axis=1)))
    return len(samples) - search + (quietest + 1) * step
