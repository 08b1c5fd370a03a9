"""Run every benchmark and print throughput with ratios against baselines measured in this run."""

from __future__ import annotations

import sys

from .check_speed import run as run_check_speed


def main() -> int:
    run_check_speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
