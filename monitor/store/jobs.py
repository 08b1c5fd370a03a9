"""The job store: uploaded recordings waiting to be transcribed and checked, in the `jobs` table.

A job goes queued → running → done | failed. Workers take the oldest queued job (`claim_next`),
counting its attempts; a job left `running` by a process that was killed is queued again at
start-up (`requeue_interrupted`), so an acknowledged upload is never lost, unless it has been
tried `max_attempts` times already: then it fails with the reason, so that a recording that kills
the process is not taken up again at every restart. Processing a job twice is harmless: recording
is idempotent.

With a broker (issue 15) a worker on another machine holds the job: `take_for_worker` marks it
running under the worker's consumer name, counting one more attempt only when the holder changes
(a worker asking again is the same attempt; one taking over a dead worker's job is the next), and
a job is done once: `finish` only ends a running job, so a replayed result changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from monitor.store.db import now_iso, transaction, where_equal

JOB_STATUSES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 2  # times a job is taken before an interruption or an internal error fails it
_PUBLIC = (
    "id, status, file_name, size_bytes, duration_s, anchor_id, stream_id, product_id, profile, "
    "progress, eta_s, attempts, worker, created_at, started_at, finished_at, error, result"
)


def enqueue(
    db: sqlite_utils.Database,
    *,
    owner_key_id: int,
    file_path: str,
    file_name: str,
    size_bytes: int,
    duration_s: float | None = None,
    anchor_id: str | None = None,
    stream_id: str | None = None,
    product_id: str | None = None,
    profile: str | None = None,
    product_class: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The new queued job and True; or, for an idempotency key this owner used before, that job
    and False (the caller then deletes its copy of the file)."""
    with transaction(db):
        if idempotency_key is not None:
            found = job_for_idempotency_key(db, owner_key_id, idempotency_key)
            if found is not None:
                return found, False
        cursor = db.execute(
            "INSERT INTO jobs (owner_key_id, idempotency_key, file_path, file_name, size_bytes, "
            "duration_s, anchor_id, stream_id, product_id, profile, product_class, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                owner_key_id, idempotency_key, file_path, file_name, size_bytes, duration_s,
                anchor_id, stream_id, product_id, profile, product_class, now_iso(),
            ],
        )  # fmt: skip
        job_id = cursor.lastrowid
    return get_job(db, job_id), True


def job_for_idempotency_key(db: sqlite_utils.Database, owner: int, key: str) -> dict | None:
    """The job this owner (API key id) made with this idempotency key before, if any."""
    row = db.execute(
        "SELECT id FROM jobs WHERE owner_key_id = ? AND idempotency_key = ?", [owner, key]
    ).fetchone()
    return get_job(db, row[0]) if row else None


def claim_next(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The oldest queued job, now marked running (with everything a worker needs), or None."""
    with transaction(db):
        row = next(db.query("SELECT * FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1"), None)
        if row is None:
            return None
        db.execute(
            "UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1, "
            "progress = 0, eta_s = NULL WHERE id = ?",
            [now_iso(), row["id"]],
        )
    return {**row, "status": "running", "attempts": row["attempts"] + 1}


def report_progress(
    db: sqlite_utils.Database, job_id: int, fraction: float, eta_s: float | None
) -> None:
    with transaction(db):
        db.execute(
            "UPDATE jobs SET progress = ?, eta_s = ? WHERE id = ? AND status = 'running'",
            [
                round(min(1.0, max(0.0, fraction)), 4),
                None if eta_s is None else round(eta_s, 1),
                job_id,
            ],
        )


def finish(db: sqlite_utils.Database, job_id: int, result: dict[str, Any]) -> bool:
    """Mark the running job done with its result (inside the caller's transaction when there is
    one, so that what the job recorded and its being done are committed together); False when it
    was not running (done already: a replayed result changes nothing)."""
    with transaction(db):
        cursor = db.execute(
            "UPDATE jobs SET status = 'done', progress = 1, eta_s = 0, finished_at = ?, "
            "result = ?, error = NULL WHERE id = ? AND status = 'running'",
            [now_iso(), json.dumps(result, ensure_ascii=False), job_id],
        )
    return cursor.rowcount == 1


def fail(db: sqlite_utils.Database, job_id: int, message: str) -> None:
    with transaction(db):
        db.execute(
            "UPDATE jobs SET status = 'failed', eta_s = NULL, finished_at = ?, error = ? "
            "WHERE id = ?",
            [now_iso(), message, job_id],
        )


def release(db: sqlite_utils.Database, job_id: int) -> None:
    """Put a running job back in the queue (the service is stopping before it finished): a clean
    stop is not an attempt that failed, so it is not counted."""
    with transaction(db):
        db.execute(
            "UPDATE jobs SET status = 'queued', progress = 0, eta_s = NULL, "
            "attempts = MAX(attempts - 1, 0) WHERE id = ? AND status = 'running'",
            [job_id],
        )


def retry_or_fail(
    db: sqlite_utils.Database, job: dict[str, Any], message: str, max_attempts: int = MAX_ATTEMPTS
) -> bool:
    """After an internal error: the job queued again while it has attempts left (True), else
    failed with `message` and the number of attempts (False)."""
    if job["attempts"] < max_attempts:
        with transaction(db):
            db.execute(
                "UPDATE jobs SET status = 'queued', progress = 0, eta_s = NULL, error = ?, "
                "worker = NULL WHERE id = ? AND status = 'running'",
                [message, job["id"]],
            )
        return True
    fail(
        db,
        job["id"],
        f"{message}（已尝试 {job['attempts']} 次 / after {job['attempts']} attempts）",
    )
    return False


def _interrupted_reason(attempts: int) -> str:
    return (
        f"处理中断 {attempts} 次（服务在处理时停止或崩溃），不再重试 / interrupted {attempts} "
        "times while being processed (the service stopped or crashed); not tried again"
    )


def requeue_interrupted(
    db: sqlite_utils.Database, max_attempts: int = MAX_ATTEMPTS
) -> tuple[list[int], list[int]]:
    """Queue again the jobs a killed process left running, and fail those already taken
    `max_attempts` times; returns (queued again, failed) ids."""
    with transaction(db):
        rows = list(db.execute("SELECT id, attempts FROM jobs WHERE status = 'running'"))
        again = [job_id for job_id, attempts in rows if attempts < max_attempts]
        given_up = [(job_id, attempts) for job_id, attempts in rows if attempts >= max_attempts]
        for job_id, attempts in given_up:
            fail(db, job_id, _interrupted_reason(attempts))
        db.execute(
            "UPDATE jobs SET status = 'queued', progress = 0, eta_s = NULL WHERE status = 'running'"
        )
    return again, [job_id for job_id, _ in given_up]


def _worker_gone_reason(attempts: int) -> str:
    return (
        f"处理中断 {attempts} 次（工作节点停止），不再重试 / interrupted {attempts} times (its "
        "worker stopped); not tried again"
    )


def take_for_worker(
    db: sqlite_utils.Database, job_id: int, worker: str, max_attempts: int = MAX_ATTEMPTS
) -> dict[str, Any] | None:
    """The job (everything a worker needs, as `job_for_work`), now running with `worker` holding
    it; None when there is no such job. A new holder is one more attempt; a job already taken
    `max_attempts` times fails instead. A done or failed job is returned as it is."""
    with transaction(db):
        row = db.execute(
            "SELECT status, worker, attempts FROM jobs WHERE id = ?", [job_id]
        ).fetchone()
        if row is None:
            return None
        status, holder, attempts = row
        if status in ("queued", "running") and holder != worker:
            if attempts >= max_attempts:
                fail(db, job_id, _worker_gone_reason(attempts))
            else:
                db.execute(
                    "UPDATE jobs SET status = 'running', worker = ?, started_at = ?, "
                    "attempts = attempts + 1, progress = 0, eta_s = NULL WHERE id = ?",
                    [worker, now_iso(), job_id],
                )
    return job_for_work(db, job_id)


def job_for_work(db: sqlite_utils.Database, job_id: int) -> dict[str, Any] | None:
    """Every column of the job (its stored file's path and product class included), or None."""
    row = next(db.query("SELECT * FROM jobs WHERE id = ?", [job_id]), None)
    return _public(row) if row else None


def fail_from_worker(
    db: sqlite_utils.Database,
    job: dict[str, Any],
    message: str,
    retry: bool,
    max_attempts: int = MAX_ATTEMPTS,
) -> None:
    """A worker could not finish the running job: queued again for the next worker when `retry`
    and attempts remain, else failed with `message`."""
    if retry:
        retry_or_fail(db, job, message, max_attempts)
    else:
        fail(db, job["id"], message)


def unfinished_job_ids(db: sqlite_utils.Database) -> list[int]:
    """Every queued or running job's id, oldest first: the jobs a broker must hold (issue 15)."""
    sql = "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY id"
    return [r[0] for r in db.execute(sql)]


def get_job(db: sqlite_utils.Database, job_id: int) -> dict[str, Any] | None:
    row = next(db.query(f"SELECT {_PUBLIC}, owner_key_id FROM jobs WHERE id = ?", [job_id]), None)
    return _public(row) if row else None


def list_jobs(
    db: sqlite_utils.Database,
    owner_key_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first; `owner_key_id` None: every owner's. Results are left out (see get_job)."""
    clause, params = where_equal(("owner_key_id", owner_key_id), ("status", status))
    rows = db.query(
        f"SELECT {_PUBLIC}, owner_key_id FROM jobs {clause} ORDER BY id DESC LIMIT ?",
        [*params, limit],
    )
    return [{**_public(row), "result": None} for row in rows]


def files_in_use(db: sqlite_utils.Database) -> set[str]:
    """Stored files a stream refers to (the review UI plays them), which must be kept."""
    return {r[0] for r in db.execute("SELECT media_path FROM streams WHERE media_path IS NOT NULL")}


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["result"] = json.loads(row["result"]) if row["result"] else None
    return row
