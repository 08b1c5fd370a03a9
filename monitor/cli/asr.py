"""The speech model at the command line: its options (shared by `transcribe`, `check` and
`watch`), loading it from the settings and those options, and transcribing a recording with a
progress bar on stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from monitor.settings import Settings
    from monitor.speech.transcriber import Transcriber

_PROGRESS_AFTER_S = 5.0  # files shorter than this get no progress bar


def asr_options(command):
    """The speech-model options shared by `transcribe`, `check` and `watch`."""
    options = [
        click.option(
            "--language",
            help="说话的语言：zh（默认）、en … 或 auto / spoken language: zh (default), en, … or auto.",
        ),
        click.option(
            "--model",
            help="语音模型：base-offline（默认）、模型文件夹或 faster-whisper 模型名 / "
            "speech model: base-offline (default), a model folder, or a faster-whisper name.",
        ),
        click.option(
            "--device",
            type=click.Choice(["cpu", "cuda", "auto"]),
            help="在哪里运行 / where to run.",
        ),
        click.option(
            "--compute-type",
            help="计算精度：int8（CPU 默认）、float16、int8_float16 … / "
            "compute type: int8 (CPU default), float16, int8_float16 …",
        ),
        click.option(
            "--threads",
            type=click.IntRange(min=0),
            help="线程数（0：默认）/ CPU threads (0: default).",
        ),
        click.option(
            "--beam-size",
            type=click.IntRange(min=1, max=20),
            help="束搜索宽度 / beam size.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_transcriber(settings: Settings, workers: int = 1, **chosen) -> Transcriber:
    """The speech model for the chosen options; `workers`: decodes that may run at once."""
    from monitor.speech.asr_model import ModelUnavailable
    from monitor.speech.transcriber import AsrOptions, Transcriber

    language = chosen.get("language") or settings.asr_language
    options = AsrOptions(
        model=chosen.get("model") or settings.asr_model,
        device=chosen.get("device") or settings.asr_device,
        compute_type=chosen.get("compute_type") or settings.asr_compute_type,
        threads=chosen.get("threads")
        if chosen.get("threads") is not None
        else settings.asr_threads,
        language=None if language == "auto" else language,
        beam_size=chosen.get("beam_size") or 0,
        cache_dir=Path(settings.asr_cache_dir) if settings.asr_cache_dir else None,
        workers=workers,
    )
    try:
        return Transcriber(options)
    except (RuntimeError, ValueError, OSError) as exc:  # CTranslate2/huggingface refusals
        raise ModelUnavailable(
            f"无法加载语音模型 / cannot load speech model '{options.model}': {exc}"
        ) from None


def transcribe_recording(transcriber: Transcriber, path, settings: Settings, progress):
    """A recording transcribed window by window, within the settings' size and duration limits."""
    return transcriber.transcribe_file(
        path, settings.max_media_bytes, progress, max_seconds=settings.media_max_seconds
    )


class ProgressBar:
    """tqdm on stderr for files longer than a few seconds, when asked or on a terminal."""

    def __init__(self, path: str, wanted: bool | None = None):
        self.path, self.wanted, self.bar = path, wanted, None

    def __enter__(self):
        show = self.wanted if self.wanted is not None else sys.stderr.isatty()
        return self._update if show else None

    def _update(self, done: float, total: float) -> None:
        if self.bar is None:
            if total < _PROGRESS_AFTER_S:
                return
            from tqdm import tqdm

            self.bar = tqdm(
                total=round(total, 1), unit="s", desc="转写 transcribing", file=sys.stderr
            )
        self.bar.update(round(done, 1) - self.bar.n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()
