"""One media job held by this worker: fetch its upload from the API node (streamed to a temporary
file), transcribe it with progress (posted at most every PROGRESS_EVERY_S), post the transcript
(the API node checks and records it), finish the lease.

A recording that cannot be read fails the job for good; an unexpected error fails it with retry
(the API node queues it again while attempts remain). A 409 (taken over, or failed past its
attempts) drops it. Released (the worker is stopping): the transcription stops at its next
progress report and the job is given back, to be started again by another worker.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

from monitor.broker import leases
from monitor.broker.leases import WorkItem
from monitor.errors import InputError
from monitor.speech.job_runner import PROGRESS_EVERY_S, JobStopped
from monitor.worker.api_client import ApiRefused, ApiUnavailable, NotHeld, WorkerApi
from monitor.worker.held import Held

logger = logging.getLogger("qinglang")


class JobRunner(Held):
    def __init__(
        self,
        item: WorkItem,
        api: WorkerApi,
        broker: redis.Redis,
        transcriber,
        *,
        max_bytes: int,
        max_seconds: float,
        on_done: Callable[[JobRunner], None] = lambda runner: None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(item, on_done, f"qinglang-job-{item.item_id}")
        self.job_id = item.item_id
        self.api, self.broker, self.transcriber = api, broker, transcriber
        self.max_bytes, self.max_seconds = max_bytes, max_seconds
        self._clock = clock

    def _run(self) -> None:
        try:
            self.outcome = self._work()
        except NotHeld:
            self.outcome = "lost"
        except JobStopped:  # released: given back below; lost: dropped
            self.outcome = "lost" if self._lost.is_set() else None
        except ApiUnavailable as exc:
            logger.warning(
                "job %s: the API node stayed away (%s); giving it back", self.job_id, exc
            )
        except Exception:
            logger.exception("job %s", self.job_id)
            self.outcome = self._fail("内部错误 / internal error while transcribing", retry=True)
        finally:
            if self.outcome is None:  # released, or the API node stayed away: another may do it
                self._give_back()
            self.on_done(self)

    def _work(self) -> str | None:
        job = self.api.get_job(self.job_id)
        suffix = Path(job.get("file_name") or "upload").suffix[:16]
        with tempfile.TemporaryDirectory(prefix="qinglang-job-") as folder:
            path = Path(folder) / f"upload{suffix}"
            self.api.download_upload(self.job_id, path, self.max_bytes)
            try:
                transcript = self.transcriber.transcribe_file(
                    path, self.max_bytes, self._progress(), max_seconds=self.max_seconds
                )
            except InputError as exc:
                return self._fail(str(exc), retry=False)
        body = {
            "segments": [s.to_dict() for s in transcript.segments],
            "language": transcript.language,
            "duration": round(transcript.duration, 3),
            "warnings": [w.to_dict() for w in transcript.warnings],
        }
        self.api.job_result(self.job_id, body)
        return self._finish()

    def _progress(self) -> Callable[[float, float], None]:
        began = self._clock()
        posted = [began]

        def progress(done: float, total: float) -> None:
            if self._lost.is_set() or self._released.is_set():
                raise JobStopped
            now = self._clock()
            if total <= 0 or now - posted[0] < PROGRESS_EVERY_S:
                return
            posted[0] = now
            fraction = min(1.0, done / total)
            eta = (now - began) * (1 - fraction) / fraction if fraction > 0 else None
            try:
                self.api.job_progress(self.job_id, round(fraction, 4), eta and round(eta, 1))
            except ApiUnavailable:
                pass  # progress is advisory; the result is retried
            except NotHeld:
                self._lost.set()
                raise

        return progress

    def _fail(self, message: str, retry: bool) -> str | None:
        try:
            self.api.job_fail(self.job_id, message, retry)
        except NotHeld:
            return "lost"
        except (ApiUnavailable, ApiRefused) as exc:
            logger.warning("job %s: failing it: %s", self.job_id, exc)
            return None
        return self._finish()

    def _finish(self) -> str:
        leases.finish(self.broker, self.api.consumer, self.item)
        return "finished"

    def _give_back(self) -> None:
        try:
            leases.give_back(self.broker, self.api.consumer, self.item)
            self.outcome = "released"
        except redis.RedisError as exc:  # the lease runs out; another worker takes it over
            logger.warning("job %s: giving back failed: %s", self.job_id, exc)
            self.outcome = "released"
