"""The demo's recordings, made when `serve --demo` seeds a store, without network: lines spoken
by espeak-ng (English, which Whisper understands; Debian's Mandarin voice is not understood) and
real recordings shipped in `monitor/demo/` copied beside the database. Each comes with the timed
segments of what is said in it, so that a stream's page, flags and recording agree.

Never makes a recording that says nothing: without espeak-ng there is no spoken recording.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from monitor.demo.schema import DEMO_FOLDER, Recording, Speech
from monitor.sources.segments import Segment

PAUSE_S = 0.6  # silence before, between and after the spoken lines


def can_speak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(lines: list[str], speech: Speech, out: Path) -> list[Segment]:
    """Speak each line into one WAV at `out`, a pause between lines; the segments say when each
    line is spoken."""
    segments, frames, params, clock = [], [], None, PAUSE_S
    with tempfile.TemporaryDirectory() as tmp:
        for index, text in enumerate(lines):
            part = Path(tmp) / f"{index}.wav"
            voice = ["-v", speech.voice, "-s", str(speech.words_per_minute)]
            subprocess.run(
                ["espeak-ng", *voice, "-w", str(part), text], check=True, capture_output=True
            )
            with wave.open(str(part)) as handle:
                params = params or handle.getparams()
                frames.append(handle.readframes(handle.getnframes()))
                length = handle.getnframes() / handle.getframerate()
            segments.append(Segment(round(clock, 3), round(clock + length, 3), text))
            clock += length + PAUSE_S
        silence = b"\0" * (int(params.framerate * PAUSE_S) * params.sampwidth * params.nchannels)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_suffix(".partial")
        with wave.open(str(staging), "wb") as handle:
            handle.setparams(params)
            handle.writeframes(silence)
            for data in frames:
                handle.writeframes(data + silence)
        staging.replace(out)
    return segments


def copy_recording(recording: Recording, media_dir: Path) -> tuple[list[Segment], Path]:
    """The shipped recording copied into `media_dir`, and what is said in it."""
    source = DEMO_FOLDER / recording.file
    out = media_dir / source.name
    media_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return [Segment(start, end, text) for start, end, text in recording.segments], out
