"""Reviewed flags as a labelled corpus for `qinglang train --extra`: each decided flag becomes
the utterance around its hit, confirmed → a violation, dismissed → a hard negative. Reads the
store only; it must not change a decision."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import sqlite_utils

from monitor.text.utterances import split_utterances


def labelled_examples(db: sqlite_utils.Database) -> Iterator[dict]:
    """Reviewed flags as corpus lines for `qinglang train --extra`: the utterance around the hit,
    confirmed → a violation of the decided category, dismissed → a hard negative."""
    rows = db.query(
        "SELECT flags.id, flags.context, flags.start, flags.end, d.decision, d.category FROM flags "
        "JOIN review_decisions d ON d.flag_id = flags.id ORDER BY flags.id"
    )
    for row in rows:
        text = _utterance(row["context"], row["start"], row["end"])
        confirmed = row["decision"] == "confirm"
        yield {
            "id": f"review-{row['id']}",
            "text": text,
            "violation": confirmed,
            "categories": [row["category"]] if confirmed else [],
            "hard_negative": not confirmed,
        }


def _utterance(context: str, start: int, end: int) -> str:
    for left, right in split_utterances(context):
        if left <= start < right:
            return context[left : max(right, min(end, len(context)))].strip()
    return context[max(0, start - 20) : end + 20].strip()


def dumps(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
