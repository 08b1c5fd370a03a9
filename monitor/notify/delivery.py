"""The webhook delivery worker: sends the outbox (`webhook_deliveries`) to platforms' URLs,
signed, retried with backoff by the policy in `monitor/policies/webhooks.yaml`, every attempt
recorded.

One dispatcher thread owns the database connection: it claims due deliveries (at most one in
flight per subscription, at most `concurrency` in all) and records results; sender threads only
do HTTP. A claimed delivery is leased: if the process dies while sending it, it is sent again
once the lease ends, so delivery is at least once (receivers deduplicate by the delivery id).
Redirects are not followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import httpx
import sqlite_utils
import yaml
from pydantic import Field, StrictFloat, StrictInt

from monitor.data_schema import DataModel, Text, validate
from monitor.errors import InputError
from monitor.live.guarded_http import pinned_request
from monitor.live.url_policy import Resolver
from monitor.notify.outbox import add_waker, iso_ms, remove_waker
from monitor.notify.signatures import sign
from monitor.notify.webhooks import check_webhook_target
from monitor.store.db import open_db, transaction

logger = logging.getLogger("qinglang")

LEASE_MARGIN_SECONDS = 30  # a 'sending' row is retried this long after its timeout has passed
FAST_POLL_SECONDS = 0.05  # after a wake: the enqueuing transaction may not have committed yet
FAST_POLL_WINDOW_SECONDS = 2.0
MAX_ERROR_CHARS = 300


class WebhookPolicyError(InputError):
    """A webhook policy file is unreadable or breaks the schema; `problems` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("回调投递策略无效 / invalid webhook policy: " + "; ".join(problems))


_Seconds = Annotated[StrictFloat, Field(gt=0)]
_AtLeastOne = Annotated[StrictInt, Field(ge=1)]


class WebhookPolicy(DataModel):
    """How deliveries are sent, validated from the policy file key for key. Units: seconds for
    every `*_seconds`."""

    version: Text
    timeout_seconds: _Seconds
    max_attempts: _AtLeastOne
    retry_delays_seconds: Annotated[
        tuple[Annotated[StrictFloat, Field(ge=0)], ...], Field(min_length=1)
    ]
    jitter: Annotated[StrictFloat, Field(ge=0, lt=1)]
    concurrency: _AtLeastOne
    poll_seconds: _Seconds
    max_subscriptions_per_key: _AtLeastOne

    def retry_delay(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failed_attempts`-th failure (1-based), jitter included."""
        base = self.retry_delays_seconds[min(failed_attempts, len(self.retry_delays_seconds)) - 1]
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1 + spread))


def default_webhook_policy_path() -> Path:
    return Path(str(files("monitor") / "policies" / "webhooks.yaml"))


def load_webhook_policy(path: str | Path | None = None) -> WebhookPolicy:
    """The policy in `path` (default: the shipped one), or WebhookPolicyError listing problems."""
    path = Path(path) if path is not None else default_webhook_policy_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WebhookPolicyError([f"{path}: 无法读取 / cannot read ({exc})"]) from None
    return parse_webhook_policy(raw, where=str(path))


def parse_webhook_policy(raw: Any, where: str = "policy") -> WebhookPolicy:
    """Validate a parsed policy mapping; raise WebhookPolicyError naming each problem."""
    if not isinstance(raw, dict):
        raise WebhookPolicyError([f"{where}: 顶层须为映射 / top level must be a mapping"])
    policy, problems = validate(WebhookPolicy, raw, where)
    if policy is None:
        raise WebhookPolicyError(problems)
    return policy


@dataclass(frozen=True)
class Attempt:
    """What one POST gave: an HTTP status, or an error when there was no 2xx."""

    delivery_id: int
    at: float
    http_status: int | None
    error: str | None
    duration_ms: float


class DeliveryWorker:
    """Sends due deliveries of the store at `db_path` until `stop()`; `allow()` gives the
    non-public addresses that are allowed (read at each send, so a reload takes effect). Each
    send resolves the receiver's host once, checks every address and connects to the checked
    one, so a name that re-resolves to an internal address (DNS rebinding) cannot be reached."""

    def __init__(
        self,
        db_path: str | Path,
        policy: WebhookPolicy,
        allow: Callable[[], str] = lambda: "",
        resolve: Resolver | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.policy = policy
        self.allow = allow
        self.resolve = resolve  # host name -> addresses; None: the system's resolver
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._results: queue.SimpleQueue[Attempt] = queue.SimpleQueue()
        self._in_flight: dict[int, int] = {}  # delivery id -> subscription id
        self._thread: threading.Thread | None = None
        self._rng = random.Random()

    def start(self) -> None:
        add_waker(self._wake)
        self._thread = threading.Thread(target=self._run, name="qinglang-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop claiming; wait for sends under way (at most the timeout) and record them."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        remove_waker(self._wake)

    def _run(self) -> None:
        db = open_db(self.db_path, migrate=False)
        timeout = httpx.Timeout(self.policy.timeout_seconds)
        client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        senders = ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="qinglang-hook")
        fast_until = 0.0
        try:
            while not self._stopping.is_set():
                try:
                    self._record_results(db)
                    for delivery in self._claim(db):
                        senders.submit(self._send, client, delivery)
                except Exception:  # e.g. the store busy for long: log, try again next round
                    logger.exception("webhook delivery round failed")
                fast = time.monotonic() < fast_until
                if self._wake.wait(FAST_POLL_SECONDS if fast else self.policy.poll_seconds):
                    self._wake.clear()
                    fast_until = time.monotonic() + FAST_POLL_WINDOW_SECONDS
        finally:
            senders.shutdown(wait=True)
            client.close()
            try:
                self._record_results(db)
            finally:
                db.conn.close()

    def _claim(self, db: sqlite_utils.Database) -> list[dict]:
        """Lease up to the free senders' worth of due deliveries, one per subscription."""
        free = self.policy.concurrency - len(self._in_flight)
        if free <= 0:
            return []
        now = iso_ms(time.time())
        busy = set(self._in_flight.values())
        candidates = []
        for row in db.query(
            "SELECT d.id, d.subscription_id, d.event_type, d.body, s.url, s.secret "
            "FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id "
            "WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= ? "
            "AND s.deactivated_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT 500",
            [now],
        ):
            if row["subscription_id"] not in busy and len(candidates) < free:
                busy.add(row["subscription_id"])
                candidates.append(row)
        if not candidates:
            return []
        lease = iso_ms(time.time() + self.policy.timeout_seconds + LEASE_MARGIN_SECONDS)
        chosen = []
        with transaction(db):
            for row in candidates:  # still due: another process may have taken it meanwhile
                taken = db.execute(
                    "UPDATE webhook_deliveries SET status = 'sending', next_attempt_at = ? "
                    "WHERE id = ? AND status IN ('pending', 'sending') AND next_attempt_at <= ?",
                    [lease, row["id"], now],
                ).rowcount
                if taken:
                    chosen.append(row)
        for row in chosen:
            self._in_flight[row["id"]] = row["subscription_id"]
        return chosen

    def _send(self, client: httpx.Client, delivery: dict) -> None:
        started = time.time()
        status, error = None, None
        body = delivery["body"].encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "qinglang-webhooks",
            "X-Qinglang-Event": delivery["event_type"],
            "X-Qinglang-Delivery": str(delivery["id"]),
            "X-Qinglang-Signature": sign(delivery["secret"], body, int(started)),
        }
        try:
            target = check_webhook_target(delivery["url"], self.allow(), resolve=self.resolve)
            request = pinned_request(client, "POST", target, content=body, headers=headers)
            answer = client.send(request, stream=True)  # to the checked address: no rebinding
            status = answer.status_code
            answer.close()
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (" (redirects are not followed)" if status < 400 else "")
        except InputError as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"timeout after {self.policy.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a sender must always report back, or its row stays leased
            logger.exception("webhook delivery %s failed", delivery["id"])
            error = f"{type(exc).__name__}"
        duration = (time.time() - started) * 1000
        self._results.put(
            Attempt(delivery["id"], started, status, error and error[:MAX_ERROR_CHARS], duration)
        )
        self._wake.set()

    def _record_results(self, db: sqlite_utils.Database) -> None:
        while True:
            try:
                attempt = self._results.get_nowait()
            except queue.Empty:
                return
            try:
                record_attempt(db, attempt, self.policy, self._rng)
            finally:  # unrecorded, the row stays leased and is sent again when the lease ends
                self._in_flight.pop(attempt.delivery_id, None)


def record_attempt(
    db: sqlite_utils.Database,
    attempt: Attempt,
    policy: WebhookPolicy,
    rng: random.Random | None = None,
) -> None:
    """Store one attempt and what follows from it: delivered, retried later, or failed."""
    with transaction(db):
        row = next(
            db.query(
                "SELECT status, attempts FROM webhook_deliveries WHERE id = ?",
                [attempt.delivery_id],
            ),
            None,
        )
        if row is None:
            return
        number = row["attempts"] + 1
        db["webhook_attempts"].insert(
            {
                "delivery_id": attempt.delivery_id,
                "attempt": number,
                "at": iso_ms(attempt.at),
                "http_status": attempt.http_status,
                "error": attempt.error,
                "duration_ms": round(attempt.duration_ms, 1),
            }
        )
        update: dict[str, Any] = {"attempts": number}
        if row["status"] == "delivered":  # sent twice (a lease ran out): the first answer stands
            pass
        elif attempt.error is None:
            update.update(
                status="delivered", delivered_at=iso_ms(time.time()), next_attempt_at=None
            )
        elif row["status"] == "failed" or number >= policy.max_attempts:  # failed: deactivated
            update.update(status="failed", next_attempt_at=None, last_error=attempt.error)
        else:
            due = time.time() + policy.retry_delay(number, rng)
            update.update(status="pending", next_attempt_at=iso_ms(due), last_error=attempt.error)
        db["webhook_deliveries"].update(attempt.delivery_id, update)
