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

    def extra_lexicon_files(self) -> list[Path]:
        return [Path(p) for p in self.lexicons.split(os.pathsep) if p.strip()]
