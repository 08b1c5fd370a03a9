"""The demo the service starts with (`qinglang serve --demo`, `make run`): the workshops, anchors,
products, past findings, pending applications and recent streams of `monitor/demo/data.yaml`,
recorded through the same library calls a regulator's, an anchor's and a platform's work goes
through (so every grade has its audited history, every flag its check, every appeal its filing).

A stream's text comes from timed captions (no recording), from English lines espeak-ng speaks
into its recording, or from a real recording shipped with the demo (monitor/demo/media.py), and
its page says which. Seeding is idempotent: a store that already holds the demo is left as it
is; a store that holds anything else is refused, so the demo never mixes with real data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from monitor.checking.checker import Checker
from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.checking.timed_check import check_segments
from monitor.credit.policy import CreditPolicy
from monitor.demo.media import can_speak, copy_recording, speak
from monitor.demo.schema import DemoData, Stream, load_demo
from monitor.errors import InputError
from monitor.review.flags import apply_for_repair, file_appeal, record_violation
from monitor.review.prereview import submit_script
from monitor.sources.segments import Segment
from monitor.store.db import now_iso, transaction
from monitor.store.flag_store import record_check
from monitor.store.registry import add_anchor, add_product, add_workshop, get_product
from monitor.store.stream_views import recording_file

DEMO_ACTOR = "demo"
CAPTIONS_SOURCE = "captions:demo"
_UNTIMED_LINE_S = 4.0  # a spoken line's length when it cannot be spoken (no espeak-ng)


@dataclass(frozen=True)
class DemoSummary:
    seeded: bool
    workshops: int
    anchors: int
    flags: int
    recordings: int
    pending: int = 0  # appeals, applications and scripts waiting for the regulator


@dataclass(frozen=True)
class Replay:
    """What the demo's live room plays, and as whose stream."""

    anchor_id: str
    product_id: str
    stream_id: str
    profile: str | None
    recording: Path


def seed_demo(
    db: sqlite_utils.Database,
    checker: Checker,
    policy: CreditPolicy,
    files_dir: Path | None = None,
) -> DemoSummary:
    """Fill an empty store with the demo (recordings into `files_dir`/demo; each stream stores
    its recording's path relative to `files_dir`, as every recording is looked up, so a
    relative --db works)."""
    demo = load_demo()
    first = demo.workshops[0].id
    if db["workshops"].count:
        if db["workshops"].count_where("id = ?", [first]):
            return DemoSummary(False, db["workshops"].count, db["anchors"].count, 0, 0)
        raise InputError(
            "数据库已有非演示数据，演示只能用空数据库 / the database holds other data: "
            "the demo needs an empty database (give another --db)"
        )
    now = datetime.now(UTC)
    with transaction(db):
        _register(db, demo)
        appeals = _past_findings(db, demo, policy, list(checker.lexicon.categories), now)
    pending = len(appeals) + _applications(db, demo, checker, policy, now)
    flags = recordings = 0
    for stream in demo.streams:
        segments, media, source = _stream_text(stream, files_dir)
        product = get_product(db, stream.product)
        report = check_segments(
            checker,
            segments,
            profile=stream.profile,
            product_class=product["product_class"],
            facts=ProductFacts.from_record(product),
        )
        flags += len(
            record_check(
                db,
                report.report,
                report.timed.text,
                anchor_id=stream.anchor,
                stream_id=stream.id,
                product_id=product["id"],
                source=source,
                segments=segments,
            )
        )
        if media is not None:
            with transaction(db):
                relative = media.relative_to(files_dir).as_posix()
                db["streams"].update(stream.id, {"media_path": relative})
            recordings += 1
    return DemoSummary(True, len(demo.workshops), len(demo.anchors), flags, recordings, pending)


def demo_replay(db: sqlite_utils.Database, files_dir: Path) -> Replay | None:
    """The demo's live room (实时监测), when the demo names one and its recording is there."""
    demo = load_demo()
    room = demo.replay_room
    if room is None or not db["streams"].count_where("id = ?", [room.replays]):
        return None
    recording = recording_file(db["streams"].get(room.replays)["media_path"], files_dir)
    if recording is None:
        return None
    replayed = next(s for s in demo.streams if s.id == room.replays)
    return Replay(room.anchor, room.product, room.stream, replayed.profile, recording)


def _register(db: sqlite_utils.Database, demo: DemoData) -> None:
    for w in demo.workshops:
        add_workshop(db, w.id, w.name, w.region, actor=DEMO_ACTOR)
    for a in demo.anchors:
        add_anchor(db, a.id, a.name, a.workshop, a.accounts, DEMO_ACTOR)
    for p in demo.products:
        add_product(
            db,
            p.id,
            p.name,
            workshop_id=p.workshop,
            product_class=p.product_class,
            origin=p.origin,
            producer=p.producer,
            certifications=p.certifications,
            actor=DEMO_ACTOR,
        )


def _past_findings(
    db: sqlite_utils.Database,
    demo: DemoData,
    policy: CreditPolicy,
    categories: list[str],
    now: datetime,
) -> list[int]:
    """Record the past violations, oldest first, and file the appeals against them; returns the
    appeal ids."""
    appeals = []
    for v in sorted(demo.past_violations, key=lambda v: -v.days_ago):
        violation_id = record_violation(
            db,
            anchor=v.anchor,
            category=v.category,
            severity=v.severity,
            evidence=v.evidence,
            recorded_by="demo:inspector",
            policy=policy,
            categories=categories,
            at=now_iso(now - timedelta(days=v.days_ago)),
            origin=v.origin,
        )
        if v.appeal:
            appeals.append(file_appeal(db, violation_id, v.appeal, f"demo:{v.anchor}"))
    return appeals


def _applications(
    db: sqlite_utils.Database,
    demo: DemoData,
    checker: Checker,
    policy: CreditPolicy,
    now: datetime,
) -> int:
    """File the repair applications and submit the scripts; returns how many wait for the
    regulator (a script waits only where the anchor's grade requires approval)."""
    for r in demo.repair_applications:
        apply_for_repair(db, r.anchor, r.kind, r.reason, f"demo:{r.anchor}", policy)
    waiting = len(demo.repair_applications)
    for s in demo.scripts:
        submitted = submit_script(
            db,
            checker,
            policy,
            anchor=s.anchor,
            text=s.text,
            submitted_by=f"demo:{s.anchor}",
            product_id=s.product,
            for_stream_at=now_iso(now + timedelta(days=s.stream_in_days)),
        )
        waiting += submitted["status"] == "pending"
    return waiting


def _stream_text(stream: Stream, files_dir: Path | None) -> tuple[list[Segment], Path | None, str]:
    """The stream's timed segments, its recording (or None) and its source as stored."""
    media_dir = files_dir / "demo" if files_dir else None
    if stream.captions:
        return _captioned(stream.captions), None, CAPTIONS_SOURCE
    if stream.recording is not None:
        if media_dir is None:
            segments = [Segment(s, e, t) for s, e, t in stream.recording.segments]
            return segments, None, CAPTIONS_SOURCE
        segments, media = copy_recording(stream.recording, media_dir)
        return segments, media, f"upload:{media.name}"
    if media_dir is None or not can_speak():  # no recording that says nothing: captions only
        timed = [(i * _UNTIMED_LINE_S, line) for i, line in enumerate(stream.lines)]
        return _captioned(timed), None, CAPTIONS_SOURCE
    out = media_dir / f"{stream.id}.wav"
    return speak(stream.lines, stream.speech, out), out, f"tts:espeak-ng {stream.speech.voice}"


def _captioned(lines: list[tuple[float, str]]) -> list[Segment]:
    """Caption lines as segments: each lasts until the next begins (the last, 5 s)."""
    ends = [start for start, _ in lines[1:]] + [lines[-1][0] + 5.0]
    return [Segment(s, e, t) for (s, t), e in zip(lines, ends, strict=True)]
