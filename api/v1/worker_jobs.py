"""The worker routes for media jobs (issue 15): a `qinglang worker` holding a job on the broker
reads the job and its upload (streamed), reports progress, and posts the timed transcript or its
failure. The API node checks the transcript and records the flags with the same code as the
in-process job (`job_runner.complete_job`), so a worker key posts text and never a flag. Who may
call them: api/core/worker_auth.py. A job's result is recorded once: a replay answers the stored
job and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from api.core.context import DatabaseDep, ServicesDep
from api.core.errors import ApiError, ErrorBody
from api.v1.schemas.common import RecordId
from api.v1.schemas.jobs import Job
from api.v1.schemas.worker_jobs import JobFailure, JobProgress, JobTranscript, WorkerJob
from api.v1.worker_auth import Worker
from monitor.errors import QinglangError
from monitor.speech.job_runner import complete_job, discard_upload, failure_message
from monitor.store.jobs import (
    fail,
    fail_from_worker,
    get_job,
    job_for_work,
    report_progress,
    take_for_worker,
)

router = APIRouter(prefix="/v1/worker/jobs", tags=["worker"])
_E = {"model": ErrorBody}
_ERRORS = {401: _E, 403: _E, 404: _E, 409: _E, 422: _E, 503: _E}


def _held_job(db, worker: Worker, job_id: int) -> dict:
    worker.check_holds("job", job_id)
    job = job_for_work(db, job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"任务不存在 / no job {job_id}")
    return job


@router.get("/{job_id}", response_model=WorkerJob, responses=_ERRORS)
def take_job(job_id: RecordId, db: DatabaseDep, worker: Worker) -> dict:
    """The job this worker holds, now running under its name (a new holder is one more attempt);
    409 `job_failed` when it was taken too often already (it is failed now)."""
    worker.check_holds("job", job_id)
    job = take_for_worker(db, job_id, worker.consumer)
    if job is None:
        raise ApiError(404, "job_not_found", f"任务不存在 / no job {job_id}")
    if job["status"] == "failed":
        raise ApiError(409, "job_failed", job["error"] or "任务已失败 / the job failed")
    return {"job_id": job["id"], **{k: job[k] for k in WorkerJob.model_fields if k in job}}


@router.get(
    "/{job_id}/upload",
    response_class=FileResponse,
    responses={**_ERRORS, 200: {"content": {"application/octet-stream": {}}}},
)
def job_upload(job_id: RecordId, db: DatabaseDep, worker: Worker) -> FileResponse:
    """The job's stored recording as uploaded, streamed in chunks (never read whole)."""
    job = _held_job(db, worker, job_id)
    path = Path(job["file_path"])
    if job["status"] != "running":
        raise ApiError(
            409, "job_not_running",
            f"任务 {job_id} 未在处理中 / job {job_id} is {job['status']}, not running: "
            f"GET /v1/worker/jobs/{job_id} takes it",
        )  # fmt: skip
    if not path.is_file():
        raise ApiError(
            404, "upload_missing", f"任务 {job_id} 的上传文件已不在 / job {job_id} has no upload"
        )
    return FileResponse(path, media_type="application/octet-stream", filename=job["file_name"])


@router.post("/{job_id}/progress", status_code=204, responses=_ERRORS)
def job_progress(job_id: RecordId, body: JobProgress, db: DatabaseDep, worker: Worker) -> Response:
    """How far the worker has transcribed; `/v1/jobs/{id}` shows it (a running job only)."""
    _held_job(db, worker, job_id)
    report_progress(db, job_id, body.fraction, body.eta_s)
    return Response(status_code=204)


@router.post("/{job_id}/result", response_model=Job, responses=_ERRORS)
def job_result(
    job_id: RecordId,
    body: JobTranscript,
    db: DatabaseDep,
    services: ServicesDep,
    worker: Worker,
) -> dict:
    """The worker's timed transcript: checked here with the job's profile, product class and
    facts, its flags recorded when it names an anchor and a stream, and the job done; the job as
    `/v1/jobs/{id}` shows it. Posted again: the stored job, nothing changes."""
    job = _held_job(db, worker, job_id)
    if job["status"] == "running":
        try:
            complete_job(
                db, job, body.to_transcript(), checker=services.checker,
                default_profile=services.settings.profile,
            )  # fmt: skip
        except QinglangError as exc:  # the job's target is wrong (its stream is another's …)
            fail(db, job_id, failure_message(str(exc), job))
        discard_upload(db, job)
    return get_job(db, job_id)


@router.post("/{job_id}/fail", response_model=Job, responses=_ERRORS)
def job_fail(job_id: RecordId, body: JobFailure, db: DatabaseDep, worker: Worker) -> dict:
    """The worker could not transcribe the job: failed with its message, or queued again for
    another worker when `retry` and attempts remain; the job."""
    job = _held_job(db, worker, job_id)
    if job["status"] == "running":
        fail_from_worker(db, job, failure_message(body.message, job), body.retry)
        if get_job(db, job_id)["status"] == "failed":
            discard_upload(db, job)
    return get_job(db, job_id)
