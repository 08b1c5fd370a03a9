"""The worker process's parts that need no room or job routes (issue 15): its start-up checks
(`qinglang worker` with bad arguments, an unreachable broker or API node, a key that is not a
worker's, an API node without a broker), the identity route it names itself from, its HTTP
client's retries, and a room's outbox and resume position."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from api_server import auth, free_port, no_traceback, running

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.worker.api_client import ApiRefused, ApiUnavailable, NotHeld, WorkerApi
from monitor.worker.outbox import Outbox
from monitor.worker.room_position import RoomPosition
from monitor.worker.rtf import RtfMeter


def run_worker(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QINGLANG_")}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "worker", *args],
        capture_output=True, text=True, timeout=120, env={**clean, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def api_node(tmp_path, redis_server):
    """An API node with a broker, and a worker key and a platform key of it."""
    db = open_db(tmp_path / "q.db")
    keys = {role: create_key(db, role, actor="test") for role in ("worker", "platform")}
    settings = Settings(db=str(tmp_path / "q.db"), data_dir=str(tmp_path / "files"),
                        broker_url=redis_server.url)  # fmt: skip
    with running(create_app(tmp_path / "q.db", settings)) as base:
        yield base, keys


# --- start-up -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--api", "http://127.0.0.1:1", "--key", "k"], "give the broker as --broker"),
        (["--broker", "http://127.0.0.1:1", "--api", "http://x", "--key", "k"], "--broker redis"),
        (["--broker", "redis://127.0.0.1:1/0", "--key", "k"], "give the API node as --api"),
        (["--broker", "redis://127.0.0.1:1/0", "--api", "ftp://x"], "give the API node as --api"),
        (["--broker", "redis://127.0.0.1:1/0", "--api", "http://x"], "missing key"),
        (["--broker", "redis://127.0.0.1:1/0", "--api", "http://x", "--key", "k",
          "--max-rooms", "0"], "--max-rooms"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named_with_exit_2(args, why):
    result = run_worker(*args)
    assert result.returncode == 2 and why in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_broker_or_api_node_stops_the_start_with_exit_2(redis_server):
    nobody = f"http://127.0.0.1:{free_port()}"
    no_broker = run_worker("--broker", f"redis://127.0.0.1:{free_port()}/0", "--api", nobody,
                           env={"QINGLANG_WORKER_KEY": "k"})  # fmt: skip
    assert no_broker.returncode == 2 and "cannot reach the broker" in no_broker.stderr
    no_api = run_worker("--broker", redis_server.url, "--api", nobody,
                        env={"QINGLANG_WORKER_KEY": "k"})  # fmt: skip
    assert no_api.returncode == 2 and "cannot reach the API node" in no_api.stderr
    for result in (no_broker, no_api):
        assert "Traceback" not in result.stderr


def test_a_key_that_is_not_a_workers_is_refused_at_the_start(api_node, redis_server):
    base, keys = api_node
    for key, status in [("ql_not-a-key", "401"), (keys["platform"][1], "403")]:
        result = run_worker("--broker", redis_server.url, "--api", base,
                            env={"QINGLANG_WORKER_KEY": key})  # fmt: skip
        assert result.returncode == 2 and f"refused this worker: {status}" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_identity_route_names_the_workers_key_and_needs_a_broker(api_node, tmp_path):
    base, keys = api_node
    key_id, key = keys["worker"]
    with httpx.Client(base_url=base, event_hooks={"response": [no_traceback]}) as client:
        found = client.get("/v1/worker/identity", headers=auth(key))
        assert found.status_code == 200
        assert found.json() == {"key_id": key_id, "consumer_prefix": f"w{key_id}."}
        refused = client.get("/v1/worker/identity", headers=auth(keys["platform"][1]))
        assert refused.status_code == 403
    alone = tmp_path / "alone"
    alone.mkdir()
    worker_key = create_key(open_db(alone / "q.db"), "worker", actor="test")[1]
    settings = Settings(db=str(alone / "q.db"), data_dir=str(alone / "files"))
    with running(create_app(alone / "q.db", settings)) as other:
        answer = httpx.get(f"{other}/v1/worker/identity", headers=auth(worker_key))
    assert answer.status_code == 404 and answer.json()["error"] == "no_broker"


# --- the HTTP client ------------------------------------------------------------------------------


class Scripted:
    """A real HTTP server answering each request with the next (status, body) of a script."""

    def __init__(self, answers: list[tuple[int, dict]]):
        self.answers, self.seen = list(answers), []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                scripted.seen.append((self.path, dict(self.headers), self.rfile.read(length)))
                status, body = scripted.answers.pop(0)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_the_client_retries_5xx_and_names_itself_and_a_409_is_not_held():
    server = Scripted([
        (503, {"error": "busy", "message": "m"}), (502, {"error": "x", "message": "m"}),
        (200, {"recorded": [4], "state": "active"}),
        (409, {"error": "not_held", "message": "另一个 / another worker holds it"}),
        (403, {"error": "not_your_worker", "message": "m"}),
    ])  # fmt: skip
    api = WorkerApi(server.url, "ql_k", consumer="w3.host.1.abcd", attempts=3)
    try:
        assert api.post_results("7", {"results": []}) == {"recorded": [4], "state": "active"}
        with pytest.raises(NotHeld) as held:
            api.post_results("7", {"results": []})
        assert held.value.code == "not_held"
        with pytest.raises(ApiRefused) as refused:
            api.get_room("7")
        assert refused.value.status == 403 and not isinstance(refused.value, NotHeld)
    finally:
        server.close()
        api.close()
    assert len(server.seen) == 5  # two failures retried, then one try each
    path, headers, _ = server.seen[0]
    assert path == "/v1/worker/rooms/7/results"
    assert headers["X-Qinglang-Worker"] == "w3.host.1.abcd"
    assert headers["Authorization"] == "Bearer ql_k"


def test_the_client_gives_up_on_an_api_node_that_is_away():
    api = WorkerApi(f"http://127.0.0.1:{free_port()}", "ql_k", attempts=2)
    with pytest.raises(ApiUnavailable):
        api.get_job("1")
    api.close()


# --- a room's outbox and position ------------------------------------------------------------------


def result(start: float) -> dict:
    return {"segments": [{"start": start, "end": start + 1, "text": "x"}], "latency_s": 0.1,
            "warnings": []}  # fmt: skip


def test_the_outbox_sends_the_oldest_first_with_the_position_they_reached():
    outbox = Outbox(max_results=4, per_post=2)
    for n in range(3):
        outbox.add([result(n)], [], {"stream_s": n + 1.0}, audio_s=n + 1.0)
    outbox.add([], [{"type": "gap", "detail": {}}], {"stream_s": 9.0}, audio_s=9.0)
    assert not outbox.full
    body, count = outbox.next_body()
    assert count == 2 and [r["segments"][0]["start"] for r in body["results"]] == [0, 1]
    assert body["position"] == {"stream_s": 2.0}  # not ahead of the results it goes with
    again, _ = outbox.next_body()
    assert again == body  # not acknowledged: sent again as it was (idempotent on the API node)
    outbox.acknowledged(count)
    body, count = outbox.next_body()
    assert count == 2 and body["position"] == {"stream_s": 9.0} and body["events"]
    outbox.add([result(5)], [], {}, 10.0)
    outbox.add([result(6)], [], {}, 11.0)
    outbox.add([result(7)], [], {}, 12.0)
    assert outbox.full


def test_the_position_moves_only_past_what_is_covered():
    position = RoomPosition({"sequence": 3, "origin": 1.4, "stream_s": 8.0, "input_entry": None})
    position.block(4, end=10.0, origin=1.4)
    position.block(5, end=12.0, origin=1.4)
    assert position.snapshot(9.0) == {"sequence": 3, "origin": 1.4, "stream_s": 9.0,
                                      "input_entry": None}  # fmt: skip
    assert position.snapshot(10.5)["sequence"] == 4
    assert position.snapshot(None)["stream_s"] == 10.5  # never back
    pushed = RoomPosition()
    pushed.input("1-0", None)  # a caption line: covered at once
    pushed.input("2-0", end=2.0)  # audio up to 2 s
    pushed.input("3-0", None)
    assert pushed.snapshot(1.0)["input_entry"] == "1-0"
    done = pushed.snapshot(2.0)
    assert done["input_entry"] == "3-0" and done["origin"] == 2.0


def test_a_room_is_behind_when_it_took_longer_than_its_audio_over_the_last_minute():
    now = [0.0]
    meter = RtfMeter(clock=lambda: now[0])
    assert meter.rtf() is None and not meter.behind()
    for _ in range(10):  # 10 s of audio, 15 s of work: too little audio to judge yet
        now[0] += 1.5
        meter.add(busy_s=1.5, audio_s=1.0)
    assert meter.rtf() == pytest.approx(1.5) and not meter.behind()
    for _ in range(15):
        now[0] += 1.5
        meter.add(busy_s=1.5, audio_s=1.0)
    assert meter.behind()
    for _ in range(70):  # a minute of keeping up: the slow stretch leaves the window
        now[0] += 1.0
        meter.add(busy_s=0.5, audio_s=1.0)
    assert meter.rtf() == pytest.approx(0.5) and not meter.behind()


def test_chunks_of_several_rooms_are_decoded_in_one_batch_each_at_its_times(
    transcriber_en, claims_audio
):
    from monitor.sources.media import SAMPLE_RATE, decode_file
    from monitor.worker.batched_speech import BatchedRooms

    path, spans = claims_audio
    audio = decode_file(path, 10**9)

    def sentence(n: int):
        start, end = spans[n]
        return audio[int((start - 0.3) * SAMPLE_RATE) : int((end + 0.3) * SAMPLE_RATE)]

    rooms = BatchedRooms(transcriber_en, max_batch=4, gather_s=0.5)
    heard: dict[int, object] = {}
    threads = [
        threading.Thread(target=lambda n=n, at=at: heard.update(
            {n: rooms.transcribe(sentence(n), live=True, offset=at)}))
        for n, at in [(1, 100.0), (3, 500.0)]
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for n, at, words in [(1, 100.0, "world"), (3, 500.0, "blood")]:
        segments = heard[n].segments
        assert words in " ".join(s.text for s in segments).lower()
        length = len(sentence(n)) / SAMPLE_RATE
        assert all(at <= s.start <= s.end <= at + length + 0.1 for s in segments)
