"""Which stream addresses `watch` (and the API's live rooms) may open.

Only network schemes are allowed (http, https, rtmp, rtmps): `file://` and FFmpeg's other
protocols (concat:, pipe:, …) could read the server's own files. A host that resolves to a
loopback, private, link-local or otherwise non-public address is refused unless the operator
allowed it (QINGLANG_WATCH_ALLOW: addresses, networks or host names, comma-separated), so a
platform cannot make the service fetch from its internal network. Local files are opened only
when the caller (the operator's own CLI) says so.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import urlsplit

from .errors import InputError

ALLOWED_SCHEMES = ("http", "https", "rtmp", "rtmps")


def parse_allow_list(text: str) -> tuple[list[ipaddress._BaseNetwork], set[str]]:
    networks, names = [], set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.lower())
    return networks, names


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
        parts = urlsplit(source)
        scheme, port = parts.scheme.lower(), parts.port  # a bad port or IPv6 literal raises
    except ValueError as exc:
        raise InputError(f"地址格式无效（{exc}）/ invalid address {source!r}: {exc}") from None
    if any(ord(c) < 0x21 or c == "\x7f" for c in source) and scheme:
        raise InputError("地址含空白或控制字符 / the address has spaces or control characters")
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
    if scheme not in schemes:
        raise InputError(
            f"不允许的地址协议 {scheme}，只接受 {'、'.join(schemes)} / scheme '{scheme}' is not "
            f"allowed (allowed: {', '.join(schemes)})"
        )
    host = parts.hostname
    if not host:
        raise InputError(f"地址缺少主机名（如 live.example.com）/ no host in {source}")
    networks, names = parse_allow_list(allow)
    if host.lower() in names:
        return source
    for address in _addresses(host, port):
        if any(address in network for network in networks):
            continue
        if not address.is_global:
            named = host if host == str(address) else f"{host}（{address}）"
            raise InputError(
                f"地址未获允许：{named} 不是公网地址，以免借此访问内部网络；运营方可在 "
                f"{allow_setting} 中放行 / address {address} of '{host}' is not public and not "
                f"allowed (an operator may allow it with {allow_setting})"
            )
    return source


def _addresses(host: str, port: int | None) -> list:
    try:
        infos = socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise InputError(
            f"无法解析主机 {host}：请检查地址是否写对，以及本服务能否访问网络 / cannot resolve "
            f"host '{host}' (check the address and this service's network access)"
        ) from None
    return sorted({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}, key=str)
