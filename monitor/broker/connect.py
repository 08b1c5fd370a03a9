"""A Redis client for the broker, with timeouts so that a Redis that is down fails a call in
seconds instead of hanging it, and without the password in anything shown."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

SOCKET_TIMEOUT_S = 5.0


def client_for(url: str, *, decode: bool = True) -> redis.Redis:
    """A client for `url` (redis://host:port/db); `decode=False` returns bytes (pushed audio)."""
    return redis.Redis.from_url(
        url,
        decode_responses=decode,
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        health_check_interval=30,
    )


def shown(url: str) -> str:
    """The broker address as status pages show it: no user or password."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
