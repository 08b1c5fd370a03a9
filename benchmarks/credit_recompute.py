"""Recomputing every anchor's credit from the violations table: 100,000 anchors and 1,000,000
violations in a temporary SQLite file, streamed through `credit_at` anchor by anchor.

The violations are read with ONE cursor ordered by anchor (a LEFT JOIN from anchors, so anchors
without violations get their credit too) and grouped with itertools.groupby: only one anchor's
violations and one batch of results are in memory at a time. Results go to `credit_state` in
batches (executemany). Goal: the whole recompute in under 60 s, with memory that does not grow
with the number of anchors.

The full recompute is timed with nothing watching. Peak Python memory is then measured with
tracemalloc (which slows allocation-heavy Python down about six times) on the first 5,000 and the
first 20,000 anchors: the two peaks are about equal when memory is bounded.

Run: .venv/bin/python -c "from benchmarks.credit_recompute import run; run()"
"""

from __future__ import annotations

import random
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from monitor.credit.policy import CreditPolicy, load_policy
from monitor.credit.rules import ViolationRecord, credit_at, iso_z

ANCHORS = 100_000
VIOLATIONS = 1_000_000
BATCH = 2_000
TRACED_PREFIXES = (5_000, 20_000)
SEED = 20260201
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_S = 3 * 365 * 86_400
AS_OF = START + timedelta(seconds=SPAN_S)
SEVERITY_WEIGHTS = {"low": 50, "medium": 35, "high": 15}
GOAL_S = 60.0

SCHEMA = """
CREATE TABLE anchors (id TEXT PRIMARY KEY);
CREATE TABLE violations (
    id INTEGER PRIMARY KEY,
    anchor_id TEXT NOT NULL,
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    occurred_at TEXT NOT NULL
);
CREATE TABLE credit_state (
    anchor_id TEXT PRIMARY KEY,
    score REAL NOT NULL,
    grade TEXT NOT NULL,
    blacklisted_until TEXT,
    computed_at TEXT NOT NULL,
    policy_version TEXT NOT NULL
);
"""
STREAM = """
SELECT a.id, v.id, v.category, v.severity, v.occurred_at
FROM anchors a LEFT JOIN violations v ON v.anchor_id = a.id
WHERE a.id < ?
ORDER BY a.id, v.occurred_at, v.id
"""


def anchor_name(n: int) -> str:
    return f"anchor-{n:06d}"


def violation_rows(categories: list[str], rng: random.Random) -> Iterator[tuple]:
    """(id, anchor, category, severity, ISO time) for every violation, uniformly over anchors and
    three years."""
    severities = list(SEVERITY_WEIGHTS)
    weights = list(SEVERITY_WEIGHTS.values())
    for vid in range(1, VIOLATIONS + 1):
        moment = START + timedelta(seconds=rng.randrange(SPAN_S))
        yield (
            vid,
            anchor_name(rng.randrange(ANCHORS)),
            rng.choice(categories),
            rng.choices(severities, weights)[0],
            iso_z(moment),
        )


def generate(path: Path, policy: CreditPolicy) -> None:
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.execute("PRAGMA journal_mode = OFF")  # a throwaway file: no journal needed
    db.execute("PRAGMA synchronous = OFF")
    db.executemany("INSERT INTO anchors VALUES (?)", ((anchor_name(n),) for n in range(ANCHORS)))
    rng = random.Random(SEED)
    db.executemany(
        "INSERT INTO violations VALUES (?, ?, ?, ?, ?)",
        violation_rows(list(policy.category_multipliers), rng),
    )
    db.execute("CREATE INDEX violations_anchor ON violations(anchor_id, occurred_at)")
    db.commit()
    db.close()


def recompute(path: Path, policy: CreditPolicy, limit: int = ANCHORS) -> tuple[int, int]:
    """Stream the violations of the first `limit` anchors by anchor, write credit_state in
    batches; (anchors, violations) seen."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    computed_at = iso_z(AS_OF)
    insert = "INSERT OR REPLACE INTO credit_state VALUES (?, ?, ?, ?, ?, ?)"
    batch: list[tuple] = []
    anchors = violations = 0
    parse = datetime.fromisoformat
    stream = db.execute(STREAM, (anchor_name(limit),))
    for anchor_id, rows in groupby(stream, key=itemgetter(0)):
        records = [
            ViolationRecord(vid, anchor_id, category, severity, parse(occurred_at))
            for _, vid, category, severity, occurred_at in rows
            if vid is not None
        ]
        state = credit_at(policy, anchor_id, records, (), AS_OF, history=False)
        until = iso_z(state.blacklisted_until) if state.blacklisted_until else None
        batch.append((anchor_id, state.score, state.grade, until, computed_at, policy.version))
        anchors += 1
        violations += len(records)
        if len(batch) >= BATCH:
            db.executemany(insert, batch)
            batch.clear()
    db.executemany(insert, batch)
    db.commit()
    db.close()
    return anchors, violations


def traced_peak(path: Path, policy: CreditPolicy, limit: int) -> tuple[float, float]:
    """(tracemalloc peak in MB, seconds) of recomputing the first `limit` anchors."""
    tracemalloc.start()
    started = time.perf_counter()
    recompute(path, policy, limit)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, seconds


def summary(path: Path) -> str:
    db = sqlite3.connect(path)
    grades = db.execute(
        "SELECT grade, COUNT(*) FROM credit_state GROUP BY grade ORDER BY COUNT(*) DESC"
    ).fetchall()
    listed = db.execute(
        "SELECT COUNT(*) FROM credit_state WHERE blacklisted_until IS NOT NULL"
    ).fetchone()[0]
    db.close()
    return ", ".join(f"{grade} {count:,}" for grade, count in grades) + f"; blacklisted {listed:,}"


def run() -> None:
    policy = load_policy()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credit.sqlite"
        started = time.perf_counter()
        generate(path, policy)
        generated = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        print(
            f"generate: {ANCHORS:,} anchors, {VIOLATIONS:,} violations over 3 years "
            f"in {generated:.1f} s ({size_mb:.0f} MB SQLite file)"
        )

        started = time.perf_counter()
        anchors, violations = recompute(path, policy)
        seconds = time.perf_counter() - started
        print(
            f"recompute: {anchors:,} anchors, {violations:,} violations in {seconds:.1f} s — "
            f"{anchors / seconds:,.0f} anchors/s, {violations / seconds:,.0f} violations/s"
        )
        print(f"result: {summary(path)}")

        for limit in TRACED_PREFIXES:
            peak_mb, traced_s = traced_peak(path, policy, limit)
            print(
                f"memory: tracemalloc peak recomputing the first {limit:,} anchors "
                f"{peak_mb:.2f} MB (traced run, {traced_s:.1f} s)"
            )
        max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"memory: process max RSS {max_rss_mb:.0f} MB (generation included)")
        verdict = "met" if seconds < GOAL_S else "NOT met"
        print(
            f"goal: recompute < {GOAL_S:.0f} s with memory bounded (one anchor and one batch "
            f"of {BATCH:,} results at a time) — {verdict} ({seconds:.1f} s)"
        )
