"""A real uvicorn server for an app, on a free loopback port, for tests (not TestClient):
`with running(app) as base_url: ...`; an httpx event hook that fails any response carrying a
traceback or an error body of the wrong shape; and the one place tests wait: `wait_until` a
condition holds, `wait_for_service` until a `qinglang serve` process answers."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from api.core.server import server_config


@contextmanager
def running(app, start_timeout: float = 60, port: int = 0) -> Iterator[str]:
    """Serve `app` (its lifespan included) until the block ends; yields the base URL. `port`: a
    given one (to serve again where a stopped server was), else a free one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, start_timeout, "server did not start", alive=thread.is_alive)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def served_client(app) -> Iterator[httpx.Client]:
    """`app` served as by `running`, and a client of it that checks every response with
    `no_traceback`."""
    with (
        running(app) as base,
        httpx.Client(base_url=base, timeout=30, event_hooks={"response": [no_traceback]}) as client,
    ):
        yield client


def no_traceback(response: httpx.Response) -> None:
    """Every response: no traceback; every error: the JSON error body."""
    response.read()
    assert "Traceback" not in response.text and 'File "' not in response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) <= {"error", "message", "detail"}
        assert body["error"] and body["message"]


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    """A loopback port free now (for a server process told which port to use)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(
    condition: Callable[[], Any],
    timeout: float = 30.0,
    message: str = "condition not reached in time",
    alive: Callable[[], object] | None = None,
) -> Any:
    """Poll `condition` until it returns something true (returned); fail after `timeout` seconds,
    or at once when `alive` (the thing doing the work) says it stopped. A wait, not a speed goal."""
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert alive is None or alive(), f"{message}: it stopped"
        assert time.monotonic() < deadline, f"{message} (waited {timeout} s)"
        time.sleep(0.05)
    return found


def wait_for_service(
    base: str, process: subprocess.Popen | None = None, timeout: float = 240
) -> httpx.Response:
    """Wait until the service at `base` answers /healthz (the service builds its checker first:
    slow on a busy machine); fails with the process's stderr if it exits first."""

    def health() -> httpx.Response | None:
        try:
            return httpx.get(f"{base}/healthz", timeout=2)
        except httpx.TransportError:
            if process is not None and process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise AssertionError(f"serve exited with {process.returncode}: {stderr}") from None
            return None

    return wait_until(health, timeout, "serve did not start")
