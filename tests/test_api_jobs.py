"""Batch checks, caption uploads and media uploads as background jobs, against a real uvicorn
server: real speech made with espeak-ng, the real Whisper model, a real SQLite store; and a
server killed while a job runs, whose job a new server finishes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from api_server import auth, free_port, no_traceback, running, wait_for_service
from speech_audio import ffmpeg, silent_flac

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

UPLOAD_LIMIT = 2 * 1024**2
MAX_SECONDS = 1800  # half an hour: an hour of silence (0.7 MB) is over it
CLAIMS = {"en-bestintheworld", "en-lowersbloodpressure"}
SRT = """1
00:00:01,000 --> 00:00:04,000
欢迎来到直播间

2
00:00:10,000 --> 00:00:14,000
我们的杨梅是全网最低价，加我微信下单
"""


def _store(path):
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    add_anchor(db, "A2", "李师傅", "W1")
    return db


def _settings(path, files) -> Settings:
    return Settings(
        db=str(path), data_dir=str(files), asr_language="en", api_max_upload_bytes=UPLOAD_LIMIT,
        api_max_batch=3, media_max_seconds=MAX_SECONDS,
    )  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jobs")
    db = _store(folder / "q.db")
    keys = {
        name: create_key(db, role, anchor, actor="test")[1]
        for name, role, anchor in [
            ("regulator", "regulator", None), ("platform", "platform", None),
            ("platform2", "platform", None), ("anchor", "anchor", "A1"),
        ]
    }  # fmt: skip
    app = create_app(folder / "q.db", _settings(folder / "q.db", folder / "files"))
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield client, keys, db, folder


def _wait_done(client, key, job_id, timeout=120) -> tuple[dict, list[float]]:
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}", headers=auth(key)).json()
        seen.append(job["progress"])
        if job["status"] in ("done", "failed"):
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not finished: {job}")


# --- batch ---------------------------------------------------------------------------------


def test_a_bad_item_in_a_batch_does_not_fail_the_others(server):
    client, keys, _, _ = server
    items = [
        {"id": "a", "text": "全网最低价"},
        {"id": "b", "text": "今天天气很好", "profile": "nope"},
        {"text": "杨梅很甜"},
    ]
    response = client.post("/v1/check/batch", json={"items": items}, headers=auth(keys["anchor"]))
    assert response.status_code == 200
    first, second, third = response.json()["results"]
    assert first["id"] == "a" and first["report"]["verdict"] != "pass"
    assert second["id"] == "b" and "nope" in second["error"]["message"] and "report" not in second
    assert third["id"] is None and third["report"]["verdict"] == "pass"


def test_an_item_without_text_gets_its_own_error_naming_the_field(server):
    """Issue 12: one item without text made the whole batch a 422, while the README promises each
    bad item its own error."""
    client, keys, _, _ = server
    batches = [
        [{"id": "a", "text": "全网最低价"}, {"id": "b"}, {"id": "c", "text": ""}],
        [{"id": "d", "text": 7, "colour": "red"}, {"id": "e", "text": "杨梅很甜"}],
    ]  # the test server allows 3 items a batch
    results = {}
    for items in batches:
        response = client.post(
            "/v1/check/batch", json={"items": items}, headers=auth(keys["anchor"])
        )
        assert response.status_code == 200, response.text
        results.update({r["id"]: r for r in response.json()["results"]})
    assert list(results) == ["a", "b", "c", "d", "e"]
    assert results["a"]["report"]["verdict"] != "pass"
    assert results["e"]["report"]["verdict"] == "pass"
    for bad in ("b", "c", "d"):
        assert "report" not in results[bad] and results[bad]["error"]["error"] == "invalid_item"
        assert "text" in results[bad]["error"]["detail"]["fields"]
    assert "colour" in results["d"]["error"]["message"]


def test_a_batch_over_the_limit_is_a_413_naming_it(server):
    client, keys, _, _ = server
    items = [{"text": "杨梅"}] * 4
    response = client.post("/v1/check/batch", json={"items": items}, headers=auth(keys["platform"]))
    assert response.status_code == 413
    assert response.json()["detail"]["limit_items"] == 3 and "3" in response.json()["message"]


# --- captions ------------------------------------------------------------------------------


def test_srt_captions_are_checked_with_times_and_recorded_once(server):
    client, keys, db, _ = server
    form = {"anchor": "A1", "stream": "caption-stream"}
    files = {"file": ("live.srt", SRT.encode(), "application/x-subrip")}
    first = client.post("/v1/captions", data=form, files=files, headers=auth(keys["platform"]))
    assert first.status_code == 200, first.text
    report = first.json()
    price = next(h for h in report["hits"] if h["category"] == "price_fraud")
    assert 10 <= price["time_start"] < price["time_end"] <= 14
    assert len(report["segments"]) == 2 and report["flag_ids"]
    again = client.post("/v1/captions", data=form, files=files, headers=auth(keys["platform"]))
    assert again.json()["flag_ids"] == report["flag_ids"]
    stored = db.execute("SELECT COUNT(*) FROM flags WHERE stream_id = 'caption-stream'").fetchone()
    assert stored[0] == len(report["flag_ids"])


def test_a_broken_caption_file_is_a_400_naming_the_line(server):
    client, keys, _, _ = server
    broken = SRT.replace("00:00:10,000 --> 00:00:14,000", "00:00:99,000 --> 00:00:14,000")
    files = {"file": ("live.srt", broken.encode(), "text/plain")}
    response = client.post("/v1/captions", files=files, headers=auth(keys["anchor"]))
    assert response.status_code == 400 and "line 6" in response.json()["message"]


@pytest.mark.parametrize(
    "name, data", [("clip.mp3", b"ID3\x03\x00" + bytes(200)), ("x.txt", bytes(range(256)) * 4)]
)
def test_a_caption_upload_of_the_wrong_type_is_a_415(server, name, data):
    client, keys, _, _ = server
    response = client.post(
        "/v1/captions", files={"file": (name, data)}, headers=auth(keys["anchor"])
    )
    assert response.status_code == 415


def test_an_anchor_key_may_not_record_captions_for_another_anchor(server):
    client, keys, _, _ = server
    files = {"file": ("live.srt", SRT.encode())}
    response = client.post(
        "/v1/captions", data={"anchor": "A2", "stream": "s"}, files=files,
        headers=auth(keys["anchor"]),
    )  # fmt: skip
    assert response.status_code == 403


# --- media uploads -------------------------------------------------------------------------


def test_an_uploaded_recording_is_transcribed_checked_and_recorded(server, claims_audio):
    client, keys, db, folder = server
    path, spans = claims_audio
    with path.open("rb") as handle:
        response = client.post(
            "/v1/media", data={"anchor": "A1", "stream": "upload-1"},
            files={"file": ("claims.wav", handle, "audio/wav")}, headers=auth(keys["platform"]),
        )  # fmt: skip
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (
        accepted["status"] == "queued"
        and accepted["status_url"] == f"/v1/jobs/{accepted['job_id']}"
    )
    job, progress = _wait_done(client, keys["platform"], accepted["job_id"])
    assert job["status"] == "done", job["error"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert job["started_at"] and job["finished_at"] and job["attempts"] == 1
    hits = job["result"]["hits"]
    assert {h["rule"] for h in hits} <= CLAIMS and hits
    claim = {"en-bestintheworld": spans[1], "en-lowersbloodpressure": spans[3]}
    for hit in hits:
        start, end = claim[hit["rule"]]
        assert start - 0.5 <= hit["time_start"] <= hit["time_end"] <= end + 0.7
    flags = db.execute("SELECT id FROM flags WHERE stream_id = 'upload-1'").fetchall()
    assert sorted(r[0] for r in flags) == sorted(job["result"]["flag_ids"])
    media = db.execute("SELECT media_path FROM streams WHERE id = 'upload-1'").fetchone()[0]
    assert media.startswith(str(folder / "files")) and os.path.getsize(media) == path.stat().st_size
    # the job is the platform key's: another platform key does not see it, a regulator does
    assert client.get(accepted["status_url"], headers=auth(keys["platform2"])).status_code == 404
    assert client.get(accepted["status_url"], headers=auth(keys["regulator"])).status_code == 200
    listed = client.get("/v1/jobs", headers=auth(keys["platform"])).json()["jobs"]
    assert accepted["job_id"] in [j["id"] for j in listed]
    assert client.get("/v1/jobs", headers=auth(keys["platform2"])).json()["jobs"] == []


def test_the_same_idempotency_key_returns_the_same_job(server, claims_audio):
    client, keys, _, _ = server
    headers = {**auth(keys["anchor"]), "Idempotency-Key": "upload-42"}
    ids = []
    for _ in range(2):
        with claims_audio[0].open("rb") as handle:
            response = client.post("/v1/media", files={"file": ("a.wav", handle)}, headers=headers)
        assert response.status_code == 202
        ids.append(response.json()["job_id"])
    assert ids[0] == ids[1]
    _wait_done(client, keys["anchor"], ids[0])


def test_an_upload_over_the_limit_is_a_413_and_leaves_no_file(server):
    client, keys, _, folder = server
    big = b"\0" * (UPLOAD_LIMIT + 1)
    response = client.post(
        "/v1/media", files={"file": ("big.wav", big)}, headers=auth(keys["platform"])
    )
    assert response.status_code == 413 and "2 MiB" in response.json()["message"]  # UPLOAD_LIMIT
    assert not list((folder / "files" / "uploads").glob("*.part"))


def test_a_recording_longer_than_the_limit_is_a_413_naming_its_duration(server, tmp_path):
    """Refused from the container's header at upload, before any decoding; no job, no file."""
    client, keys, db, folder = server
    jobs_before = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
    files_before = set((folder / "files" / "uploads").iterdir())
    long = silent_flac(tmp_path / "hour.flac", 3600)
    with long.open("rb") as handle:
        response = client.post(
            "/v1/media", files={"file": ("hour.flac", handle)}, headers=auth(keys["platform"])
        )
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "input_too_large"
    assert "时长 1:00:00 超过 0:30:00 上限" in body["message"] and "hour.flac" in body["message"]
    assert body["detail"] == {"limit": "media_max_seconds", "value": 1800, "duration_s": 3600}
    assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == jobs_before
    assert set((folder / "files" / "uploads").iterdir()) == files_before


@pytest.mark.parametrize(
    "name, data",
    [
        ("notes.wav", "这不是音频".encode() * 100),
        ("list.m3u8", b"#EXTM3U\n#EXTINF:1,\nhttp://x/a.ts\n"),
    ],
)
def test_an_upload_that_is_not_media_is_a_415(server, name, data):
    client, keys, _, _ = server
    response = client.post(
        "/v1/media", files={"file": (name, data)}, headers=auth(keys["platform"])
    )
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


def test_a_video_without_sound_fails_its_job_with_a_clear_message(server, tmp_path):
    client, keys, _, _ = server
    video = tmp_path / "silent.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=1:size=64x64", "-an", str(video))
    response = client.post(
        "/v1/media",
        files={"file": ("silent.mp4", video.read_bytes())},
        headers=auth(keys["platform"]),
    )
    assert response.status_code == 202
    job, _ = _wait_done(client, keys["platform"], response.json()["job_id"])
    assert job["status"] == "failed" and "no audio track" in job["error"] and job["result"] is None
    assert "silent.mp4" in job["error"] and not re.search(r"(^|[ :])/[a-z]", job["error"]), job[
        "error"
    ]


# --- restart -------------------------------------------------------------------------------


def test_a_job_interrupted_by_a_killed_server_finishes_after_a_restart(tmp_path, claims_audio):
    path, files = tmp_path / "q.db", tmp_path / "files"
    db = _store(path)
    key = create_key(db, "platform", actor="test")[1]
    port = free_port()
    env = {**os.environ, "QINGLANG_DB": str(path), "QINGLANG_DATA_DIR": str(files),
           "QINGLANG_ASR_LANGUAGE": "en"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_service(base, process)
        with claims_audio[0].open("rb") as handle:
            response = httpx.post(
                f"{base}/v1/media", data={"anchor": "A1", "stream": "restart-1"},
                files={"file": ("claims.wav", handle)}, headers=auth(key), timeout=30,
            )  # fmt: skip
        job_id = response.json()["job_id"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/v1/jobs/{job_id}", headers=auth(key)).json()["status"] == "queued":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=20)
    row = db.execute("SELECT status FROM jobs WHERE id = ?", [job_id]).fetchone()
    assert row[0] == "running"  # as the killed process left it

    app = create_app(path, Settings(db=str(path), data_dir=str(files), asr_language="en"))
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        job, _ = _wait_done(client, key, job_id)
    assert job["status"] == "done" and job["attempts"] == 2 and job["result"]["hits"]
    flags = db.execute("SELECT COUNT(*) FROM flags WHERE stream_id = 'restart-1'").fetchone()[0]
    assert flags == len(set(job["result"]["flag_ids"])) == len(job["result"]["hits"])
