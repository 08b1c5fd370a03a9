"""The one typed settings object: defaults, overridden by QINGLANG_* environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from .evidence_files import EvidenceLimits
from .text_input import MAX_TEXT_BYTES


class Settings(BaseSettings):
    """Every setting is documented in README.md (a test fails when one is not)."""

    model_config = SettingsConfigDict(env_prefix="QINGLANG_")

    timezone: str = "Asia/Shanghai"
    """Time zone every page shows times in (stored times are UTC), an IANA name."""
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
    checker_cache: bool = True
    """Keep the compiled lexicon between CLI commands, in $XDG_CACHE_HOME/qinglang/checkers."""

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
    review_undo_minutes: float = 10.0
    """How long the reviewer who decided a flag may undo the decision, in minutes (0: never)."""

    def undo_window(self) -> timedelta:
        return timedelta(minutes=max(self.review_undo_minutes, 0.0))

    api_host: str = "127.0.0.1"
    """Address `qinglang serve` listens on (0.0.0.0: every interface)."""
    api_port: int = 8000
    """Port `qinglang serve` listens on."""
    api_header_timeout_s: float = 10.0
    """Seconds a client has to send a request's line and headers (408 and closed after them)."""
    api_max_body_bytes: int = 32 * 1024**2
    """Largest HTTP request body the API accepts, in bytes (413 above it); uploads excepted."""
    api_max_upload_bytes: int = 512 * 1024**2
    """Largest audio/video upload the API accepts, in bytes (413 above it)."""
    api_rate_per_minute: int = 600
    """Requests per minute allowed to one API key (429 above it; 0: no limit)."""
    api_max_concurrent_checks: int = 8
    """Checks the service runs at once; further requests wait their turn (503 after 30 s)."""
    api_max_batch: int = 100
    """Most texts in one batch check."""
    data_dir: str = ""
    """Where the service keeps uploads, job files and appeal evidence (default: `<db>.files`)."""
    appeal_max_files: int = EvidenceLimits.max_files
    """Most evidence files (PDF, JPEG, PNG) one appeal carries."""
    appeal_max_file_mib: float = EvidenceLimits.max_file_mib
    """Largest evidence file of an appeal, in MiB (413 above it)."""
    appeal_max_total_mib: float = EvidenceLimits.max_total_mib
    """All evidence files of one appeal together, in MiB (413 above it)."""
    appeal_max_links: int = EvidenceLimits.max_links
    """Most evidence links one appeal carries."""
    live_max_rooms: int = 4
    """Live rooms transcribing audio at once (each needs about one core at real time)."""
    webhook_allow: str = ""
    """Non-public webhook addresses allowed (as QINGLANG_WATCH_ALLOW), e.g. for a local receiver."""
    credit_recompute_hours: float = 24.0
    """How often the service recomputes every anchor's credit (0: never; `credit recompute` by hand)."""
    reload_watch: bool = True
    """Reload lexicons and the credit policy when their files change (also POST /v1/admin/reload)."""

    def files_dir(self) -> Path:
        """Folder for uploads and job files: `data_dir`, or `<db>.files` beside the database."""
        return Path(self.data_dir) if self.data_dir else Path(f"{self.db}.files")

    def evidence_limits(self) -> EvidenceLimits:
        return EvidenceLimits(
            max_files=self.appeal_max_files,
            max_file_mib=self.appeal_max_file_mib,
            max_total_mib=self.appeal_max_total_mib,
            max_links=self.appeal_max_links,
        )

    def model_folder(self) -> Path | None:
        return Path(self.model_dir) if self.model_dir else None

    def extra_lexicon_files(self) -> list[Path]:
        return [Path(p) for p in self.lexicons.split(os.pathsep) if p.strip()]
