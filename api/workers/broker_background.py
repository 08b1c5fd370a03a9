"""The API node's own work with a broker (issue 15): keep the broker's queues filled from the
store, and stop rooms that went idle.

Every REFILL_INTERVAL_S the store's active rooms and unfinished media jobs are queued again when
the broker lacks them (queue.requeue_unfinished: at start, after Redis was down, and after a
Redis that lost its data; the ones that were missing are logged). A broker that does not answer
is logged once per outage and the service keeps serving; the next round after it is back refills.
"""

from __future__ import annotations

import logging

import redis

from api.workers.background_tasks import Workers, _Periodic
from monitor.broker.queue import requeue_unfinished
from monitor.live.broker_rooms import BrokerRooms
from monitor.live.room_store import active_room_ids
from monitor.store.jobs import unfinished_job_ids

logger = logging.getLogger("qinglang")

REFILL_INTERVAL_S = 5.0


class BrokerRefill(_Periodic):
    """Queues the store's unfinished rooms and jobs on the broker again when it lost them."""

    def __init__(self, app, interval: float = REFILL_INTERVAL_S):
        super().__init__("qinglang-broker-refill", interval, 0.0)
        self.app = app
        self.down = False  # the broker did not answer the last round
        self.missing = 0  # rooms and jobs found missing from the broker so far

    def tick(self) -> None:
        db = self.app.state.services.connect()
        try:
            rooms, jobs = active_room_ids(db), unfinished_job_ids(db)
        finally:
            db.conn.close()
        client = self.app.state.broker
        try:
            missing_rooms = requeue_unfinished(client, "room", rooms)
            missing_jobs = requeue_unfinished(client, "job", jobs)
        except redis.RedisError as exc:
            if not self.down:
                logger.warning("broker unavailable (%s); rooms and jobs wait for it", exc)
            self.down = True
            return
        if self.down:
            logger.info("broker available again")
        self.down = False
        if missing_rooms or missing_jobs:
            self.missing += len(missing_rooms) + len(missing_jobs)
            logger.info(
                "queued on the broker again: %d rooms and %d jobs it did not hold",
                len(missing_rooms), len(missing_jobs),
            )  # fmt: skip


class IdleRooms(_Periodic):
    """Stops the rooms held by workers that heard nothing for QINGLANG_ROOM_IDLE_SECONDS."""

    def __init__(self, rooms: BrokerRooms):
        idle_s = rooms.services.settings.room_idle_seconds
        every = min(max(idle_s / 4, 0.05), 5.0) if idle_s > 0 else 5.0
        super().__init__("qinglang-room-idle", every, every)
        self.rooms = rooms

    def tick(self) -> None:
        self.rooms.stop_idle()


def broker_background(app, rooms: BrokerRooms) -> Workers:
    """The refill and idle threads (no speech runs in this process)."""
    refill = BrokerRefill(app)
    app.state.broker_refill = refill
    return Workers(refill, IdleRooms(rooms))
