"""Measured on the project's own labelled livestream utterances: the development set
(tests/data/eval) and a second set written separately (tests/data/holdout); see their READMEs.

The goals are those of issue 2 for the lexicon alone; the maintainers' held-out set is separate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import check

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module", params=["eval", "holdout"])
def outcomes(request) -> list[tuple[dict, bool]]:
    path = DATA / request.param / "utterances.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row, check(row["text"]).verdict != "pass") for row in rows]


def _rate(pairs: list[tuple[dict, bool]]) -> float:
    return sum(flagged for _, flagged in pairs) / len(pairs)


def test_the_set_is_large_and_varied_enough_to_measure(outcomes):
    rows = [row for row, _ in outcomes]
    total = len(rows)
    assert total >= 420
    assert sum(r["violation"] for r in rows) >= 0.4 * total
    assert sum(r["evasive"] for r in rows) >= 70
    assert sum(r["hard_negative"] for r in rows) >= 150
    assert len({r["id"] for r in rows}) == total


def test_precision_of_violation_detection_is_at_least_092(outcomes):
    flagged = [(row, row["violation"]) for row, hit in outcomes if hit]
    assert _rate(flagged) >= 0.92


def test_recall_of_violation_detection_is_at_least_070(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["violation"]]) >= 0.70


def test_recall_on_evasive_spellings_is_at_least_085(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["evasive"]]) >= 0.85


def test_at_most_5_percent_of_hard_negatives_are_flagged(outcomes):
    assert _rate([(row, hit) for row, hit in outcomes if row["hard_negative"]]) <= 0.05
