"""One live room held by this worker: its audio becomes timed text, posted to the API node.

The runner fetches the room (GET /v1/worker/rooms/{id}: its source and resume point), then
- watches its `source_url` from the resume point (HLS after the last sequence done, with the
  stream's time origin; other sources skip the audio before `stream_s`), and/or
- reads its pushed input from the room's broker stream after `input_entry`: caption lines become
  segments as they are, pushed audio goes through the speech half (live/speech_stream).
Each result is posted with the position it reaches (room_position, outbox). A `stop` input or a
room no longer active: flush what was heard, post it, POST /end, finish the lease and drop the
room's input. The source ended or failed: the same with `ended` / `failed`. A 409 (another worker
holds the room now) or a heartbeat that lost it: drop everything at once. Released (the worker is
too slow or is stopping): post what was produced, then give the room back; the next worker resumes
from the position posted.

In a URL room, pushed caption lines and `stop` are read too; pushed audio is ignored there (the
room already hears its source).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import numpy as np
import redis

from monitor.broker import leases, room_input
from monitor.broker.leases import WorkItem
from monitor.live.audio_blocks import AudioBlock, Resume, backoff_s
from monitor.live.speech_stream import Heard, SpeechStream
from monitor.live.watch import watch
from monitor.sources.media import SAMPLE_RATE, decode_bytes
from monitor.worker.api_client import ApiRefused, ApiUnavailable, NotHeld, WorkerApi
from monitor.worker.held import Held
from monitor.worker.outbox import Outbox
from monitor.worker.room_position import RoomPosition
from monitor.worker.rtf import RtfMeter

logger = logging.getLogger("qinglang")
POSITION_EVERY_S = 2.0  # a room's position is posted at least this often (also tells its state)
RELEASE_SEND_S = 10.0  # a released room's results are retried this long before it is given back
INPUT_BLOCK_MS = 1000
_NOT_POSTED = {"end", "started"}  # reader events the API node hears otherwise (/end, the GET)


class RoomRunner(Held):
    def __init__(
        self,
        item: WorkItem,
        api: WorkerApi,
        broker: redis.Redis,
        raw_broker: redis.Redis,
        transcriber,
        *,
        allow: str = "",
        on_done: Callable[[RoomRunner], None] = lambda runner: None,
    ):
        super().__init__(item, on_done, f"qinglang-room-{item.item_id}")
        self.room_id = item.item_id
        self.api, self.broker, self.raw_broker = api, broker, raw_broker
        self.transcriber, self.allow = transcriber, allow
        self.meter = RtfMeter()
        self._reading = threading.Event()  # set: stop reading the source and the input
        self._stop_input = False
        self._inactive = False
        self._outbox = Outbox()
        self._send_lock = threading.Lock()
        self._failures, self._next_try, self._last_post = 0, 0.0, 0.0
        self._speech: SpeechStream | None = None
        self._position = RoomPosition()
        self._resumed_audio_s = 0.0

    # --- control (from the lease loop) ----------------------------------------------------

    def lose(self) -> None:
        """Another worker holds the room now: drop it at once, post nothing more."""
        super().lose()
        self._reading.set()

    def release(self) -> None:
        """Give the room back (too slow, or the worker stops) after posting what was produced."""
        super().release()
        self._reading.set()

    # --- the room -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            room = self._fetch()
            if room is not None:
                self._follow(room)
        except NotHeld:
            self._lost.set()
        except Exception:
            logger.exception("room %s", self.room_id)
            self._released.set()
        finally:
            self._settle()
            self.on_done(self)

    def _fetch(self) -> dict | None:
        """The room (its source, state and resume point); None when dropped meanwhile."""
        while not self._reading.is_set():
            try:
                return self.api.get_room(self.room_id)
            except ApiUnavailable:
                continue  # the client waited with backoff; the lease is kept by heartbeats
        return None

    def _follow(self, room: dict) -> None:
        resume = room.get("resume") or {}
        self._position = RoomPosition(resume)
        self._resumed_audio_s = float(resume.get("stream_s") or 0.0)
        self._speech = SpeechStream(self.transcriber)
        if room.get("state") != "active":
            self._finish("stopped")
            return
        if room.get("source_url"):
            self._watch(room["source_url"], resume)
        else:
            self._read_pushed(resume, url_room=False)
            if not (self._lost.is_set() or self._released.is_set()):
                self._finish("stopped")

    def _watch(self, url: str, resume: dict) -> None:
        inputs = threading.Thread(
            target=self._read_pushed, args=(resume, True), daemon=True,
            name=f"qinglang-room-{self.room_id}-input",
        )  # fmt: skip
        inputs.start()
        summary = watch(
            url, _Metered(self._speech, self.meter), self._heard, self._event,
            stop=self._reading, allow=self.allow, on_block=self._block,
            resume=Resume(resume.get("sequence"), resume.get("origin"), resume.get("stream_s")),
        )  # fmt: skip
        self._reading.set()
        inputs.join(timeout=5)
        if self._lost.is_set() or self._released.is_set():
            return
        if self._stop_input or self._inactive:
            self._finish("stopped")
        elif summary.error is not None:
            self._post([], [{"type": "error", "detail": {"error": str(summary.error)}}])
            self._finish("failed", str(summary.error))
        else:
            self._finish("ended")

    def _read_pushed(self, resume: dict, url_room: bool) -> None:
        """Read the room's pushed input after the last entry the store recorded as consumed."""
        after = resume.get("input_entry")
        start = resume.get("origin")
        audio_at = float(start if start is not None else resume.get("stream_s") or 0.0)
        skip_before = float(resume.get("stream_s") or 0.0)
        while not self._reading.is_set():
            if self._outbox.full:
                self._send(block=True)
                continue
            try:
                entries = room_input.read(
                    self.raw_broker, self.room_id, after, count=50, block_ms=INPUT_BLOCK_MS
                )
            except redis.RedisError as exc:
                logger.warning("room %s input: %s", self.room_id, exc)
                self._reading.wait(1.0)
                continue
            for entry in entries:
                if self._reading.is_set():
                    return
                after = entry.entry_id
                if entry.type == "stop":
                    self._stop_input = True
                    self._reading.set()
                    return
                if entry.type == "caption":
                    self._caption(entry)
                elif url_room:
                    logger.warning("room %s: pushed audio ignored (it has a source)", self.room_id)
                    self._position.input(entry.entry_id, None)
                else:
                    audio_at = self._pushed_audio(entry, audio_at, skip_before)
            self._tick()

    def _caption(self, entry: room_input.RoomInput) -> None:
        segment = json.loads(entry.data.decode("utf-8"))
        pushed_at = int(entry.entry_id.split("-")[0]) / 1000  # the entry id starts with its ms
        self._position.input(entry.entry_id, None)
        result = {"segments": [segment], "latency_s": round(max(0.0, time.time() - pushed_at), 3),
                  "warnings": []}  # fmt: skip
        self._post([result])

    def _pushed_audio(self, entry: room_input.RoomInput, at: float, skip_before: float) -> float:
        """Pushed PCM or an encoded chunk, placed at stream time `at`; the time after it."""
        if entry.type == "pcm":
            samples = np.frombuffer(entry.data, dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = decode_bytes(entry.data, "chunk")
        end = at + len(samples) / SAMPLE_RATE
        self._position.input(entry.entry_id, end)
        skip = max(0, round((skip_before - at) * SAMPLE_RATE))
        if skip < len(samples):
            heard = _Metered(self._speech, self.meter).push_audio(
                samples[skip:], at + skip / SAMPLE_RATE
            )
            for item in heard:
                self._heard(item)
        return end

    # --- results --------------------------------------------------------------------------

    def _block(self, block: AudioBlock) -> None:
        """A block from the source goes to the speech half: track its sequence, post if due."""
        end = (block.start or 0.0) + len(block.samples) / SAMPLE_RATE
        self._position.block(block.sequence, end, block.origin)
        if self._outbox.full:
            self._send(block=True)
        self._tick()

    def _heard(self, heard: Heard) -> None:
        result = {
            "segments": [s.to_dict() for s in heard.segments],
            "latency_s": round(max(0.0, time.monotonic() - heard.arrived), 3),
            "warnings": [w.to_dict() for w in heard.warnings],
        }
        self._post([result])

    def _event(self, kind: str, detail: dict) -> None:
        if kind not in _NOT_POSTED:
            self._post([], [{"type": kind, "detail": detail}])

    def _tick(self) -> None:
        """Post the position (and learn the room's state) when nothing was posted for a while."""
        if time.monotonic() - self._last_post >= POSITION_EVERY_S:
            self._post([])

    def _post(self, results: list[dict], events: list[dict] | None = None) -> None:
        if self._lost.is_set():
            return
        covered = self._speech.covered_s if self._speech else None
        audio_s = self._resumed_audio_s + (self._speech.audio_s if self._speech else 0.0)
        self._outbox.add(results, events or [], self._position.snapshot(covered), audio_s)
        self._last_post = time.monotonic()
        self._send(block=False)

    def _send(self, block: bool, within_s: float | None = None) -> bool:
        """Send the waiting postings, oldest first; True when all are acknowledged. Not `block`:
        one try, unless the last failure is too recent. `block`: until done, lost, or
        `within_s` passed."""
        deadline = None if within_s is None else time.monotonic() + within_s
        with self._send_lock:
            while not self._lost.is_set():
                taken = self._outbox.next_body()
                if taken is None:
                    return True
                if not block and time.monotonic() < self._next_try:
                    return False
                body, count = taken
                try:
                    answer = self.api.post_results(self.room_id, body, attempts=1)
                except ApiUnavailable:
                    self._failures += 1
                    wait = backoff_s(self._failures)
                    self._next_try = time.monotonic() + wait
                    if not block or (deadline is not None and time.monotonic() + wait > deadline):
                        return False
                    self._lost.wait(wait)
                    continue
                except NotHeld:
                    self.lose()
                    return False
                self._failures, self._next_try = 0, 0.0
                self._outbox.acknowledged(count)
                if (answer or {}).get("state", "active") != "active":
                    self._inactive = True
                    self._reading.set()
        return False

    # --- the end ---------------------------------------------------------------------------

    def _finish(self, state: str, error: str | None = None) -> None:
        """The room is over: post what is still heard, then /end, finish the lease, drop input."""
        if self._speech is not None:
            for heard in self._speech.flush():
                self._heard(heard)
        self._post([])
        if not self._send(block=True):
            return
        while not self._lost.is_set():
            try:
                self.api.end_room(self.room_id, state, error)
                break
            except ApiUnavailable:
                continue
            except NotHeld:
                self.lose()
                return
            except ApiRefused as exc:
                logger.error("room %s: /end refused: %s", self.room_id, exc)
                break
        if self._lost.is_set():
            return
        leases.finish(self.broker, self.api.consumer, self.item)
        room_input.drop(self.broker, self.room_id)
        self.outcome = "finished"

    def _settle(self) -> None:
        """After the room's thread stops: give the room back when released, else it was lost."""
        if self.outcome is not None:
            return
        if self._lost.is_set():
            self.outcome = "lost"
            return
        self._send(block=True, within_s=RELEASE_SEND_S)
        try:
            leases.give_back(self.broker, self.api.consumer, self.item)
        except redis.RedisError as exc:  # the lease runs out and another worker takes it over
            logger.warning("room %s: giving back failed: %s", self.room_id, exc)
        self.outcome = "released"


class _Metered:
    """The speech half, timing each call against the audio it was given (for the RTF)."""

    def __init__(self, speech: SpeechStream, meter: RtfMeter):
        self.speech, self.meter = speech, meter

    def push_audio(self, samples, stream_time=None, arrived=None) -> list[Heard]:
        began = time.monotonic()
        heard = self.speech.push_audio(samples, stream_time, arrived)
        self.meter.add(time.monotonic() - began, len(samples) / SAMPLE_RATE)
        return heard

    def flush(self) -> list[Heard]:
        return self.speech.flush()
