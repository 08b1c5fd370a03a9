"""The scheme and client a request arrived with behind a TLS-terminating reverse proxy: a
proxy's `X-Forwarded-Proto` and `X-Forwarded-For` are believed only when the connection comes
from an address listed in QINGLANG_TRUSTED_PROXIES (anyone else could send the headers). The
client is the right-most address of X-Forwarded-For that is not itself a trusted proxy (the
left-most entries are whatever the client wrote), so per-address limits (failed keys) count the
real client, not the proxy everyone shares. The service's own server does not
read forwarded headers (`qinglang serve` runs uvicorn with proxy_headers off): this middleware is
the one place that does, so the setting decides alone.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from monitor.errors import InputError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(listed: str) -> tuple[Network, ...]:
    """The networks of a comma-separated list of IPs and networks; InputError names a bad one."""
    networks = []
    for item in (part.strip() for part in listed.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InputError(
                f"QINGLANG_TRUSTED_PROXIES 中的地址无效 / not an IP or network: {item!r}"
            ) from None
    return tuple(networks)


def is_trusted(peer: str, proxies: tuple[Network, ...]) -> bool:
    try:
        return _listed(ipaddress.ip_address(peer), proxies)
    except ValueError:
        return False


def _listed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, proxies) -> bool:
    return any(address in network for network in proxies)


def forwarded_client(forwarded_for: str, proxies: tuple[Network, ...]) -> str | None:
    """The client address a chain of trusted proxies reports: X-Forwarded-For read from the
    right, skipping trusted proxies; None when it names no valid address."""
    for item in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            address = ipaddress.ip_address(item)
        except ValueError:
            return None  # garbage where an address should be: believe nothing further left
        if not _listed(address, proxies):
            return str(address)
    return None


class TrustedProxyScheme:
    """ASGI middleware: a request from a trusted proxy takes the scheme of its
    X-Forwarded-Proto (`http` or `https`) and the client of its X-Forwarded-For; every other
    request keeps its own."""

    def __init__(self, app: ASGIApp, proxies: tuple[Network, ...]):
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.proxies:
            peer = (scope.get("client") or ("", 0))[0]
            if is_trusted(peer, self.proxies):
                headers = Headers(scope=scope)
                forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip()
                if forwarded in ("http", "https"):
                    scope = {**scope, "scheme": forwarded}
                client = forwarded_client(headers.get("x-forwarded-for", ""), self.proxies)
                if client is not None:
                    scope = {**scope, "client": (client, 0)}
        await self.app(scope, receive, send)
