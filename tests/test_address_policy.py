"""The address policy every hop of a live-room URL (and a webhook) is checked against: the IANA
special-purpose ranges, IPv4 addresses hidden in IPv6 ones, and the operator's allow list."""

from __future__ import annotations

import ipaddress

import pytest

from monitor.errors import InputError
from monitor.live.address_policy import (
    AddressPolicyError,
    AllowList,
    load_special_addresses,
    refusal,
)
from monitor.live.url_policy import AddressNotAllowed, check_target

# (address, the range named as the reason); each of these passes ipaddress.is_global
SLIPS_THROUGH_IS_GLOBAL = [
    ("224.0.0.1", "224.0.0.0/4 multicast"),
    ("239.255.255.250", "224.0.0.0/4 multicast"),
    ("ff02::1", "ff00::/8 multicast"),
    ("fec0::1", "fec0::/10 deprecated site-local"),
    ("64:ff9b::7f00:1", "64:ff9b::/96 NAT64"),
    ("64:ff9b::808:808", "64:ff9b::/96 NAT64"),
    ("64:ff9b:1::1", "64:ff9b:1::/48 local-use"),
    ("::127.0.0.1", "::/96 deprecated IPv4-compatible"),
    ("2002:7f00:1::1", "embeds 127.0.0.1, which is in 127.0.0.0/8 loopback"),
    ("2002:c0a8:101::1", "embeds 192.168.1.1, which is in 192.168.0.0/16 private-use"),
    ("192.0.0.9", "192.0.0.0/24 IETF protocol assignments"),
    ("192.0.0.10", "192.0.0.0/24 IETF protocol assignments"),
    ("192.88.99.1", "192.88.99.0/24 deprecated 6to4 relay"),
    ("192.31.196.1", "192.31.196.0/24 AS112"),
    ("192.52.193.1", "192.52.193.0/24 AMT"),
    ("192.175.48.1", "192.175.48.0/24 direct delegation AS112"),
    ("5f00::1", "5f00::/16 segment routing"),
    ("3fff::1", "3fff::/20 documentation"),
]
OTHER_SPECIAL = [
    ("::ffff:127.0.0.1", "::ffff:0:0/96 IPv4-mapped"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32 Teredo"),
    ("192.0.0.170", "192.0.0.0/24 IETF protocol assignments"),
    ("100.64.0.1", "100.64.0.0/10 shared address space"),
    ("198.18.0.1", "198.18.0.0/15 benchmarking"),
    ("240.0.0.1", "240.0.0.0/4 reserved"),
    ("255.255.255.255", "255.255.255.255/32 limited broadcast"),
    ("0.1.2.3", "0.0.0.0/8 this network"),
    ("169.254.169.254", "169.254.0.0/16 link-local"),
    ("10.1.2.3", "10.0.0.0/8 private-use"),
    ("172.16.0.1", "172.16.0.0/12 private-use"),
    ("127.0.0.1", "127.0.0.0/8 loopback"),
    ("::1", "::1/128 loopback"),
    ("::", "::/128 unspecified"),
    ("fe80::1", "fe80::/10 link-local"),
    ("fd00::1", "fc00::/7 unique-local"),
    ("2001:db8::1", "2001:db8::/32 documentation"),
    ("100::1", "100::/64 discard-only"),
    ("203.0.113.7", "203.0.113.0/24 documentation"),
]


@pytest.mark.parametrize(("address", "why"), SLIPS_THROUGH_IS_GLOBAL)
def test_special_ranges_that_is_global_lets_through_are_refused(address, why):
    assert ipaddress.ip_address(address).is_global  # what the policy must not rely on
    refused = refusal(ipaddress.ip_address(address))
    assert refused is not None and why in refused.describe(), refused


@pytest.mark.parametrize(("address", "why"), OTHER_SPECIAL)
def test_other_special_ranges_are_refused_naming_the_range(address, why):
    refused = refusal(ipaddress.ip_address(address))
    assert refused is not None and why in refused.describe(), refused


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::1", "223.5.5.5"]
)
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


def test_a_broken_range_table_is_refused_naming_the_problem(tmp_path):
    bad = tmp_path / "ranges.yaml"
    bad.write_text('version: "1"\nranges:\n  - {network: "10.0.0.1/8", zh: "私有", en: private}\n')
    with pytest.raises(AddressPolicyError, match="has host bits set"):
        load_special_addresses(bad)


@pytest.mark.parametrize(
    ("allow", "host", "address", "port", "admitted"),
    [
        ("127.0.0.2", "127.0.0.2", "127.0.0.2", 9, True),
        ("127.0.0.2:8080", "127.0.0.2", "127.0.0.2", 8080, True),
        ("127.0.0.2:8080", "127.0.0.2", "127.0.0.2", 8081, False),
        ("10.0.0.0/8:1935", "10.1.2.3", "10.1.2.3", 1935, True),
        ("10.0.0.0/8:1935", "10.1.2.3", "10.1.2.3", 80, False),
        ("[::1]:9000", "::1", "::1", 9000, True),
        ("[::1]:9000", "::1", "::1", 9001, False),
        ("::1", "::1", "::1", 9001, True),
        ("cdn.internal:443", "CDN.internal", "10.9.9.9", 443, True),
        ("cdn.internal:443", "cdn.internal", "10.9.9.9", 80, False),
        ("cdn.internal", "other.internal", "10.9.9.9", 80, False),
    ],
)
def test_allow_list_entries_may_name_one_port(allow, host, address, port, admitted):
    assert AllowList.parse(allow).admits(host, ipaddress.ip_address(address), port) is admitted


def test_an_allow_list_port_that_is_not_a_port_is_refused():
    with pytest.raises(InputError, match="invalid port in the allow list"):
        AllowList.parse("127.0.0.2:http")


def test_every_address_a_name_resolves_to_is_checked():
    def two_addresses(host: str, port: int):
        return [ipaddress.ip_address("127.0.0.2"), ipaddress.ip_address("127.0.0.1")]

    with pytest.raises(AddressNotAllowed, match=r"hop 3 to mixed\.test \(127\.0\.0\.1\)"):
        check_target("http://mixed.test/x.flv", "127.0.0.2", hop=3, resolve=two_addresses)


def test_the_checked_address_is_the_one_to_connect_to():
    target = check_target(
        "rtmp://user:pw@live.test/app/room?k=1",
        resolve=lambda host, port: [ipaddress.ip_address("8.8.4.4")],
    )
    assert target.pinned_url() == "rtmp://user:pw@8.8.4.4:1935/app/room?k=1"
    assert (target.host, target.port) == ("live.test", 1935)
