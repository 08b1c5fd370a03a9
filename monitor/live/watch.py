"""Watching a stream: a reader thread pulls audio from the source into a bounded queue, and the
caller's thread recognises and checks it, so a slow decode never stalls the network read (and
arrival times, hence latencies, are measured where the audio arrives)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.live.audio_blocks import AudioBlock, Resume
from monitor.live.speech_stream import Heard, SpeechStream
from monitor.live.stream_monitor import LiveResult, StreamMonitor
from monitor.live.stream_sources import EventSink, open_source

_QUEUE_BLOCKS = 240  # about 2 minutes of HLS segments or of 0.5 s blocks
_DROPPED = object()  # put in the queue when the source drops: what was heard so far is checked


@dataclass
class WatchSummary:
    blocks: int = 0
    sequences: list[int] = field(default_factory=list)
    events: list[tuple[str, dict]] = field(default_factory=list)
    error: Exception | None = None
    stopped: bool = False


def watch(
    source: str,
    monitor: StreamMonitor | SpeechStream,
    on_result: Callable[[LiveResult], None] | Callable[[Heard], None],
    on_event: EventSink,
    *,
    stop: threading.Event | None = None,
    allow: str = "",
    realtime: bool = False,
    max_outage_s: float = 300.0,
    is_file: bool = False,
    resume: Resume | None = None,
    on_block: Callable[[AudioBlock], None] | None = None,
) -> WatchSummary:
    """Run until the source ends, fails for good, or `stop` is set (Ctrl-C sets it). `allow`:
    the operator's allow list for non-public addresses (QINGLANG_WATCH_ALLOW), for every hop.
    `resume`: continue another reader's stream (stream_sources.open_source). `on_block` sees
    each block before `monitor` does (in the caller's thread). `monitor` is a StreamMonitor, or
    anything with its `push_audio` and `flush` (the speech half alone: speech_stream)."""
    stop = stop or threading.Event()
    summary = WatchSummary()
    blocks: queue.Queue = queue.Queue(maxsize=_QUEUE_BLOCKS)

    def event(kind: str, detail: dict) -> None:  # in the reader thread: printed by the caller's
        summary.events.append((kind, detail))
        put((kind, detail))
        if kind == "reconnecting":
            put(_DROPPED)

    def put(item) -> None:
        while not stop.is_set():
            try:
                blocks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def read() -> None:
        try:
            for block in open_source(
                source,
                stop=stop,
                on_event=event,
                allow=allow,
                realtime=realtime,
                max_outage_s=max_outage_s,
                is_file=is_file,
                resume=resume,
            ):
                put(block)
        except Exception as exc:  # handed to the caller's thread, which reports it
            summary.error = exc
        finally:
            put(None)

    reader = threading.Thread(target=read, name="qinglang-reader", daemon=True)
    on_event("started", {"source": source})
    reader.start()
    try:
        while True:
            if stop.is_set():  # Ctrl-C or SIGTERM (the CLI's handlers set it): stop at once
                summary.stopped = True
                break
            try:
                block = blocks.get(timeout=0.5)
            except queue.Empty:
                continue
            if isinstance(block, tuple):
                on_event(*block)
                continue
            if block is None or block is _DROPPED:
                for result in monitor.flush():
                    on_result(result)
                if block is None:
                    break
                continue
            summary.blocks += 1
            if block.sequence is not None:
                summary.sequences.append(block.sequence)
                on_event("received", {"sequence": block.sequence, "start": block.start})
            if on_block is not None:
                on_block(block)
            for result in monitor.push_audio(block.samples, block.start, arrived=block.arrived):
                on_result(result)
    except KeyboardInterrupt:
        summary.stopped = True
    finally:
        stop.set()
        reader.join(timeout=5)
    return summary
