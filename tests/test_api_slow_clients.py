"""Slow clients against the real server (`qinglang serve`'s configuration): a connection whose
request headers do not arrive within QINGLANG_API_HEADER_TIMEOUT_S is closed (slowloris), while
complete requests, kept-alive connections included, are answered as before."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from api_server import running

from api import create_app
from monitor.settings import Settings

WAIT_S = 60  # how long a test waits for the close; the server's timeout is 1 s


@pytest.fixture(scope="module")
def address(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    settings = Settings(
        db=str(folder / "q.db"), data_dir=str(folder / "files"), api_header_timeout_s=1,
        classifier=False, credit_recompute_hours=0, reload_watch=False,
    )  # fmt: skip
    with running(create_app(folder / "q.db", settings)) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def _read_until_closed(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a timeout fails the test)."""
    conn.settimeout(WAIT_S)
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    return received


def test_half_the_headers_get_a_408_and_the_connection_is_closed(address):
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: qinglang\r\nUser-Agent: slow")
        answer = _read_until_closed(conn)
    assert answer.startswith(b"HTTP/1.1 408 ") and b"connection: close" in answer


def test_a_connection_that_sends_nothing_is_closed(address):
    with socket.create_connection(address) as conn:
        assert _read_until_closed(conn) == b""


def test_a_kept_alive_connection_that_stalls_in_its_next_request_is_closed(address):
    with socket.create_connection(address) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: qinglang\r\n\r\nGET /healthz HTTP/1.1\r\n")
        answer = _read_until_closed(conn)
    first, _, rest = answer.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 ") and b'"status":"ok"' in rest
    assert b"HTTP/1.1 408 " in rest


def test_complete_requests_are_answered_on_the_same_connection(address):
    conn = http.client.HTTPConnection(*address, timeout=WAIT_S)
    try:
        for _ in range(2):
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read())["status"] == "ok"
    finally:
        conn.close()
