"""What a reviewer reads around a flag: the segments of its stream before and after the one that
holds the hit, with the hit marked. Reading only."""

from __future__ import annotations

from typing import Any

import sqlite_utils


def segments_around(
    db: sqlite_utils.Database, flag: dict[str, Any], around: int = 3
) -> list[dict[str, Any]]:
    """The stream's segments around a flag's hit, `around` on each side; the one holding it is
    marked `current`, its `parts` are (text, is the hit) pieces."""
    if not flag["stream_id"]:
        return []
    rows = list(
        db.query(
            "SELECT id, seq, start_s, end_s, text FROM segments WHERE stream_id = ? ORDER BY seq",
            [flag["stream_id"]],
        )
    )
    if not rows:
        return []
    here = next((i for i, row in enumerate(rows) if row["id"] == flag["segment_id"]), None)
    if here is None and flag["time_start"] is not None:
        starts = [i for i, row in enumerate(rows) if row["start_s"] <= flag["time_start"]]
        here = starts[-1] if starts else 0
    if here is None:
        here = next((i for i, row in enumerate(rows) if flag["text"] in row["text"]), 0)
    shown = rows[max(0, here - around) : here + around + 1]
    for row in shown:
        row["current"] = row is rows[here]
        at = row["text"].find(flag["text"]) if row["current"] else -1
        row["parts"] = (
            [
                (row["text"][:at], False),
                (flag["text"], True),
                (row["text"][at + len(flag["text"]) :], False),
            ]
            if at >= 0
            else [(row["text"], False)]
        )
    return shown
