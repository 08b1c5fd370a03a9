"""The API node as a worker sees it: the /v1/worker routes (docs/architecture.md, "HTTP contract
for workers"), called with the worker key as Bearer and the consumer name in X-Qinglang-Worker.

A connection error or a 5xx answer is retried with backoff (0.5, 1, 2, 4, 8, 8… s) up to
`attempts` times, then raised as ApiUnavailable; every posted result is idempotent, so a retry of
a request that did reach the API node changes nothing. 409 is NotHeld: the item is no longer this
worker's (or the job failed for good), and the worker drops it at once. Any other 4xx is
ApiRefused with the API's error code and message.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import httpx

from monitor.live.audio_blocks import backoff_s

logger = logging.getLogger("qinglang")
WORKER_HEADER = "X-Qinglang-Worker"
TIMEOUT_S = 30.0


class ApiUnavailable(Exception):
    """The API node did not answer (connection refused or lost, timeout, 5xx)."""


class ApiRefused(Exception):
    """The API node refused the request (4xx other than 409): its status, code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class NotHeld(ApiRefused):
    """409: the room or job is not held by this worker now (taken over, or the job failed)."""


class WorkerApi:
    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        consumer: str = "",
        attempts: int = 6,
        stop: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.consumer = consumer
        self.attempts = attempts
        self.stop = stop or threading.Event()
        self._http = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {key}"},
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    # --- who this worker is ---------------------------------------------------------------

    def identity(self) -> dict[str, Any]:
        """The worker key's id and the consumer-name prefix it must use (`w<key id>.`)."""
        return self._send("GET", "/v1/worker/identity")

    # --- rooms ----------------------------------------------------------------------------

    def get_room(self, room_id: str) -> dict[str, Any]:
        return self._send("GET", f"/v1/worker/rooms/{room_id}")

    def post_results(self, room_id: str, body: dict, attempts: int | None = None) -> dict:
        return self._send("POST", f"/v1/worker/rooms/{room_id}/results", body, attempts)

    def end_room(self, room_id: str, state: str, error: str | None = None) -> dict:
        return self._send(
            "POST", f"/v1/worker/rooms/{room_id}/end", {"state": state, "error": error}
        )

    # --- media jobs -----------------------------------------------------------------------

    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._send("GET", f"/v1/worker/jobs/{job_id}")

    def download_upload(self, job_id: str, path: Path, max_bytes: int) -> int:
        """Stream the job's upload into `path` (never whole in memory); its size in bytes."""
        url = f"/v1/worker/jobs/{job_id}/upload"
        for failures in range(1, self.attempts + 1):
            try:
                with self._http.stream("GET", url, headers=self._headers()) as answer:
                    if answer.status_code < 400:
                        return _save(answer, path, max_bytes)
                    answer.read()
                    self._raise_refusal(answer)
            except httpx.TransportError as exc:
                logger.warning("GET %s: %s", url, exc)
            except _ServerError:
                pass
            if failures < self.attempts and self.stop.wait(backoff_s(failures)):
                break
        raise ApiUnavailable(f"{self.base_url}{url}")

    def job_progress(self, job_id: str, fraction: float, eta_s: float | None) -> None:
        self._send(
            "POST", f"/v1/worker/jobs/{job_id}/progress", {"fraction": fraction, "eta_s": eta_s}, 1
        )

    def job_result(self, job_id: str, body: dict) -> dict:
        return self._send("POST", f"/v1/worker/jobs/{job_id}/result", body)

    def job_fail(self, job_id: str, message: str, retry: bool) -> dict:
        body = {"message": message, "retry": retry}
        return self._send("POST", f"/v1/worker/jobs/{job_id}/fail", body)

    # --- inside ---------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {WORKER_HEADER: self.consumer} if self.consumer else {}

    def _send(
        self, method: str, path: str, body: dict | None = None, attempts: int | None = None
    ) -> Any:
        attempts = attempts or self.attempts
        for failures in range(1, attempts + 1):
            try:
                answer = self._http.request(method, path, json=body, headers=self._headers())
                self._raise_refusal(answer)
                return answer.json() if answer.content else None
            except httpx.TransportError as exc:
                logger.warning("%s %s: %s", method, path, exc)
            except _ServerError:
                pass
            if failures < attempts and self.stop.wait(backoff_s(failures)):
                break
        raise ApiUnavailable(f"{method} {self.base_url}{path}")

    def _raise_refusal(self, answer: httpx.Response) -> None:
        if answer.status_code >= 500:
            logger.warning(
                "%s %s: %s", answer.request.method, answer.request.url, answer.status_code
            )
            raise _ServerError()
        if answer.status_code < 400:
            return
        try:
            error = answer.json()
        except ValueError:
            error = None
        if not isinstance(error, dict):
            error = {"message": answer.text[:200]}
        code, message = str(error.get("error", "")), str(error.get("message", ""))
        kind = NotHeld if answer.status_code == 409 else ApiRefused
        raise kind(answer.status_code, code, message)


class _ServerError(Exception):
    """A 5xx answer: retried like a connection error."""


def _save(answer: httpx.Response, path: Path, max_bytes: int) -> int:
    size = 0
    with open(path, "wb") as out:
        for chunk in answer.iter_bytes(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise ApiRefused(413, "too_large", f"the upload is larger than {max_bytes} bytes")
            out.write(chunk)
    return size
