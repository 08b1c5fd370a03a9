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

    def model_folder(self) -> Path | None:
        return Path(self.model_dir) if self.model_dir else None

    def extra_lexicon_files(self) -> list[Path]:
        return [Path(p) for p in self.lexicons.split(os.pathsep) if p.strip()]
