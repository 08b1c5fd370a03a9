"""Throughput of `check` (lexicon mode, and the full pipeline with the classifier) against
jieba.lcut and raw Aho-Corasick scans.

Each measurement is the best of a few repeats (the machine is shared and noisy).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import ahocorasick
import ahocorasick_rs
import jieba

from monitor import Checker

from .corpus import livestream_text

REPEATS = 3


def best_seconds(work: Callable[[], object], repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def timed_threads(work: Sequence[Callable[[], None]]) -> float:
    """Wall seconds for every callable, each on its own thread, started together."""
    errors: list[BaseException] = []
    ready = threading.Barrier(len(work) + 1)

    def run(job: Callable[[], None]) -> None:
        ready.wait()
        try:
            job()
        except BaseException as exc:  # reported by the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in work]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return seconds


def _measure(density: str, checker, full, pyaho, rs) -> None:
    text = livestream_text(density)
    lines = text.split("\n")
    hits = len(checker.check(text).hits)
    results = {
        "check (whole text)": best_seconds(lambda: checker.check(text)),
        "check (one call per line)": best_seconds(lambda: [checker.check(li) for li in lines]),
        "full pipeline (whole text)": best_seconds(lambda: full.check(text)),
        "full pipeline (per line)": best_seconds(
            lambda: [full.check(li) for li in lines], repeats=1
        ),
        "jieba.lcut": best_seconds(lambda: jieba.lcut(text), repeats=1),
        "pyahocorasick scan": best_seconds(lambda: sum(1 for _ in pyaho.iter(text))),
        "ahocorasick_rs scan": best_seconds(
            lambda: rs.find_matches_as_indexes(text, overlapping=True)
        ),
    }
    chars = len(text)
    print(
        f"\n[{density}] corpus: {len(text.encode('utf-8')) / 1e6:.1f} MB, {chars:,} chars, "
        f"{len(lines):,} lines, {hits:,} hits ({1000 * hits / chars:.1f} per 1000 chars)"
    )
    print(f"{'step':<30}{'chars/s':>14}{'x jieba.lcut':>15}{'x pyahocorasick':>18}")
    speed = {name: chars / seconds for name, seconds in results.items()}
    for name, value in speed.items():
        print(
            f"{name:<30}{value:>14,.0f}{value / speed['jieba.lcut']:>15.2f}"
            f"{value / speed['pyahocorasick scan']:>18.3f}"
        )
    ratio = speed["check (whole text)"] / speed["jieba.lcut"]
    print(
        f"goal lexicon check >= 5x jieba.lcut: {ratio:.1f}x ({'met' if ratio >= 5 else 'not met'})"
    )
    ratio = speed["full pipeline (whole text)"] / speed["jieba.lcut"]
    print(
        f"goal full pipeline >= 1x jieba.lcut: {ratio:.1f}x ({'met' if ratio >= 1 else 'not met'})"
    )


def run() -> None:
    started = time.perf_counter()
    checker = Checker.from_files(use_classifier=False)
    build = time.perf_counter() - started
    full = Checker.from_files()
    terms = sorted({checker.normalize_term(e.term) for e in checker.lexicon.entries})
    pyaho = ahocorasick.Automaton()
    for index, term in enumerate(terms):
        pyaho.add_word(term, index)
    pyaho.make_automaton()
    rs = ahocorasick_rs.AhoCorasick(terms)
    jieba.initialize()
    print(f"lexicon: {len(terms)} terms; checker build {build:.1f} s (once per process)")
    for density in ("typical", "dense"):
        _measure(density, checker, full, pyaho, rs)
