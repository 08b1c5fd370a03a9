"""Request forgery through a live-room URL: every hop the service makes for a stream (redirects,
playlists, variants, segments, init sections) is checked against the URL policy before anything
is sent, so a forbidden address receives no request at all. Real servers on loopback, real
FFmpeg: the stream's allowed origin is 127.0.0.2 (QINGLANG_WATCH_ALLOW), the internal services
the attacker aims at listen on 127.0.0.1 and ::1."""

from __future__ import annotations

import ipaddress
import threading

import pytest
from speech_audio import ffmpeg
from ssrf_servers import (
    HLS_TYPE,
    CountingServer,
    Route,
    closed_port,
    master_playlist,
    media_playlist,
)

from monitor.errors import InputError
from monitor.live.guarded_http import StreamFetcher
from monitor.live.stream_sources import open_source
from monitor.live.url_policy import AddressNotAllowed

ALLOWED = "127.0.0.2"
NOT_ALLOWED = "地址不允许 / address not allowed"


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("ssrf-media")
    tone = ("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac")
    ffmpeg(*tone, "-f", "mpegts", str(folder / "seg.ts"))
    ffmpeg(*tone, "-f", "flv", str(folder / "x.flv"))
    return {name: (folder / name).read_bytes() for name in ("seg.ts", "x.flv")}


@pytest.fixture(scope="module")
def victims(media):
    """Internal services: each serves real media, a playlist and a redirect, and counts."""
    servers = {host: CountingServer(host) for host in ("127.0.0.1", "::1")}
    for server in servers.values():
        server.routes.update({
            "/x.flv": Route(body=media["x.flv"], content_type="video/x-flv"),
            "/seg.ts": Route(body=media["seg.ts"], content_type="video/mp2t"),
            "/init.mp4": Route(body=media["seg.ts"], content_type="video/mp4"),
            "/live.m3u8": Route(body=media_playlist("seg.ts"), content_type=HLS_TYPE),
            "/media.m3u8": Route(body=media_playlist("seg.ts"), content_type=HLS_TYPE),
        })  # fmt: skip
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture
def origin(media, victims):
    """The stream's allowed host, whose answers point at the internal services."""
    v4, v6 = victims["127.0.0.1"].base, victims["::1"].base
    local = f"http://localhost:{victims['127.0.0.1'].port}"
    server = CountingServer(ALLOWED)
    hops = {f"/hop/{n}": Route(302, location=f"/hop/{n + 1}") for n in range(7)}
    hops["/hop/7"] = Route(302, location=f"{v4}/x.flv")
    server.routes.update({
        "/x.flv": Route(body=media["x.flv"], content_type="video/x-flv"),
        "/redirect.flv": Route(302, location=f"{v4}/x.flv"),
        "/redirect6.flv": Route(302, location=f"{v6}/x.flv"),
        "/redirect-closed.flv": Route(302, location=f"http://127.0.0.1:{closed_port()}/x.flv"),
        "/redirect-file.flv": Route(302, location="file:///etc/passwd"),
        "/segment.m3u8": Route(body=media_playlist(f"{v4}/seg.ts"), content_type=HLS_TYPE),
        "/room": Route(body=media_playlist(f"{v4}/seg.ts"), content_type=HLS_TYPE),
        "/room.flv": Route(body=media_playlist(f"{v4}/seg.ts"), content_type="video/x-flv"),
        "/to-playlist": Route(302, location=f"{v4}/live.m3u8"),
        "/master.m3u8": Route(body=master_playlist(f"{v4}/media.m3u8"), content_type=HLS_TYPE),
        "/localhost.m3u8": Route(body=media_playlist(f"{local}/seg.ts"), content_type=HLS_TYPE),
        "/init.m3u8": Route(
            body=media_playlist("ok.ts").replace(
                b"#EXT-X-MEDIA-SEQUENCE:0", f'#EXT-X-MAP:URI="{v4}/init.mp4"'.encode()
            ),
            content_type=HLS_TYPE,
        ),
        "/ok.ts": Route(body=media["seg.ts"], content_type="video/mp2t"),
        "/chain": hops["/hop/0"], **hops,
    })  # fmt: skip
    for victim in victims.values():
        victim.requests.clear()
    yield server
    server.close()


def probe(url: str) -> tuple[list[tuple[str, dict]], Exception | None]:
    """Read `url` as a room would; the events seen and the error it ended with."""
    events: list[tuple[str, dict]] = []
    try:
        for _ in open_source(
            url,
            stop=threading.Event(),
            on_event=lambda kind, detail: events.append((kind, detail)),
            max_outage_s=1.0,
            allow=ALLOWED,
        ):
            pass
    except InputError as exc:
        return events, exc
    return events, None


HOPS = [
    ("/redirect.flv", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/redirect6.flv", "hop 2 to ::1 is in ::1/128"),
    ("/segment.m3u8", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/room", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/room.flv", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/to-playlist", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/master.m3u8", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/localhost.m3u8", "hop 2 to localhost (127.0.0.1) is in 127.0.0.0/8"),
    ("/init.m3u8", "hop 2 to 127.0.0.1 is in 127.0.0.0/8"),
    ("/redirect-file.flv", "hop 2 uses scheme 'file'"),
]


@pytest.mark.parametrize(("path", "why"), HOPS)
def test_a_hop_to_a_forbidden_address_is_refused_before_any_request(origin, victims, path, why):
    events, error = probe(origin.base + path)
    assert isinstance(error, InputError), events
    assert str(error).startswith(NOT_ALLOWED) and why in str(error), str(error)
    assert [e for e in events if e[0] == "reconnecting"] == []  # refused once, not retried
    assert {host: v.requests for host, v in victims.items()} == {"127.0.0.1": [], "::1": []}


def test_a_redirect_chain_longer_than_the_bound_is_refused(origin, victims):
    _, error = probe(origin.base + "/chain")
    assert isinstance(error, InputError) and "more than 5 redirects" in str(error), error
    assert origin.requests == ["/chain", *(f"/hop/{n}" for n in range(1, 6))]
    assert victims["127.0.0.1"].requests == []


def test_refusal_reads_the_same_whether_the_forbidden_port_is_open_or_closed(origin, victims):
    _, to_open = probe(origin.base + "/redirect.flv")
    _, to_closed = probe(origin.base + "/redirect-closed.flv")
    assert str(to_open) == str(to_closed)
    assert victims["127.0.0.1"].requests == []


def test_failures_of_an_allowed_host_do_not_say_whether_its_port_is_open(origin, media):
    origin.routes["/junk.flv"] = Route(body=b"not a stream" * 100, content_type="video/x-flv")
    junk_events, junk = probe(origin.base + "/junk.flv")
    closed_events, closed = probe(f"http://{ALLOWED}:{closed_port(ALLOWED)}/junk.flv")
    assert junk is not None and closed is not None
    assert str(junk).split(": ", 1)[1] == str(closed).split(": ", 1)[1], (junk, closed)
    errors = {d["error"] for kind, d in junk_events + closed_events if kind == "reconnecting"}
    assert len(errors) == 1, errors


def test_an_allowed_stream_is_still_read(origin):
    events, error = probe(origin.base + "/x.flv")
    assert error is None and ("end", {"duration_s": pytest.approx(1.0, abs=0.1)}) in events


def test_an_allowed_port_does_not_open_the_host_s_other_ports(media):
    victim = CountingServer(ALLOWED, {"/x.flv": Route(body=media["x.flv"])})
    origin = CountingServer(ALLOWED, {"/r.flv": Route(302, location=f"{victim.base}/x.flv")})
    try:
        refused = f"hop 2 to {ALLOWED} is in 127.0.0.0/8"
        with (
            StreamFetcher(f"{ALLOWED}:{origin.port}") as fetcher,
            pytest.raises(AddressNotAllowed, match=refused),
        ):
            fetcher.get(f"{origin.base}/r.flv", max_bytes=10**6)
    finally:
        origin.close(), victim.close()
    assert origin.requests == ["/r.flv"] and victim.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(media):
    """The name is resolved once, by the policy; the request goes to that address with the name
    in Host (a name the system resolver does not know proves nobody resolved it again)."""
    server = CountingServer(ALLOWED, {"/x.flv": Route(body=media["x.flv"])})
    resolved: list[str] = []

    def resolve(host: str, port: int):
        resolved.append(host)
        return [ipaddress.ip_address(ALLOWED)]

    try:
        with StreamFetcher(ALLOWED, resolve=resolve) as fetcher:
            fetched = fetcher.get(f"http://stream.test:{server.port}/x.flv", max_bytes=10**6)
    finally:
        server.close()
    assert fetched.content == media["x.flv"] and resolved == ["stream.test"]
    assert server.hosts == [f"stream.test:{server.port}"]
