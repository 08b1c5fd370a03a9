"""The one typed settings object: defaults, overridden by QINGLANG_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from .text_input import MAX_TEXT_BYTES


class Settings(BaseSettings):
    """Every setting is documented in README.md (a test fails when one is not)."""

    model_config = SettingsConfigDict(env_prefix="QINGLANG_")

    lexicons: str = ""
    """Extra lexicon files (entries, whitelist, profiles), separated by ':' (';' on Windows)."""
    profile: str = "default"
    """Lexicon profile used when a check names none."""
    max_text_bytes: int = MAX_TEXT_BYTES
    """Largest script or text accepted by `qinglang check`, in bytes."""
    classifier: bool = True
    """Run the 虚假宣传 classifier after the lexicon (false: lexicon only)."""
    model_dir: str = ""
    """Folder of the classifier artefact and policy (default: the shipped models/)."""

    asr_model: str = "base-offline"
    """Speech model: `base-offline` (shipped Whisper base), a folder, or a faster-whisper name."""
    asr_device: str = "cpu"
    """Where speech recognition runs: `cpu`, `cuda` or `auto`."""
    asr_compute_type: str = "int8"
    """CTranslate2 compute type: `int8` on CPU; `float16` or `int8_float16` on a GPU."""
    asr_threads: int = 0
    """CPU threads per recognition (0: CTranslate2's default)."""
    asr_language: str = "zh"
    """Spoken language (`auto` to detect)."""
    asr_cache_dir: str = ""
    """Where the offline model is assembled (default: $XDG_CACHE_HOME/qinglang or ~/.cache/qinglang)."""
    max_media_bytes: int = 2 * 1024**3
    """Largest audio/video file accepted by `check` and `transcribe`, in bytes."""
    watch_allow: str = ""
    """Non-public stream addresses `watch` may open: IPs, networks or host names, comma-separated."""

    db: str = "qinglang.db"
    """The SQLite database (store of anchors, flags, decisions, credit, audit log)."""
    actor: str = ""
    """Who is acting, written to the audit log (default: the login name)."""
    credit_policy: str = ""
    """Credit policy file (default: the shipped monitor/policies/credit.yaml)."""

    api_host: str = "127.0.0.1"
    """Address `qinglang serve` listens on (0.0.0.0: every interface)."""
    api_port: int = 8000
    """Port `qinglang serve` listens on."""
    api_max_body_bytes: int = 32 * 1024**2
    """Largest HTTP request body the API accepts, in bytes (413 above it)."""

    def model_folder(self) -> Path | None:
        return Path(self.model_dir) if self.model_dir else None

    def extra_lexicon_files(self) -> list[Path]:
        return [Path(p) for p in self.lexicons.split(os.pathsep) if p.strip()]
