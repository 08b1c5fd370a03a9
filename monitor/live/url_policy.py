"""Which stream addresses `watch` (and the API's live rooms) may open, checked at every hop.

Only network schemes are allowed (http, https, rtmp, rtmps): `file://` and FFmpeg's other
protocols (concat:, pipe:, …) could read the server's own files. The host is resolved once and
every address it resolves to is checked against `address_policy` (loopback, private, link-local,
multicast and the other special-purpose ranges are refused unless the operator allowed them in
QINGLANG_WATCH_ALLOW); the caller then connects to the checked address, never to a second
resolution (DNS rebinding). Local files are opened only when the caller (the operator's own
CLI) says so.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from monitor.errors import InputError
from monitor.live.address_policy import AllowList, IPAddress, refusal

ALLOWED_SCHEMES = ("http", "https", "rtmp", "rtmps")
HTTP_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443, "rtmp": 1935, "rtmps": 443}
NOT_ALLOWED = "地址不允许 / address not allowed"
Resolver = Callable[[str, int], list[IPAddress]]


class AddressNotAllowed(InputError):
    """A hop of the address is refused by the policy (scheme, or an address it resolves to)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `address` (port `port`), name `host` in Host and TLS SNI."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress

    def pinned_url(self) -> str:
        """`url` with its host replaced by the checked address (user info, path, query kept)."""
        parts = urlsplit(self.url)
        user = parts.netloc.rpartition("@")[0]
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = f"{user}@{host}:{self.port}" if user else f"{host}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def check_source(
    source: str,
    allow: str = "",
    local_files: bool = False,
    schemes: tuple[str, ...] = ALLOWED_SCHEMES,
    allow_setting: str = "QINGLANG_WATCH_ALLOW",
) -> str:
    """`source` if it may be opened, else an InputError saying why (in Chinese and English).
    `schemes` are the network schemes allowed; `allow_setting` names the operator's allow list."""
    try:
        scheme = urlsplit(source).scheme.lower()
    except ValueError as exc:
        raise InputError(f"地址格式无效（{exc}）/ invalid address {source!r}: {exc}") from None
    if not scheme or (len(scheme) == 1 and Path(source).exists()):  # a path (C:\\ on Windows)
        if not local_files:
            starts = "、".join(f"{name}://" for name in schemes)
            raise InputError(
                f"这不是网络地址（应以 {starts} 开头），此处不允许读取本地文件 / not a network "
                f"address, and local files are not allowed here: {source}"
            )
        if not Path(source).is_file():
            raise InputError(f"文件不存在 / no such file: {source}")
        return source
    check_target(source, allow, schemes=schemes, allow_setting=allow_setting)
    return source


def check_target(
    url: str,
    allow: str = "",
    *,
    hop: int = 1,
    schemes: tuple[str, ...] = ALLOWED_SCHEMES,
    allow_setting: str = "QINGLANG_WATCH_ALLOW",
    resolve: Resolver | None = None,
) -> Target:
    """Resolve `url`'s host once and check its scheme and every address it resolves to; the
    address to connect to, or AddressNotAllowed / InputError saying why."""
    try:
        parts = urlsplit(url)
        scheme, port = parts.scheme.lower(), parts.port  # a bad port or IPv6 literal raises
    except ValueError as exc:
        raise InputError(f"地址格式无效（{exc}）/ invalid address {url!r}: {exc}") from None
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise InputError("地址含空白或控制字符 / the address has spaces or control characters")
    if scheme not in schemes:
        allowed = "、".join(schemes)
        if hop > 1:
            raise AddressNotAllowed(
                f"{NOT_ALLOWED}: hop {hop} uses scheme '{scheme}' (只接受 {allowed} / allowed: "
                f"{', '.join(schemes)})"
            )
        raise InputError(
            f"不允许的地址协议 {scheme}，只接受 {allowed} / scheme '{scheme}' is not "
            f"allowed (allowed: {', '.join(schemes)})"
        )
    host = parts.hostname
    if not host:
        raise InputError(f"地址缺少主机名（如 live.example.com）/ no host in {url}")
    try:  # the name as it goes in DNS, the Host header and TLS SNI
        host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise InputError(f"主机名无效 / invalid host name in {url}") from None
    port = port or DEFAULT_PORTS.get(scheme, 80)
    allowed = AllowList.parse(allow)
    addresses = (resolve or resolve_host)(host, port)
    for address in addresses:
        if allowed.admits(host, address, port):
            continue
        refused = refusal(address)
        if refused is not None:
            named = host if host == str(address) else f"{host} ({address})"
            raise AddressNotAllowed(
                f"{NOT_ALLOWED}: hop {hop} to {named} {refused.describe()}. 不是公网地址，以免借此"
                f"访问内部网络；运营方可在 {allow_setting} 中放行 / not public; an operator may "
                f"allow it with {allow_setting}"
            )
    return Target(url, scheme, host, port, addresses[0])


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (an IP literal is itself), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InputError(
            f"无法解析主机 {host}：请检查地址是否写对，以及本服务能否访问网络 / cannot resolve "
            f"host '{host}' (check the address and this service's network access)"
        ) from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in found:
            found.append(address)
    return found
