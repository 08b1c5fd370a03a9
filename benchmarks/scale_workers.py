"""Rooms kept up with by 1, 2 and 3 `qinglang worker` processes on this machine: a real API node
with a broker (benchmarks/api_server.py with QINGLANG_BROKER_URL), a redis-server on loopback, and
N worker processes with the service's model settings, each taking up to ceil(K / N) rooms.

For K rooms opened through `POST /v1/live/rooms`, the same Mandarin audio is put on every room's
input stream at once as 0.5 s PCM blocks (`room_input.push`, where the API node puts pushed audio)
followed by a `stop`, i.e. fed as fast as taken: capacity, not latency, as in the live benchmark.
A room is done when its worker has posted every result and ended it. Per-room real-time factor =
seconds from the first push until the room ended / audio seconds; K rooms are kept up with when
the slowest room's RTF is below 1. K grows from N until it is not.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from monitor.broker import presence, room_input
from monitor.sources.media import SAMPLE_RATE
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor

from .asr_speed import test_audio
from .scale_broker import redis_on_loopback

ROOT = Path(__file__).resolve().parent.parent
WORKER_COUNTS = (1, 2, 3)
MAX_ROOMS_PER_WORKER = 3  # the most rooms tried per worker process on 2 cores
AUDIO_S = 30.0  # at least (whole clips)
BLOCK_S = 0.5
START_TIMEOUT_S = 180.0
ANCHOR = "scale-anchor"


@dataclass(frozen=True)
class WorkerRun:
    workers: int
    rooms: int
    audio_s: float
    slowest_s: float  # from the first push until the last room ended

    @property
    def rtf(self) -> float:
        return self.slowest_s / self.audio_s


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QINGLANG_")}
    return {**clean, "PYTHONPATH": path, **extra}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(condition, what: str, timeout: float = START_TIMEOUT_S, alive=None):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process stopped")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)
    return found


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def _pcm_blocks(samples: np.ndarray) -> list[bytes]:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    block = round(BLOCK_S * SAMPLE_RATE)
    return [pcm[i : i + block].tobytes() for i in range(0, len(pcm), block)]


def _one_run(
    folder: Path, workers: int, rooms: int, blocks: list[bytes], audio_s: float
) -> WorkerRun:
    """An API node, `workers` worker processes and `rooms` rooms fed at once; the slowest room."""
    folder.mkdir(parents=True)
    db_path = folder / "scale.db"
    db = open_db(db_path)
    add_anchor(db, ANCHOR, "主播", actor="benchmark")
    _, worker_key = create_key(db, "worker", actor="benchmark")
    _, regulator_key = create_key(db, "regulator", actor="benchmark")
    db.close()
    with ExitStack() as stack:
        server = stack.enter_context(redis_on_loopback(folder))
        port = _free_port()
        api_env = _env(QINGLANG_BROKER_URL=server.url, QINGLANG_ROOM_PLACEMENT_SECONDS="3600",
                       QINGLANG_DATA_DIR=str(folder / "files"))  # fmt: skip
        api = stack.enter_context(_process(
            [sys.executable, "-m", "benchmarks.api_server", str(db_path), str(port)],
            api_env, folder / "api.log",
        ))  # fmt: skip
        http = stack.enter_context(httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=60,
            headers={"Authorization": f"Bearer {regulator_key}"},
        ))  # fmt: skip
        _wait(
            lambda: _answers(http), "the API node did not start", alive=lambda: api.poll() is None
        )
        broker = stack.enter_context(server.client())
        raw = room_input.raw_client(server.url)
        per_worker = str(math.ceil(rooms / workers))
        for n in range(workers):
            stack.enter_context(_process(
                [sys.executable, "-m", "monitor.cli", "worker", "--broker", server.url,
                 "--api", f"http://127.0.0.1:{port}", "--max-rooms", per_worker],
                _env(QINGLANG_WORKER_KEY=worker_key), folder / f"worker-{n}.log",
            ))  # fmt: skip
        _wait(lambda: len(presence.list_workers(broker)) >= workers, "the workers did not start")
        ids = []
        for n in range(rooms):
            answer = http.post("/v1/live/rooms", json={"anchor": ANCHOR, "stream": f"scale-{n}"})
            answer.raise_for_status()
            ids.append(answer.json()["id"])
        started = time.perf_counter()
        for room_id in ids:
            for block in blocks:
                room_input.push(raw, room_id, "pcm", block)
            room_input.push(raw, room_id, "stop")
        _wait(
            lambda: all(http.get(f"/v1/live/rooms/{i}").json()["state"] != "active" for i in ids),
            "the rooms did not end", timeout=audio_s * rooms * 4 + START_TIMEOUT_S,
        )  # fmt: skip
        slowest = time.perf_counter() - started
        raw.close()
    return WorkerRun(workers, rooms, audio_s, slowest)


def worker_audio() -> tuple[list[bytes], float]:
    """The Mandarin test audio as 0.5 s PCM blocks, and its seconds."""
    samples, _clips = test_audio(min_seconds=AUDIO_S, max_seconds=AUDIO_S + 15)
    return _pcm_blocks(samples), len(samples) / SAMPLE_RATE


def worker_runs(folder: Path, blocks: list[bytes], audio_s: float) -> Iterator[WorkerRun]:
    """For 1, 2 and 3 worker processes, K = N, N + 1, … rooms until the slowest falls behind."""
    for workers in WORKER_COUNTS:
        for rooms in range(workers, workers * MAX_ROOMS_PER_WORKER + 1):
            run = _one_run(folder / f"w{workers}-r{rooms}", workers, rooms, blocks, audio_s)
            yield run
            if run.rtf >= 1:
                break
