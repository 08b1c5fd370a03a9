"""Run the benchmarks and print throughput with ratios against baselines measured in this run.

python -m benchmarks              # all of them
python -m benchmarks asr live     # only these (any of: startup, check, asr, live, credit, api,
                                  # hostile, precision, real, scale)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _startup() -> None:
    from .cold_start import run

    run()


def _check() -> None:
    from .check_speed import run

    run()


def _asr() -> None:
    from .asr_speed import run

    run()


def _credit() -> None:
    from .credit_recompute import run

    run()


def _api() -> None:
    from .api_speed import run

    run()


def _hostile() -> None:
    from .hostile import run

    run()


def _precision() -> None:
    from .precision import run

    run()


def _real() -> None:
    from .real_speech import main as real

    real(["--no-morphs"])


def _scale() -> None:
    from .scale import run

    run()


def _live() -> None:
    from .live_streams import run

    run()


BENCHMARKS: dict[str, tuple[str, Callable[[], None]]] = {
    "startup": ("cold start of the qinglang command against `python -c 'import jieba'`", _startup),
    "check": ("check throughput against jieba.lcut and Aho-Corasick scans", _check),
    "asr": ("qinglang's overhead around faster-whisper (in process and as a command)", _asr),
    "live": ("concurrent live streams one machine keeps up with", _live),
    "scale": (
        "past one machine: store write rate, check cost, Redis Streams, broker overhead, RTF",
        _scale,
    ),
    "credit": ("recomputing 100,000 anchors' credit from 1,000,000 violations", _credit),
    "api": ("POST /v1/check under load against a trivial endpoint; service memory", _api),
    "hostile": ("peak service memory under hostile inputs against the 1.5 GB budget", _hostile),
    "precision": ("precision and recall on the project's labelled sets", _precision),
    "real": (
        "flag rate on real livestream speech (needs the local cache; see real_speech.py)",
        _real,
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Speed benchmarks; ratios are against baselines measured in the same run.",
        epilog="\n".join(f"{name}: {text}" for name, (text, _) in BENCHMARKS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run, of {', '.join(BENCHMARKS)} (default: all)",
    )
    chosen = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})"
        )
    for name in dict.fromkeys(chosen):
        print(f"\n=== {name}: {BENCHMARKS[name][0]} ===")
        BENCHMARKS[name][1]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
