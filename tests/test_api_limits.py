"""Rate limits against a real server: requests per key and minute, failed keys per address, and
the bound on concurrent checks."""

from __future__ import annotations

import threading

import httpx
import pytest
from api_server import auth, no_traceback, running, served_client

from api import create_app
from api.core import check_slots
from api.core.errors import ApiError
from api.core.rate_limit import FAILED_AUTH_PER_MINUTE, RateLimiter
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db

PER_MINUTE = 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    path = tmp_path_factory.mktemp("limits") / "q.db"
    db = open_db(path)
    keys = [create_key(db, "platform", actor="test")[1] for _ in range(2)]
    settings = Settings(db=str(path), api_rate_per_minute=PER_MINUTE, api_max_concurrent_checks=1)
    with (
        running(create_app(path, settings)) as base,
        httpx.Client(base_url=base, timeout=60, event_hooks={"response": [no_traceback]}) as c,
    ):
        yield c, keys


def test_a_key_over_its_rate_gets_429_naming_the_limit_and_others_go_on(limited):
    client, (first, second) = limited
    body = {"text": "今天的杨梅很甜"}
    answers = [client.post("/v1/check", json=body, headers=auth(first)) for _ in range(PER_MINUTE)]
    assert [a.status_code for a in answers] == [200] * PER_MINUTE
    refused = client.post("/v1/check", json=body, headers=auth(first))
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert refused.json()["detail"]["limit_per_minute"] == PER_MINUTE
    assert int(refused.headers["Retry-After"]) >= 1
    assert client.post("/v1/check", json=body, headers=auth(second)).status_code == 200
    assert client.get("/healthz").status_code == 200  # no key, no limit


def test_failed_keys_from_one_address_are_limited(limited):
    client, _ = limited
    codes = []
    while len(codes) < 2 * FAILED_AUTH_PER_MINUTE and 429 not in codes:
        codes.append(client.get("/v1/anchors/A1/credit", headers=auth("ql_wrong")).status_code)
    # the bucket refills at one a second while the loop runs, so a few more may pass
    assert codes[:FAILED_AUTH_PER_MINUTE] == [401] * FAILED_AUTH_PER_MINUTE
    assert codes[-1] == 429


def test_the_bucket_refills_at_the_sustained_rate():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        limiter.take("k", "key")
    with pytest.raises(ApiError) as refused:
        limiter.take("k", "key")
    assert refused.value.status_code == 429
    now[0] = 1.0  # one token back per second at 60 per minute
    limiter.take("k", "key")
    with pytest.raises(ApiError):
        limiter.take("k", "key")


def _one_slot_app(tmp_path):
    path = tmp_path / "q.db"
    key = create_key(open_db(path), "platform", actor="test")[1]
    return create_app(path, Settings(db=str(path), api_max_concurrent_checks=1)), key


def _waiting(slots: threading.BoundedSemaphore) -> int:
    """How many threads wait on the semaphore (CPython keeps them in its condition's deque)."""
    return len(slots._cond._waiters)  # type: ignore[attr-defined]


def test_a_check_beyond_the_concurrency_bound_waits_for_the_slot_then_runs(tmp_path):
    """With the one check slot taken (as by a running check), a check does not run beside it: it
    waits, and answers once the slot is free."""
    app, key = _one_slot_app(tmp_path)
    slots = app.state.check_slots
    answers: list[httpx.Response] = []
    with running(app) as base:

        def call() -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                answers.append(c.post("/v1/check", json={"text": "全网最低价"}, headers=auth(key)))

        assert slots.acquire(timeout=0)
        thread = threading.Thread(target=call)
        thread.start()
        while thread.is_alive() and not _waiting(slots):
            thread.join(timeout=0.05)
        assert answers == [] and _waiting(slots) == 1, "the check ran without a free slot"
        slots.release()
        thread.join()
    assert [a.status_code for a in answers] == [200]
    assert answers[0].json()["verdict"] != "pass"


def test_a_check_that_waits_too_long_for_a_slot_gets_503(tmp_path, monkeypatch):
    monkeypatch.setattr(check_slots, "WAIT_SECONDS", 0.01)
    app, key = _one_slot_app(tmp_path)
    with served_client(app) as client:
        assert app.state.check_slots.acquire(timeout=0)  # the one slot, held by a running check
        busy = client.post("/v1/check", json={"text": "今天的杨梅很甜"}, headers=auth(key))
        app.state.check_slots.release()
        assert busy.status_code == 503, "with its one slot taken, a check must be turned away"
        assert busy.json()["error"] == "busy" and busy.headers["Retry-After"] == "5"
        again = client.post("/v1/check", json={"text": "今天的杨梅很甜"}, headers=auth(key))
        assert again.status_code == 200
