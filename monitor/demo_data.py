"""The demo the service starts with (`qinglang serve --demo`, `make run`): the workshops, anchors,
products, past findings and recent streams of `monitor/demo/data.yaml`, recorded through the same
library calls a regulator's work goes through (so every grade has its audited history and every
flag its check), plus spoken recordings of the streams when espeak-ng is installed, so that the
review queue can play each flag from its second.

Seeding is idempotent: a store that already holds the demo is left as it is; a store that holds
anything else is refused, so the demo never mixes with real data.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import sqlite_utils
import yaml

from .checker import Checker
from .credit_policy import CreditPolicy
from .db import now_iso, transaction
from .errors import InputError
from .facts import ProductFacts
from .recording import record_check
from .registry import add_anchor, add_product, add_workshop, get_product
from .review import record_violation
from .segments import Segment
from .timed_check import check_segments

DEMO_ACTOR = "demo"
PAUSE_S = 0.6


@dataclass(frozen=True)
class DemoSummary:
    seeded: bool
    workshops: int
    anchors: int
    flags: int
    recordings: int


def load_demo() -> dict:
    text = files("monitor").joinpath("demo", "data.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def seed_demo(
    db: sqlite_utils.Database,
    checker: Checker,
    policy: CreditPolicy,
    files_dir: Path | None = None,
) -> DemoSummary:
    """Fill an empty store with the demo (recordings into `files_dir`/demo when espeak-ng is
    here; each stream stores its recording's path relative to `files_dir`, as every recording is
    looked up, so a relative --db works)."""
    demo = load_demo()
    first = demo["workshops"][0]["id"]
    if db["workshops"].count:
        if db["workshops"].count_where("id = ?", [first]):
            return DemoSummary(False, db["workshops"].count, db["anchors"].count, 0, 0)
        raise InputError(
            "数据库已有非演示数据，演示只能用空数据库 / the database holds other data: "
            "the demo needs an empty database (give another --db)"
        )
    categories = list(checker.lexicon.categories)
    with transaction(db):
        for w in demo["workshops"]:
            add_workshop(db, w["id"], w["name"], w.get("region", ""), actor=DEMO_ACTOR)
        for a in demo["anchors"]:
            add_anchor(db, a["id"], a["name"], a.get("workshop"), a.get("accounts", []), DEMO_ACTOR)
        for p in demo["products"]:
            add_product(
                db,
                p["id"],
                p["name"],
                workshop_id=p.get("workshop"),
                product_class=p.get("product_class", "food"),
                origin=p.get("origin", ""),
                producer=p.get("producer", ""),
                certifications=p.get("certifications", []),
                actor=DEMO_ACTOR,
            )
        now = datetime.now(UTC)
        for v in sorted(demo["past_violations"], key=lambda v: -v["days_ago"]):
            record_violation(
                db,
                anchor=v["anchor"],
                category=v["category"],
                severity=v["severity"],
                evidence=v["evidence"],
                recorded_by="demo:inspector",
                policy=policy,
                categories=categories,
                at=now_iso(now - timedelta(days=v["days_ago"])),
                origin=v["origin"],
            )
    flags = recordings = 0
    for stream in demo["streams"]:
        segments, media = _spoken(stream, files_dir / "demo" if files_dir else None)
        product = get_product(db, stream["product"])
        report = check_segments(
            checker,
            segments,
            product_class=product["product_class"],
            facts=ProductFacts.from_record(product),
        )
        flags += len(
            record_check(
                db,
                report.report,
                report.timed.text,
                anchor_id=stream["anchor"],
                stream_id=stream["id"],
                product_id=product["id"],
                source="demo",
                segments=segments,
            )
        )
        if media is not None:
            with transaction(db):
                relative = media.relative_to(files_dir).as_posix()
                db["streams"].update(stream["id"], {"media_path": relative})
            recordings += 1
    return DemoSummary(True, len(demo["workshops"]), len(demo["anchors"]), flags, recordings)


def _spoken(stream: dict, media_dir: Path | None) -> tuple[list[Segment], Path | None]:
    """The stream's caption segments; when espeak-ng is installed, also a recording of them, with
    the segments timed to the speech."""
    lines = [(float(start), text) for start, text in stream["lines"]]
    if media_dir is None or shutil.which("espeak-ng") is None:
        ends = [start for start, _ in lines[1:]] + [lines[-1][0] + 5.0]
        return [Segment(s, e, t) for (s, t), e in zip(lines, ends, strict=True)], None
    media_dir.mkdir(parents=True, exist_ok=True)
    out = media_dir / f"{stream['id']}.wav"
    segments = _synthesise([text for _, text in lines], out)
    return segments, out


def _synthesise(texts: list[str], out: Path) -> list[Segment]:
    """Speak each line with espeak-ng's Mandarin voice into one WAV, a pause between lines."""
    segments, frames, params, clock = [], [], None, PAUSE_S
    with tempfile.TemporaryDirectory() as tmp:
        for index, text in enumerate(texts):
            part = Path(tmp) / f"{index}.wav"
            subprocess.run(
                ["espeak-ng", "-v", "cmn", "-s", "170", "-w", str(part), text],
                check=True,
                capture_output=True,
            )
            with wave.open(str(part)) as handle:
                params = params or handle.getparams()
                data = handle.readframes(handle.getnframes())
                length = handle.getnframes() / handle.getframerate()
            frames.append(data)
            segments.append(Segment(round(clock, 3), round(clock + length, 3), text))
            clock += length + PAUSE_S
        silence = b"\0" * (int(params.framerate * PAUSE_S) * params.sampwidth * params.nchannels)
        staging = out.with_suffix(".partial")
        with wave.open(str(staging), "wb") as handle:
            handle.setparams(params)
            handle.writeframes(silence)
            for data in frames:
                handle.writeframes(data + silence)
        staging.replace(out)
    return segments
