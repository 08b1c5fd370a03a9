"""One flag in the review queue's detail pane: the transcript around the hit, whether a
recording can be played, its hits, and for a decided flag whether the caller may still undo the
decision."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from monitor.db import now_iso, parse_time
from monitor.decision_undo import may_undo, undo_deadline
from monitor.flag_store import get_flag

from .context import Services
from .ui_auth import UiCaller
from .ui_highlight import pieces

NEIGHBOURS = 3  # segments shown before and after the one with the hit


def _neighbours(db: sqlite_utils.Database, flag: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream's segments around the hit; the one holding it is marked `current`."""
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
    shown = rows[max(0, here - NEIGHBOURS) : here + NEIGHBOURS + 1]
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


def _has_media(db: sqlite_utils.Database, stream_id: str | None) -> bool:
    if not stream_id:
        return False
    row = db.execute("SELECT media_path FROM streams WHERE id = ?", [stream_id]).fetchone()
    return bool(row and row[0])


def flag_detail_pane(
    db: sqlite_utils.Database, services: Services, caller: UiCaller, flag_id: int
) -> dict[str, Any]:
    flag = get_flag(db, flag_id)
    hits = [{"start": h["start"], "end": h["end"], "severity": h["severity"]} for h in flag["hits"]]
    return {
        "flag": flag,
        "context_pieces": pieces(flag["context"], hits),
        "neighbours": _neighbours(db, flag),
        "has_media": _has_media(db, flag["stream_id"]),
        "category_name": services.checker.lexicon.categories.get(flag["category"]),
        "undo": _undo_offer(services, caller, flag["decision"]),
    }


def _undo_offer(services: Services, caller: UiCaller, decision: dict | None) -> dict | None:
    """Whether the caller may undo a flag's decision, until when, and if not, why not."""
    if decision is None:
        return None
    window = services.settings.undo_window()
    until = undo_deadline(decision["decided_at"], window)
    allowed = may_undo(decision, caller.reviewer, window, parse_time(now_iso()))
    return {
        "allowed": allowed,
        "until": until,
        "mine": decision["reviewer"] == caller.reviewer,
        "minutes": f"{window.total_seconds() / 60:g}",
    }
