"""One flag in the review queue's detail pane: the transcript around the hit
(`monitor.review.flag_context`), whether a recording can be played, its hits, and for a decided flag
whether the caller may still undo the decision."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from api.core.context import Services
from api.ui.auth import UiCaller
from api.ui.views.highlight import pieces
from monitor.review.decision_undo import may_undo, undo_deadline
from monitor.review.flag_context import segments_around
from monitor.store.db import now_iso, parse_time
from monitor.store.flag_queries import flag_detail

NEIGHBOURS = 3  # segments shown before and after the one with the hit


def flag_detail_pane(
    db: sqlite_utils.Database, services: Services, caller: UiCaller, flag_id: int
) -> dict[str, Any]:
    flag = flag_detail(db, flag_id)
    hits = [{"start": h["start"], "end": h["end"], "severity": h["severity"]} for h in flag["hits"]]
    return {
        "flag": flag,
        "context_pieces": pieces(flag["context"], hits),
        "neighbours": segments_around(db, flag, NEIGHBOURS),
        "has_media": bool(flag["stream"] and flag["stream"]["has_media"]),
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
