"""Measured on the project's own labelled livestream utterances: the development set
(tests/data/eval) and a second set written separately (tests/data/holdout); see their READMEs.
Neither is in the classifier's corpus.

Goals: issue 2 for the lexicon alone, issue 3 for lexicon + classifier. The maintainers' held-out
set is separate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor import Checker

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def lexicon_only() -> Checker:
    return Checker.from_files(use_classifier=False)


def _rows(name: str) -> list[dict]:
    path = DATA / name / "utterances.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _outcomes(checker: Checker, name: str) -> list[tuple[dict, set[str]]]:
    """Each row with the categories the checker reported (empty when the verdict is pass)."""
    return [(row, {h.category for h in checker.check(row["text"]).hits}) for row in _rows(name)]


def _rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


@pytest.fixture(scope="module", params=["eval", "holdout"])
def lexicon_outcomes(request, lexicon_only):
    return _outcomes(lexicon_only, request.param)


@pytest.fixture(scope="module", params=["eval", "holdout"])
def full_outcomes(request, checker, lexicon_only):
    lexicon = dict(
        (row["id"], bool(found)) for row, found in _outcomes(lexicon_only, request.param)
    )
    return [(row, found, lexicon[row["id"]]) for row, found in _outcomes(checker, request.param)]


@pytest.mark.parametrize("name", ["eval", "holdout"])
def test_the_sets_are_large_and_varied_enough_to_measure(name):
    rows = _rows(name)
    assert len(rows) >= 420
    assert sum(r["violation"] for r in rows) >= 0.4 * len(rows)
    assert sum(r["evasive"] for r in rows) >= 70
    assert sum(r["hard_negative"] for r in rows) >= 150
    assert len({r["id"] for r in rows}) == len(rows)


def test_lexicon_alone_precision_is_at_least_092(lexicon_outcomes):
    assert _rate([row["violation"] for row, found in lexicon_outcomes if found]) >= 0.92


def test_lexicon_alone_recall_is_at_least_070(lexicon_outcomes):
    assert _rate([bool(found) for row, found in lexicon_outcomes if row["violation"]]) >= 0.70


def test_lexicon_alone_recall_on_evasive_spellings_is_at_least_085(lexicon_outcomes):
    assert _rate([bool(found) for row, found in lexicon_outcomes if row["evasive"]]) >= 0.85


def test_lexicon_alone_flags_at_most_5_percent_of_hard_negatives(lexicon_outcomes):
    assert _rate([bool(found) for row, found in lexicon_outcomes if row["hard_negative"]]) <= 0.05


def test_full_pipeline_precision_is_at_least_095(full_outcomes):
    """Issue 11 raised it from 0.92 (measured 0.982 and 0.991)."""
    assert _rate([row["violation"] for row, found, _ in full_outcomes if found]) >= 0.95


def test_full_pipeline_recall_is_at_least_088(full_outcomes):
    assert _rate([bool(found) for row, found, _ in full_outcomes if row["violation"]]) >= 0.88


# Goal 0.6 (issue 3), not reached. Since issue 11 a hit of the model alone needs the claim's shape
# in the sentence (claim_evidence.yaml): on 23,622 real livestream sentences the model alone made
# 83 % of all flags, nearly all false. What is lost are plain stock counts, sales figures and
# confessed falsehoods ("其实是隔壁省的茶") that carry no shape a text can show. See
# models/CARD.md. The guards are the figures measured now (issue 14), so any loss fails:
# 26 of 50 on the development set, 12 of 35 on the second set.
MODEL_ONLY_RECALL = {"eval": 0.52, "holdout": 0.34}
MODEL_ONLY_GOAL = 0.6


def _model_only(name: str, checker: Checker, lexicon_only: Checker) -> list[bool]:
    """For each violation the lexicon alone misses: does the full checker flag it?"""
    rows = [r for r in _rows(name) if r["violation"] and not lexicon_only.check(r["text"]).hits]
    return [bool(checker.check(r["text"]).hits) for r in rows]


@pytest.mark.parametrize("name", ["eval", "holdout"])
def test_model_finds_violations_the_lexicon_misses(name, checker, lexicon_only):
    found = _model_only(name, checker, lexicon_only)
    assert _rate(found) >= MODEL_ONLY_RECALL[name], f"{sum(found)} of {len(found)}"


@pytest.mark.xfail(strict=True, reason="goal of issue 3; measured 0.52 and 0.34 (issue 14)")
@pytest.mark.parametrize("name", ["eval", "holdout"])
def test_model_only_recall_reaches_the_goal(name, checker, lexicon_only):
    assert _rate(_model_only(name, checker, lexicon_only)) >= MODEL_ONLY_GOAL
