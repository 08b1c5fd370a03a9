"""Text per request is bounded by what the service answers in seconds: a text over
QINGLANG_API_MAX_CHECK_CHARS, or a batch over QINGLANG_API_MAX_BATCH_CHARS in all, is a 413
naming the limit in characters, refused before anything is checked; a batch stops when its
client leaves. Against a real server and its real checker."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from api_server import auth, free_port, no_traceback, running, wait_for_service

from api import create_app
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db

LINE = "家人们，今天的杨梅是当天现摘的，顺丰冷链发货，全网最低价，加我微信私聊下单！"  # 38 字


def _text(chars: int) -> str:
    return (LINE * (chars // len(LINE) + 1))[:chars]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "q.db"
    db = open_db(path)
    key = create_key(db, "platform", actor="test")[1]
    # a batch may be long here, so that leaving it mid-way can be seen
    settings = Settings(db=str(path), api_max_batch_chars=2_000_000)
    with running(create_app(path, settings)) as base:
        yield base, key


def _client(base: str, timeout: float = 60) -> httpx.Client:
    return httpx.Client(base_url=base, timeout=timeout, event_hooks={"response": [no_traceback]})


def test_a_text_over_the_limit_is_a_413_naming_it_in_characters(service):
    base, key = service
    limit = Settings().api_max_check_chars
    with _client(base) as client:
        refused = client.post("/v1/check", json={"text": _text(limit + 1)}, headers=auth(key))
        allowed = client.post("/v1/check", json={"text": _text(2000)}, headers=auth(key))
    assert refused.status_code == 413
    body = refused.json()
    assert body["error"] == "text_too_long"
    assert (
        f"超过单次检测 {limit} 字上限" in body["message"] and "/v1/check/batch" in body["message"]
    )
    assert body["detail"]["limit_chars"] == limit and body["detail"]["chars"] == limit + 1
    assert allowed.status_code == 200 and allowed.json()["verdict"] == "block"


def test_a_batch_item_over_the_limit_gets_the_413_in_its_place(service):
    base, key = service
    limit = Settings().api_max_check_chars
    items = [{"id": "long", "text": _text(limit + 1)}, {"id": "short", "text": LINE}]
    with _client(base) as client:
        answer = client.post("/v1/check/batch", json={"items": items}, headers=auth(key))
    assert answer.status_code == 200
    long, short = answer.json()["results"]
    assert long["error"]["error"] == "text_too_long" and short["report"]["hits"]


def test_a_batch_over_its_total_is_a_413_before_anything_is_checked(tmp_path):
    path = tmp_path / "q.db"
    key = create_key(open_db(path), "platform", actor="test")[1]
    settings = Settings(db=str(path))
    limit = settings.api_max_batch_chars
    items = [{"id": str(n), "text": _text(limit // 5)} for n in range(6)]
    with running(create_app(path, settings)) as base, _client(base) as client:
        answer = client.post("/v1/check/batch", json={"items": items}, headers=auth(key))
    assert answer.status_code == 413
    body = answer.json()
    assert body["error"] == "batch_too_long" and f"超过 {limit} 字上限" in body["message"]
    assert body["detail"] == {"limit_chars": limit, "chars": 6 * (limit // 5)}


def test_a_batch_stops_when_its_client_leaves(service, caplog):
    """100 texts of 20,000 characters take minutes here; the client gives up after 2 s and the
    service stops at the next item instead of checking the rest for nobody."""
    base, key = service
    items = [{"id": str(n), "text": _text(20_000)} for n in range(100)]
    caplog.set_level(logging.INFO, logger="qinglang")
    with _client(base, timeout=2) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/v1/check/batch", json={"items": items}, headers=auth(key))
    deadline = time.monotonic() + 120
    while not any("client left" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the batch went on after its client left"
        time.sleep(0.2)
    stopped = next(r for r in caplog.records if "client left" in r.getMessage())
    done, total = stopped.args
    assert total == 100 and done < 100


def test_serve_stops_within_its_shutdown_time_while_a_long_batch_runs(tmp_path):
    """SIGTERM while a batch of minutes runs: requests in flight get QINGLANG_API_SHUTDOWN_SECONDS
    (2 here), then are cancelled, and the process exits instead of finishing the batch."""
    path = tmp_path / "q.db"
    key = create_key(open_db(path), "platform", actor="test")[1]
    port = free_port()
    env = {**os.environ, "QINGLANG_DB": str(path), "QINGLANG_API_SHUTDOWN_SECONDS": "2",
           "QINGLANG_API_MAX_BATCH_CHARS": "2000000", "QINGLANG_DATA_DIR": str(tmp_path / "f")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    items = [{"id": str(n), "text": _text(20_000)} for n in range(100)]
    try:
        wait_for_service(base, process)
        sender = threading.Thread(
            target=_post_quietly, args=(f"{base}/v1/check/batch", {"items": items}, key)
        )
        sender.start()
        time.sleep(3)  # the batch is being checked
        assert sender.is_alive()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    sender.join(timeout=30)
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM once stopped


def _post_quietly(url: str, body: dict, key: str) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server goes away mid-request: the point
        httpx.post(url, json=body, headers=auth(key), timeout=600)
