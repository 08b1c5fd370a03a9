"""Past one machine, end to end (issue 15): a real API node with a broker (a real redis-server),
real `qinglang worker` processes with the shipped speech model on CPU, live rooms fed by HLS
served on loopback and by pushed caption lines.

A worker is killed (SIGKILL) in the middle of its rooms: the other takes them over and resumes
from the position the store committed, and the segments and flags are counted: none lost, none
twice. How long the takeover took is recorded from the rooms' `worker` events (the lease is
10 s, checked every 5 s: at most 15 s after the last heartbeat, docs/scaling.md)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import httpx
import numpy as np
import pytest
from api_server import auth, no_traceback, running, wait_until
from hls_server import LiveHls, cut_into_segments
from speech_audio import duration, ffmpeg
from websockets.sync.client import connect

from api import create_app
from monitor.broker import presence, queue
from monitor.checking.timed_check import check_segments
from monitor.settings import Settings
from monitor.sources.media import SAMPLE_RATE, decode_file
from monitor.sources.segments import Segment
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop

CAPTIONS = [  # (stream second, text): two claims among four lines, pushed in two batches
    (1.0, "欢迎来到直播间，今天给大家带来梁弄杨梅"),
    (6.0, "我们的杨梅是全网最低价，加我微信下单"),
    (11.0, "杨梅是早上刚摘的，新鲜得很"),
    (16.0, "吃了这个杨梅能治高血压，赶紧下单"),
]


class Node:
    """The API node, its store, keys and broker, and the worker processes started for a test."""

    def __init__(self, folder, db, keys, redis_server, settings):
        self.folder, self.db, self.keys, self.redis = folder, db, keys, redis_server
        self.settings, self.port, self._api = settings, 0, None
        self.workers: list[subprocess.Popen] = []
        self.start_api()
        self.http = httpx.Client(
            base_url=self.base, timeout=60, event_hooks={"response": [no_traceback]}
        )

    def start_api(self) -> None:
        """Serve the API node (again on the same port after `stop_api`)."""
        self._api = running(create_app(self.folder / "q.db", self.settings), port=self.port)
        self.base = self._api.__enter__()
        self.port = int(self.base.rsplit(":", 1)[1])

    def stop_api(self) -> None:
        self._api.__exit__(None, None, None)
        self._api = None

    def start_worker(self, max_rooms: int = 3, wait: bool = True) -> subprocess.Popen:
        env = {**os.environ, "QINGLANG_WORKER_KEY": self.keys["worker"],
               "QINGLANG_WATCH_ALLOW": "127.0.0.1"}  # fmt: skip
        env.pop("QINGLANG_BROKER_URL", None)
        log = open(self.folder / f"worker-{len(self.workers)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli.main", "worker", "--broker", self.redis.url,
             "--api", self.base, "--max-rooms", str(max_rooms), "--language", "en"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        self.workers.append(process)
        if wait:
            self.wait_for(process)
        return process

    def wait_for(self, process: subprocess.Popen) -> None:
        """Until the worker has announced itself on the broker (its model is loaded)."""
        with self.redis.client() as broker:
            wait_until(
                lambda: any(f".{process.pid}." in w.worker for w in presence.list_workers(broker)),
                120, "the worker did not announce itself", alive=lambda: process.poll() is None,
            )  # fmt: skip

    def open_room(self, **body) -> dict:
        answer = self.http.post("/v1/live/rooms", json={"anchor": "A1", **body},
                                headers=auth(self.keys["platform"]))  # fmt: skip
        assert answer.status_code == 201, answer.text
        return answer.json()

    def events(self, room_id: int) -> list[dict]:
        answer = self.http.get(f"/v1/live/rooms/{room_id}/events",
                               headers=auth(self.keys["platform"]), params={"limit": 1000})  # fmt: skip
        return answer.json()["events"]

    def room(self, room_id: int) -> dict:
        return self.http.get(
            f"/v1/live/rooms/{room_id}", headers=auth(self.keys["platform"])
        ).json()

    def push(self, room_id: int, lines: list[tuple[float, str]]) -> None:
        assert self.try_push(room_id, lines)

    def worker_events(self, room_id: int) -> list[dict]:
        """The room's `worker` events (who holds it, who held it before), from the store."""
        rows = self.db.execute(
            "SELECT at, payload FROM live_events WHERE room_id = ? AND type = 'worker' ORDER BY seq",
            [room_id],
        )
        return [{"at": at, **json.loads(payload)} for at, payload in rows.fetchall()]

    def try_push(self, room_id: int, lines: list[tuple[float, str]]) -> bool:
        """Push lines; False when the API node answers 503 (its broker is away for now)."""
        answer = self.http.post(
            f"/v1/live/rooms/{room_id}/captions", headers=auth(self.keys["platform"]),
            json={"lines": [{"t": t, "d": 4, "text": text} for t, text in lines]},
        )  # fmt: skip
        assert answer.status_code in (202, 503), answer.text
        return answer.status_code == 202

    def job(self, job_id: int) -> dict:
        return self.http.get(f"/v1/jobs/{job_id}", headers=auth(self.keys["platform"])).json()

    def holder(self, room_id: int) -> str | None:
        found = self.worker_events(room_id)
        return found[-1]["worker"] if found else None

    def segments(self, stream_id: str) -> list[tuple[float, float, str]]:
        rows = self.db.execute(
            "SELECT start_s, end_s, text FROM segments WHERE stream_id = ? ORDER BY start_s",
            [stream_id],
        )
        return [tuple(row) for row in rows.fetchall()]

    def flags(self, stream_id: str) -> list[tuple[str, float, str]]:
        rows = self.db.execute(
            "SELECT category, time_start, text FROM flags WHERE stream_id = ? ORDER BY time_start",
            [stream_id],
        )
        return [tuple(row) for row in rows.fetchall()]

    def close(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        self.http.close()
        if self._api is not None:
            self.stop_api()
        if self._api is not None:
            self.stop_api()


@pytest.fixture
def node(tmp_path, redis_server):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    keys = {role: create_key(db, role, actor="test")[1] for role in ("platform", "worker")}
    settings = Settings(
        db=str(tmp_path / "q.db"), data_dir=str(tmp_path / "files"), broker_url=redis_server.url,
        watch_allow="127.0.0.1", room_placement_seconds=600, live_rooms_per_platform_key=0,
    )  # fmt: skip
    node = Node(tmp_path, db, keys, redis_server, settings)
    try:
        yield node
    finally:
        node.close()


def at(event: dict) -> float:
    return datetime.fromisoformat(event["at"].replace("Z", "+00:00")).timestamp()


def assert_each_once(segments, flags, spans):
    """No segment heard twice (segments follow each other in time) and none lost (each spoken
    sentence has a segment over it); no flag twice (one per category and place)."""
    for (_, end, _), (start, _, text) in itertools.pairwise(segments):
        assert start >= end - 0.5, f"a segment heard twice: {text!r} in {segments}"
    for first, last in spans:
        assert any(s < last and e > first for s, e, _ in segments), (
            f"lost {first}–{last}: {segments}"
        )
    places = [(category, round(time_start)) for category, time_start, _ in flags]
    assert len(places) == len(set(places)), f"a flag recorded twice: {flags}"


def test_a_killed_workers_rooms_are_taken_over_with_nothing_lost_or_twice(
    node, claims_audio, tmp_path, checker, record_property
):
    path, spans = claims_audio
    first = node.start_worker()
    pieces = cut_into_segments(path, tmp_path)
    hls = [LiveHls(tmp_path, pieces) for _ in range(2)]
    rooms = [node.open_room(source_url=live.start().url) for live in hls]
    rooms.append(node.open_room())
    ids = [room["id"] for room in rooms]
    second = node.start_worker(wait=False)  # its model loads while the first takes the rooms
    wait_until(lambda: all(f".{first.pid}." in (node.holder(i) or "") for i in ids), 60,
               "the first worker did not take the three rooms")  # fmt: skip
    node.wait_for(second)
    node.push(ids[2], CAPTIONS[:2])
    wait_until(lambda: all(any(e["type"] == "result" for e in node.events(i)) for i in ids), 60,
               "no results before the kill", alive=lambda: first.poll() is None)  # fmt: skip
    first.send_signal(signal.SIGKILL)
    killed = time.time()
    node.push(ids[2], CAPTIONS[2:])
    wait_until(lambda: all(f".{second.pid}." in (node.holder(i) or "") for i in ids), 60,
               "the second worker did not take the rooms over",
               alive=lambda: second.poll() is None)  # fmt: skip
    takeover_s = []
    for room_id in ids:
        event = node.worker_events(room_id)[-1]
        assert f".{first.pid}." in event["previous"]
        takeover_s.append(round(at(event) - killed, 1))
    record_property("takeover_s", takeover_s)
    print(f"takeover after SIGKILL: {takeover_s} s")
    wait_until(lambda: all(node.room(i)["state"] == "ended" for i in ids[:2]), 90,
               "the HLS rooms did not end", alive=lambda: second.poll() is None)  # fmt: skip
    wait_until(lambda: len(node.segments(rooms[2]["stream_id"])) == len(CAPTIONS), 30,
               "the captions pushed during the takeover were not recorded")  # fmt: skip
    node.http.post(f"/v1/live/rooms/{ids[2]}/stop", headers=auth(node.keys["platform"]))
    for live in hls:
        live.stop()

    for room in rooms[:2]:
        segments, flags = node.segments(room["stream_id"]), node.flags(room["stream_id"])
        assert_each_once(segments, flags, spans)
        assert flags, "the claims were flagged"
    captions = node.segments(rooms[2]["stream_id"])
    assert [(s, text) for s, _, text in captions] == CAPTIONS  # each line once, in order
    claims = [
        t for t, text in CAPTIONS if check_segments(checker, [Segment(t, t + 4, text)]).report.hits
    ]
    flagged = sorted(t for _, t, _ in node.flags(rooms[2]["stream_id"]))
    assert len(claims) == 2 and len(flagged) == len(claims)  # one flag per claim line, once
    for line_start, flag_start in zip(claims, flagged, strict=True):
        assert line_start <= flag_start <= line_start + 4
    wait_until(lambda: node.room(ids[2])["state"] == "stopped", 30, "the caption room stopped")


def results(node: Node, room_id: int) -> int:
    return sum(e["type"] == "result" for e in node.events(room_id))


def test_a_media_job_survives_its_workers_death(node, claims_audio, tmp_path):
    path, spans = claims_audio
    length = duration(path)
    longer = tmp_path / "twice.wav"  # seconds of transcription: killed in the middle of it
    ffmpeg("-i", str(path), "-i", str(path), "-filter_complex", "concat=n=2:v=0:a=1", str(longer))
    first = node.start_worker(max_rooms=1)
    with longer.open("rb") as handle:
        answer = node.http.post(
            "/v1/media", data={"anchor": "A1", "stream": "upload-1"},
            files={"file": (longer.name, handle)}, headers=auth(node.keys["platform"]),
        )  # fmt: skip
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["job_id"]
    second = node.start_worker(max_rooms=1, wait=False)
    wait_until(lambda: (job := node.job(job_id))["status"] == "running"
               and f".{first.pid}." in (job["worker"] or ""), 60,
               "the first worker did not start the job", alive=lambda: first.poll() is None)  # fmt: skip
    first.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    done = wait_until(lambda: (job := node.job(job_id))["status"] in ("done", "failed") and job,
                      120, "the job was not finished", alive=lambda: second.poll() is None)  # fmt: skip
    print(f"job done {time.monotonic() - killed:.1f} s after its worker was killed")
    assert done["status"] == "done" and done["attempts"] == 2, done
    assert f".{second.pid}." in done["worker"]
    every = [(start + n * length, end + n * length) for n in range(2) for start, end in spans]
    assert_each_once(node.segments("upload-1"), node.flags("upload-1"), every)


def test_rooms_continue_when_redis_is_wiped(node, claims_audio, tmp_path):
    path, spans = claims_audio
    node.start_worker()
    live = LiveHls(tmp_path, cut_into_segments(path, tmp_path)).start()
    hls, captions = node.open_room(source_url=live.url), node.open_room()
    node.push(captions["id"], CAPTIONS[:2])
    wait_until(lambda: results(node, hls["id"]) and results(node, captions["id"]) == 2, 60,
               "no results before Redis was wiped")  # fmt: skip
    node.redis.restart()  # every queue, lease and pushed input is gone; the store keeps the rooms
    wait_until(lambda: node.try_push(captions["id"], CAPTIONS[2:]), 30, "no push after the wipe")
    wait_until(lambda: node.room(hls["id"])["state"] == "ended", 90, "the HLS room did not end")
    wait_until(lambda: len(node.segments(captions["stream_id"])) == len(CAPTIONS), 30,
               "the captions pushed after the wipe were not recorded")  # fmt: skip
    live.stop()
    assert_each_once(node.segments(hls["stream_id"]), node.flags(hls["stream_id"]), spans)
    assert [(s, t) for s, _, t in node.segments(captions["stream_id"])] == CAPTIONS


def test_results_made_while_the_api_node_is_down_arrive_when_it_is_back(
    node, claims_audio, tmp_path
):
    path, spans = claims_audio
    node.start_worker()
    live = LiveHls(tmp_path, cut_into_segments(path, tmp_path)).start()
    room = node.open_room(source_url=live.url)
    wait_until(lambda: results(node, room["id"]), 60, "no result before the API node stopped")
    node.stop_api()
    time.sleep(6)  # the stream goes on; the worker keeps what it hears and retries
    node.start_api()
    wait_until(lambda: node.room(room["id"])["state"] == "ended", 90, "the room did not end")
    live.stop()
    assert_each_once(node.segments(room["stream_id"]), node.flags(room["stream_id"]), spans)


def test_sigterm_gives_the_rooms_back_and_exits_0(node):
    worker = node.start_worker()
    room = node.open_room()
    node.push(room["id"], CAPTIONS[:1])
    wait_until(
        lambda: results(node, room["id"]) == 1, 60, "no result", alive=lambda: worker.poll() is None
    )
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    with node.redis.client() as broker:
        depth = next(d for d in queue.depths(broker) if d.kind == "room")
        assert (depth.waiting, depth.held) == (1, 0)  # back in the queue for another worker
        assert presence.list_workers(broker) == []  # gone from the status at once
    assert node.room(room["id"])["state"] == "active"


def send_pcm(node: Node, room_id: int, pcm: bytes) -> None:
    """Push 16-bit PCM over the room's WebSocket, a second a frame, each answered `queued`."""
    url = f"ws://127.0.0.1:{node.port}/v1/live/rooms/{room_id}/audio"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"token": node.keys["platform"]}))
        for offset in range(0, len(pcm), SAMPLE_RATE * 2):
            socket.send(pcm[offset : offset + SAMPLE_RATE * 2])
            assert json.loads(socket.recv(timeout=30))["type"] == "queued"


def test_pushed_audio_is_resumed_at_its_stream_times_by_the_next_worker(node, claims_audio):
    path, spans = claims_audio
    first = node.start_worker()
    second = node.start_worker(wait=False)
    room = node.open_room()
    pcm = (np.clip(decode_file(path, 10**9), -1, 1) * 32767).astype("<i2").tobytes()
    half = len(pcm) // 2 // (SAMPLE_RATE * 2) * SAMPLE_RATE * 2  # whole seconds
    send_pcm(node, room["id"], pcm[:half])
    wait_until(lambda: results(node, room["id"]), 60, "no result from the first half",
               alive=lambda: first.poll() is None)  # fmt: skip
    first.send_signal(signal.SIGKILL)
    send_pcm(node, room["id"], pcm[half:])
    wait_until(lambda: f".{second.pid}." in (node.holder(room["id"]) or ""), 60,
               "the second worker did not take the room over", alive=lambda: second.poll() is None)  # fmt: skip
    wait_until(lambda: (node.segments(room["stream_id"]) or [(0, 0)])[-1][1] > spans[-1][0], 60,
               "the last sentence was not heard", alive=lambda: second.poll() is None)  # fmt: skip
    node.http.post(f"/v1/live/rooms/{room['id']}/stop", headers=auth(node.keys["platform"]))
    wait_until(lambda: node.room(room["id"])["state"] == "stopped", 30, "the room did not stop")
    assert_each_once(node.segments(room["stream_id"]), node.flags(room["stream_id"]), spans)
