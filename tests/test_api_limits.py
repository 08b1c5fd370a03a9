"""Rate limits against a real server: requests per key and minute, failed keys per address, and
the bound on concurrent checks."""

from __future__ import annotations

import threading

import httpx
import pytest
from api_server import auth, no_traceback, running

from api import check_slots, create_app
from api.errors import ApiError
from api.rate_limit import FAILED_AUTH_PER_MINUTE, RateLimiter
from monitor.api_keys import create_key
from monitor.db import open_db
from monitor.settings import Settings

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


def _parallel_checks(path, key, n: int) -> list[httpx.Response]:
    settings = Settings(db=str(path), api_max_concurrent_checks=1)
    text = "全网最低价，买它就对了。" * 400
    answers: list[httpx.Response] = []
    with running(create_app(path, settings)) as base:

        def call() -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                answers.append(c.post("/v1/check", json={"text": text}, headers=auth(key)))

        threads = [threading.Thread(target=call) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return answers


def test_checks_beyond_the_concurrency_bound_wait_their_turn(tmp_path):
    """With one check slot, parallel checks all succeed: they queue, none is refused or lost."""
    path = tmp_path / "q.db"
    key = create_key(open_db(path), "platform", actor="test")[1]
    assert [a.status_code for a in _parallel_checks(path, key, 4)] == [200] * 4


def test_a_check_that_waits_too_long_for_a_slot_gets_503(tmp_path, monkeypatch):
    monkeypatch.setattr(check_slots, "WAIT_SECONDS", 0.001)
    path = tmp_path / "q.db"
    key = create_key(open_db(path), "platform", actor="test")[1]
    answers = _parallel_checks(path, key, 4)
    busy = [a for a in answers if a.status_code == 503]
    assert busy, "with one slot and no waiting, parallel checks must be turned away"
    assert all(a.status_code in (200, 503) for a in answers)
    assert busy[0].json()["error"] == "busy" and busy[0].headers["Retry-After"] == "5"
