"""Batch checks, caption uploads, and audio/video uploads as background jobs.

A media upload is written to the files folder as it arrives, probed, and acknowledged (202) only
once the file is synced and its job row committed; one worker thread takes queued jobs in order
(`JobWorker`, started with the app). Jobs left running by a killed process are queued again at
start-up. A job belongs to the key that made it; regulators see every job.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from monitor.api_keys import ROLES, Principal
from monitor.asr_model import ModelUnavailable
from monitor.captions import CAPTION_FORMATS, captions_from_text
from monitor.db import open_db
from monitor.errors import InputError, LexiconError, QinglangError, UnknownProfileError
from monitor.facts import ProductFacts
from monitor.job_runner import JobStopped, UnsupportedMedia, probe_recording, run_job
from monitor.jobs import (
    claim_next,
    enqueue,
    fail,
    files_in_use,
    get_job,
    list_jobs,
    release,
    requeue_interrupted,
)
from monitor.profiles import find_profile
from monitor.recording import record_check
from monitor.registry import get_product
from monitor.segments import Segment
from monitor.text_input import TEXT_SUFFIXES, decode_text
from monitor.timed_check import check_segments

from .auth import anchor_id_for, require_roles
from .check_slots import check_slot
from .context import DatabaseDep, ServicesDep
from .errors import ApiError, ErrorBody
from .routes_check import check_one
from .schemas_jobs import (
    BatchRequest,
    BatchResponse,
    CaptionReport,
    Job,
    JobAccepted,
    JobList,
    JobStatus,
)
from .speech import shared_transcriber
from .uploads import receive_upload

logger = logging.getLogger("qinglang")
router = APIRouter(tags=["jobs"])
AnyKey = Annotated[Principal, Depends(require_roles(*ROLES))]
_UPLOAD_FIELDS = frozenset({"anchor", "stream", "product", "profile", "product_class"})
_E = {"model": ErrorBody}


# --- batch ----------------------------------------------------------------------------------


@router.post(
    "/v1/check/batch",
    response_model=BatchResponse,
    tags=["check"],
    responses={401: _E, 413: _E, 422: _E, 503: _E},
)
def check_batch(
    body: BatchRequest, request: Request, services: ServicesDep, caller: AnyKey
) -> dict:
    """Check up to QINGLANG_API_MAX_BATCH texts; a bad item's error is reported in its place."""
    limit = services.settings.api_max_batch
    if len(body.items) > limit:
        raise ApiError(
            413,
            "batch_too_large",
            f"批量检测最多 {limit} 条 / at most {limit} items in one batch ({len(body.items)})",
            {"limit_items": limit, "items": len(body.items)},
        )
    results = []
    for item in body.items:
        try:
            report = check_one(request, services, item.text, item.profile, item.product_class)
            results.append({"id": item.id, "report": report})
        except ApiError as exc:
            if exc.status_code == 503:
                raise
            error = {"error": exc.code, "message": exc.message, "detail": exc.extra}
            results.append({"id": item.id, "error": error})
        except (InputError, UnknownProfileError, LexiconError) as exc:
            results.append(
                {"id": item.id, "error": {"error": "invalid_input", "message": str(exc)}}
            )
    return {"results": results}


# --- captions -------------------------------------------------------------------------------


@router.post(
    "/v1/captions",
    response_model=CaptionReport,
    tags=["check"],
    responses={400: _E, 401: _E, 403: _E, 404: _E, 413: _E, 415: _E, 422: _E, 503: _E},
)
def upload_captions(
    request: Request,
    services: ServicesDep,
    db: DatabaseDep,
    caller: AnyKey,
    file: Annotated[UploadFile, File(description="SRT, WebVTT, ASS/SSA, JSON lines or text.")],
    anchor: Annotated[str | None, Form(max_length=200)] = None,
    stream: Annotated[str | None, Form(max_length=200)] = None,
    product: Annotated[str | None, Form(max_length=200)] = None,
    profile: Annotated[str | None, Form(max_length=100)] = None,
) -> dict:
    """Check a caption file: every hit with its time in the stream. With `anchor` and `stream`,
    the stream's segments and flags are stored for review (again: nothing is added twice)."""
    settings = services.settings
    name = Path(file.filename or "captions").name
    data = file.file.read(settings.max_text_bytes + 1)
    if len(data) > settings.max_text_bytes:
        raise ApiError(
            413,
            "text_too_large",
            f"字幕文件超过 {settings.max_text_bytes} 字节上限 / caption file larger than the "
            f"limit of {settings.max_text_bytes} bytes",
            {"limit_bytes": settings.max_text_bytes},
        )
    segments = _caption_segments(data, name)
    anchor_id, stream_id = _record_target(caller, db, anchor, stream)
    facts, product_class = _product(db, product)
    checker = services.checker
    profile = profile or settings.profile
    find_profile(checker.profiles, profile)
    with check_slot(request):
        timed = check_segments(
            checker, segments, profile=profile, product_class=product_class, facts=facts
        )
    flag_ids: list[int] = []
    if anchor_id and stream_id:
        flag_ids = record_check(
            db, timed.report, timed.timed.text, anchor_id=anchor_id, stream_id=stream_id,
            product_id=product, source=f"captions:{name}", segments=segments,
        )  # fmt: skip
    return {**timed.to_dict(), "stream_id": stream_id if flag_ids or anchor_id else None,
            "flag_ids": flag_ids}  # fmt: skip


def _caption_segments(data: bytes, name: str) -> list[Segment]:
    suffix = Path(name).suffix.lower()
    fmt = suffix.lstrip(".") if suffix.lstrip(".") in CAPTION_FORMATS else None
    if fmt is None and suffix not in TEXT_SUFFIXES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"不支持的字幕文件类型 / unsupported caption file type {suffix!r} "
            "(use .srt, .vtt, .ass, .ssa, .jsonl or .txt)",
        )
    try:
        text = decode_text(data, name)
    except InputError as exc:
        if "binary" in str(exc):
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        raise
    fmt = fmt or _sniff(text)
    if fmt is None:  # plain text: one segment, no times
        return [Segment(0.0, 0.0, text.strip())]
    return captions_from_text(text, fmt, name)


def _sniff(text: str) -> str | None:
    head = text.lstrip("\ufeff \r\n\t")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("[Script Info]"):
        return "ass"
    if head.startswith("{"):
        return "jsonl"
    lines = head.splitlines()
    if len(lines) > 1 and lines[0].strip().isdigit() and "-->" in lines[1]:
        return "srt"
    return None


def _record_target(
    caller: Principal, db, anchor: str | None, stream: str | None
) -> tuple[str | None, str | None]:
    """The anchor (which the caller may act for) and stream to store under, or Nones."""
    if stream and not anchor:
        raise ApiError(422, "invalid_request", "指定直播须同时指定主播 / `stream` needs `anchor`")
    anchor_id = anchor_id_for(caller, db, anchor) if anchor else None
    if anchor_id and stream:
        row = db.execute("SELECT anchor_id FROM streams WHERE id = ?", [stream]).fetchone()
        if row and row[0] != anchor_id:
            raise ApiError(
                409 if caller.role != "anchor" else 403,
                "stream_conflict",
                f"直播 {stream} 属于其他主播 / stream {stream} belongs to another anchor",
            )
    return anchor_id, stream


def _product(db, product: str | None) -> tuple[ProductFacts | None, str | None]:
    if not product:
        return None, None
    try:
        record = get_product(db, product)
    except InputError:
        raise ApiError(404, "product_not_found", f"产品不存在 / no product {product}") from None
    return ProductFacts.from_record(record), record["product_class"]


# --- media jobs -----------------------------------------------------------------------------


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
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **{f: {"type": "string"} for f in sorted(_UPLOAD_FIELDS)},
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
    profile): 202 with the job to poll. The file is transcribed and checked in the background;
    with `anchor` and `stream` its flags are stored and the stream plays the recording."""
    services = request.app.state.services
    settings = services.settings
    if idempotency_key:
        found = await anyio.to_thread.run_sync(
            _job_for_key, services.db_path, caller, idempotency_key
        )
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
    wake = getattr(request.app.state, "job_wakeup", None)
    if wake is not None:
        wake.set()
    return _accepted(request, job)


def _accepted(request: Request, job: dict) -> JSONResponse:
    url = str(request.url_for("get_job_status", job_id=job["id"]).path)
    body = {"job_id": job["id"], "status": job["status"], "status_url": url}
    return JSONResponse(body, status_code=202, headers={"Location": url})


def _job_for_key(db_path, caller: Principal, key: str) -> dict | None:
    db = open_db(db_path, migrate=False)
    try:
        row = db.execute(
            "SELECT id FROM jobs WHERE owner_key_id = ? AND idempotency_key = ?",
            [caller.key_id, key],
        ).fetchone()
        return get_job(db, row[0]) if row else None
    finally:
        db.conn.close()


def _enqueue_upload(
    services, caller: Principal, upload, idempotency_key: str | None
) -> tuple[dict, bool]:
    fields = upload.fields
    db = open_db(services.db_path, migrate=False)
    try:
        try:
            duration = probe_recording(upload.path)
        except UnsupportedMedia as exc:
            raise ApiError(415, "unsupported_media_type", str(exc)) from None
        anchor_id, stream_id = _record_target(
            caller, db, fields.get("anchor"), fields.get("stream")
        )
        _product(db, fields.get("product"))
        profile = fields.get("profile")
        find_profile(services.checker.profiles, profile or services.settings.profile)
        product_class = fields.get("product_class")
        classes = services.checker.lexicon.product_classes
        if product_class is not None and product_class not in classes:
            raise ApiError(
                400, "invalid_input", f"未知商品类别 / unknown product class {product_class!r}"
            )
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
def get_job_status(job_id: int, db: DatabaseDep, caller: AnyKey) -> dict:
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


# --- the worker -----------------------------------------------------------------------------


class JobWorker:
    """One thread taking queued jobs in order; jobs a killed process left running go first."""

    def __init__(self, app: Any):
        self.app = app
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        db = open_db(self.app.state.services.db_path, migrate=False)
        try:
            again = requeue_interrupted(db)
        finally:
            db.conn.close()
        if again:
            logger.warning("jobs %s were interrupted; queued again", again)
        self.app.state.job_wakeup = self.wake
        self._thread = threading.Thread(target=self._run, name="qinglang-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            services = self.app.state.services
            db = open_db(services.db_path, migrate=False)
            try:
                job = claim_next(db)
                if job is None:
                    self.wake.wait(2.0)
                    self.wake.clear()
                    continue
                self._process(db, services, job)
            except Exception:  # the store itself failed: log, wait, go on
                logger.exception("job worker")
                self._stop.wait(2.0)
            finally:
                db.conn.close()

    def _process(self, db, services, job: dict) -> None:
        try:
            run_job(
                db, job, checker=services.checker,
                transcriber=shared_transcriber(services.settings),
                max_media_bytes=services.settings.max_media_bytes,
                default_profile=services.settings.profile, should_stop=self._stop.is_set,
            )  # fmt: skip
        except JobStopped:
            release(db, job["id"])
            return
        except (InputError, ModelUnavailable, UnknownProfileError) as exc:
            fail(db, job["id"], str(exc))
        except QinglangError as exc:
            logger.error("job %s failed: %s", job["id"], exc)
            fail(db, job["id"], str(exc))
        except Exception:
            logger.exception("job %s failed", job["id"])
            fail(db, job["id"], "任务处理失败（内部错误）/ the job failed (internal error)")
        if job["file_path"] not in files_in_use(db):
            Path(job["file_path"]).unlink(missing_ok=True)


def background(app: Any) -> JobWorker:
    return JobWorker(app)
