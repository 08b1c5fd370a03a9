"""The HTTP service under load: `POST /v1/check` latency (p50, p99) and requests per second at
concurrency 1, 8 and 32 with livestream texts of 200, 500 and 2,000 characters, against a trivial
endpoint of the same app with the same key check and body (measured in the same run, in turns);
then the memory of the running service, before and after its speech model is loaded, against a
bare process holding the same model.

Goal (issue 6): at concurrency 8 with 500-character texts, check throughput at least half the
trivial endpoint's, and p99 at most 3x the trivial p99. The server runs in its own process; the
load comes from this one (both share the machine's cores).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from monitor.store.api_keys import create_key
from monitor.store.db import open_db

from .corpus import livestream_text

LENGTHS = (200, 500, 2000)
CONCURRENCY = (1, 8, 32)
SECONDS_PER_RUN = 4.0
WARM_UP_SECONDS = 1.0
GOAL = {"length": 500, "concurrency": 8, "throughput_ratio": 0.5, "p99_ratio": 3.0}


def texts_of(length: int, count: int = 400) -> list[str]:
    """`count` realistic texts of `length` characters cut from the livestream corpus."""
    corpus = livestream_text("typical", min_bytes=count * length * 3 + 1)
    return [corpus[i * length : (i + 1) * length] for i in range(count)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.api_server", str(db), str(port)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start") from None
            time.sleep(0.2)


async def _load(base: str, key: str, path: str, texts: list[str], concurrency: int) -> dict:
    """Requests from `concurrency` clients for SECONDS_PER_RUN seconds (after a warm-up)."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120, headers=headers) as c:
        counter = iter(range(10**9))

        async def client(stop_at: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                text = texts[next(counter) % len(texts)]
                started = time.perf_counter()
                answer = await c.post(path, json={"text": text})
                if record:
                    latencies.append(time.perf_counter() - started)
                    errors += answer.status_code != 200

        # warm-up: connections open, lazy loads done, caches filled
        warm_until = time.perf_counter() + WARM_UP_SECONDS
        await asyncio.gather(*(client(warm_until, False) for _ in range(concurrency)))
        started = time.perf_counter()
        stop_at = started + SECONDS_PER_RUN
        await asyncio.gather(*(client(stop_at, True) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "rps": len(latencies) / elapsed,
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "n": len(latencies),
        "errors": errors,
    }


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        key = create_key(open_db(db), "platform", actor="bench")[1]
        port = free_port()
        server = start_server(db, port)
        base = f"http://127.0.0.1:{port}"
        try:
            idle = rss_mb(server.pid)
            print(f"{'chars':>6} {'conc':>5} | {'check rps':>9} {'p50 ms':>8} {'p99 ms':>8} | "
                  f"{'trivial rps':>11} {'p50 ms':>8} {'p99 ms':>8} | {'rps ratio':>9} {'p99 ratio':>9}")  # fmt: skip
            results = {}
            for length in LENGTHS:
                texts = texts_of(length)
                for concurrency in CONCURRENCY:
                    trivial = asyncio.run(_load(base, key, "/bench/trivial", texts, concurrency))
                    check = asyncio.run(_load(base, key, "/v1/check", texts, concurrency))
                    results[length, concurrency] = check, trivial
                    print(
                        f"{length:>6} {concurrency:>5} | {check['rps']:>9.1f} {check['p50']:>8.1f} "
                        f"{check['p99']:>8.1f} | {trivial['rps']:>11.1f} {trivial['p50']:>8.1f} "
                        f"{trivial['p99']:>8.1f} | {check['rps'] / trivial['rps']:>9.2f} "
                        f"{check['p99'] / trivial['p99']:>9.2f}"
                        + (f"  errors {check['errors']}" if check["errors"] else "")
                    )
            check, trivial = results[GOAL["length"], GOAL["concurrency"]]
            rps_ratio, p99_ratio = check["rps"] / trivial["rps"], check["p99"] / trivial["p99"]
            met = rps_ratio >= GOAL["throughput_ratio"] and p99_ratio <= GOAL["p99_ratio"]
            print(
                f"goal at {GOAL['length']} chars, concurrency {GOAL['concurrency']}: throughput "
                f"ratio {rps_ratio:.2f} (goal >= {GOAL['throughput_ratio']}), p99 ratio "
                f"{p99_ratio:.2f} (goal <= {GOAL['p99_ratio']}): {'met' if met else 'NOT met'}"
            )
            _memory(base, key, server.pid, idle)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _memory(base: str, key: str, pid: int, idle: tuple[float, float]) -> None:
    """Service memory before and after a media job loads the speech model, against a bare process
    that loads only the model."""
    clip = sorted((Path(__file__).resolve().parent.parent / "tests/data/audio").glob("*.wav"))[0]
    headers = {"Authorization": f"Bearer {key}"}
    with clip.open("rb") as handle:
        job = httpx.post(f"{base}/v1/media", files={"file": (clip.name, handle)}, headers=headers)
    job.raise_for_status()
    status_url = job.json()["status_url"]
    deadline = time.monotonic() + 300
    while httpx.get(f"{base}{status_url}", headers=headers).json()["status"] not in (
        "done",
        "failed",
    ):
        if time.monotonic() > deadline:
            raise RuntimeError("the media job did not finish")
        time.sleep(0.5)
    loaded = rss_mb(pid)
    bare = subprocess.run(
        [sys.executable, "-c", BARE_MODEL],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ},
    ).stdout.split()
    bare_rss, bare_peak = float(bare[0]), float(bare[1])
    print(
        f"service memory: {idle[0]:.0f} MB at start (checker and classifier loaded); "
        f"{loaded[0]:.0f} MB (peak {loaded[1]:.0f}) after transcribing {clip.name} with the "
        f"speech model loaded; a bare process with only the model after the same transcription: "
        f"{bare_rss:.0f} MB (peak {bare_peak:.0f}); ratio {loaded[0] / bare_rss:.2f}"
    )


BARE_MODEL = """
import resource, sys
from pathlib import Path
from faster_whisper import WhisperModel
from monitor.speech.asr_model import resolve_model
clip = sorted(Path("tests/data/audio").glob("*.wav"))[0]
model = WhisperModel(resolve_model("base-offline"), device="cpu", compute_type="int8")
list(model.transcribe(str(clip), language="zh", vad_filter=True)[0])
status = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
print(int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024)
"""
