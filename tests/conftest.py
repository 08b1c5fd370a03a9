"""Shared fixtures for the whole run: one compiled checker over the shipped lexicon, the speech
models, the web UI's test site (per module), and one headless chromium (each test's browser
contexts are closed after it). Servers and waiting: tests/api_server.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import Checker, default_checker

CHROMIUM = "/usr/bin/chromium"
# test_api_docs_offline reaches the server under a non-loopback name, as on a real deployment
DOCS_HOST = "qinglang.test"


@pytest.fixture(scope="session")
def checker() -> Checker:
    return default_checker()


@pytest.fixture(scope="session")
def transcriber():
    """The shipped offline Whisper base model, Mandarin by default."""
    from monitor.speech.transcriber import AsrOptions, Transcriber

    return Transcriber(AsrOptions(language="zh"))


@pytest.fixture(scope="session")
def transcriber_en():
    from monitor.speech.transcriber import AsrOptions, Transcriber

    return Transcriber(AsrOptions(language="en"))


@pytest.fixture(scope="session")
def claims_audio(tmp_path_factory):
    """English speech with claims from the English lexicon, and when each sentence is spoken."""
    from speech_audio import speak

    folder = tmp_path_factory.mktemp("speech")
    path = folder / "claims.wav"
    script = [
        0.8,
        "Good evening everyone, welcome to our tea farm.",
        1.5,
        "This tea is the best in the world.",
        1.5,
        "Our tea leaves are picked by hand every morning.",
        1.5,
        "It lowers blood pressure, so buy it now.",
        1.0,
    ]
    spans = speak(script, path)
    return path, spans


@pytest.fixture
def redis_server(tmp_path):
    """A real redis-server of the test's own on loopback (tests/redis_server.py)."""
    from redis_server import running_redis

    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def site(tmp_path_factory, checker):
    """The web UI's test site (tests/ui_site.py), served for the module's tests."""
    from ui_site import serve_site

    yield from serve_site(tmp_path_factory.mktemp("ui"), checker)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, launched once for the run (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install the Debian package chromium"
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                f"--host-resolver-rules=MAP {DOCS_HOST} 127.0.0.1",
            ],
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """The browser contexts (pages, cookies) a test opened are closed after it, so that the one
    browser of the run does not collect every test's pages."""
    chromium = item.funcargs.get("browser")
    before = list(chromium.contexts) if chromium else []
    try:
        return (yield)
    finally:
        for context in chromium.contexts if chromium else []:
            if context not in before:
                context.close()
