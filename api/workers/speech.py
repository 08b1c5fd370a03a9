"""The one speech model the service shares between its job worker and its live rooms, loaded on
first use (the service starts without waiting for it) with the settings' asr_* options.

Loading happens once per set of options, under a lock, so two first users do not both load it.
CTranslate2 runs `workers` recognitions at once; more wait their turn inside the model.
"""

from __future__ import annotations

import threading
from pathlib import Path

from monitor.settings import Settings
from monitor.speech.asr_model import ModelUnavailable
from monitor.speech.transcriber import AsrOptions, Transcriber

MAX_WORKERS = 2  # parallel recognitions; each is CPU-bound, and the machine may have few cores

_lock = threading.Lock()
_loaded: dict[AsrOptions, Transcriber] = {}


def asr_options(settings: Settings) -> AsrOptions:
    language = settings.asr_language
    return AsrOptions(
        model=settings.asr_model,
        device=settings.asr_device,
        compute_type=settings.asr_compute_type,
        threads=settings.asr_threads,
        workers=max(1, min(MAX_WORKERS, settings.live_max_rooms + 1)),
        language=None if language == "auto" else language,
        cache_dir=Path(settings.asr_cache_dir) if settings.asr_cache_dir else None,
    )


def shared_transcriber(settings: Settings) -> Transcriber:
    """The loaded model for these settings (loaded now if it is the first use)."""
    options = asr_options(settings)
    with _lock:
        found = _loaded.get(options)
        if found is None:
            try:
                found = Transcriber(options)
            except (RuntimeError, ValueError, OSError) as exc:  # CTranslate2 refusals
                raise ModelUnavailable(
                    f"无法加载语音模型 / cannot load speech model '{options.model}': {exc}"
                ) from None
            _loaded[options] = found
        return found
