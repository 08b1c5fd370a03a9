"""What every kind of live rooms does the same way: reading rooms and their events from the store,
and checking what a new room refers to. `LiveRooms` (live/rooms.py: monitors in this process)
and `BrokerRooms` (live/broker_rooms.py: rooms held by workers on other machines) build on it."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from monitor.checking.detectors.fact_rules import ProductFacts
from monitor.errors import InputError
from monitor.live.room_quotas import QuotaExceeded
from monitor.live.room_store import get_room, room_events, room_ids
from monitor.store.registry import get_product
from monitor.store.stream_views import check_stream_anchor


class RoomNotActive(InputError):
    """The room was stopped, ended or interrupted: it takes no more input."""

    def __init__(self, room_id: int):
        super().__init__(f"直播间 {room_id} 未在监测 / room {room_id} is not active")


def idle_message(idle_s: float) -> str:
    """Why a room that heard nothing for `idle_s` seconds was stopped (its error)."""
    return f"空闲超时 / idle timeout: no input for {idle_s:g} s"


class RoomQuotaFull(Exception):
    """A new room would break a quota (which one, its limit, the rooms counted now)."""

    def __init__(self, exceeded: QuotaExceeded):
        super().__init__(exceeded)
        self.exceeded = exceeded


def room_refs(
    db: sqlite_utils.Database, anchor_id: str, stream_id: str | None, product_id: str | None
) -> tuple[ProductFacts | None, str | None]:
    """The product's facts and class for a new room; a product that does not exist
    (`MissingRecord`) or a stream of another anchor (`StateConflict`) is refused."""
    found = product_facts(db, product_id)
    if stream_id:
        check_stream_anchor(db, stream_id, anchor_id)
    return found


def product_facts(
    db: sqlite_utils.Database, product_id: str | None
) -> tuple[ProductFacts | None, str | None]:
    """A room's product facts and class, what its speech is checked against (Nones without a
    product); `MissingRecord` for a product that does not exist."""
    if not product_id:
        return None, None
    product = get_product(db, product_id)
    return ProductFacts.from_record(product), product["product_class"]


class StoredRooms:
    """Rooms read from the store; `app_or_services` is the app (its services) or the services."""

    def __init__(self, app_or_services: Any):
        self._source = app_or_services

    @property
    def services(self):
        state = getattr(self._source, "state", None)
        return state.services if state is not None else self._source

    def _db(self) -> sqlite_utils.Database:
        return self.services.connect()

    def get(self, room_id: int) -> dict[str, Any] | None:
        db = self._db()
        try:
            return get_room(db, room_id)
        finally:
            db.conn.close()

    def list(self, owner_key_id: int | None = None, anchor_id: str | None = None) -> list[dict]:
        db = self._db()
        try:
            ids = room_ids(db, owner_key_id, anchor_id)
        finally:
            db.conn.close()
        return [self.get(room_id) for room_id in ids]

    def events(self, room_id: int, after: int = 0, limit: int = 500) -> list[dict]:
        db = self._db()
        try:
            return room_events(db, room_id, after, limit, newest=False)
        finally:
            db.conn.close()
