"""A live HLS stream on loopback, for tests: ffmpeg cuts a recording into MPEG-TS segments, and a
real HTTP server publishes them one by one at the pace they play (an EVENT playlist that grows,
closed with EXT-X-ENDLIST after the last). The server can be dropped and brought back on the
same port while the stream goes on, as a flaky origin would."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import m3u8
from api_server import free_port
from speech_audio import ffmpeg


def cut_into_segments(audio: Path, folder: Path, seconds: float = 2.0) -> list[tuple[str, float]]:
    """(file name, duration) of each segment ffmpeg made."""
    ffmpeg(
        "-i", str(audio), "-c:a", "aac", "-b:a", "64k", "-f", "hls", "-hls_time", str(seconds),
        "-hls_playlist_type", "vod", "-hls_segment_filename", str(folder / "seg%03d.ts"),
        str(folder / "full.m3u8"),
    )  # fmt: skip
    playlist = m3u8.load(str(folder / "full.m3u8"))
    return [(segment.uri, float(segment.duration)) for segment in playlist.segments]


class LiveHls:
    def __init__(self, folder: Path, segments: list[tuple[str, float]], speed: float = 1.0):
        self.folder, self.segments, self.speed = folder, segments, speed
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/live.m3u8"
        self.started = 0.0
        self.requests: list[str] = []
        self.ended_at: float | None = None  # monotonic time the last segment was published
        self.first_listed = 0  # segments before this one slid out of the playlist's window
        self._server: ThreadingHTTPServer | None = None

    def published(self) -> int:
        """How many segments are out, by the clock: segment i appears when i segments have played."""
        elapsed = (time.monotonic() - self.started) * self.speed
        count, clock = 0, 0.0
        for _, length in self.segments:
            if clock > elapsed:
                break
            count += 1
            clock += length
        if count == len(self.segments) and self.ended_at is None:
            self.ended_at = time.monotonic()
        return count

    def playlist(self) -> str:
        count = self.published()
        target = max(int(length + 0.999) for _, length in self.segments)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target}",
                 f"#EXT-X-MEDIA-SEQUENCE:{self.first_listed}"]  # fmt: skip
        if not self.first_listed:
            lines.append("#EXT-X-PLAYLIST-TYPE:EVENT")  # an EVENT playlist only grows
        for name, length in self.segments[self.first_listed : count]:
            lines += [f"#EXTINF:{length:.3f},", name]
        if count == len(self.segments):
            lines.append("#EXT-X-ENDLIST")
        return "\n".join(lines) + "\n"

    def start(self) -> LiveHls:
        if not self.started:
            self.started = time.monotonic()
        live = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                live.requests.append(self.path)
                name = self.path.lstrip("/").split("?")[0]
                if name == "live.m3u8":
                    body, kind = live.playlist().encode(), "application/vnd.apple.mpegurl"
                elif name in {n for n, _ in live.segments[: live.published()]}:
                    body, kind = (live.folder / name).read_bytes(), "video/mp2t"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def drop(self) -> None:
        """The origin goes away: the port refuses connections until `start` is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        self.drop()
