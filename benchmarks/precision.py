"""Precision and recall of the checker on the project's own labelled sets: the development set
(tests/data/eval), the second set (tests/data/holdout) and the classifier corpus's fixed test split
(models/data, never trained on). Per set: precision, recall, recall on evasive spellings, hard
negatives flagged, and per-category precision/recall; lexicon alone and the full pipeline.

    python -m benchmarks precision
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from monitor import Checker
from monitor.model.corpus import load_corpus

ROOT = Path(__file__).resolve().parents[1]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def labelled_sets(categories) -> dict[str, list[dict]]:
    sets = {
        name: _rows(ROOT / "tests" / "data" / name / "utterances.jsonl")
        for name in ("eval", "holdout")
    }
    sets["corpus-test"] = [
        {
            "id": e.id,
            "text": e.text,
            "violation": e.violation,
            "categories": list(e.categories),
            "hard_negative": e.hard_negative,
            "evasive": False,
        }
        for e in load_corpus(ROOT / "models" / "data", categories)
        if e.in_test_split
    ]
    return sets


def measure(checker: Checker, rows: list[dict]) -> dict:
    found = [{h.category for h in checker.check(r["text"]).hits} for r in rows]
    flagged = [bool(f) for f in found]
    positives = [r["violation"] for r in rows]
    tp = sum(f and p for f, p in zip(flagged, positives, strict=True))
    result = {
        "precision": tp / max(1, sum(flagged)),
        "recall": tp / max(1, sum(positives)),
        "hard_negatives_flagged": _share(flagged, [r.get("hard_negative", False) for r in rows]),
        "evasive_recall": _share(flagged, [r.get("evasive", False) for r in rows]),
    }
    per: dict[str, Counter] = {}
    for row, cats in zip(rows, found, strict=True):
        for cat in cats | set(row["categories"]):
            c = per.setdefault(cat, Counter())
            c["tp"] += cat in cats and cat in row["categories"]
            c["fp"] += cat in cats and cat not in row["categories"]
            c["fn"] += cat not in cats and cat in row["categories"]
    result["categories"] = {
        cat: (c["tp"] / max(1, c["tp"] + c["fp"]), c["tp"] / max(1, c["tp"] + c["fn"]))
        for cat, c in sorted(per.items())
    }
    return result


def _share(flags: list[bool], mask: list[bool]) -> float | None:
    chosen = [f for f, m in zip(flags, mask, strict=True) if m]
    return sum(chosen) / len(chosen) if chosen else None


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def run() -> None:
    full = Checker.from_files()
    lexicon = Checker.from_files(use_classifier=False)
    sets = labelled_sets(full.lexicon.categories)
    print(
        f"{'set':<12} {'checker':<8} {'n':>5} {'prec':>6} {'recall':>6} {'evasive':>7} {'hardneg':>7}"
    )
    for name, rows in sets.items():
        for label, checker in (("lexicon", lexicon), ("full", full)):
            m = measure(checker, rows)
            print(
                f"{name:<12} {label:<8} {len(rows):>5} {_fmt(m['precision']):>6} "
                f"{_fmt(m['recall']):>6} {_fmt(m['evasive_recall']):>7} "
                f"{_fmt(m['hard_negatives_flagged']):>7}"
            )
        cats = measure(full, rows)["categories"]
        print(
            "   per category (full): "
            + "; ".join(f"{c} {p:.2f}/{r:.2f}" for c, (p, r) in cats.items())
        )


if __name__ == "__main__":
    run()
