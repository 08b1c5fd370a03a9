"""Audio/video uploads as background jobs, and the jobs' status.

A media upload is written to the files folder as it arrives, probed, and acknowledged (202) only
once the file is synced and its job row committed; one worker thread takes queued jobs in order
(`JobWorker`, started with the app). Jobs left running by a killed process are queued again at
start-up. A job belongs to the key that made it; regulators see every job.

With a broker (QINGLANG_BROKER_URL) the job is also queued on it for a `qinglang worker`
(api/v1/worker_jobs.py) and no job runs in this process: no JobWorker, and running jobs are left
running at start (their workers hold them). A broker that does not answer at upload loses
nothing: the job is stored, and the refill queues it once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import anyio
import redis
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api.core.auth import require_roles
from api.core.context import DatabaseDep, broker
from api.core.errors import ApiError, ErrorBody
from api.core.uploads import receive_upload
from api.v1.check import require_known_class
from api.v1.schemas.common import FORM_STREAM_ID_SCHEMA, RecordId
from api.v1.schemas.jobs import Job, JobAccepted, JobList, JobStatus
from api.workers.job_worker import JobWorker
from api.workers.record_target import product_facts, record_target
from monitor.broker import queue
from monitor.lexicon.profiles import find_profile
from monitor.sources.media import check_duration
from monitor.speech.job_runner import UnsupportedMedia, probe_recording
from monitor.store.api_keys import ROLES, Principal
from monitor.store.jobs import enqueue, get_job, job_for_idempotency_key, list_jobs

logger = logging.getLogger("qinglang")
router = APIRouter(tags=["jobs"])
AnyKey = Annotated[Principal, Depends(require_roles(*ROLES))]
_UPLOAD_FIELDS = frozenset({"anchor", "stream", "product", "profile", "product_class"})
_E = {"model": ErrorBody}


@router.post(
    "/v1/media",
    status_code=202,
    response_model=JobAccepted,
    responses={400: _E, 401: _E, 403: _E, 404: _E, 409: _E, 413: _E, 415: _E, 422: _E},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "additionalProperties": False,
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **{f: {"type": "string"} for f in sorted(_UPLOAD_FIELDS)},
                            "stream": FORM_STREAM_ID_SCHEMA,
                        },
                    }
                }
            },
        }
    },
)
async def upload_media(
    request: Request,
    caller: AnyKey,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Upload an audio or video recording (multipart `file`, optional anchor, stream, product,
    profile): 202 with the job to poll; 413 naming the duration when the recording's header says
    it lasts longer than QINGLANG_MEDIA_MAX_SECONDS. The file is transcribed and checked in the background;
    with `anchor` and `stream` its flags are stored and the stream plays the recording."""
    services = request.app.state.services
    settings = services.settings
    if idempotency_key:
        found = await anyio.to_thread.run_sync(_job_for_key, services, caller, idempotency_key)
        if found is not None:
            return _accepted(request, found)
    upload = await receive_upload(
        request, settings.files_dir() / "uploads", settings.api_max_upload_bytes, _UPLOAD_FIELDS
    )
    try:
        job, created = await anyio.to_thread.run_sync(
            _enqueue_upload, services, caller, upload, idempotency_key
        )
    except BaseException:
        upload.path.unlink(missing_ok=True)
        raise
    if not created:  # a retry raced the first upload with the same key: keep the first copy
        upload.path.unlink(missing_ok=True)
    elif (client := broker(request)) is not None:
        await anyio.to_thread.run_sync(_queue_for_workers, client, job["id"])
    wake = getattr(request.app.state, "job_wakeup", None)
    if wake is not None:
        wake.set()
    return _accepted(request, job)


def _accepted(request: Request, job: dict) -> JSONResponse:
    url = str(request.url_for("get_job_status", job_id=job["id"]).path)
    body = {"job_id": job["id"], "status": job["status"], "status_url": url}
    return JSONResponse(body, status_code=202, headers={"Location": url})


def _queue_for_workers(client: redis.Redis, job_id: int) -> None:
    try:
        queue.enqueue(client, "job", job_id)
    except redis.RedisError as exc:  # stored all the same: the refill queues it when Redis is back
        logger.warning(
            "job %s not queued on the broker (%s); the refill will queue it", job_id, exc
        )


def _job_for_key(services, caller: Principal, key: str) -> dict | None:
    db = services.connect()
    try:
        return job_for_idempotency_key(db, caller.key_id, key)
    finally:
        db.conn.close()


def _enqueue_upload(
    services, caller: Principal, upload, idempotency_key: str | None
) -> tuple[dict, bool]:
    fields = upload.fields
    db = services.connect()
    try:
        try:
            duration = probe_recording(upload.path)
        except UnsupportedMedia as exc:
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        check_duration(duration, services.settings.media_max_seconds, upload.file_name)
        anchor_id, stream_id = record_target(caller, db, fields.get("anchor"), fields.get("stream"))
        product_facts(db, fields.get("product"))
        profile = fields.get("profile")
        find_profile(services.checker.profiles, profile or services.settings.profile)
        product_class = fields.get("product_class")
        require_known_class(services.checker, product_class)
        return enqueue(
            db, owner_key_id=caller.key_id, file_path=str(upload.path.resolve()),
            file_name=upload.file_name, size_bytes=upload.size, duration_s=duration,
            anchor_id=anchor_id, stream_id=stream_id, product_id=fields.get("product"),
            profile=profile, product_class=product_class, idempotency_key=idempotency_key,
        )  # fmt: skip
    finally:
        db.conn.close()


def _visible(caller: Principal, job: dict | None) -> bool:
    return job is not None and (caller.role == "regulator" or job["owner_key_id"] == caller.key_id)


@router.get("/v1/jobs/{job_id}", response_model=Job, responses={401: _E, 404: _E, 422: _E})
def get_job_status(job_id: RecordId, db: DatabaseDep, caller: AnyKey) -> dict:
    """A job's status, progress (0..1) and ETA; its error when failed, its result when done."""
    job = get_job(db, job_id)
    if not _visible(caller, job):
        raise ApiError(404, "job_not_found", f"任务不存在 / no job {job_id}")
    return job


@router.get("/v1/jobs", response_model=JobList, responses={401: _E, 422: _E})
def list_my_jobs(
    db: DatabaseDep,
    caller: AnyKey,
    status: JobStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """The caller's jobs (a regulator's: everyone's), newest first, without their results."""
    owner = None if caller.role == "regulator" else caller.key_id
    return {"jobs": list_jobs(db, owner, status, limit)}


def background(app: Any) -> JobWorker | None:
    """The in-process job worker; none with a broker (workers run the jobs)."""
    return None if app.state.broker is not None else JobWorker(app)
