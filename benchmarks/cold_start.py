"""Cold start of the `qinglang` command: a fresh process for `--help`, a missing file, an empty
file and a lexicon-only check of a short script, against `python -c "import jieba"` in this run.

Goals (issue 12): a bad input fails in under 1 s; a lexicon-only check of a short script finishes
in under 3x the jieba import. Every command runs REPEATS times, each round running every command
once (the machine is shared and noisy), and the median is reported with its ratio to the jieba
import. The compiled lexicon is built into a temporary cache first (what the first check after
an install or an upgrade pays, shown once); the others are every later command. For comparison:
the same check building its lexicon (QINGLANG_CHECKER_CACHE=false, as before issue 12), and the
full check with the classifier.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 5
REPEATS_SLOW = 2
SCRIPT = "家人们，这是全网最低价，加我微信私聊下单！"
GOAL_BAD_INPUT_S = 1.0
GOAL_LEXICON_RATIO = 3.0


def _seconds(command: list[str], env: dict[str, str], expected: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, timeout=600)
    elapsed = time.perf_counter() - started
    if result.returncode != expected:
        raise SystemExit(
            f"{' '.join(command)} exited {result.returncode}, not {expected}: "
            f"{result.stderr.decode(errors='replace')[-400:]}"
        )
    return elapsed


def run() -> None:
    python, cli = sys.executable, [sys.executable, "-m", "monitor.cli.main"]
    with tempfile.TemporaryDirectory(prefix="qinglang-cold-start-") as folder:
        root = Path(folder)
        (root / "empty.txt").write_bytes(b"")
        script = root / "short.txt"
        script.write_text(SCRIPT, encoding="utf-8")
        env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
        uncached = {**env, "QINGLANG_CHECKER_CACHE": "false"}
        first = _seconds([*cli, "check", str(script), "--no-classifier"], env, 1)
        fast = {
            'python -c "import jieba"': ([python, "-c", "import jieba"], env, 0),
            "qinglang --help": ([*cli, "--help"], env, 0),
            "qinglang check missing.txt": ([*cli, "check", str(root / "missing.txt")], env, 2),
            "qinglang check empty.txt": ([*cli, "check", str(root / "empty.txt")], env, 2),
            "qinglang check short.txt --no-classifier": (
                [*cli, "check", str(script), "--no-classifier"],
                env,
                1,
            ),
        }
        slow = {
            "  the same, lexicon built (no cache)": (
                [*cli, "check", str(script), "--no-classifier"],
                uncached,
                1,
            ),
            "qinglang check short.txt (with classifier)": ([*cli, "check", str(script)], env, 1),
        }
        times: dict[str, list[float]] = {name: [] for name in [*fast, *slow]}
        for _ in range(REPEATS):
            for name, (command, environment, expected) in fast.items():
                times[name].append(_seconds(command, environment, expected))
        for _ in range(REPEATS_SLOW):
            for name, (command, environment, expected) in slow.items():
                times[name].append(_seconds(command, environment, expected))
    median = {name: statistics.median(values) for name, values in times.items()}
    jieba = median['python -c "import jieba"']
    print(f"median of {REPEATS} runs ({REPEATS_SLOW} for the slow ones), a new process each")
    print(f"{'command':<46}{'seconds':>9}{'x import jieba':>16}")
    for name, seconds in median.items():
        print(f"{name:<46}{seconds:>9.2f}{seconds / jieba:>16.2f}")
    print(
        f"{'first check after an install (builds the cache)':<46}{first:>9.2f}{first / jieba:>16.2f}"
    )
    bad = max(median["qinglang check missing.txt"], median["qinglang check empty.txt"])
    print(
        f"goal bad input < {GOAL_BAD_INPUT_S:.0f} s: {bad:.2f} s "
        f"({'met' if bad < GOAL_BAD_INPUT_S else 'not met'})"
    )
    ratio = median["qinglang check short.txt --no-classifier"] / jieba
    print(
        f"goal lexicon-only check < {GOAL_LEXICON_RATIO:.0f}x import jieba: {ratio:.2f}x "
        f"({'met' if ratio < GOAL_LEXICON_RATIO else 'not met'})"
    )
