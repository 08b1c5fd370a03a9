"""Speech capacity for the scale benchmark: the per-stream real-time factor of the shipped model on
the CPU at 1–4 concurrent streams (benchmarks/live_streams.py's measurement, with the model
options the service itself derives from its settings: api.workers.speech.asr_options), and the
rooms 1, 2 and 3 `qinglang worker` processes keep up with, once that command exists.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from api.workers.speech import asr_options
from monitor import Checker
from monitor.settings import Settings
from monitor.sources.media import SAMPLE_RATE

from .asr_speed import test_audio
from .live_streams import Run, measure_streams
from .scale_workers import WORKER_COUNTS

ROOT = Path(__file__).resolve().parent.parent
STREAM_COUNTS = (1, 2, 3, 4)


def stream_rtfs(checker: Checker) -> tuple[list[Run], str]:
    """One run per stream count (model loaded fresh, load not timed), and how it was measured."""
    samples, clips = test_audio()
    options = asr_options(Settings())
    method = (
        f"{len(samples) / SAMPLE_RATE:.1f} s of Mandarin per stream ({clips} clips of "
        f"tests/data/audio), 0.5 s blocks fed as fast as taken through StreamMonitor (VAD chunks, "
        f"recognition, timed check), K streams on K threads sharing one model; the service's "
        f"options: model {options.model}, {options.device}/{options.compute_type}, "
        f"threads={options.threads}, workers={options.workers}, language {options.language}, "
        f"live decoding (beam 1); RTF = wall seconds / audio seconds, one run each (the best of "
        f"two when 1 <= RTF < 1.15)"
    )
    return [measure_streams(checker, samples, k, options) for k in STREAM_COUNTS], (method)


def worker_command() -> list[str] | None:
    """`qinglang worker` as this tree runs it, or None when the command does not exist yet."""
    command = [sys.executable, "-m", "monitor.cli", "worker"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    answer = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    return command if answer.returncode == 0 else None


def worker_capacity(folder: Path) -> str:
    """Rooms kept up with by 1, 2 and 3 worker processes (benchmarks/scale_workers.py), or why
    that was not measured."""
    if worker_command() is None:
        return (
            "skipped: this tree has no `qinglang worker` command yet (issue 15, branch "
            "q15-worker); rooms per worker process are estimated from the RTF above instead"
        )
    from .scale_workers import worker_audio, worker_runs

    blocks, audio_s = worker_audio()
    print(
        f"N `qinglang worker` processes (the service's model settings, --max-rooms ceil(K/N)) "
        f"and an API node with a broker; each of K rooms gets {audio_s:.1f} s of Mandarin as "
        f"0.5 s PCM blocks on its input stream at once, then `stop`; RTF = seconds until the "
        f"slowest room ended / audio seconds"
    )
    print(f"{'workers':>8}{'rooms':>7}{'slowest room s':>16}{'RTF':>8}{'keeps up':>10}")
    kept: dict[int, int] = {}
    try:
        for run in worker_runs(folder, blocks, audio_s):
            print(
                f"{run.workers:>8}{run.rooms:>7}{run.slowest_s:>16.1f}{run.rtf:>8.3f}"
                f"{'yes' if run.rtf < 1 else 'no':>10}"
            )
            if run.rtf < 1:
                kept[run.workers] = run.rooms
    except (RuntimeError, httpx.HTTPError) as exc:  # e.g. a tree whose API has no worker routes
        return f"stopped: {exc}; rooms per worker process are estimated from the RTF above"
    summary = ", ".join(f"{n} worker(s) {kept.get(n, f'fewer than {n}')}" for n in WORKER_COUNTS)
    return f"rooms kept up with: {summary}"
