"""The scheme a request arrived with behind a TLS-terminating reverse proxy: a proxy's
`X-Forwarded-Proto` is believed only when the connection comes from an address listed in
QINGLANG_TRUSTED_PROXIES (anyone else could send the header). The service's own server does not
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
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in proxies)


class TrustedProxyScheme:
    """ASGI middleware: a request from a trusted proxy takes the scheme of its
    X-Forwarded-Proto (`http` or `https`); every other request keeps its own."""

    def __init__(self, app: ASGIApp, proxies: tuple[Network, ...]):
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.proxies:
            peer = (scope.get("client") or ("", 0))[0]
            forwarded = Headers(scope=scope).get("x-forwarded-proto", "").split(",")[0].strip()
            if forwarded in ("http", "https") and is_trusted(peer, self.proxies):
                scope = {**scope, "scheme": forwarded}
        await self.app(scope, receive, send)
