"""Which IP addresses the service may connect to when it fetches for someone else (a live room's
stream, a webhook): the special-purpose ranges of `policies/special_addresses.yaml` are refused,
including IPv4 addresses hidden inside IPv6 ones, unless the operator's allow list names them.

Pure: takes addresses and returns decisions; resolving names and connecting happen elsewhere
(`url_policy`, `guarded_http`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from monitor.errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressPolicyError(InputError):
    """The special-address file is unreadable or breaks its schema."""


class SpecialRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    network: str
    zh: str
    en: str

    @field_validator("network")
    @classmethod
    def _is_network(cls, value: str) -> str:
        ipaddress.ip_network(value)  # strict: host bits set is an error in the file
        return value

    @property
    def net(self) -> IPNetwork:
        return ipaddress.ip_network(self.network)


class SpecialAddresses(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: str
    ranges: tuple[SpecialRange, ...]


@dataclass(frozen=True)
class Refusal:
    """Why `address` may not be reached: it (or the IPv4 address it embeds) is in `range`."""

    address: IPAddress
    range: SpecialRange
    embedded: IPAddress | None = None

    def describe(self) -> str:
        """E.g. "is in 127.0.0.0/8 loopback (环回地址)"."""
        where = f"is in {self.range.network} {self.range.en} ({self.range.zh})"
        return f"embeds {self.embedded}, which {where}" if self.embedded else where


@dataclass(frozen=True)
class AllowEntry:
    """One item of an operator's allow list: a network or a host name, optionally one port."""

    network: IPNetwork | None
    name: str | None
    port: int | None

    def admits(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.name is not None:
            return host.lower() == self.name
        return address in self.network if address.version == self.network.version else False


@dataclass(frozen=True)
class AllowList:
    """QINGLANG_WATCH_ALLOW / QINGLANG_WEBHOOK_ALLOW, comma-separated: `10.0.0.0/8`, `127.0.0.2`,
    `cdn.internal`, each optionally with a port (`127.0.0.2:8080`, `[::1]:8080`,
    `cdn.internal:443`) so that a redirect cannot reach another port of an allowed host."""

    entries: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        return cls(tuple(_entry(item.strip()) for item in text.split(",") if item.strip()))

    def admits(self, host: str, address: IPAddress, port: int) -> bool:
        return any(entry.admits(host, address, port) for entry in self.entries)


def _entry(item: str) -> AllowEntry:
    host, port = item, None
    if item.startswith("[") and "]" in item:  # [v6] or [v6]:port
        host, _, rest = item[1:].partition("]")
        port = _port(rest[1:]) if rest.startswith(":") else None
    elif item.count(":") == 1:  # host:port or v4:port (a bare v6 address has several colons)
        host, _, text = item.partition(":")
        port = _port(text)
    try:
        return AllowEntry(ipaddress.ip_network(host, strict=False), None, port)
    except ValueError:
        return AllowEntry(None, host.lower().rstrip("."), port)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"放行列表中的端口无效 / invalid port in the allow list: {text!r}")
    return int(text)


def default_special_addresses_path() -> Path:
    return Path(str(files("monitor") / "policies" / "special_addresses.yaml"))


@cache
def load_special_addresses(path: str | Path | None = None) -> SpecialAddresses:
    """The special ranges (default: the shipped file), most specific first."""
    path = Path(path) if path is not None else default_special_addresses_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        table = SpecialAddresses.model_validate(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError) as exc:
        raise AddressPolicyError(
            f"特殊地址表无效 / invalid special address table {path}: {exc}"
        ) from None
    ordered = sorted(table.ranges, key=lambda r: -r.net.prefixlen)
    return table.model_copy(update={"ranges": tuple(ordered)})


def refusal(address: IPAddress, table: SpecialAddresses | None = None) -> Refusal | None:
    """Why `address` is not a public address the service may reach, or None if it is."""
    table = table or load_special_addresses()
    found = _special(address, table)
    if found is not None:
        return Refusal(address, found)
    embedded = embedded_ipv4(address)
    if embedded is not None:
        inner = _special(embedded, table)
        if inner is not None:
            return Refusal(address, inner, embedded)
    if not address.is_global:  # a range Python knows and the table does not: refuse too
        return Refusal(
            address, SpecialRange(network=str(address), zh="非公网地址", en="not global")
        )
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d), 6to4 (2002:AABB:CCDD::) or Teredo (the client's address)."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    packed = address.packed
    if address in _NAT64 or (packed[:12] == bytes(12) and int(address) > 1):
        return ipaddress.IPv4Address(packed[12:])
    return None


def _special(address: IPAddress, table: SpecialAddresses) -> SpecialRange | None:
    return next(
        (r for r in table.ranges if r.net.version == address.version and address in r.net), None
    )
