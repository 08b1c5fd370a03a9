"""The demo `make run` serves: seeded through the library (grades from green to a blacklisted red,
flags waiting with their times, spoken recordings), idempotent, never mixed with real data; and
`qinglang serve --demo` printing keys that work."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import httpx
import pytest

from monitor.credit_policy import load_policy
from monitor.db import open_db
from monitor.demo_data import load_demo, seed_demo
from monitor.errors import InputError
from monitor.flag_store import list_flags
from monitor.registry import add_workshop
from monitor.stream_views import recording_file


@pytest.fixture(scope="module")
def demo(tmp_path_factory, checker):
    folder = tmp_path_factory.mktemp("demo")
    db = open_db(folder / "demo.db")
    summary = seed_demo(db, checker, load_policy(), folder)
    return db, summary, folder


def test_the_demo_shows_every_grade_and_a_blacklisted_anchor(demo):
    db, summary, _ = demo
    assert summary.seeded and summary.anchors == len(load_demo()["anchors"])
    grades = {row["grade"] for row in db["credit_state"].rows}
    assert {"green", "yellow", "orange", "red"} <= grades
    assert db["blacklist_entries"].count >= 1


def test_the_demo_streams_have_timed_flags_within_their_recordings(demo):
    db, summary, folder = demo
    flags = list_flags(db, status="open", limit=500)
    assert len(flags) == summary.flags >= 8  # one per utterance with hits
    assert sum(len(f["hits"]) for f in flags) >= 10
    assert {"medical_claims", "price_fraud", "off_platform_trading"} <= {
        c for f in flags for c in f["categories"]
    }
    assert any(h["source"] == "facts" for f in flags for h in f["hits"])  # 产自仙居, 嵊泗 product
    assert summary.recordings == len(load_demo()["streams"])
    for stream in db["streams"].rows:
        assert not Path(stream["media_path"]).is_absolute()  # relative to the files folder
        with wave.open(str(recording_file(stream["media_path"], folder))) as audio:
            length = audio.getnframes() / audio.getframerate()
        for flag in list_flags(db, stream_id=stream["id"], limit=500):
            assert 0 <= flag["time_start"] < flag["time_end"] <= length + 0.01
            said_in = db["segments"].get(flag["segment_id"])  # linked to its caption line
            assert said_in["stream_id"] == stream["id"] and flag["text"] in said_in["text"]


def test_seeding_again_changes_nothing_and_real_data_is_refused(demo, checker, tmp_path):
    db, _, _ = demo
    flags = db["flags"].count
    again = seed_demo(db, checker, load_policy(), None)
    assert not again.seeded and db["flags"].count == flags
    other = open_db(tmp_path / "real.db")
    add_workshop(other, "W9", "真实工坊")
    with pytest.raises(InputError, match="demo needs an empty database"):
        seed_demo(other, checker, load_policy(), None)


def test_serve_demo_prints_keys_for_each_role_that_work(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "monitor.cli", "serve", "--demo", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--db", "demo.db"],  # relative, as `make run` gives it
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    try:
        lines = []
        while not any("anchor key" in line for line in lines):
            line = process.stdout.readline()
            assert line, "serve --demo ended before printing its keys"
            lines.append(line)
        keys = dict(re.findall(r"(regulator|platform|anchor) key[^:]*:\s+(ql_\S+)", "".join(lines)))
        assert set(keys) == {"regulator", "platform", "anchor"}
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
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
        streams = [s["id"] for s in load_demo()["streams"]]
        for stream in streams:  # every recording the demo lists plays, whole and by range
            url = f"{base}/v1/streams/{stream}/media"
            whole = httpx.get(url, headers=regulator, timeout=30)
            assert whole.status_code == 200, (stream, whole.text[:200])
            assert whole.content[:4] == b"RIFF"
            part = httpx.get(url, headers={**regulator, "Range": "bytes=0-99"}, timeout=30)
            assert part.status_code == 206 and len(part.content) == 100
    finally:
        process.terminate()
        process.wait(timeout=20)
