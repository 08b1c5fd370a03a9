"""Shared fixtures: one compiled checker over the shipped lexicon for the whole run."""

from __future__ import annotations

import pytest

from monitor import Checker, default_checker


@pytest.fixture(scope="session")
def checker() -> Checker:
    return default_checker()


@pytest.fixture(scope="session")
def transcriber():
    """The shipped offline Whisper base model, Mandarin by default."""
    from monitor.transcriber import AsrOptions, Transcriber

    return Transcriber(AsrOptions(language="zh"))


@pytest.fixture(scope="session")
def transcriber_en():
    from monitor.transcriber import AsrOptions, Transcriber

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
