"""A real uvicorn server for an app, on a free loopback port, for tests (not TestClient):
`with running(app) as base_url: ...`, and an httpx event hook that fails any response carrying
a traceback or an error body of the wrong shape."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from api.server import server_config


@contextmanager
def running(app, start_timeout: float = 60) -> Iterator[str]:
    """Serve `app` (its lifespan included) until the block ends; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        assert thread.is_alive(), "server failed to start"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
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
