"""Overhead of qinglang around faster-whisper: the same ~60 s Mandarin file, the same model and
the same decode settings (models/asr.yaml, file mode), once through raw faster-whisper and once
through qinglang, in process and as a command (process start and model load included).

Goal: the overhead of everything around the model is at most 10 %. Each measurement is the best
of a few repeats, the two sides of a comparison taking turns (the machine is shared and noisy).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from monitor.sources.media import SAMPLE_RATE, decode_file, is_media_file
from monitor.speech.asr_model import resolve_model
from monitor.speech.transcriber import AsrOptions, Transcriber

ROOT = Path(__file__).resolve().parent.parent
AUDIO_DIR = ROOT / "tests" / "data" / "audio"
REPEATS = 3
GOAL_OVERHEAD = 0.10
GAP_S = 0.5
MIN_AUDIO_S = 60.0
MAX_AUDIO_S = 90.0
OPTIONS = AsrOptions(model="base-offline", device="cpu", compute_type="int8", language="zh")

# Raw faster-whisper as a command: model load, decode, transcription, JSON out (as the CLI does).
RAW_SCRIPT = """
import json, sys
from faster_whisper import WhisperModel, decode_audio
folder, path, device, compute_type, language, vad, decode = sys.argv[1:]
model = WhisperModel(folder, device=device, compute_type=compute_type)
segments, info = model.transcribe(
    decode_audio(path), language=language, vad_filter=True, vad_parameters=json.loads(vad),
    word_timestamps=True, **json.loads(decode),
)
rows = [
    {"start": s.start, "end": s.end, "text": s.text,
     "words": [{"start": w.start, "end": w.end, "word": w.word} for w in s.words or ()]}
    for s in segments
]
print(json.dumps({"language": info.language, "segments": rows}, ensure_ascii=False, indent=2))
"""


def test_audio(
    min_seconds: float = MIN_AUDIO_S, max_seconds: float = MAX_AUDIO_S
) -> tuple[np.ndarray, int]:
    """The Mandarin test clips end to end (0.5 s of silence between), repeated from the first
    clip on until at least `min_seconds`: 16 kHz mono float32 samples, and the clips used."""
    clips = [
        decode_file(path, 10**9) for path in sorted(AUDIO_DIR.iterdir()) if is_media_file(path)
    ]
    gap = np.zeros(round(GAP_S * SAMPLE_RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    total = 0
    index = 0
    while total < min_seconds * SAMPLE_RATE:
        clip = clips[index % len(clips)]
        if pieces and total + len(gap) + len(clip) > max_seconds * SAMPLE_RATE:
            break
        if pieces:
            pieces.append(gap)
            total += len(gap)
        pieces.append(clip)
        total += len(clip)
        index += 1
    return np.concatenate(pieces), index


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16 kHz mono 16-bit PCM WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def _alternating_best(works: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best seconds of each work; the works take turns so that slow phases hit all of them."""
    best = dict.fromkeys(works, float("inf"))
    for _ in range(repeats):
        for name, work in works.items():
            best[name] = min(best[name], _seconds(work))
    return best


def _seconds(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _raw_runner(
    model_folder: str, path: Path, vad: dict, settings: dict, last: dict[str, Any]
) -> Callable[[], None]:
    """Raw faster-whisper on its own model (same folder, device and compute type as qinglang's):
    decode, transcribe with the same settings, consume every segment (into `last["raw"]`)."""
    from faster_whisper import WhisperModel, decode_audio

    model = WhisperModel(model_folder, device=OPTIONS.device, compute_type=OPTIONS.compute_type)

    def raw() -> None:
        segments, _ = model.transcribe(
            decode_audio(str(path)),
            language=OPTIONS.language,
            vad_filter=True,
            vad_parameters=dict(vad),
            word_timestamps=True,
            **settings,
        )
        last["raw"] = list(segments)

    return raw


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class _Command:
    """Runs a command with its output to a file and remembers its peak RSS. The peak is polled
    from /proc (VmHWM): a child's ru_maxrss on Linux starts from the parent's RSS at fork."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.args = args
        self.env = env
        self.peak_rss_mb = 0.0
        self.output = ""

    def __call__(self) -> None:
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8") as out,
            tempfile.TemporaryFile("w+", encoding="utf-8") as err,
        ):
            process = subprocess.Popen(self.args, stdout=out, stderr=err, env=self.env, cwd=ROOT)
            status = Path(f"/proc/{process.pid}/status")
            while process.poll() is None:
                self.peak_rss_mb = max(self.peak_rss_mb, _high_water_mb(status))
                time.sleep(0.05)
            if process.returncode != 0:
                err.seek(0)
                raise RuntimeError(f"{self.args[:4]} exited {process.returncode}: {err.read()}")
            out.seek(0)
            self.output = out.read()


def _high_water_mb(status: Path) -> float:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass  # the process is gone, or not Linux
    return 0.0


def _clean_env() -> dict[str, str]:
    """This environment without QINGLANG_* settings, so the CLI runs with its defaults."""
    return {key: value for key, value in os.environ.items() if not key.startswith("QINGLANG_")}


def _overhead_line(label: str, ours: float, baseline: float) -> str:
    overhead = ours / baseline - 1
    verdict = "met" if overhead <= GOAL_OVERHEAD else "not met"
    if overhead < 0:
        verdict += "; below zero: the difference is within the machine's noise"
    return (
        f"{label}: {ours / baseline:.1%} of raw, overhead {overhead:+.1%} "
        f"(goal <= {GOAL_OVERHEAD:.0%}: {verdict})"
    )


def run() -> None:
    samples, clips = test_audio()
    seconds = len(samples) / SAMPLE_RATE
    with tempfile.TemporaryDirectory(prefix="qinglang-asr-bench-") as folder:
        path = Path(folder) / "mandarin.wav"
        write_wav(path, samples)
        rss_before = _peak_rss_mb()
        transcriber = Transcriber(OPTIONS)
        policy = transcriber.policy
        settings = dict(policy.decode["file"])
        model_folder = resolve_model(OPTIONS.model, OPTIONS.cache_dir)

        # qinglang's first run comes before the raw model is loaded, for the peak RSS of a
        # process with qinglang alone; it counts as one of qinglang's repeats.
        last: dict[str, Any] = {}

        def ours() -> None:
            last["qinglang"] = transcriber.transcribe_file(path, 10**10)

        first = {"qinglang": _seconds(ours)}
        rss_after = _peak_rss_mb()
        raw = _raw_runner(model_folder, path, transcriber.policy.vad, settings, last)
        first["raw"] = _seconds(raw)
        more = _alternating_best({"qinglang": ours, "raw": raw}, REPEATS - 1)
        in_process = {name: min(first[name], more[name]) for name in first}
        del raw  # and its model

        env = _clean_env()
        raw_command = _Command(
            [
                sys.executable,
                "-c",
                RAW_SCRIPT,
                model_folder,
                str(path),
                OPTIONS.device,
                OPTIONS.compute_type,
                str(OPTIONS.language),
                json.dumps(policy.vad),
                json.dumps(settings),
            ],
            env,
        )
        cli_command = _Command(
            [
                sys.executable,
                "-m",
                "monitor.cli.main",
                "transcribe",
                str(path),
                "--json",
                "--no-progress",
            ],
            env,
        )
        commands = _alternating_best({"raw": raw_command, "qinglang": cli_command}, REPEATS)
        # Where a command's extra time goes: the imports before any work is done.
        imports = _alternating_best(
            {
                name: _Command([sys.executable, "-c", f"import {name}"], env)
                for name in ("faster_whisper", "monitor.cli.main")
            },
            REPEATS,
        )
        cli_segments = len(json.loads(cli_command.output)["segments"])

    print(
        f"\ntest audio: {seconds:.1f} s of Mandarin ({clips} clips of tests/data/audio end to "
        f"end), model {OPTIONS.model} {OPTIONS.device}/{OPTIONS.compute_type}, file decode "
        "settings: " + ", ".join(f"{key}={value}" for key, value in settings.items())
    )
    print(
        f"segments: raw faster-whisper {len(last['raw'])}, "
        f"qinglang {len(last['qinglang'].segments)} (after hallucination/repeat filters), "
        f"qinglang CLI {cli_segments}"
    )
    print(f"{'run (best of ' + str(REPEATS) + ')':<52}{'seconds':>9}{'RTF':>8}")
    rows = {
        "(a) raw faster-whisper, in process": in_process["raw"],
        "(b) qinglang transcribe_file, in process": in_process["qinglang"],
        "(d) raw faster-whisper, python -c (load + run)": commands["raw"],
        "(c) qinglang transcribe FILE --json (load + run)": commands["qinglang"],
    }
    for name, value in rows.items():
        print(f"{name:<52}{value:>9.2f}{value / seconds:>8.3f}")
    print("goal: overhead of everything around the model <= 10 %")
    print(_overhead_line("in process (b)/(a)", in_process["qinglang"], in_process["raw"]))
    print(_overhead_line("as a command (c)/(d)", commands["qinglang"], commands["raw"]))
    extra = imports["monitor.cli.main"] - imports["faster_whisper"]
    print(
        f"start-up imports (best of {REPEATS}): python -c 'import monitor.cli.main' "
        f"{imports['monitor.cli.main']:.2f} s, 'import faster_whisper' "
        f"{imports['faster_whisper']:.2f} s; "
        f"the difference, {extra:.2f} s, is {extra / commands['raw']:.0%} of (d)"
    )
    print(
        f"peak RSS in process: {rss_after:.0f} MB after loading the model and one "
        f"transcribe_file ({rss_before:.0f} MB before the model)"
    )
    print(
        f"peak RSS as a command: qinglang CLI {cli_command.peak_rss_mb:.0f} MB, "
        f"raw faster-whisper {raw_command.peak_rss_mb:.0f} MB"
    )
