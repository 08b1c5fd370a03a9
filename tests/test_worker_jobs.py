"""Media jobs on workers (issue 15), against a real redis-server and a real uvicorn server: an
upload is queued on the broker and no job runs in the API process; a worker, simulated here with
the real broker calls (`leases.claim_next`, `take_over`, `finish`) and HTTP with a worker key
(that is the protocol), reads the job and its upload, reports progress, and posts the timed text;
the API node checks it and records the flags once. A job whose worker stopped is taken over.
Worker keys reach nothing else, nor a job another worker holds."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import httpx
import pytest
from api_server import auth, no_traceback, running, wait_until
from redis_server import running_redis
from speech_audio import tone

from api import create_app
from monitor.broker import leases
from monitor.broker.keys import consumer_prefix
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db
from monitor.store.jobs import enqueue, take_for_worker
from monitor.store.registry import add_anchor, add_workshop

CLAIMS = {"en-bestintheworld", "en-lowersbloodpressure"}
PRICE_CLAIM = [
    {"start": 0.0, "end": 2.5, "text": "欢迎来到直播间"},
    {"start": 3.0, "end": 6.0, "text": "我们的杨梅是全网最低价"},
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A store, a redis-server, and the API with QINGLANG_BROKER_URL; a job a worker held
    before the API started."""
    folder = tmp_path_factory.mktemp("worker_jobs")
    path = folder / "q.db"
    db = open_db(path)
    add_workshop(db, "W1", "梁弄杨梅工坊", "余姚市梁弄镇")
    add_anchor(db, "A1", "王阿姨", "W1")
    keys = {
        name: create_key(db, role, anchor, actor="test")
        for name, role, anchor in [
            ("platform", "platform", None), ("regulator", "regulator", None),
            ("worker", "worker", None), ("worker2", "worker", None),
        ]
    }  # fmt: skip
    held_before, _ = enqueue(
        db, owner_key_id=keys["platform"][0], file_path=str(tone(folder / "old.wav", 1)),
        file_name="old.wav", size_bytes=1,
    )  # fmt: skip
    take_for_worker(db, held_before["id"], f"{consumer_prefix(keys['worker'][0])}old.1.beef")
    with running_redis(folder) as redis_server:
        settings = Settings(
            db=str(path), data_dir=str(folder / "files"), broker_url=redis_server.url
        )
        app = create_app(path, settings)
        with (
            running(app) as base,
            httpx.Client(
                base_url=base, timeout=60, event_hooks={"response": [no_traceback]}
            ) as client,
        ):
            yield {
                "client": client,
                "redis": redis_server.client(),
                "db": db,
                "keys": keys,
                "folder": folder,
                "held_before": held_before["id"],
            }


def _worker(site, name="worker") -> tuple[str, dict]:
    """A consumer name of the key and the headers its requests carry."""
    key_id, key = site["keys"][name]
    consumer = f"{consumer_prefix(key_id)}host.{time.monotonic_ns() % 100000}.a1b2"
    return consumer, {**auth(key), "X-Qinglang-Worker": consumer}


def _upload(site, path, **form) -> int:
    with path.open("rb") as handle:
        response = site["client"].post(
            "/v1/media", data=form, files={"file": (path.name, handle)},
            headers=auth(site["keys"]["platform"][1]),
        )  # fmt: skip
    assert response.status_code == 202, response.text
    return response.json()["job_id"]


def _claim(site, consumer, job_id) -> leases.WorkItem:
    """Claim waiting jobs as `consumer` until it holds `job_id` (the API node's refill may have
    queued other unfinished jobs of the store before it)."""

    def claimed() -> leases.WorkItem | None:
        item = leases.claim_next(site["redis"], "job", consumer, block_ms=100)
        return item if item is not None and item.item_id == str(job_id) else None

    return wait_until(claimed, 30)


def _take_over(site, consumer, job_id) -> leases.WorkItem:
    """Wait until `consumer` takes the job over from a worker that stopped heartbeating (earlier
    tests' items, idle too, are taken over with it)."""
    short = leases.LeaseOptions(heartbeat_s=0.1, lease_s=0.3, takeover_every_s=0.1)

    def taken() -> list[leases.WorkItem]:
        items = leases.take_over(site["redis"], "job", consumer, short, count=100)
        return [item for item in items if item.item_id == str(job_id)]

    return wait_until(taken, 10)[0]


def _job(site, job_id) -> dict:
    response = site["client"].get(f"/v1/jobs/{job_id}", headers=auth(site["keys"]["platform"][1]))
    assert response.status_code == 200
    return response.json()


def _counts(db, stream_id) -> tuple[int, int]:
    flags = db.execute("SELECT COUNT(*) FROM flags WHERE stream_id = ?", [stream_id]).fetchone()
    segments = db.execute(
        "SELECT COUNT(*) FROM segments WHERE stream_id = ?", [stream_id]
    ).fetchone()
    return flags[0], segments[0]


def test_an_uploaded_recording_is_transcribed_by_a_worker_and_checked_by_the_api(
    site, claims_audio, transcriber_en, tmp_path
):
    client, db = site["client"], site["db"]
    path, spans = claims_audio
    job_id = _upload(site, path, anchor="A1", stream="worker-1")
    assert _job(site, job_id)["status"] == "queued"  # no job runs in the API process
    consumer, headers = _worker(site)
    item = _claim(site, consumer, job_id)

    taken = client.get(f"/v1/worker/jobs/{job_id}", headers=headers)
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "running" and taken.json()["attempts"] == 1
    assert taken.json()["stream_id"] == "worker-1" and taken.json()["file_name"] == "claims.wav"
    copy = tmp_path / "copy.wav"
    with client.stream("GET", f"/v1/worker/jobs/{job_id}/upload", headers=headers) as response:
        assert response.status_code == 200
        with copy.open("wb") as out:
            for chunk in response.iter_bytes():
                out.write(chunk)
    assert copy.read_bytes() == path.read_bytes()

    progress = client.post(
        f"/v1/worker/jobs/{job_id}/progress", json={"fraction": 0.5, "eta_s": 3.0}, headers=headers
    )
    assert progress.status_code == 204
    shown = _job(site, job_id)
    assert (shown["progress"], shown["eta_s"], shown["worker"]) == (0.5, 3.0, consumer)

    transcript = transcriber_en.transcribe_file(copy, 50 * 1024**2)
    posted = client.post(
        f"/v1/worker/jobs/{job_id}/result", json=transcript.to_dict(), headers=headers
    )
    assert posted.status_code == 200, posted.text
    assert leases.finish(site["redis"], consumer, item)
    job = posted.json()
    assert job == _job(site, job_id) and job["status"] == "done" and job["attempts"] == 1
    hits = job["result"]["hits"]
    assert hits and {h["rule"] for h in hits} <= CLAIMS  # the API node's check
    claim = {"en-bestintheworld": spans[1], "en-lowersbloodpressure": spans[3]}
    for hit in hits:
        start, end = claim[hit["rule"]]
        assert start - 0.5 <= hit["time_start"] <= hit["time_end"] <= end + 0.7
    flags = db.execute("SELECT id FROM flags WHERE stream_id = 'worker-1'").fetchall()
    assert sorted(r[0] for r in flags) == sorted(job["result"]["flag_ids"])
    media = db.execute("SELECT media_path FROM streams WHERE id = 'worker-1'").fetchone()[0]
    assert media and Path(media).read_bytes() == path.read_bytes()


def test_a_replayed_result_changes_nothing(site, tmp_path):
    client, db = site["client"], site["db"]
    job_id = _upload(site, tone(tmp_path / "t.wav", 6), anchor="A1", stream="worker-2")
    consumer, headers = _worker(site)
    _claim(site, consumer, job_id)
    assert client.get(f"/v1/worker/jobs/{job_id}", headers=headers).status_code == 200
    body = {"segments": PRICE_CLAIM, "language": "zh", "duration": 6.0, "warnings": []}
    first = client.post(f"/v1/worker/jobs/{job_id}/result", json=body, headers=headers)
    assert first.status_code == 200
    assert {h["category"] for h in first.json()["result"]["hits"]} == {"price_fraud"}
    counts = _counts(db, "worker-2")
    assert counts == (1, 2)
    again = client.post(f"/v1/worker/jobs/{job_id}/result", json=body, headers=headers)
    other = {**body, "segments": [{"start": 0.0, "end": 2.0, "text": "加我微信"}]}
    changed = client.post(f"/v1/worker/jobs/{job_id}/result", json=other, headers=headers)
    assert again.json() == changed.json() == first.json()
    assert _counts(db, "worker-2") == counts


def test_a_job_whose_worker_stopped_is_taken_over_and_finishes(site, tmp_path):
    client, db = site["client"], site["db"]
    job_id = _upload(site, tone(tmp_path / "t.wav", 6), anchor="A1", stream="worker-3")
    first, first_headers = _worker(site)
    _claim(site, first, job_id)
    assert client.get(f"/v1/worker/jobs/{job_id}", headers=first_headers).json()["attempts"] == 1
    # the first worker stops heartbeating; another takes the job over after the lease
    second, headers = _worker(site, "worker2")
    taken = _take_over(site, second, job_id)
    late = client.post(
        f"/v1/worker/jobs/{job_id}/progress", json={"fraction": 0.9}, headers=first_headers
    )
    assert late.status_code == 409 and late.json()["error"] == "not_held"
    again = client.get(f"/v1/worker/jobs/{job_id}", headers=headers)
    assert again.json()["attempts"] == 2 and _job(site, job_id)["worker"] == second
    body = {"segments": PRICE_CLAIM, "language": "zh", "duration": 6.0, "warnings": []}
    done = client.post(f"/v1/worker/jobs/{job_id}/result", json=body, headers=headers).json()
    assert leases.finish(site["redis"], second, taken)
    assert done["status"] == "done" and done["attempts"] == 2 and done["worker"] == second
    assert _counts(db, "worker-3") == (1, 2)


def test_a_job_taken_more_often_than_allowed_fails(site, tmp_path):
    client = site["client"]
    job_id = _upload(site, tone(tmp_path / "t.wav", 1))
    for attempt, name in enumerate(["worker", "worker2"], start=1):
        consumer, headers = _worker(site, name)
        if attempt == 1:
            _claim(site, consumer, job_id)
        else:
            _take_over(site, consumer, job_id)
        assert (
            client.get(f"/v1/worker/jobs/{job_id}", headers=headers).json()["attempts"] == attempt
        )
    third, headers = _worker(site)
    _take_over(site, third, job_id)
    refused = client.get(f"/v1/worker/jobs/{job_id}", headers=headers)
    assert refused.status_code == 409 and refused.json()["error"] == "job_failed"
    failed = _job(site, job_id)
    assert failed["status"] == "failed" and "interrupted 2 times" in failed["error"]


@pytest.mark.parametrize("retry, status", [(True, "queued"), (False, "failed")])
def test_a_worker_failing_a_job_fails_it_or_queues_it_again(site, tmp_path, retry, status):
    client = site["client"]
    job_id = _upload(site, tone(tmp_path / "t.wav", 1))
    consumer, headers = _worker(site)
    _claim(site, consumer, job_id)
    client.get(f"/v1/worker/jobs/{job_id}", headers=headers)
    message = "解码失败 / could not decode"
    answer = client.post(
        f"/v1/worker/jobs/{job_id}/fail", json={"message": message, "retry": retry},
        headers=headers,
    )  # fmt: skip
    assert answer.status_code == 200
    assert answer.json()["status"] == status and answer.json()["error"].startswith(message)
    assert answer.json()["worker"] == (None if retry else consumer)
    late = client.get(f"/v1/worker/jobs/{job_id}/upload", headers=headers)
    assert late.status_code == 409 and late.json()["error"] == "job_not_running"


def test_the_upload_is_streamed_in_chunks(site, tmp_path):
    """A 19 MB recording comes back whole, in many chunks."""
    client = site["client"]
    big = tone(tmp_path / "long.wav", 600)
    job_id = _upload(site, big)
    consumer, headers = _worker(site)
    _claim(site, consumer, job_id)
    client.get(f"/v1/worker/jobs/{job_id}", headers=headers)
    digest, chunks, size = hashlib.sha256(), 0, 0
    url = client.base_url.join(f"/v1/worker/jobs/{job_id}/upload")  # no hook: it reads whole
    with httpx.stream("GET", url, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert int(response.headers["content-length"]) == big.stat().st_size
        for chunk in response.iter_raw(64 * 1024):
            digest.update(chunk)
            chunks += 1
            size += len(chunk)
    assert size == big.stat().st_size > 19 * 1024**2 and chunks > 100
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()


def test_a_job_a_worker_held_is_not_requeued_when_the_api_starts(site):
    held = site["db"].execute(
        "SELECT status, worker, attempts FROM jobs WHERE id = ?", [site["held_before"]]
    )
    status, worker, attempts = held.fetchone()
    assert (status, attempts) == ("running", 1) and worker.endswith("old.1.beef")


# --- who may call them ----------------------------------------------------------------------

ROUTES = [
    ("GET", ""), ("GET", "/upload"), ("POST", "/progress"), ("POST", "/result"), ("POST", "/fail"),
]  # fmt: skip
BODIES = {
    "/progress": {"fraction": 0.1},
    "/result": {"segments": [], "language": "zh", "duration": 0.0},
    "/fail": {"message": "x", "retry": False},
}


@pytest.fixture
def held_job(site, tmp_path):
    job_id = _upload(site, tone(tmp_path / "t.wav", 1))
    consumer, headers = _worker(site)
    _claim(site, consumer, job_id)
    return job_id, headers


@pytest.mark.parametrize("method, suffix", ROUTES)
def test_another_workers_job_is_a_409_and_a_persons_key_a_403(site, held_job, method, suffix):
    client, keys = site["client"], site["keys"]
    job_id, _ = held_job
    url, body = f"/v1/worker/jobs/{job_id}{suffix}", BODIES.get(suffix)
    _, other = _worker(site, "worker2")
    answer = client.request(method, url, json=body, headers=other)
    assert answer.status_code == 409 and answer.json()["error"] == "not_held"
    for role in ("platform", "regulator"):
        person = {**auth(keys[role][1]), "X-Qinglang-Worker": "w1.x"}
        assert client.request(method, url, json=body, headers=person).status_code == 403


def test_a_worker_may_not_act_as_another_keys_worker(site, held_job):
    job_id, headers = held_job
    other_key = site["keys"]["worker2"][1]
    forged = {**headers, "Authorization": f"Bearer {other_key}"}  # names the first key's consumer
    answer = site["client"].get(f"/v1/worker/jobs/{job_id}/upload", headers=forged)
    assert answer.status_code == 403 and answer.json()["error"] == "not_your_worker"
    no_name = auth(site["keys"]["worker"][1])
    missing = site["client"].get(f"/v1/worker/jobs/{job_id}", headers=no_name)
    assert missing.status_code == 400 and "X-Qinglang-Worker" in missing.json()["message"]


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/v1/flags"), ("GET", "/v1/anchors/A1/credit"), ("GET", "/v1/jobs"),
     ("POST", "/v1/media")],
)  # fmt: skip
def test_a_worker_key_reaches_no_persons_route(site, method, path):
    _, headers = _worker(site)
    answer = site["client"].request(method, path, headers=headers)
    assert answer.status_code == 403 and "工作节点" in answer.json()["message"]


def test_without_a_broker_every_worker_job_route_is_a_404(tmp_path):
    path = tmp_path / "q.db"
    db = open_db(path)
    _, key = create_key(db, "worker", actor="test")
    app = create_app(path, Settings(db=str(path), data_dir=str(tmp_path / "files")))
    headers = {**auth(key), "X-Qinglang-Worker": "w1.host.1.abcd"}
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        for method, suffix in ROUTES:
            answer = client.request(
                method, f"/v1/worker/jobs/1{suffix}", json=BODIES.get(suffix), headers=headers
            )
            assert answer.status_code == 404 and answer.json()["error"] == "no_broker"


def test_an_upload_while_redis_is_down_is_stored_and_queued_once_it_is_back(tmp_path, redis_server):
    path = tmp_path / "q.db"
    db = open_db(path)
    _, key = create_key(db, "platform", actor="test")
    settings = Settings(db=str(path), data_dir=str(tmp_path / "files"), broker_url=redis_server.url)
    app = create_app(path, settings)
    redis_server.stop()
    with running(app) as base, httpx.Client(base_url=base, timeout=60) as client:
        audio = tone(tmp_path / "t.wav", 1)
        answer = client.post(
            "/v1/media", files={"file": ("t.wav", audio.read_bytes())}, headers=auth(key)
        )
        assert answer.status_code == 202 and answer.json()["status"] == "queued"
        job_id = answer.json()["job_id"]
        assert client.get(f"/v1/jobs/{job_id}", headers=auth(key)).json()["status"] == "queued"
        redis_server.start()
        broker = redis_server.client()
        item = wait_until(lambda: leases.claim_next(broker, "job", "w9.host.1.abcd", 100), 30)
        assert item.item_id == str(job_id)
