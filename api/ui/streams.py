"""The web UI's monitored streams: the list of recent streams (直播记录) with their flags counted
by status, and one stream's page (直播详情): its whole transcript with every flag highlighted
where it was said, the recording with a seek on each segment's time, and a summary. An anchor
key sees only its own streams; the flags open in the review queue for a regulator."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, Query, Request, Response

from api.core.context import DatabaseDep, ServicesDep
from api.ui.auth import UiCaller, ui_roles
from api.ui.pages import viewed_anchor
from api.ui.render import HtmlErrorRoute, UiError, render
from api.ui.views.highlight import SEVERITY_ORDER, pieces
from monitor.credit.policy import CreditPolicy
from monitor.speech.transcript_reliability import ISSUE_LABELS
from monitor.store.registry import id_names
from monitor.store.stream_views import (
    anchor_streams,
    get_stream_view,
    list_streams,
    stream_transcript,
)

PAGE_SIZE = 20  # streams per page of the list
ANCHOR_STREAMS = 10  # an anchor's latest streams on its page

_OWN_STREAMS_ONLY = "主播账号只能查看本人的直播 / an anchor key sees only its own streams"
router = APIRouter(route_class=HtmlErrorRoute, include_in_schema=False)
Viewer = Annotated[UiCaller, Depends(ui_roles("regulator", "platform", "anchor"))]


def _with_grades(rows: list[dict], policy: CreditPolicy) -> list[dict]:
    """Each stream's anchor grade as stored (none computed yet: the first, best grade)."""
    grades = {grade.id: grade for grade in policy.grades}
    for row in rows:
        row["grade"] = grades.get(row["grade_id"] or "", policy.grades[0])
    return rows


@router.get("/ui/streams")
def streams_page(
    request: Request,
    caller: Viewer,
    db: DatabaseDep,
    services: ServicesDep,
    workshop: str = "",
    anchor: str = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Recent streams, newest first, filtered by workshop and anchor; an anchor key sees its own."""
    if caller.role == "anchor":
        anchor = caller.anchor_id or ""
    rows = list_streams(
        db,
        workshop_id=workshop or None,
        anchor_id=anchor or None,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "streams.html",
        {
            "streams": _with_grades(rows[:PAGE_SIZE], services.policy),
            "page": page,
            "more": len(rows) > PAGE_SIZE,
            "where": {"workshop": workshop, "anchor": anchor},
            "workshops": id_names(db, "workshops"),
            "anchors": id_names(db, "anchors"),
        },
    )


def _viewed_stream(db: sqlite_utils.Database, caller: UiCaller, stream_id: str) -> dict:
    """The stream a page is about; an anchor key gets only its own (403 for any other stream,
    existing or not, so it learns nothing about other anchors' streams)."""
    stream = get_stream_view(db, stream_id)
    if caller.role == "anchor" and (stream is None or stream["anchor_id"] != caller.anchor_id):
        raise UiError(403, _OWN_STREAMS_ONLY)
    if stream is None:
        raise UiError(404, f"直播不存在 / no stream {stream_id}")
    return stream


def _segment_pieces(segment: dict[str, Any]) -> list[dict[str, Any]]:
    """The segment's text cut at its flags' spans; each lit piece carries its flags, worst
    first."""
    placed = [f for f in segment["flags"] if f["span"] is not None]
    hits = [{"start": f["span"][0], "end": f["span"][1], "severity": f["severity"]} for f in placed]
    out = []
    for piece in pieces(segment["text"], hits):
        flags = sorted(
            (placed[i] for i in piece.hits),
            key=lambda f: (SEVERITY_ORDER.get(f["severity"], 3), -f["score"]),
        )
        out.append({"text": piece.text, "severity": piece.severity, "flags": flags})
    return out


def _verdict(segment: dict[str, Any]) -> str:
    """The check's verdict on the segment, from its flags (docs/architecture.md: block = a blocking hit);
    a line speech recognition doubts is never a pass (a person listens)."""
    if not segment["flags"]:
        return "review" if segment["issues"] else "pass"
    return "block" if any(f["hit"].get("blocking") for f in segment["flags"]) else "review"


def _summary(transcript: dict[str, Any]) -> dict[str, Any]:
    segments = transcript["segments"]
    verdicts = Counter(s["verdict"] for s in segments)
    return {
        "verdicts": [(v, verdicts.get(v, 0)) for v in ("block", "review", "pass")],
        "categories": Counter(f["category"] for f in transcript["flags"]).most_common(),
        "severities": Counter(f["severity"] for f in transcript["flags"]),
        "duration": max((s["end_s"] for s in segments), default=0.0),
    }


@router.get("/ui/streams/{stream_id}")
def stream_page(
    request: Request,
    stream_id: str,
    caller: Viewer,
    db: DatabaseDep,
    services: ServicesDep,
    flag: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """A stream's transcript with its flags highlighted, the recording (a regulator's page plays
    it; `?flag=ID` starts it at that flag) and a summary."""
    stream = _viewed_stream(db, caller, stream_id)
    _with_grades([stream], services.policy)
    transcript = stream_transcript(db, stream_id)
    for segment in transcript["segments"]:
        segment["pieces"] = _segment_pieces(segment)
        segment["verdict"] = _verdict(segment)
    focus = next((f for f in transcript["flags"] if f["id"] == flag), None)
    return render(
        request,
        "stream.html",
        {
            "stream": stream,
            "transcript": transcript,
            "summary": _summary(transcript),
            "categories": services.checker.lexicon.categories,
            "focus": focus,
            "player": stream["has_media"],
            "issue_labels": ISSUE_LABELS,
        },
    )


@router.get("/ui/anchors/{anchor_ref}/streams")
def anchor_streams_fragment(
    request: Request, anchor_ref: str, caller: Viewer, db: DatabaseDep, services: ServicesDep
) -> Response:
    """An anchor's latest streams, for its page (loaded by htmx); an anchor key, its own only."""
    anchor = viewed_anchor(db, caller, anchor_ref, _OWN_STREAMS_ONLY)
    rows = _with_grades(anchor_streams(db, anchor["id"], ANCHOR_STREAMS), services.policy)
    return render(request, "_anchor_streams.html", {"anchor": anchor, "streams": rows})
