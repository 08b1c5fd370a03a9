"""Redis Streams through the broker's own functions, against a redis-server started on loopback for
the run (tests/redis_server.py: no persistence), one Python client, each call a round trip:

- a room's pushed input: caption lines (a Segment's JSON, as the API node pushes them) and 0.5 s
  PCM blocks (16 kHz s16le, 16,000 bytes) through `room_input.push`, read back by
  `room_input.read` in batches as the worker holding the room reads them;
- the work queue: `queue.enqueue`, then `leases.claim_next` + `leases.finish` per item;
- broker overhead per segment: one caption pushed and read back (count=1, as a live worker reads
  when it keeps up) and parsed, against an in-process function call handing the same Segment
  over (what the single-machine service does), in the same run;
- the server's own XADD rate with redis-benchmark (50 clients, pipelined), caption-sized and
  PCM-block-sized entries, to tell what one Redis takes from many API processes apart from what
  one Python client's round trips cost.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import redis

from monitor.broker import leases, queue, room_input
from monitor.sources.captions import parse_caption_line
from monitor.sources.segments import Segment

from .scale_text import room_results

TESTS = Path(__file__).resolve().parent.parent / "tests"
CAPTIONS = 10_000
PCM_BLOCKS = 2_000
PCM_BLOCK = b"\x01\x02" * 8_000  # 0.5 s of 16 kHz s16le
QUEUE_ITEMS = 3_000
ROUND_TRIPS = 3_000
ROOMS = 10
READ_BATCH = 100
CONSUMER = "w0.bench.0.0000"


@dataclass(frozen=True)
class Rate:
    what: str
    items: int
    seconds: float
    item_bytes: int = 0

    @property
    def per_s(self) -> float:
        return self.items / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.items * self.item_bytes / self.seconds / 1e6


@dataclass(frozen=True)
class Overhead:
    segments: int
    broker_s: float  # per segment: push, read back, parse
    in_process_s: float  # per segment: a function call handing it over

    @property
    def ratio(self) -> float:
        return self.broker_s / self.in_process_s


def redis_on_loopback(folder: Path) -> AbstractContextManager:
    """tests/redis_server.py's server (a free loopback port, no persistence), started for the run."""
    if str(TESTS) not in sys.path:
        sys.path.append(str(TESTS))
    from redis_server import running_redis

    return running_redis(folder)


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def caption_lines(count: int) -> list[bytes]:
    segments = [s for result in room_results(count // 3 + 1) for s in result][:count]
    return [json.dumps(s.to_dict(), ensure_ascii=False).encode() for s in segments]


def _push_and_read(
    client: redis.Redis, kind: room_input.InputType, data: list[bytes], label: str
) -> list[Rate]:
    """Push `data` round-robin over ROOMS rooms, then read every room's stream back in batches."""

    def push() -> None:
        for n, item in enumerate(data):
            room_input.push(client, f"bench-{label}-{n % ROOMS}", kind, item)

    def read() -> None:
        got = 0
        for room in range(ROOMS):
            after = None
            while batch := room_input.read(
                client, f"bench-{label}-{room}", after, count=READ_BATCH
            ):
                after = batch[-1].entry_id
                got += len(batch)
        if got != len(data):
            raise RuntimeError(f"read back {got} of {len(data)} {label} inputs")

    size = len(data[0])
    rates = [
        Rate(f"room_input.push ({label})", len(data), _timed(push), size),
        Rate(f"room_input.read ({label}, {READ_BATCH} a call)", len(data), _timed(read), size),
    ]
    for room in range(ROOMS):
        room_input.drop(client, f"bench-{label}-{room}")
    return rates


def input_rates(client: redis.Redis) -> list[Rate]:
    """Caption lines and PCM blocks through the rooms' input streams."""
    return _push_and_read(client, "caption", caption_lines(CAPTIONS), "caption") + _push_and_read(
        client, "pcm", [PCM_BLOCK] * PCM_BLOCKS, "pcm"
    )


def queue_rates(client: redis.Redis, items: int = QUEUE_ITEMS) -> list[Rate]:
    """Rooms queued, then each claimed and finished by one worker."""
    enqueue = _timed(lambda: [queue.enqueue(client, "room", f"bench-{n}") for n in range(items)])

    def claim_and_finish() -> None:
        for _ in range(items):
            item = leases.claim_next(client, "room", CONSUMER)
            if item is None or not leases.finish(client, CONSUMER, item):
                raise RuntimeError("a queued room was not claimed and finished")

    return [
        Rate("queue.enqueue", items, enqueue),
        Rate("leases.claim_next + leases.finish", items, _timed(claim_and_finish)),
    ]


def overhead(client: redis.Redis, count: int = ROUND_TRIPS) -> Overhead:
    """Per caption line: through the room's input stream and back, against a function call."""
    lines = caption_lines(count)
    segments = [parse_caption_line(line.decode()) for line in lines]
    delivered: list[Segment] = []

    def through_broker() -> None:
        after = None
        for line in lines:
            room_input.push(client, "bench-overhead", "caption", line)
            (entry,) = room_input.read(client, "bench-overhead", after, count=1)
            after = entry.entry_id
            delivered.append(parse_caption_line(entry.data.decode()))

    def in_process() -> None:
        for segment in segments:
            delivered.append(segment)

    broker_s = _timed(through_broker)
    if delivered != segments:
        raise RuntimeError("the broker changed a caption line on the way")
    delivered.clear()
    calls_s = min(_timed(in_process) for _ in range(5))
    room_input.drop(client, "bench-overhead")
    return Overhead(count, broker_s / count, calls_s / count)


_REQUESTS_PER_S = re.compile(r"([\d.]+) requests per second")


def server_xadd_rate(port: int, payload_bytes: int, requests: int) -> float | None:
    """XADD requests per second redis-server takes from redis-benchmark's 50 clients, pipelined
    16 deep, each entry `payload_bytes` of data; None when redis-benchmark is missing."""
    command = shutil.which("redis-benchmark")
    if command is None:
        return None
    answer = subprocess.run(
        [
            command, "-h", "127.0.0.1", "-p", str(port), "-n", str(requests), "-c", "50",
            "-P", "16", "-q", "XADD", "bench-server", "*", "type", "pcm", "data",
            "x" * payload_bytes,
        ],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    with redis.Redis(port=port) as client:
        client.delete("bench-server")
    found = _REQUESTS_PER_S.findall(answer.stdout)
    return float(found[-1]) if found else None
