"""`qinglang serve` with QINGLANG_LOCAL_WORKERS (issue 15): the service starts its own
`qinglang worker` processes beside itself (a real redis-server, the real CLI, the shipped speech
model), gives them a worker key it revokes when it stops, and stops them with itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
from api_server import auth, free_port, wait_for_service, wait_until

from monitor.broker import presence
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.registry import add_anchor, add_workshop


def serve(tmp_path, env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--db", str(tmp_path / "q.db"),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=open(tmp_path / "serve.log", "wb"),
        env={**os.environ, "QINGLANG_DATA_DIR": str(tmp_path / "files"), **env},
    )  # fmt: skip


def test_serve_starts_local_workers_that_check_a_room_and_stops_them_with_itself(
    tmp_path, redis_server
):
    db = open_db(tmp_path / "q.db")
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    _, platform = create_key(db, "platform", actor="test")
    port = free_port()
    env = {"QINGLANG_BROKER_URL": redis_server.url, "QINGLANG_LOCAL_WORKERS": "1"}
    process = serve(tmp_path, env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_service(base, process)
        key = db.execute("SELECT id, revoked_at FROM api_keys WHERE label = ?",
                         ["serve: local workers"]).fetchall()  # fmt: skip
        assert len(key) == 1 and key[0][1] is None, key
        with redis_server.client() as broker:
            wait_until(
                lambda: presence.list_workers(broker), 180, "no local worker announced itself",
                alive=lambda: process.poll() is None,
            )  # fmt: skip
            (worker,) = presence.list_workers(broker)
        assert worker.key_id == key[0][0]
        worker_pid = int(worker.worker.split(".")[-2])

        with httpx.Client(base_url=base, headers=auth(platform), timeout=60) as http:
            room = http.post("/v1/live/rooms", json={"anchor": "A1"})
            assert room.status_code == 201, room.text
            room_id = room.json()["id"]
            pushed = http.post(f"/v1/live/rooms/{room_id}/captions", json={"lines": [
                {"t": 2.0, "d": 4, "text": "我们的杨梅是全网最低价，加我微信下单"}]})  # fmt: skip
            assert pushed.status_code == 202, pushed.text

            def flagged() -> list[dict]:
                events = http.get(f"/v1/live/rooms/{room_id}/events").json()["events"]
                return [e for e in events if e["type"] == "result" and "全网最低价" in json.dumps(
                    e, ensure_ascii=False) and "flag_ids" in json.dumps(e)]  # fmt: skip

            wait_until(flagged, 120, "the local worker's text was not checked")
            (result,) = flagged()
            assert "hits" in json.dumps(result) and '"flag_ids": []' not in json.dumps(result)

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        assert not os.path.exists(f"/proc/{worker_pid}")  # stopped and reaped by serve
        assert "killed" not in (tmp_path / "serve.log").read_text()  # it stopped on SIGTERM
        ((revoked_at,),) = db.execute("SELECT revoked_at FROM api_keys WHERE id = ?",
                                      [key[0][0]]).fetchall()  # fmt: skip
        assert revoked_at is not None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_local_workers_without_a_broker_are_refused_with_exit_2(tmp_path):
    env = {"QINGLANG_BROKER_URL": "", "QINGLANG_LOCAL_WORKERS": "2"}
    result = subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--db", str(tmp_path / "q.db"),
         "--port", str(free_port())],
        capture_output=True, text=True, timeout=120, env={**os.environ, **env},
    )  # fmt: skip
    assert result.returncode == 2
    assert "QINGLANG_BROKER_URL" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "q.db").exists()  # refused before anything was made
