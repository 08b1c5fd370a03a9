"""Measured on the project's own labelled livestream utterances (tests/data/eval, see its README).

The goals are those of issue 2 for the lexicon alone; the maintainers' held-out set is separate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import check

EVAL = Path(__file__).parent / "data" / "eval" / "utterances.jsonl"


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[dict, bool]]:
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    return [(row, check(row["text"]).verdict != "pass") for row in rows]


def _rate(pairs: list[tuple[dict, bool]]) -> float:
    return sum(flagged for _, flagged in pairs) / len(pairs)


def test_the_set_is_large_and_varied_enough_to_measure(outcomes):
    rows = [row for row, _ in outcomes]
    assert len(rows) >= 700
    assert sum(r["violation"] for r in rows) >= 330
    assert sum(r["evasive"] for r in rows) >= 110
    assert sum(r["hard_negative"] for r in rows) >= 260


def test_precision_of_violation_detection_is_at_least_092(outcomes):
    flagged = [(row, row["violation"]) for row, hit in outcomes if hit]
    assert _rate(flagged) >= 0.92


def test_recall_of_violation_detection_is_at_least_070(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["violation"]]) >= 0.70


def test_recall_on_evasive_spellings_is_at_least_085(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["evasive"]]) >= 0.85


def test_at_most_5_percent_of_hard_negatives_are_flagged(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["hard_negative"]]) <= 0.05
