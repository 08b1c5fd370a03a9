"""How the service is served: the uvicorn configuration `qinglang serve` and the tests run, with
an HTTP/1.1 protocol that closes a connection whose request head arrives too slowly (slowloris).

uvicorn (0.55, h11) has only a keep-alive timeout, which stops at a request's first byte: a
client sending half its headers kept the connection, and a worker's socket, for minutes.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

KEEP_ALIVE_S = 5  # an idle kept-alive connection is closed after it (uvicorn's default)
# A client that started a request but did not finish its head is told why before the close.
_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 24\r\nconnection: close\r\n\r\nrequest headers too slow"
)


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing the connection when a request's line and headers are not
    complete `header_timeout_s` seconds after the connection opened or the request began.

    The body is not covered: a route reads it as it needs, under the body size limits.
    """

    def __init__(self, *args: Any, header_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # these bytes begin (or continue) a request head
            self._await_head()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is complete (or the socket upgraded)
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:  # pipelined, partial
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _stop_waiting(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        if self.conn.trailing_data[0]:  # part of a head arrived
            self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


def server_config(app: FastAPI, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration for `app`, with the timeouts of its settings (README, "Limits")."""
    settings = app.state.services.settings
    return uvicorn.Config(
        app,
        http=partial(HeaderTimeoutProtocol, header_timeout_s=settings.api_header_timeout_s),
        ws="websockets-sansio",
        timeout_keep_alive=KEEP_ALIVE_S,
        proxy_headers=False,  # the app reads forwarded headers from QINGLANG_TRUSTED_PROXIES only
        timeout_graceful_shutdown=max(settings.api_shutdown_seconds, 0.1),
        **options,
    )
