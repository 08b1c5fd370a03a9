"""The one HTTP client that fetches for a live room: playlists, variants, segments, init
sections and HTTP media streams all go through `StreamFetcher`.

Each request is one hop checked by `url_policy.check_target` before anything is sent: the host
is resolved once, every address checked, and the connection made to the checked address (the
Host header and TLS SNI keep the name), so DNS rebinding cannot move it. Redirects are followed
here, a bounded number of times, each one a new checked hop. Failures of an allowed host are
reported as one message whatever their cause (refused, reset, bad status, not a stream), so room
events cannot be used to scan ports; the cause goes to the service log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.live.url_policy import (
    HTTP_SCHEMES,
    NOT_ALLOWED,
    AddressNotAllowed,
    Resolver,
    Target,
    check_target,
)

logger = logging.getLogger("qinglang")
MAX_REDIRECTS = 5
TIMEOUT_S = 10.0  # connect, and each read: a stream silent this long has dropped
FETCH_FAILED = (
    "直播源无法读取（详情见服务日志）/ the stream source could not be read (see the service log)"
)
_REDIRECTS = (301, 302, 303, 307, 308)


def pinned_request(
    client: httpx.Client, method: str, target: Target, **kwargs: Any
) -> httpx.Request:
    """A request to `target`'s checked address that names its host in the Host header and TLS
    SNI: no second DNS lookup happens between the check and the connection."""
    host = f"[{target.host}]" if ":" in target.host else target.host  # IPv6 literal
    if {"http": 80, "https": 443}[target.scheme] != target.port:
        host = f"{host}:{target.port}"
    headers = {**kwargs.pop("headers", {}), "Host": host}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return client.build_request(
        method, target.pinned_url(), headers=headers, extensions=extensions, **kwargs
    )


class FetchFailed(Exception):
    """An allowed host did not answer with what was asked; `str()` never says why (the log
    does), so that a refused connection and a wrong answer look the same to the caller."""

    def __init__(self) -> None:
        super().__init__(FETCH_FAILED)


class TooManyRedirects(AddressNotAllowed):
    pass


@dataclass(frozen=True)
class Fetched:
    url: str  # the last hop's URL (after redirects): the base for relative URIs
    hop: int  # its hop number: URLs found in it are hop + 1
    content: bytes


class BodyReader:
    """A streamed response body as a read-only file for FFmpeg (no seeking), with `peek`."""

    def __init__(self, response: httpx.Response, url: str, hop: int):
        self.url, self.hop = url, hop
        self._chunks = response.iter_bytes()
        self._buffer = b""

    def peek(self, size: int) -> bytes:
        while len(self._buffer) < size and self._more():
            pass
        return self._buffer[:size]

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buffer) < size) and self._more():
            pass
        size = len(self._buffer) if size < 0 else size
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _more(self) -> bool:
        try:
            self._buffer += next(self._chunks)
            return True
        except StopIteration:
            return False
        except httpx.HTTPError as exc:
            logger.warning("stream read from %s failed: %s", self.url, exc)
            raise FetchFailed() from None


class StreamFetcher:
    """Fetches URLs of one stream under the operator's allow list (QINGLANG_WATCH_ALLOW)."""

    def __init__(
        self,
        allow: str = "",
        *,
        max_redirects: int = MAX_REDIRECTS,
        resolve: Resolver | None = None,
    ):
        self.allow = allow
        self.max_redirects = max_redirects
        self._resolve = resolve
        self._client = httpx.Client(
            timeout=TIMEOUT_S,
            follow_redirects=False,
            trust_env=False,  # no proxy: we pin
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> StreamFetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, *, hop: int = 1, max_bytes: int) -> Fetched:
        """The whole body of `url` (at most `max_bytes`)."""
        with self.open(url, hop=hop) as body:
            content = body.read(max_bytes + 1)
        if len(content) > max_bytes:
            logger.warning("%s is larger than %d bytes", body.url, max_bytes)
            raise FetchFailed()
        return Fetched(body.url, body.hop, content)

    @contextmanager
    def open(self, url: str, *, hop: int = 1) -> Iterator[BodyReader]:
        """`url`'s body, streamed, after following its checked redirects."""
        for _ in range(self.max_redirects + 1):
            response = self._send(url, hop)
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                response.close()
                url, hop = urljoin(url, location), hop + 1
                continue
            try:
                if response.status_code >= 400:
                    logger.warning("%s answered %s", url, response.status_code)
                    raise FetchFailed()
                yield BodyReader(response, url, hop)
            finally:
                response.close()
            return
        raise TooManyRedirects(
            f"{NOT_ALLOWED}: 重定向超过 {self.max_redirects} 次 / more than {self.max_redirects} "
            f"redirects (hop {hop} to {urlsplit(url).hostname} not followed)"
        )

    def _send(self, url: str, hop: int) -> httpx.Response:
        target = check_target(url, self.allow, hop=hop, schemes=HTTP_SCHEMES, resolve=self._resolve)
        request = pinned_request(self._client, "GET", target)
        try:
            return self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            logger.warning("hop %d to %s (%s) failed: %s", hop, url, target.address, exc)
            raise FetchFailed() from None
