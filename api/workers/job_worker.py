"""The media job worker: one thread taking queued jobs in order (jobs a killed process left
running go first), transcribing with the shared model, checking and recording; a job that fails
ends `failed` with its message, never the worker. A job interrupted, or failing with an internal
error, `MAX_ATTEMPTS` times is failed, not taken up again."""

from __future__ import annotations

import logging
import threading
from typing import Any

from api.workers.speech import shared_transcriber
from monitor.errors import InputError, QinglangError, UnknownProfileError
from monitor.speech.asr_model import ModelUnavailable
from monitor.speech.job_runner import JobStopped, discard_upload, failure_message, run_job
from monitor.store.jobs import claim_next, fail, release, requeue_interrupted, retry_or_fail

logger = logging.getLogger("qinglang")


class JobWorker:
    """One thread taking queued jobs in order; jobs a killed process left running go first."""

    def __init__(self, app: Any):
        self.app = app
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        db = self.app.state.services.connect()
        try:
            again, given_up = requeue_interrupted(db)
        finally:
            db.conn.close()
        if again:
            logger.warning("jobs %s were interrupted; queued again", again)
        if given_up:
            logger.error("jobs %s were interrupted too often; failed", given_up)
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
            db = services.connect()
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
                max_media_seconds=services.settings.media_max_seconds,
                default_profile=services.settings.profile, should_stop=self._stop.is_set,
            )  # fmt: skip
        except JobStopped:
            release(db, job["id"])
            return
        except (InputError, ModelUnavailable, UnknownProfileError) as exc:
            fail(db, job["id"], failure_message(str(exc), job))
        except QinglangError as exc:
            logger.error("job %s failed: %s", job["id"], exc)
            fail(db, job["id"], failure_message(str(exc), job))
        except Exception:
            logger.exception("job %s failed", job["id"])
            message = "任务处理失败（内部错误）/ the job failed (internal error)"
            if retry_or_fail(db, job, message):
                return  # its file is needed for the next attempt
        discard_upload(db, job)
