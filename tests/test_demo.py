"""The demo `make run` serves: seeded through the library (grades from green to a blacklisted red,
flags waiting with their times, due process waiting for the regulator), idempotent, never mixed
with real data; recordings that say what their pages show (English speech, a real Mandarin
clip) and caption-only streams that say so; a live room replaying a recording; and `qinglang
serve --demo` started as `make run` starts it, printing keys that work."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx
import jiwer
import pytest
from api_server import free_port, wait_for_service
from ui_login import log_in

from monitor.credit.policy import load_policy
from monitor.demo.data import load_demo, seed_demo
from monitor.errors import InputError
from monitor.review.flags import record_violation
from monitor.store.db import open_db
from monitor.store.flag_queries import list_flags
from monitor.store.registry import add_workshop
from monitor.store.stream_views import recording_file

ROOT = Path(__file__).resolve().parent.parent
DEMO = load_demo()
SPOKEN = [s for s in DEMO.streams if not s.captions]  # the streams with a recording
_HANZI = re.compile(r"[\u4e00-\u9fff]")
_NOT_HANZI = re.compile(r"[^\u4e00-\u9fff]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def words(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower()).strip()


def transcribe(path: Path, language: str) -> dict:
    """`qinglang transcribe --json` of a file: the shipped offline Whisper model, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "transcribe", str(path), "--json",
         "--language", language],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, checker):
    folder = tmp_path_factory.mktemp("demo")
    db = open_db(folder / "demo.db")
    summary = seed_demo(db, checker, load_policy(), folder)
    return db, summary, folder


def _segments(db, stream_id: str) -> list[dict]:
    return list(db.query("SELECT * FROM segments WHERE stream_id = ? ORDER BY seq", [stream_id]))


def test_the_demo_shows_every_grade_and_a_blacklisted_anchor(demo):
    db, summary, _ = demo
    assert summary.seeded and summary.anchors == len(DEMO.anchors)
    grades = {row["grade"] for row in db["credit_state"].rows}
    assert {"green", "yellow", "orange", "red"} <= grades
    assert db["blacklist_entries"].count >= 1


def test_the_demo_streams_have_timed_flags_within_their_recordings_or_captions(demo):
    db, summary, folder = demo
    flags = list_flags(db, status="open", limit=500)
    assert len(flags) == summary.flags >= 8  # one per utterance with hits
    assert sum(len(f["hits"]) for f in flags) >= 10
    assert {"medical_claims", "price_fraud", "off_platform_trading"} <= {
        c for f in flags for c in f["categories"]
    }
    assert any(h["source"] == "facts" for f in flags for h in f["hits"])  # 产自仙居, 嵊泗 product
    assert summary.recordings == len(SPOKEN) >= 2
    for stream in db["streams"].rows:
        if stream["media_path"]:
            assert not Path(stream["media_path"]).is_absolute()  # relative to the files folder
            length = float(
                subprocess.run(
                    ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of",
                     "csv=p=0", str(recording_file(stream["media_path"], folder))],
                    capture_output=True, text=True, check=True,
                ).stdout
            )  # fmt: skip
        else:
            length = _segments(db, stream["id"])[-1]["end_s"]  # the caption timeline
        for flag in list_flags(db, stream_id=stream["id"], limit=500):
            assert 0 <= flag["time_start"] < flag["time_end"] <= length + 0.01
            said_in = db["segments"].get(flag["segment_id"])  # linked to its caption line
            assert said_in["stream_id"] == stream["id"] and flag["text"] in said_in["text"]


def test_streams_with_claims_in_mandarin_are_captions_without_a_recording(demo):
    db, _, _ = demo
    for stream in DEMO.streams:
        row = db["streams"].get(stream.id)
        if stream.captions:
            assert row["source"].startswith("captions:") and not row["media_path"]
        else:
            assert not row["source"].startswith("captions:") and row["media_path"]
    said_in_mandarin = {
        f["stream_id"] for f in list_flags(db, limit=500) if _HANZI.search(f["text"])
    }
    assert said_in_mandarin
    for stream_id in said_in_mandarin:  # no recording says a Mandarin claim nobody could hear
        assert db["streams"].get(stream_id)["source"].startswith("captions:")


def test_the_english_recording_transcribes_to_its_page_and_its_flagged_claims(demo):
    db, _, folder = demo
    (stream,) = [s for s in DEMO.streams if s.speech]
    path = recording_file(db["streams"].get(stream.id)["media_path"], folder)
    with wave.open(str(path)) as audio:
        length = audio.getnframes() / audio.getframerate()
    heard = transcribe(path, "en")["segments"]
    page = " ".join(s["text"] for s in _segments(db, stream.id))
    assert jiwer.wer(words(page), words(" ".join(s["text"] for s in heard))) <= 0.2
    flags = list_flags(db, stream_id=stream.id, limit=50)
    assert {"absolute_terms", "medical_claims", "off_platform_trading"} <= {
        f["category"] for f in flags
    }
    for flag in flags:
        said = [s for s in heard if words(flag["text"]) in words(s["text"])]
        assert said, (flag["text"], heard)  # Whisper hears the claim the page flags
        assert 0 <= flag["time_start"] < flag["time_end"] <= length
        assert any(s["start"] - 0.5 <= flag["time_start"] <= s["end"] for s in said)


def test_the_mandarin_recording_transcribes_to_what_its_page_shows(demo):
    db, _, folder = demo
    (stream,) = [s for s in DEMO.streams if s.recording]
    path = recording_file(db["streams"].get(stream.id)["media_path"], folder)
    heard = "".join(s["text"] for s in transcribe(path, "zh")["segments"])
    page = "".join(s["text"] for s in _segments(db, stream.id))
    assert jiwer.cer(_NOT_HANZI.sub("", page), _NOT_HANZI.sub("", heard)) <= 0.1
    assert not list_flags(db, stream_id=stream.id, limit=50)  # a stream without claims


def test_the_demo_leaves_an_appeal_a_repair_application_and_a_script_waiting(demo):
    db, summary, _ = demo
    pending = "status = 'pending'"
    assert db["appeals"].count_where(pending) == 1
    assert db["credit_repairs"].count_where(pending) == 1
    assert db["scripts"].count_where(pending) == 1
    assert summary.pending == 3


def test_seeding_again_changes_nothing_and_real_data_is_refused(demo, checker, tmp_path):
    db, _, _ = demo
    flags = db["flags"].count
    again = seed_demo(db, checker, load_policy(), None)
    assert not again.seeded and db["flags"].count == flags
    other = open_db(tmp_path / "real.db")
    add_workshop(other, "W9", "真实工坊")
    with pytest.raises(InputError, match="demo needs an empty database"):
        seed_demo(other, checker, load_policy(), None)


def _start(command: list[str], cwd: Path) -> subprocess.Popen:
    """A process of its own group, its standard output and error merged, line by line."""
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
        start_new_session=True,
    )  # fmt: skip


def _read_until(process: subprocess.Popen, marker: str) -> str:
    lines = []
    while not any(marker in line for line in lines):
        line = process.stdout.readline()
        assert line, f"ended before printing {marker!r}: {''.join(lines)[-2000:]}"
        lines.append(line)
    return "".join(lines)


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_serve_demo_as_make_run_does_shows_every_page_with_content(tmp_path):
    port = free_port()
    process = _start(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--demo", "--port", str(port), "--db",
         "demo.db"],  # relative, as `make run` gives it
        tmp_path,
    )  # fmt: skip
    try:
        printed = _read_until(process, "anchor key")
        assert "3 件待决事项 pending decisions" in printed
        keys = dict(re.findall(r"(regulator|platform|anchor) key[^:]*:\s+(ql_\S+)", printed))
        assert set(keys) == {"regulator", "platform", "anchor"}
        base = f"http://127.0.0.1:{port}"
        wait_for_service(base, timeout=120)
        own = httpx.get(
            f"{base}/v1/anchors/A-SX1/credit", headers={"Authorization": f"Bearer {keys['anchor']}"}
        )
        assert own.status_code == 200 and own.json()["grade"] == "green"
        other = httpx.get(
            f"{base}/v1/anchors/A-ZJ2/eligibility",
            headers={"Authorization": f"Bearer {keys['platform']}"},
        )
        assert other.json()["may_go_live"] is False  # blacklisted
        assert (tmp_path / "demo.db.files" / "demo").is_dir()
        regulator = {"Authorization": f"Bearer {keys['regulator']}"}
        with httpx.Client(base_url=base, timeout=30) as ui:
            cookie = {"ql_session": log_in(ui, keys["regulator"])}
        recordings = 0
        for stream in DEMO.streams:  # every recording the demo lists plays, whole and by range
            page = httpx.get(f"{base}/ui/streams/{stream.id}", cookies=cookie, timeout=30).text
            url = f"{base}/v1/streams/{stream.id}/media"
            if stream.captions:  # no recording, and the page says it shows the caption timeline
                assert 'id="caption-timeline"' in page and "<audio" not in page
                assert httpx.get(url, headers=regulator, timeout=30).status_code == 404
                start, text = stream.captions[-1]
                assert (
                    text in page and f'class="ts">{int(start) // 60}:{int(start) % 60:02d}<' in page
                )
                continue
            recordings += '<audio id="player"' in page
            whole = httpx.get(url, headers=regulator, timeout=30)
            assert whole.status_code == 200, (stream.id, whole.text[:200])
            part = httpx.get(url, headers={**regulator, "Range": "bytes=0-99"}, timeout=30)
            assert part.status_code == 206 and part.content == whole.content[:100]
        assert recordings == len(SPOKEN)
        decisions = httpx.get(f"{base}/ui/decisions", cookies=cookie, timeout=30).text
        for section in ("appeals", "repairs", "scripts"):
            assert re.search(rf'<article class="card decision-item" id="{section}-\d+"', decisions)
        opened = time.monotonic() + 120  # the room opens once the service's workers run
        while (
            "replay:S-ZJ3-en-demo.wav"
            not in (live := httpx.get(f"{base}/ui/live", cookies=cookie, timeout=30).text)
            and time.monotonic() < opened
        ):
            time.sleep(0.5)
        assert "replay:S-ZJ3-en-demo.wav" in live and DEMO.replay_room.stream in live
        deadline = time.monotonic() + 300
        while True:  # the replayed speech is recognised and checked as it plays
            rooms = httpx.get(f"{base}/v1/live/rooms", headers=regulator, timeout=30).json()
            (room,) = [r for r in rooms["rooms"] if r["stream_id"] == DEMO.replay_room.stream]
            if room["flags"]:
                break
            assert room["state"] == "active", room
            assert time.monotonic() < deadline, "the replayed room raised no flag"
            time.sleep(1)
        flagged = httpx.get(
            f"{base}/v1/flags", params={"stream": room["stream_id"]}, headers=regulator
        ).json()
        assert "the best in the world" in [f["text"].lower() for f in flagged["items"]]
    finally:
        _stop(process)


def test_a_second_start_says_it_reuses_the_demo_and_demo_reset_starts_afresh(tmp_path, checker):
    db_path = tmp_path / "kept.db"
    db = open_db(db_path)
    seed_demo(db, checker, load_policy(), Path(f"{db_path}.files"))
    record_violation(
        db, anchor="A-SX1", category="absolute_terms", severity="low", evidence="巡查：最好的黄酒",
        recorded_by="test", policy=load_policy(), categories=list(checker.lexicon.categories),
    )  # fmt: skip
    violations = db["violations"].count
    db.conn.close()
    command = [sys.executable, "-m", "monitor.cli.main", "serve", "--demo", "--db", str(db_path)]
    process = _start([*command, "--port", str(free_port())], tmp_path)
    try:
        printed = _read_until(process, "anchor key")
        assert "reusing the demo database" in printed and "make demo-reset" in printed
    finally:
        _stop(process)
    make = [
        "make", "-o", ".venv/.installed", "demo-reset", f"DEMO_DB={db_path}",
        f"PORT={free_port()}", f"BIN={Path(sys.executable).parent}",
    ]  # fmt: skip
    planned = subprocess.run([make[0], "-n", *make[1:]], cwd=ROOT, capture_output=True, text=True)
    assert "pip" not in planned.stdout, planned.stdout  # never reinstall the venv running us
    process = _start(make, ROOT)
    try:
        printed = _read_until(process, "anchor key")
        assert "demo data written" in printed and "reusing" not in printed
    finally:
        _stop(process)
    assert open_db(db_path)["violations"].count == violations - 1
