"""Peak memory of the service under hostile inputs, against the documented budget.

The service runs as `qinglang serve` does (benchmarks.api_server), with the speech model loaded
by a first, short media job. Then each input of issue 13 is sent and the process's resident
memory is sampled every 20 ms until the answer (or the job's end): its peak is reported against
BUDGET_MB. Inputs are made here: a .docx zip bomb (1 GiB of zeros in about 1 MB), a 12-hour
silent FLAC, an hour of silence (allowed: transcribed window by window), 10 MB of text for
`POST /v1/check`, a 28 MB batch.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from monitor.store.api_keys import create_key
from monitor.store.db import open_db

from .api_speed import free_port, rss_mb, start_server

BUDGET_MB = 1536  # README: peak RSS with the speech model loaded, under any input
LINE = "家人们，今天的杨梅是当天现摘的，顺丰冷链发货，全网最低价，加我微信私聊下单！"
CLIP = Path(__file__).resolve().parent.parent / "tests/data/audio/funasr_asr_example.wav"


def docx_bomb(expanded_mib: int = 1024) -> bytes:
    """A real .docx plus one file of `expanded_mib` MiB of zeros (about 1 MB on disk per GiB)."""
    from docx import Document

    out = io.BytesIO()
    document = Document()
    document.add_paragraph(LINE)
    document.save(out)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/pad.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(expanded_mib):
            entry.write(bytes(1024 * 1024))
    return out.getvalue()


def silent_flac(path: Path, seconds: int) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "anullsrc=r=16000:cl=mono:nb_samples=16384", "-t", str(seconds), "-c:a", "flac",
         str(path)],
        check=True,
    )  # fmt: skip
    return path


class PeakSampler:
    """The highest VmRSS of a process while the block runs, sampled every 20 ms."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()

    def __enter__(self) -> PeakSampler:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid)[0])
            self._stop.wait(0.02)


def _wait_job(client: httpx.Client, status_url: str) -> dict:
    deadline = time.monotonic() + 1800
    while (job := client.get(status_url).json())["status"] not in ("done", "failed"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {status_url} did not finish")
        time.sleep(0.5)
    return job


def _media(client: httpx.Client, path: Path) -> str:
    with path.open("rb") as handle:
        answer = client.post("/v1/media", files={"file": (path.name, handle)})
    if answer.status_code != 202:
        return f"{answer.status_code} {answer.json()['error']}"
    job = _wait_job(client, answer.json()["status_url"])
    return f"job {job['status']} ({job.get('error') or 'transcribed'})"


def _self_check(client: httpx.Client, name: str, data: bytes) -> str:
    page = client.get("/ui/self-check")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    answer = client.post("/ui/self-check", data={"csrf": token}, files={"file": (name, data)})
    shown = re.search(r"文档解压后超过[^<]*", answer.text)
    return f"{answer.status_code} {shown.group(0).strip() if shown else ''}".strip()


def _log_in(client: httpx.Client, key: str) -> None:
    """The web UI's session comes from its login form (a session id, not the key)."""
    form = client.get("/ui/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text).group(1)
    client.post("/ui/login", data={"key": key, "login_csrf": token}, follow_redirects=False)


def _post_json(client: httpx.Client, path: str, body: bytes) -> str:
    answer = client.post(path, content=body, headers={"Content-Type": "application/json"})
    detail = answer.json().get("error", "") if answer.status_code >= 400 else ""
    return f"{answer.status_code} {detail} ({len(answer.content) / 1e6:.2f} MB answer)"


def run() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        key = create_key(open_db(db), "platform", actor="bench")[1]
        print("making the inputs …", flush=True)
        text = (LINE * (10 * 1024 * 1024 // len(LINE.encode()) + 1)).encode()[: 10 * 1024**2]
        text_body = json.dumps({"text": text.decode("utf-8", "ignore")}, ensure_ascii=False)
        batch_items = [{"id": str(n), "text": LINE * 2500} for n in range(100)]  # 28 MB
        batch_body = json.dumps({"items": batch_items}, ensure_ascii=False).encode()
        bomb = docx_bomb()
        twelve_hours = silent_flac(folder / "12h.flac", 12 * 3600)
        one_hour = silent_flac(folder / "1h.flac", 3600)
        inputs: list[tuple[str, Callable[[httpx.Client], str]]] = [
            (f"docx bomb, {len(bomb) / 1e6:.1f} MB → 1 GiB (self-check page)",
             lambda c: _self_check(c, "bomb.docx", bomb)),
            (f"12 h silent FLAC, {twelve_hours.stat().st_size / 1e6:.1f} MB (POST /v1/media)",
             lambda c: _media(c, twelve_hours)),
            ("1 h silent FLAC, allowed (POST /v1/media, transcribed)",
             lambda c: _media(c, one_hour)),
            (f"{len(text_body.encode()) / 1e6:.1f} MB text (POST /v1/check)",
             lambda c: _post_json(c, "/v1/check", text_body.encode())),
            (f"{len(batch_body) / 1e6:.1f} MB batch (POST /v1/check/batch)",
             lambda c: _post_json(c, "/v1/check/batch", batch_body)),
        ]  # fmt: skip
        port = free_port()
        server = start_server(db, port)
        headers = {"Authorization": f"Bearer {key}"}
        try:
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=1800
            ) as client:
                _log_in(client, key)
                loaded = _media(client, CLIP)  # loads the speech model
                print(f"speech model loaded ({loaded}): {rss_mb(server.pid)[0]:.0f} MB")
                print(f"{'input':<58} {'peak MB':>8} {'budget':>7}  answer")
                worst = 0.0
                for name, send in inputs:
                    with PeakSampler(server.pid) as sampler:
                        answer = send(client)
                    worst = max(worst, sampler.peak)
                    verdict = "ok" if sampler.peak <= BUDGET_MB else "OVER"
                    print(f"{name:<58} {sampler.peak:>8.0f} {verdict:>7}  {answer}", flush=True)
                print(
                    f"worst peak {worst:.0f} MB against a budget of {BUDGET_MB} MB: "
                    f"{'within' if worst <= BUDGET_MB else 'OVER'}; after: "
                    f"{rss_mb(server.pid)[0]:.0f} MB held"
                )
        finally:
            server.terminate()
            server.wait(timeout=60)
