"""The schema of the ASR policy file (models/asr.yaml) as pydantic models: decoding options per
mode, voice activity detection, live chunking and Whisper's known hallucinations. The
`reliability` section has its own model (transcript_reliability.ReliabilityPolicy).

This module validates values; it reads no files and runs no model (see speech/transcriber.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt

from monitor.data_schema import DataModel, Text

_Fraction = Annotated[StrictFloat, Field(ge=0, le=1)]
_Seconds = Annotated[StrictFloat, Field(gt=0)]
_Milliseconds = Annotated[StrictInt, Field(ge=0)]


class DecodeOptions(DataModel):
    """faster-whisper `transcribe` options for one mode (passed to it as they are)."""

    beam_size: Annotated[StrictInt, Field(ge=1)]
    condition_on_previous_text: StrictBool
    no_speech_threshold: _Fraction
    log_prob_threshold: StrictFloat
    compression_ratio_threshold: Annotated[StrictFloat, Field(gt=0)]
    hallucination_silence_threshold: Annotated[StrictFloat, Field(gt=0)]


class VadOptions(DataModel):
    """Silero VAD parameters, as faster-whisper's `vad_parameters`."""

    threshold: _Fraction
    min_silence_duration_ms: _Milliseconds
    speech_pad_ms: _Milliseconds


class LiveChunking(DataModel):
    """How a live stream's audio is cut into chunks (speech_chunker.ChunkRules), in seconds."""

    pause_s: _Seconds
    max_chunk_s: _Seconds
    min_chunk_s: _Seconds
    idle_keep_s: _Seconds
    vad_every_s: _Seconds


class Hallucinations(DataModel):
    """Texts Whisper makes up over silence or music: a segment equal to or containing one is
    dropped (compared without spaces and punctuation)."""

    equals: tuple[Text, ...]
    contains: tuple[Text, ...]


class AsrPolicyFile(DataModel):
    """models/asr.yaml key for key."""

    decode: dict[Literal["file", "live"], DecodeOptions]
    vad: VadOptions
    live: LiveChunking
    hallucinations: Hallucinations
    reliability: dict[str, Any]
