"""What the API node does with each result a worker posts, measured: the check of its sentences
(`check_segments` with the service's checker) and recording it (`record_check`) in a real SQLite
file opened as the service opens it (WAL, synchronous=FULL, one IMMEDIATE transaction a result).

Results are recorded round-robin over ROOMS rooms (one anchor and stream each), as live rooms post
them; the reports are computed first, so the write rate is the store's alone. The same results
are then written by WRITERS threads with a connection each (as several API processes would share
one file): SQLite has one writer at a time, so this shows whether more writers add throughput.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from monitor import Checker
from monitor.checking.timed_check import TimedReport, check_segments
from monitor.sources.segments import Segment
from monitor.store.db import open_db, transaction
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor

from .check_speed import best_seconds, timed_threads
from .scale_text import SENTENCES, room_results

ROOMS = 20
RESULTS_PER_ROOM = 30
WRITERS = 2
CHECK_REPEATS = 5


@dataclass(frozen=True)
class StoreRate:
    writers: int
    results: int
    segments: int  # rows in `segments` afterwards
    flags: int  # rows in `flags` afterwards
    seconds: float

    @property
    def results_per_s(self) -> float:
        return self.results / self.seconds

    @property
    def segments_per_s(self) -> float:
        return self.segments / self.seconds

    @property
    def flags_per_s(self) -> float:
        return self.flags / self.seconds


@dataclass(frozen=True)
class CheckCost:
    sentences: int
    per_sentence_s: float  # one sentence checked alone (a caption line)
    per_result_s: float  # one posted result (its segments checked together)
    result_segments: int


def posted_results(
    checker: Checker, rooms: int = ROOMS, per_room: int = RESULTS_PER_ROOM
) -> list[tuple[int, TimedReport]]:
    """(room, checked result) in the order live rooms post them: one result of each room in turn."""
    by_room = [
        [check_segments(checker, segments) for segments in room_results(per_room, first=room)]
        for room in range(rooms)
    ]
    return [(room, by_room[room][n]) for n in range(per_room) for room in range(rooms)]


def _record(db: sqlite_utils.Database, room: int, result: TimedReport) -> None:
    with transaction(db):
        record_check(
            db, result.report, result.timed.text, anchor_id=f"scale-anchor-{room}",
            stream_id=f"scale-room-{room}", source=f"live-room:{room}",
            segments=result.timed.segments,
        )  # fmt: skip


def _prepared_db(path: Path, rooms: int) -> sqlite_utils.Database:
    db = open_db(path)
    for room in range(rooms):
        add_anchor(db, f"scale-anchor-{room}", f"主播{room}", actor="benchmark")
    return db


def store_rate(
    path: Path, results: Sequence[tuple[int, TimedReport]], writers: int = 1
) -> StoreRate:
    """Record `results` into a new store at `path` with `writers` threads (a connection each,
    taking the results in turn); the rows stored and the wall seconds."""
    rooms = 1 + max(room for room, _ in results)
    connections = [_prepared_db(path, rooms)]
    connections += [open_db(path, migrate=False) for _ in range(writers - 1)]
    shares = [results[i::writers] for i in range(writers)]
    seconds = timed_threads(
        [
            lambda db=db, share=share: _write_all(db, share)
            for db, share in zip(connections, shares, strict=True)
        ]
    )
    db = connections[0]
    rate = StoreRate(writers, len(results), db["segments"].count, db["flags"].count, seconds)
    for connection in connections:
        connection.close()
    return rate


def _write_all(db: sqlite_utils.Database, share: Sequence[tuple[int, TimedReport]]) -> None:
    for room, result in share:
        _record(db, room, result)


def check_cost(checker: Checker, repeats: int = CHECK_REPEATS) -> CheckCost:
    """Seconds per sentence checked alone, and per result of several; the best of `repeats`."""
    lines = [Segment(start=4.0 * n, end=4.0 * n + 3.5, text=s) for n, s in enumerate(SENTENCES)]
    results = list(room_results(len(SENTENCES)))
    per_sentence = best_seconds(
        lambda: [check_segments(checker, [line]) for line in lines], repeats
    )
    per_result = best_seconds(lambda: [check_segments(checker, r) for r in results], repeats)
    return CheckCost(
        sentences=len(lines),
        per_sentence_s=per_sentence / len(lines),
        per_result_s=per_result / len(results),
        result_segments=len(results[0]),
    )
