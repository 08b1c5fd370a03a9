"""Speech to timed text with faster-whisper: VAD on, word timestamps kept, traditional output
turned simplified, Whisper's known hallucinations dropped, and each segment given its confidence
and reliability issues, the transcript its warnings (policy in models/asr.yaml).

One `Transcriber` holds one loaded model and is safe to share between threads (CTranslate2 runs
`workers` decodes at once).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import opencc

from monitor.data_files import data_dir
from monitor.sources.audio_windows import WindowRules, recording_windows
from monitor.sources.media import SAMPLE_RATE, check_recording
from monitor.sources.segments import Segment, Transcript, Word
from monitor.speech.asr_model import OFFLINE_MODEL, resolve_model
from monitor.speech.asr_policy_schema import AsrPolicyFile
from monitor.speech.transcript_reliability import (
    ReliabilityPolicy,
    segment_issues,
    transcript_warnings,
    word_confidence,
)
from monitor.vocabulary import MEDIA_MAX_SECONDS
from monitor.yaml_files import read_validated, validated

Progress = Callable[[float, float], None]  # (seconds transcribed, total seconds)
_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class AsrOptions:
    model: str = OFFLINE_MODEL
    device: str = "cpu"
    compute_type: str = "int8"
    threads: int = 0  # 0: CTranslate2 decides
    workers: int = 1  # decodes that may run at once (one per concurrent stream)
    language: str | None = "zh"  # None: detect
    beam_size: int = 0  # 0: the mode's default in models/asr.yaml
    cache_dir: Path | None = None


@dataclass(frozen=True)
class AsrPolicy:
    decode: dict[str, dict]
    vad: dict
    live: dict
    drop_equals: frozenset[str]
    drop_contains: tuple[str, ...]
    reliability: ReliabilityPolicy

    @classmethod
    def load(cls, path: Path | None = None) -> AsrPolicy:
        path = path or data_dir("models") / "asr.yaml"
        data = read_validated(path, AsrPolicyFile)
        return cls(
            decode={mode: options.model_dump() for mode, options in data.decode.items()},
            vad=data.vad.model_dump(),
            live=data.live.model_dump(),
            drop_equals=frozenset(bare_text(t) for t in data.hallucinations.equals),
            drop_contains=tuple(bare_text(t) for t in data.hallucinations.contains),
            reliability=validated(ReliabilityPolicy, data.reliability, f"{path}: reliability"),
        )

    def is_hallucination(self, text: str) -> bool:
        bare = bare_text(text)
        return not bare or bare in self.drop_equals or any(c in bare for c in self.drop_contains)


class Transcriber:
    def __init__(self, options: AsrOptions | None = None, policy: AsrPolicy | None = None):
        from faster_whisper import WhisperModel  # heavy import, only when speech is needed

        self.options = options or AsrOptions()
        self.policy = policy or AsrPolicy.load()
        self.model = WhisperModel(
            resolve_model(self.options.model, self.options.cache_dir),
            device=self.options.device,
            compute_type=self.options.compute_type,
            cpu_threads=self.options.threads,
            num_workers=self.options.workers,
        )
        self._t2s = opencc.OpenCC("t2s")
        self._t2s_lock = threading.Lock()  # an OpenCC converter is not documented as thread-safe

    def transcribe_file(
        self,
        path: str | Path,
        max_bytes: int,
        progress: Progress | None = None,
        *,
        max_seconds: float = MEDIA_MAX_SECONDS,
        rules: WindowRules | None = None,
    ) -> Transcript:
        """A recording of at most `max_bytes` and `max_seconds`, checked from its header before
        anything is decoded, then decoded and recognised one bounded window at a time."""
        duration = check_recording(path, max_bytes, max_seconds)
        parts, done = [], 0.0
        for window in recording_windows(path, max_seconds, rules):
            length = len(window.samples) / SAMPLE_RATE
            total = max(duration or 0.0, window.start + length)
            shifted = _shifted(progress, window.start, total) if progress else None
            parts.append(self._recognise(window.samples, offset=window.start, progress=shifted))
            done = window.start + length
        if progress:
            progress(done, done)
        return self._transcript(parts, done)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        live: bool = False,
        offset: float = 0.0,
        progress: Progress | None = None,
    ) -> Transcript:
        """Segments of 16 kHz mono float32 `audio`; times are shifted by `offset` seconds."""
        part = self._recognise(audio, live=live, offset=offset, progress=progress)
        return self._transcript([part], len(audio) / SAMPLE_RATE)

    def _recognise(
        self,
        audio: np.ndarray,
        *,
        live: bool = False,
        offset: float = 0.0,
        progress: Progress | None = None,
    ) -> _Part:
        settings = dict(self.policy.decode["live" if live else "file"])
        if self.options.beam_size:
            settings["beam_size"] = self.options.beam_size
        raw, info = self.model.transcribe(
            audio,
            language=self.options.language,
            vad_filter=True,
            vad_parameters=dict(self.policy.vad),
            word_timestamps=True,
            **settings,
        )
        duration = len(audio) / SAMPLE_RATE
        segments = self.clean(raw, offset, duration, progress, language=info.language)
        return _Part(segments, info.language, info.language_probability, info.duration_after_vad)

    def _transcript(self, parts: list[_Part], duration: float) -> Transcript:
        """One transcript of the parts of a recording, in order."""
        segments = [segment for part in parts for segment in part.segments]
        main = next((part for part in parts if part.segments), parts[0])
        detected = None if self.options.language else main.language_probability
        return Transcript(
            language=main.language,
            duration=duration,
            segments=tuple(segments),
            language_probability=detected,
            warnings=transcript_warnings(
                segments,
                self.policy.reliability,
                speech_s=sum(part.speech_s for part in parts),
                language_probability=detected,
            ),
        )

    def clean(
        self,
        raw: Iterable,
        offset: float,
        duration: float,
        progress: Progress | None,
        *,
        language: str | None = "zh",
    ) -> list[Segment]:
        """Simplified text with word spans and reliability issues (`language`: of the speech);
        hallucinated and repeated lines dropped."""
        kept: list[Segment] = []
        for segment in raw:
            if progress:
                progress(min(segment.end, duration), duration)
            built = self._segment(segment, offset, language)
            if built is None or self.policy.is_hallucination(built.text):
                continue
            if kept and bare_text(kept[-1].text) == bare_text(built.text):
                continue
            kept.append(built)
        if progress:
            progress(duration, duration)
        return kept

    def _segment(self, segment, offset: float, language: str | None) -> Segment | None:
        pieces, words, probabilities, position = [], [], [], 0
        for word in segment.words or ():
            text = self._simplified(word.word)
            if not pieces:
                text = text.lstrip()
            if not text:
                continue
            pieces.append(text)
            probabilities.append(word.probability)
            words.append(
                Word(
                    start=round(offset + word.start, 3),
                    end=round(offset + word.end, 3),
                    char_start=position,
                    char_end=position + len(text),
                )
            )
            position += len(text)
        text = "".join(pieces).rstrip()
        if not text:
            return None
        confidence = word_confidence(probabilities)
        return Segment(
            start=round(offset + segment.start, 3),
            end=round(offset + segment.end, 3),
            text=text,
            words=tuple(words),
            confidence=confidence,
            issues=segment_issues(
                text,
                confidence=confidence,
                window_logprob=segment.avg_logprob,
                compression_ratio=segment.compression_ratio,
                language=language,
                policy=self.policy.reliability,
            ),
        )

    def _simplified(self, text: str) -> str:
        with self._t2s_lock:
            return self._t2s.convert(text)


@dataclass(frozen=True)
class _Part:
    """What recognition made of one window of a recording."""

    segments: list[Segment]
    language: str
    language_probability: float
    speech_s: float


def _shifted(progress: Progress, start: float, total: float) -> Progress:
    """`progress` of a window starting at `start` seconds, reported against the whole `total`."""
    return lambda done, _window: progress(min(start + done, total), total)


def bare_text(text: str) -> str:
    """Text without spaces and punctuation, in lower case: what repeats are compared on."""
    return _PUNCTUATION.sub("", text).lower()
