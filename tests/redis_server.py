"""A real redis-server on a free loopback port, for tests: no persistence (`--save ""
--appendonly no`), so `restart()` brings it back on the same port with its data wiped, as a
Redis that lost its memory would. Debian's `redis-server` (scripts/system-packages)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from api_server import free_port, wait_until

REDIS_SERVER = "redis-server"


class RedisServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        command = shutil.which(REDIS_SERVER)
        assert command, "redis-server is missing: run scripts/system-packages as root"
        self._process = subprocess.Popen(
            [
                command, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                "--daemonize", "no", "--logfile", "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        with redis.Redis.from_url(self.url, socket_timeout=2) as probe:
            wait_until(lambda: self._answers(probe), 30, "redis-server did not start", self._alive)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None

    def restart(self) -> None:
        """Stop and start again on the same port: with no persistence, every key is gone."""
        self.stop()
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @staticmethod
    def _answers(probe: redis.Redis) -> bool:
        try:
            return bool(probe.ping())
        except redis.ConnectionError:
            return False


@contextmanager
def running_redis(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()
