"""What a request handler is given: the services built at start-up (settings, checker, credit
policy) and a database connection of its own.

Each request opens its own SQLite connection and closes it when the response is done. Opening
is cheap (no migration: the schema is upgraded once, at start-up), requests in different threads
never share a connection, and WAL lets readers run while one writer writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Protocol

import redis
import sqlite_utils
from fastapi import Depends, Request

from monitor.checking.checker import Checker
from monitor.credit.policy import CreditPolicy
from monitor.settings import Settings
from monitor.store.db import open_db


@dataclass(frozen=True)
class Services:
    db_path: Path
    settings: Settings
    checker: Checker
    policy: CreditPolicy

    def connect(self) -> sqlite_utils.Database:
        """A connection of its own to the store (already upgraded), its writes waiting for
        another writer up to QINGLANG_DB_BUSY_TIMEOUT_SECONDS."""
        return open_db(
            self.db_path, migrate=False, busy_timeout_s=self.settings.db_busy_timeout_seconds
        )


class Background(Protocol):
    """Work the service does outside requests; started after start-up, stopped at shutdown."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def services(request: Request) -> Services:
    return request.app.state.services


def broker(request: Request) -> redis.Redis | None:
    """The broker's client when QINGLANG_BROKER_URL is set (speech runs on workers), else None."""
    return request.app.state.broker


def database(request: Request) -> Iterator[sqlite_utils.Database]:
    db = services(request).connect()
    try:
        yield db
    finally:
        db.conn.close()


ServicesDep = Annotated[Services, Depends(services)]
DatabaseDep = Annotated[sqlite_utils.Database, Depends(database)]
