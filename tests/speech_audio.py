"""Real speech for tests, made on the spot with espeak-ng and sox (Debian packages the Makefile
installs): a script of sentences and pauses becomes a 16 kHz mono WAV, and we know when each
sentence starts and ends. sox runs repeatable (-R): its dither is seeded, so a script always
gives the same samples (Whisper's reading of speech it cannot follow changes with every bit)."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

RATE = 16_000


def duration(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return handle.getnframes() / handle.getframerate()


def speak(
    script: list[str | float], out: Path, voice: str = "en-us", speed: int = 150
) -> list[tuple[float, float]]:
    """Each str is spoken, each float is that many seconds of silence; returns (start, end) per
    spoken sentence, in seconds."""
    parts, spans, clock = [], [], 0.0
    for index, item in enumerate(script):
        part = out.parent / f"{out.stem}.part{index}.wav"
        if isinstance(item, str):
            raw = part.with_suffix(".raw.wav")
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), item], check=True
            )
            subprocess.run(
                ["sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(part)],
                check=True,
            )
            raw.unlink()
            length = duration(part)
            spans.append((clock, clock + length))
        else:
            subprocess.run(
                [
                    "sox",
                    "-n",
                    "-r",
                    str(RATE),
                    "-c",
                    "1",
                    "-b",
                    "16",
                    str(part),
                    "trim",
                    "0",
                    str(item),
                ],
                check=True,
            )
            length = duration(part)
        clock += length
        parts.append(str(part))
    subprocess.run(["sox", "-R", *parts, str(out)], check=True)
    for part in parts:
        Path(part).unlink()
    return spans


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def silent_flac(out: Path, seconds: float) -> Path:
    """A FLAC of `seconds` of 16 kHz mono silence: long, and small on disk (an hour: 0.7 MB)."""
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono:nb_samples=16384", "-t", str(seconds),
           "-c:a", "flac", str(out))  # fmt: skip
    return out


def tone(path: Path, seconds: float) -> Path:
    """A quiet 440 Hz tone of `seconds` as a 16 kHz mono file (a stream's recording)."""
    subprocess.run(
        ["sox", "-n", "-r", str(RATE), "-c", "1", str(path), "synth", str(seconds), "sine", "440",
         "vol", "0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return path
