"""Large, realistic livestream texts for benchmarks, rebuilt deterministically from the
hand-written utterances in tests/data/eval (clauses recombined into new run-on lines).

Two densities: `typical`, where 1 line in 20 carries a clause from a violating utterance (most of
a real stream is greetings, product facts and logistics), and `dense`, where clauses come from all
utterances alike (about half of them violating): a worst case for the context filters.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

UTTERANCES = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval" / "utterances.jsonl"
_CLAUSE_SPLIT = re.compile(r"[ ，。！？,!?]+")
VIOLATING_LINE_SHARE = {"typical": 0.05, "dense": None}


def _clauses(rows: list[dict]) -> list[str]:
    return [c for row in rows for c in _CLAUSE_SPLIT.split(row["text"]) if c]


def livestream_text(
    density: str = "typical", min_bytes: int = 5 * 1024 * 1024, seed: int = 20261123
) -> str:
    """Lines of 2–5 clauses until the UTF-8 size is reached."""
    rows = [
        json.loads(line) for line in UTTERANCES.read_text(encoding="utf-8").splitlines() if line
    ]
    everything = _clauses(rows)
    clean = _clauses([r for r in rows if not r["violation"]])
    violating = _clauses([r for r in rows if r["violation"]])
    share = VIOLATING_LINE_SHARE[density]
    rng = random.Random(seed)
    lines, size = [], 0
    while size < min_bytes:
        count = rng.randint(2, 5)
        if share is None:
            parts = rng.sample(everything, count)
        else:
            parts = rng.sample(clean, count)
            if rng.random() < share:
                parts[rng.randrange(count)] = rng.choice(violating)
        line = rng.choice(["，", " ", "", "！"]).join(parts) + rng.choice(["。", "！", "", "？"])
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines)
